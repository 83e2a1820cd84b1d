/* CycloneDX 1.5 JSON SBOM (fleetpatch/sbom.h). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fleetpatch/sbom.h"

/* Percent-encode everything but purl's unreserved characters. */
static bool enc(char **p, char *end, const char *s)
{
        static const char hex[] = "0123456789ABCDEF";
        for (; *s; s++) {
                unsigned char c = (unsigned char)*s;
                bool plain = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
                             (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_' || c == '~';
                if (*p + (plain ? 1 : 3) >= end)
                        return false;
                if (plain) {
                        *(*p)++ = (char)c;
                } else {
                        *(*p)++ = '%';
                        *(*p)++ = hex[c >> 4];
                        *(*p)++ = hex[c & 15];
                }
        }
        **p = '\0';
        return true;
}

static bool lit(char **p, char *end, const char *s)
{
        size_t n = strlen(s);
        if (*p + n >= end)
                return false;
        memcpy(*p, s, n + 1);
        *p += n;
        return true;
}

bool fp_purl(const struct fp_inventory *inv, const struct fp_inv_pkg *p, char *out, size_t outsz)
{
        char *w = out, *end = out + outsz;
        const char *type = inv->scheme == FP_SCHEME_RPM   ? "rpm"
                           : inv->scheme == FP_SCHEME_APK ? "apk"
                                                          : "deb";
        const char *version = p->version, *epoch = NULL;
        char epoch_buf[32];
        /* rpm purls carry the epoch as a qualifier, not in the version */
        const char *colon = strchr(version, ':');
        if (inv->scheme == FP_SCHEME_RPM && colon &&
            (size_t)(colon - version) < sizeof(epoch_buf)) {
                memcpy(epoch_buf, version, (size_t)(colon - version));
                epoch_buf[colon - version] = '\0';
                epoch = epoch_buf;
                version = colon + 1;
        }
        bool ok = lit(&w, end, "pkg:") && lit(&w, end, type) && lit(&w, end, "/") &&
                  enc(&w, end, inv->distro) && lit(&w, end, "/") && enc(&w, end, p->name) &&
                  lit(&w, end, "@") && enc(&w, end, version);
        if (ok && p->arch && *p->arch)
                ok = lit(&w, end, "?arch=") && enc(&w, end, p->arch);
        if (ok && epoch)
                ok = lit(&w, end, p->arch && *p->arch ? "&epoch=" : "?epoch=") &&
                     enc(&w, end, epoch);
        if (ok)
                ok = lit(&w, end, (p->arch && *p->arch) || epoch ? "&distro=" : "?distro=") &&
                     enc(&w, end, inv->distro) && lit(&w, end, "-") && enc(&w, end, inv->release);
        if (ok && p->source && strcmp(p->source, p->name) != 0)
                ok = lit(&w, end, inv->scheme == FP_SCHEME_DEB ? "&upstream=" : "&source=") &&
                     enc(&w, end, p->source);
        return ok;
}

static json_t *prop(const char *name, const char *value)
{
        return json_pack("{s:s, s:s}", "name", name, "value", value ? value : "");
}

static void uuid4(char out[37])
{
        unsigned char b[16] = {0};
        int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
        if (fd >= 0) {
                if (read(fd, b, sizeof(b)) != (ssize_t)sizeof(b))
                        memset(b, 0, sizeof(b));
                close(fd);
        }
        b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
        b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
        snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x",
                 b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12],
                 b[13], b[14], b[15]);
}

static const char *cdx_severity(enum fp_severity s)
{
        switch (s) {
        case FP_SEV_CRITICAL:
                return "critical";
        case FP_SEV_HIGH:
                return "high";
        case FP_SEV_MEDIUM:
                return "medium";
        case FP_SEV_LOW:
                return "low";
        case FP_SEV_NEGLIGIBLE:
                return "info";
        default:
                return "unknown";
        }
}

static const char *cvss_method(const char *vector)
{
        if (!vector)
                return "other";
        if (!strncmp(vector, "CVSS:3.1/", 9))
                return "CVSSv31";
        if (!strncmp(vector, "CVSS:3.0/", 9))
                return "CVSSv3";
        if (!strncmp(vector, "CVSS:4.0/", 9))
                return "CVSSv4";
        return "CVSSv2";
}

