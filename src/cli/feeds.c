/*
 * fleetpatch feeds import|status: load vulnerability feeds into the vulnerability database
 * and say how each one stands (last good import, last failure and why, counts).
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli_util.h"
#include "cli/commands.h"
#include "fleetpatch/feeds.h"

static void usage(FILE *f)
{
        fprintf(f,
                "usage: fleetpatch feeds import [--db FILE] [--kind KIND] [--name NAME] [--force]\n"
                "                               [--ca-file FILE] [--timeout SECONDS] [--quiet]\n"
                "                               LOCATION...\n"
                "       fleetpatch feeds status [--db FILE] [--json] [--rejections NAME]\n"
                "\n"
                "LOCATION is a file (gzip/xz/zstd/lz4 are read as such), a directory of records,\n"
                "or an http(s):// or file:// URL (conditional GET against the last import).\n"
                "KIND: osv, debian-tracker, dsa, dla, rpm-errata, csaf, kev, epss (default: detected).\n"
                "A feed that cannot be read keeps its previous data; its status says why.\n"
                "Exit 5 when any feed failed, 0 otherwise (rejected records are listed, not fatal).\n");
}

static void print_reject(void *ud, const char *feed, const char *id, const char *reason)
{
        bool *quiet = ud;
        if (!*quiet)
                fprintf(stderr, "fleetpatch: %s: rejected %s: %s\n", feed, id && *id ? id : "record",
                        reason);
}

static int import(int argc, char **argv)
{
        struct fp_feed_import_opts o = {0};
        const char *db_path = NULL;
        bool quiet = false;
        int first = argc;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i], *v = "";
                bool takes = !strcmp(a, "--db") || !strcmp(a, "--kind") || !strcmp(a, "--name") ||
                             !strcmp(a, "--ca-file") || !strcmp(a, "--timeout");
                if (takes && !(v = cli_optarg(argc, argv, &i, "feeds import")))
                        return FP_EXIT_USAGE;
                if (!strcmp(a, "--db")) {
                        db_path = v;
                } else if (!strcmp(a, "--kind")) {
                        if (!fp_feed_kind_parse(v, &o.kind)) {
                                fprintf(stderr, "fleetpatch: feeds import: unknown kind '%s'\n", v);
                                return FP_EXIT_USAGE;
                        }
                        o.kind_given = true;
                } else if (!strcmp(a, "--name")) {
                        o.name = v;
                } else if (!strcmp(a, "--ca-file")) {
                        o.ca_file = v;
                } else if (!strcmp(a, "--timeout")) {
                        char *end;
                        o.timeout_s = strtol(v, &end, 10);
                        if (*end || o.timeout_s < 1 || o.timeout_s > 86400) {
                                fprintf(stderr, "fleetpatch: feeds import: --timeout: 1..86400\n");
                                return FP_EXIT_USAGE;
                        }
                } else if (!strcmp(a, "--force")) {
                        o.force = true;
                } else if (!strcmp(a, "--quiet")) {
                        quiet = true;
                } else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
                        usage(stdout);
                        return FP_EXIT_OK;
                } else if (a[0] == '-' && a[1] == '-') {
                        fprintf(stderr, "fleetpatch: feeds import: unknown option '%s'\n", a);
                        return FP_EXIT_USAGE;
                } else {
                        first = i;
                        break;
                }
        }
        if (first >= argc) {
                fprintf(stderr, "fleetpatch: feeds import: no LOCATION given\n");
                usage(stderr);
                return FP_EXIT_USAGE;
        }
        if (o.name && argc - first > 1) {
                fprintf(stderr, "fleetpatch: feeds import: --name applies to one LOCATION only\n");
                return FP_EXIT_USAGE;
        }
        struct fp_vulndb *db = cli_open_vulndb(db_path);
        if (!db)
                return FP_EXIT_INPUT;
        o.on_reject = print_reject;
        o.ud = &quiet;
        int rc = FP_EXIT_OK;
        for (int i = first; i < argc; i++) {
                struct fp_feed_import_result r;
                struct fp_diag diag;
                fp_diag_clear(&diag);
                o.location = argv[i];
                enum fp_err err = fp_feed_import(db, &o, &r, &diag);
                if (err != FP_OK) {
                        char msg[1024];
                        fp_diag_format(&diag, msg, sizeof(msg));
                        fprintf(stderr,
                                "fleetpatch: feed %s failed, previous data kept: %s\n", r.name,
                                msg[0] ? msg : fp_strerror(err));
                        rc = FP_EXIT_FEED;
                        continue;
                }
                if (r.unchanged) {
                        printf("%s (%s): unchanged\n", r.name, fp_feed_kind_name(r.kind));
                        continue;
                }
                const struct fp_import_stats *s = &r.stats;
                if (r.kind == FP_FEED_KEV || r.kind == FP_FEED_EPSS)
                        printf("%s (%s): %zu entries, %zu rejected\n", r.name,
                               fp_feed_kind_name(r.kind), r.kind == FP_FEED_KEV ? s->kev : s->epss,
                               s->rejected);
                else
                        printf("%s (%s): %zu added, %zu updated, %zu unchanged, %zu older revisions "
                               "ignored, %zu rejected, %zu skipped (%zu files)\n",
                               r.name, fp_feed_kind_name(r.kind), s->added, s->updated,
                               s->unchanged, s->older, s->rejected, s->skipped, r.files);
        }
        fp_vulndb_close(db);
        return rc;
}

static void print_rejection(void *ud, const char *id, const char *reason)
{
        (void)ud;
        printf("%s\t%s\n", id && *id ? id : "-", reason);
}

static int status(int argc, char **argv)
{
        const char *db_path = NULL, *rejections = NULL;
        bool json = false;
        for (int i = 1; i < argc; i++) {
                const char *a = argv[i], *v = NULL;
                if ((!strcmp(a, "--db") || !strcmp(a, "--rejections")) &&
                    !(v = cli_optarg(argc, argv, &i, "feeds status")))
                        return FP_EXIT_USAGE;
                if (!strcmp(a, "--db")) {
                        db_path = v;
                } else if (!strcmp(a, "--rejections")) {
                        rejections = v;
                } else if (!strcmp(a, "--json")) {
                        json = true;
                } else {
                        fprintf(stderr, "fleetpatch: feeds status: unknown option '%s'\n", a);
                        return FP_EXIT_USAGE;
                }
        }
        struct fp_vulndb *db = cli_open_vulndb(db_path);
        if (!db)
                return FP_EXIT_INPUT;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        int rc = FP_EXIT_OK;
        if (rejections) {
                enum fp_err err = fp_vulndb_rejections(db, rejections, print_rejection, NULL, &diag);
                if (err != FP_OK) {
                        cli_print_error(&diag, err);
                        rc = FP_EXIT_INPUT;
                }
                fp_vulndb_close(db);
                return rc;
        }
        struct fp_arena arena;
        fp_arena_init(&arena);
        struct fp_feed_status *feeds;
        size_t n;
        enum fp_err err = fp_vulndb_feeds(db, &arena, &feeds, &n, &diag);
        int64_t adv = 0, aff = 0;
        if (err == FP_OK)
                err = fp_vulndb_count(db, &adv, &aff, &diag);
        fp_vulndb_close(db);
        if (err != FP_OK) {
                cli_print_error(&diag, err);
                fp_arena_release(&arena);
                return FP_EXIT_INPUT;
        }
        if (json) {
                json_t *arr = json_array();
                for (size_t i = 0; arr && i < n; i++) {
                        const struct fp_feed_status *f = &feeds[i];
                        char good[32], tried[32];
                        fp_format_date(f->last_good, good);
                        fp_format_date(f->last_attempt, tried);
                        json_t *o = json_object();
                        json_object_set_new(o, "name", cli_json_str(f->name));
                        json_object_set_new(o, "kind", cli_json_str(f->kind));
                        json_object_set_new(o, "location", cli_json_str(f->location));
                        json_object_set_new(o, "last_good", f->last_good ? json_string(good) : json_null());
                        json_object_set_new(o, "last_attempt",
                                            f->last_attempt ? json_string(tried) : json_null());
                        json_object_set_new(o, "last_error", cli_json_str(f->last_error));
                        json_object_set_new(o, "advisories", json_integer(f->advisories));
                        json_object_set_new(o, "rejected", json_integer(f->rejected));
                        json_object_set_new(o, "skipped", json_integer(f->skipped));
                        json_object_set_new(o, "meta", cli_json_str(f->meta));
                        json_array_append_new(arr, o);
                }
                json_t *doc = json_pack("{s:o, s:I, s:I}", "feeds", arr ? arr : json_array(),
                                        "advisories", (json_int_t)adv, "affected_entries",
                                        (json_int_t)aff);
                json_dumpf(doc, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
                putchar('\n');
                json_decref(doc);
        } else {
                printf("%-32s %-15s %10s %8s %-20s %-20s %s\n", "FEED", "KIND", "ADVISORIES",
                       "REJECTED", "LAST GOOD", "LAST ATTEMPT", "LAST ERROR");
                for (size_t i = 0; i < n; i++) {
                        const struct fp_feed_status *f = &feeds[i];
                        char good[32], tried[32];
                        fp_format_date(f->last_good, good);
                        fp_format_date(f->last_attempt, tried);
                        printf("%-32s %-15s %10lld %8lld %-20s %-20s %s\n", f->name, f->kind,
                               (long long)f->advisories, (long long)f->rejected,
                               f->last_good ? good : "never", f->last_attempt ? tried : "never",
                               f->last_error ? f->last_error : "-");
                }
                printf("%lld advisories, %lld affected-package entries\n", (long long)adv,
                       (long long)aff);
        }
        fp_arena_release(&arena);
        return rc;
}

int cmd_feeds(int argc, char **argv)
{
        if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
                usage(argc < 2 ? stderr : stdout);
                return argc < 2 ? FP_EXIT_USAGE : FP_EXIT_OK;
        }
        if (!strcmp(argv[1], "import"))
                return import(argc - 1, argv + 1);
        if (!strcmp(argv[1], "status"))
                return status(argc - 1, argv + 1);
        fprintf(stderr, "fleetpatch: feeds: unknown subcommand '%s'\n", argv[1]);
        usage(stderr);
        return FP_EXIT_USAGE;
}
