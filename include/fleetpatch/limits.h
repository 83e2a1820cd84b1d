/*
 * Every limit on external input, in one place. Each has a test at the limit and one past it.
 * The values are generous for real data (see the comment of each) and small enough that a
 * hostile input cannot exhaust memory.
 */
#ifndef FLEETPATCH_LIMITS_H
#define FLEETPATCH_LIMITS_H

/* A version string (Debian, RPM EVR, apk). Real ones are < 100 bytes. */
#define FP_MAX_VERSION_LEN 1024
/* A package name. Debian policy has no limit; real ones are < 100 bytes. */
#define FP_MAX_NAME_LEN 256
/* One line of a control file / Release / preferences file. The longest real one seen is a
 * 75,649-byte line in Debian 12 main's Packages (a Provides list); allow ~14x that. */
#define FP_MAX_LINE_LEN (1024 * 1024)
/* One field (with continuation lines) of a deb822 stanza. Release hash lists are the largest. */
#define FP_MAX_FIELD_LEN (16 * 1024 * 1024)
/* One deb822 stanza. */
#define FP_MAX_STANZA_LEN (32 * 1024 * 1024)
/* Fields in one stanza. */
#define FP_MAX_FIELDS 512
/* A decompressed index file (Packages of Debian main is ~50 MB; allow 20x). */
#define FP_MAX_INDEX_SIZE (1024LL * 1024 * 1024)
/* Files in /etc/apt/preferences.d, lists in /var/lib/apt/lists, repos in yum.repos.d. */
#define FP_MAX_DIR_ENTRIES 10000
/* Stanzas (packages) in one status file or one Packages/primary index. */
#define FP_MAX_PACKAGES 2000000
/* Pins in all preferences files together. */
#define FP_MAX_PINS 100000
/* XML element nesting in repomd/primary. */
#define FP_MAX_XML_DEPTH 64

/* ---- RPM metadata (src/core/rpm) ---- */
/* One XML attribute value in repomd/primary/updateinfo. Real ones are < 1 KiB. */
#define FP_MAX_XML_ATTR_LEN (64 * 1024)
/* Text of an element we keep (name, arch, advisory id...). Descriptions are skipped, not kept. */
#define FP_MAX_XML_TEXT_LEN (64 * 1024)
/* A decompressed repomd.xml; real ones are < 20 KiB. */
#define FP_MAX_REPOMD_SIZE (4 * 1024 * 1024)
/* <data> entries in one repomd.xml; real ones have < 20. */
#define FP_MAX_REPOMD_ENTRIES 256
/* A .repo file or dnf.conf. */
#define FP_MAX_REPOFILE_SIZE (1024 * 1024)
/* One line of a .repo / dnf.conf file (long exclude= lists are the longest real ones). */
#define FP_MAX_INI_LINE_LEN (64 * 1024)
/* Repositories configured on one host. */
#define FP_MAX_REPOS 1000
/* Obsoletes entries of one package; real ones have < 100. */
#define FP_MAX_OBSOLETES 4096
/* Output of `rpm -qa --qf ...` (about 100 bytes per package). */
#define FP_MAX_RPM_QA_OUTPUT (256L * 1024 * 1024)
/* Packages named by all advisories of one updateinfo.xml (Fedora's is ~500k). */
#define FP_MAX_ADVISORY_PKGS 5000000

/* ---- Debian hosts (src/core/deb, src/agent/inventory) ---- */
/* Versions of one (package, architecture) across all apt lists. Real ones have < 10. */
#define FP_MAX_PKG_VERSIONS 4096
/* Checksum entries of one Release file (Debian main: ~600 per hash). */
#define FP_MAX_RELEASE_ENTRIES 1000000
/* A Release/InRelease file, a preferences file or an apt.conf fragment (Debian's: ~150 KiB). */
#define FP_MAX_CONFIG_SIZE (16 * 1024 * 1024)
/* Nesting of apt.conf scopes ("APT { Get { ... } }"). */
#define FP_MAX_APTCONF_DEPTH 32
/* A full apt.conf option name ("APT::Get::Always-Include-Phased-Updates"). */
#define FP_MAX_APTCONF_NAME 1024
/* Architectures configured on one host (native + foreign). */
#define FP_MAX_ARCHES 64