/* CycloneDX analysis of a finding: state, response, justification. */
static json_t *analysis(const struct fp_finding *f)
{
        const char *state = "exploitable", *response = NULL, *justification = NULL;
        switch (f->status) {
        case FP_FIND_VULNERABLE:
        case FP_FIND_PENDING_REBOOT:
                response = "update";
                break;
        case FP_FIND_UNFIXED:
        case FP_FIND_NODSA:
        case FP_FIND_POSTPONED:
                response = "can_not_fix";
                break;
        case FP_FIND_WONTFIX:
        case FP_FIND_ACCEPTED:
                response = "will_not_fix";
                break;
        case FP_FIND_UNDETERMINED:
                state = "in_triage";
                break;
        case FP_FIND_NOT_RUNNING:
                state = "not_affected";
                justification = "code_not_reachable";
                break;
        case FP_FIND_DISMISSED:
                state = "not_affected";
                break;
        }
        json_t *a = json_pack("{s:s}", "state", state);
        if (a && response)
                json_object_set_new(a, "response", json_pack("[s]", response));
        if (a && justification)
                json_object_set_new(a, "justification", json_string(justification));
        char detail[512];
        snprintf(detail, sizeof(detail), "fleetpatch status %s%s%s",
                 fp_finding_status_name(f->status), f->note ? ": " : "", f->note ? f->note : "");
        if (a)
                json_object_set_new(a, "detail", json_string(detail));
        return a;
}

static json_t *vulnerability(const struct fp_finding *f, size_t n, const struct fp_inventory *inv)
{
        json_t *v = json_object(), *affects = json_array(), *ratings = json_array(),
               *advisories = json_array(), *props = json_array();
        if (!v || !affects || !ratings || !advisories || !props) {
                json_decref(v);
                json_decref(affects);
                json_decref(ratings);
                json_decref(advisories);
                json_decref(props);
                return NULL;
        }
        json_object_set_new(v, "bom-ref", json_sprintf("vuln:%s", f->vuln));
        json_object_set_new(v, "id", json_string(f->vuln));
        if (!strncmp(f->vuln, "CVE-", 4))
                json_object_set_new(v, "source",
                                    json_pack("{s:s, s:s+}", "name", "NVD", "url",
                                              "https://nvd.nist.gov/vuln/detail/", f->vuln));
        json_t *r = json_pack("{s:s}", "severity", cdx_severity(f->severity));
        if (r && f->cvss >= 0) {
                json_object_set_new(r, "score", json_real(f->cvss));
                json_object_set_new(r, "method", json_string(cvss_method(f->cvss_vector)));
        }
        if (r)
                json_array_append_new(ratings, r);
        json_object_set_new(v, "ratings", ratings);
        if (f->summary)
                json_object_set_new(v, "description", json_string(f->summary));
        /* "DSA-1 (dsa), CVE-2 (debian-tracker)" -> one advisory title each */
        const char *p = f->advisories;
        while (p && *p) {
                const char *sep = strstr(p, ", ");
                size_t len = sep ? (size_t)(sep - p) : strlen(p);
                json_array_append_new(advisories, json_pack("{s:s%}", "title", p, len));
                p = sep ? sep + 2 : NULL;
        }
        json_object_set_new(v, "advisories", advisories);
        if (f->published) {
                char d[32];
                fp_format_date(f->published, d);
                json_object_set_new(v, "published", json_string(d));
        }
        char purl[2048];
        for (size_t i = 0; i < n; i++)
                if (fp_purl(inv, f[i].pkg, purl, sizeof(purl)))
                        json_array_append_new(affects, json_pack("{s:s}", "ref", purl));
        json_object_set_new(v, "affects", affects);
        json_object_set_new(v, "analysis", analysis(f));
        char num[64];
        snprintf(num, sizeof(num), "%.1f", f->score);
        json_array_append_new(props, prop("fleetpatch:score", num));
        json_array_append_new(props, prop("fleetpatch:status", fp_finding_status_name(f->status)));
        if (f->fixed)
                json_array_append_new(props, prop("fleetpatch:fixed", f->fixed));
        if (f->kev) {
                char due[32];
                fp_format_date(f->kev_due, due);
                json_array_append_new(props, prop("fleetpatch:kev", "true"));
                json_array_append_new(props, prop("fleetpatch:kev_due", due));
        }
        if (f->epss >= 0) {
                snprintf(num, sizeof(num), "%.5f", f->epss);
                json_array_append_new(props, prop("fleetpatch:epss", num));
        }
        if (f->reasons)
                json_array_append_new(props, prop("fleetpatch:reasons", f->reasons));
        json_object_set_new(v, "properties", props);
        return v;
}

