/* Parser of our own `rpm -qa --qf FP_RPM_QF_FORMAT` output: the installed-package inventory. */
#include <string.h>

#include "core/rpm/rpm.h"

#define QF_FIELDS 6

/* rpm prints "(none)" for an unset tag; for EPOCH that means 0, for SOURCERPM no source. */
static bool is_none(const char *s, size_t len)
{
        return len == 6 && memcmp(s, "(none)", 6) == 0;
}

static const char *const qf_field_names[QF_FIELDS] = {"NAME",    "EPOCH", "VERSION",
                                                      "RELEASE", "ARCH",  "SOURCERPM"};

enum fp_err fp_rpm_qf_parse(const char *data, size_t len, const char *name, fp_rpm_pkg_cb cb,
                            void *ud, struct fp_diag *diag)
{
        enum fp_err err = FP_OK;
        unsigned long lineno = 0;
        size_t pos = 0;
        /* Fields are copied so that each is NUL-terminated without touching the input. */
        char fields[QF_FIELDS][FP_MAX_VERSION_LEN + 1];

        if (!data && len)
                return FP_EINVAL;
        while (pos < len) {
                const char *line = data + pos;
                const char *nl = memchr(line, '\n', len - pos);
                size_t linelen = nl ? (size_t)(nl - line) : len - pos;
                size_t start = 0;
                int nf = 0;
                struct fp_rpm_pkg pkg;

                pos += linelen + (nl ? 1 : 0);
                lineno++;
                if (linelen == 0)
                        continue;
                if (memchr(line, '\0', linelen)) {
                        fp_diag_set(diag, name, lineno, NULL, "NUL byte in rpm output");
                        err = FP_EPARSE;
                        goto out;
                }
                for (size_t i = 0; i <= linelen; i++) {
                        if (i < linelen && line[i] != '\t')
                                continue;
                        if (nf == QF_FIELDS) {
                                fp_diag_set(diag, name, lineno, NULL,
                                            "more than %d TAB-separated fields", QF_FIELDS);
                                err = FP_EPARSE;
                                goto out;
                        }
                        size_t flen = i - start;
                        /* NAME is bounded by the name limit, everything else by the version one. */
                        size_t max = nf == 0 ? FP_MAX_NAME_LEN : FP_MAX_VERSION_LEN;
                        if (flen > max) {
                                fp_diag_set(diag, name, lineno, qf_field_names[nf],
                                            "longer than %zu bytes", max);
                                err = FP_ELIMIT;
                                goto out;
                        }
                        memcpy(fields[nf], line + start, flen);
                        fields[nf][flen] = '\0';
                        nf++;
                        start = i + 1;
                }
                if (nf != QF_FIELDS) {
                        fp_diag_set(diag, name, lineno, qf_field_names[nf],
                                    "missing (line has %d of %d fields)", nf, QF_FIELDS);
                        err = FP_EPARSE;
                        goto out;
                }
                for (int f = 0; f < QF_FIELDS; f++) {
                        if (fields[f][0] == '\0' && f != 1 && f != 5) {
                                fp_diag_set(diag, name, lineno, qf_field_names[f], "empty");
                                err = FP_EPARSE;
                                goto out;
                        }
                }
                if (strcmp(fields[0], "gpg-pubkey") == 0)
                        continue;
                memset(&pkg, 0, sizeof(pkg));
                pkg.name = fields[0];
                pkg.epoch = (fields[1][0] == '\0' || is_none(fields[1], strlen(fields[1])))
                                ? "0"
                                : fields[1];
                for (const char *c = pkg.epoch; *c; c++) {
                        if (*c < '0' || *c > '9') {
                                fp_diag_set(diag, name, lineno, "EPOCH", "not a number: \"%s\"",
                                            pkg.epoch);
                                err = FP_EPARSE;
                                goto out;
                        }
                }
                pkg.version = fields[2];
                pkg.release = fields[3];
                pkg.arch = fields[4];
                pkg.sourcerpm = (fields[5][0] == '\0' || is_none(fields[5], strlen(fields[5])))
                                    ? NULL
                                    : fields[5];
                pkg.priority = 0;
                err = cb(ud, &pkg, diag);
                if (err != FP_OK) {
                        fp_diag_where(diag, name, lineno, NULL);
                        goto out;
                }
        }
out:
        return err;
}