/* ---- Vulnerability feeds (src/vuln) ---- */
/* A whole feed file after decompression (Debian's tracker JSON is ~80 MB; allow 6x). */
#define FP_MAX_FEED_SIZE (512L * 1024 * 1024)
/* One advisory record as JSON (the largest real OSV records, Ubuntu ESM with long `versions`
 * lists, are < 2 MiB). */
#define FP_MAX_RECORD_SIZE (16 * 1024 * 1024)
/* Records in one feed (OSV Debian: ~60k; the tracker: ~40k CVEs x releases). */
#define FP_MAX_FEED_RECORDS 5000000
/* An advisory id, alias, package name in a feed; real ones are < 64 bytes. */
#define FP_MAX_ADVISORY_ID_LEN 256
/* Aliases / references / affected entries of one record (real: < 200 / < 500 / < 3000). */
#define FP_MAX_ALIASES 1024
#define FP_MAX_REFS 4096
#define FP_MAX_AFFECTED 100000
/* Range events of one affected entry and explicit `versions` of one (Ubuntu ESM: ~400). */
#define FP_MAX_RANGE_EVENTS 4096
#define FP_MAX_AFFECTED_VERSIONS 100000
/* JSON nesting accepted in a feed (OSV needs 6). */
#define FP_MAX_JSON_DEPTH 32
/* A CSV line of KEV/EPSS (KEV's longest: ~3 KiB). */
#define FP_MAX_CSV_LINE_LEN (64 * 1024)
/* A URL feed download, compressed. */
#define FP_MAX_DOWNLOAD_SIZE (512L * 1024 * 1024)
/* Evaluated (package, version, arch) tuples one fp_vindex caches (src/vuln/match.c), and their
 * bytes (approximate: results and keys, not the hash table). Hosts choose the versions they
 * report, so the cache is dropped whole when either is reached (the synthetic 100,000-host
 * benchmark of docs/vulns.md has 1,257 distinct tuples). Per index: one per release. */
#define FP_VINDEX_TUPLES_MAX 200000
#define FP_VINDEX_TUPLE_BYTES_MAX (256L * 1024 * 1024)