static int by_vuln(const void *a, const void *b)
{
        const struct fp_finding *const *x = a, *const *y = b;
        int c = strcmp((*x)->vuln, (*y)->vuln);
        if (c)
                return c;
        /* highest score first within a vuln: its analysis describes the group */
        return (*x)->score < (*y)->score ? 1 : (*x)->score > (*y)->score ? -1 : 0;
}

json_t *fp_sbom_cyclonedx(const struct fp_inventory *inv, const struct fp_host_findings *findings,
                          const char *host, const char *tool_version)
{
        char uuid[37], now[32], purl[2048];
        uuid4(uuid);
        fp_format_date(fp_now(), now);
        json_t *components = json_array();
        for (size_t i = 0; components && i < inv->count; i++) {
                const struct fp_inv_pkg *p = &inv->pkgs[i];
                if (!fp_purl(inv, p, purl, sizeof(purl)))
                        continue;
                json_t *c = json_pack("{s:s, s:s, s:s, s:s, s:s}", "type", "library", "bom-ref",
                                      purl, "name", p->name, "version", p->version, "purl", purl);
                if (c && p->source && strcmp(p->source, p->name) != 0)
                        json_object_set_new(c, "properties",
                                            json_pack("[o]", prop("fleetpatch:source", p->source)));
                if (c)
                        json_array_append_new(components, c);
        }
        json_t *bom = json_pack(
            "{s:s, s:s, s:s+, s:i, s:{s:s, s:{s:[{s:s, s:s, s:s}]}, s:{s:s, s:s, s:s, s:s},"
            " s:[o]}, s:o}",
            "bomFormat", "CycloneDX", "specVersion", "1.5", "serialNumber", "urn:uuid:", uuid,
            "version", 1, "metadata", "timestamp", now, "tools", "components", "type",
            "application", "name", "fleetpatch", "version", tool_version, "component", "type",
            "operating-system", "bom-ref", "os", "name", inv->distro, "version", inv->release,
            "properties", prop("fleetpatch:host", host ? host : ""), "components",
            components ? components : json_array());
        if (!bom || !findings || findings->count == 0)
                return bom;
        const struct fp_finding **sorted =
            malloc(findings->count *
                   sizeof(*sorted)); // NOLINT(bugprone-sizeof-expression): array of pointers
        json_t *vulns = json_array();
        if (!sorted || !vulns) {
                free(sorted);
                json_decref(vulns);
                json_decref(bom);
                return NULL;
        }
        for (size_t i = 0; i < findings->count; i++)
                sorted[i] = &findings->items[i];
        // NOLINTNEXTLINE(bugprone-sizeof-expression): an array of pointers
        qsort(sorted, findings->count, sizeof(*sorted), by_vuln);
        /* One vulnerability per id; its affects list every package it was found on. */
        struct fp_finding *group = malloc(findings->count * sizeof(*group));
        for (size_t i = 0; group && i < findings->count;) {
                size_t j = i;
                while (j < findings->count && !strcmp(sorted[j]->vuln, sorted[i]->vuln)) {
                        group[j - i] = *sorted[j];
                        j++;
                }
                json_t *v = vulnerability(group, j - i, inv);
                if (v)
                        json_array_append_new(vulns, v);
                i = j;
        }
        free(group);
        free(sorted);
        json_object_set_new(bom, "vulnerabilities", vulns);
        return bom;
}