/* ---- control plane (docs/api.md) ---- */
/* A request body of the user API. */
#define FP_MAX_API_BODY (256 * 1024)
/* A check-in or enrollment body: an inventory of 100,000 packages is ~20 MB of JSON. */
#define FP_MAX_AGENT_BODY (32 * 1024 * 1024)
/* Packages and pending updates in one reported inventory. */
#define FP_MAX_WIRE_PACKAGES 100000
#define FP_MAX_WIRE_UPDATES 50000
/* Tags on one host; tag key and value lengths. */
#define FP_MAX_TAGS 64
#define FP_MAX_TAG_KEY 63
#define FP_MAX_TAG_VALUE 255
/* An account, user, region or token name: [a-z0-9._-], 1..63. */
#define FP_MAX_IDENT 63
/* A fact string (hostname, os_pretty, kernel release, ...). */
#define FP_MAX_FACT_LEN 255
/* Kernels listed as installed in the facts. */
#define FP_MAX_FACT_KERNELS 64
/* Items in one page of a list answer. */
#define FP_MAX_PAGE 1000
/* Regions of one account, grants of one user. */
#define FP_MAX_REGIONS 256
#define FP_MAX_GRANTS 256
/* Long-poll wait, seconds. */
#define FP_MAX_LONGPOLL 60
/* Notifications (docs/notifications.md). */
#define FP_MAX_NOTIFY_TEMPLATE 8192      /* bytes of a subject or body template */
#define FP_MAX_NOTIFY_PLACEHOLDER 64     /* bytes of one {{name}} */
#define FP_MAX_NOTIFY_SUBS 200           /* subscriptions of one account */
#define FP_MAX_NOTIFY_RECIPIENTS 32      /* addresses of one email subscription or group */
#define FP_MAX_NOTIFY_ADDRESS 254        /* bytes of one email address (RFC 5321) */
#define FP_MAX_NOTIFY_URL 2048           /* bytes of a webhook URL */
#define FP_MAX_NOTIFY_SECRET 256         /* bytes of a webhook secret (at least 16) */
#define FP_MAX_NOTIFY_MEMBERS 256        /* users of one group */
#define FP_MAX_NOTIFY_GROUPS 200         /* groups of one account */
#define FP_MAX_NOTIFY_EVENT_DATA (4 * 1024 * 1024) /* bytes of an event's data (an HTML report) */
#define FP_MAX_NOTIFY_KEY 512            /* bytes of an event's idempotency key */
#define FP_MAX_NOTIFY_BATCH 16           /* deliveries one worker pass claims */
/* A job's detail text. */
#define FP_MAX_JOB_DETAIL 4096
/* Patch jobs (docs/jobs.md). */
#define FP_MAX_JOB_PACKAGES 5000   /* exact pairs in one install/upgrade/rollback job */
#define FP_MAX_JOB_LOG (1024 * 1024) /* bytes of a job's log kept by the server */
#define FP_MAX_JOB_LOG_CHUNK (64 * 1024) /* bytes of log in one progress report */
#define FP_MAX_JOB_RESULT (4 * 1024 * 1024) /* bytes of a job's result object */
#define FP_MAX_HOOK_NAME 32
#define FP_MAX_LIFECYCLE_EVENTS 16
/* Body of a job request (an install of FP_MAX_JOB_PACKAGES pairs) or of a finish (a result of
 * FP_MAX_JOB_RESULT bytes, its detail and the JSON around them). */
#define FP_MAX_JOB_BODY (FP_MAX_JOB_RESULT + 64 * 1024)
/* Entries of a result's plan, missing and unexpected lists: no more than a host has packages. */
#define FP_MAX_JOB_RESULT_ITEMS FP_MAX_WIRE_PACKAGES
/* Reboot reasons in one result (one per kernel, core package or service). */
#define FP_MAX_JOB_REBOOT_REASONS 1024
/* Tracking (docs/tracking.md): resolver rules of one account, package patterns of one rule,
 * a comment or risk-acceptance reason, an asset's product/version text, the bytes of an
 * evidence bundle `fleetpatch evidence verify` reads. */
#define FP_MAX_TRACK_RULES 200
/* Exposures a record's closing evidence (and its resolved/closed history entry) lists one by
 * one; the rest are counted as not listed (docs/tracking.md "Closing"). */
#define FP_MAX_TRACK_EVIDENCE_HOSTS 200
#define FP_MAX_TRACK_RULE_PATTERNS 32
#define FP_MAX_TRACK_COMMENT 4096
#define FP_MAX_ASSET_TEXT 128
#define FP_MAX_EVIDENCE_BYTES (256 * 1024 * 1024)
/* Exposures one GET /v1/accounts/{account}/exposures answers (a later since narrows it). */
#define FP_MAX_EXPOSURES_PAGE 100000
/* The audit log (docs/audit.md): entries of one GET /v1/audit page, the period and entries of
 * one export (the server builds it in memory; export a longer period in parts), the bytes of an
 * export `fleetpatch audit verify --file` reads. */
#define FP_AUDIT_LIST_MAX 1000
#define FP_AUDIT_EXPORT_MAX_DAYS 366
#define FP_AUDIT_EXPORT_MAX_ENTRIES 200000
#define FP_AUDIT_EXPORT_MAX_BYTES (512L * 1024 * 1024)
/* The dashboard (docs/dashboard.md): the offset of a sorted host page, the bytes of a hostname
 * search. (GET /v1/vulns reads the exposures table: no per-request host limit.) */
#define FP_MAX_HOSTS_OFFSET 1000000
#define FP_MAX_HOSTS_SEARCH 255

#endif
