/* First start: the user `admin` with the role admin on every account, its API token in
 * STATE/admin.token (0600), and the account `default`. Later starts change nothing. */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "fleetpatch/vuln.h"
#include "server/server.h"

static bool write_secret(const char *path, const char *text, char *err, size_t errsz)
{
        char tmp[800];
        snprintf(tmp, sizeof(tmp), "%s.tmp", path);
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0) {
                snprintf(err, errsz, "%s: %s", tmp, strerror(errno));
                return false;
        }
        size_t len = strlen(text);
        bool ok = write(fd, text, len) == (ssize_t)len && write(fd, "\n", 1) == 1 && fsync(fd) == 0;
        ok = close(fd) == 0 && ok;
        ok = ok && rename(tmp, path) == 0;
        if (!ok) {
                snprintf(err, errsz, "%s: %s", path, strerror(errno));
                unlink(tmp);
        }
        return ok;
}

bool fp_server_bootstrap(struct fp_server *s, char *err, size_t errsz)
{
        struct fp_tx *tx;
        struct fp_diag diag;
        fp_diag_clear(&diag);
        enum fp_err e = fp_store_begin(s->store, true, &tx, &diag);
        int64_t users = 0;
        if (e == FP_OK)
                e = fp_store_user_count(tx, &users, &diag);
        if (e != FP_OK || users > 0) {
                if (e == FP_OK)
                        fp_tx_rollback(tx);
                else if (tx)
                        fp_tx_rollback(tx);
                if (e != FP_OK)
                        snprintf(err, errsz, "bootstrap: %s", diag.msg);
                return e == FP_OK;
        }
        int64_t id;
        int64_t now = fp_now();
        struct fp_account_rec acct = {.name = "default", .display = "Default account",
                                      .created = now};
        char tid[17], token[88], hash[65];
        fp_new_token("fpu", tid, token, hash);
        struct fp_token_rec t = {.id = tid, .kind = FP_TOKEN_USER, .hash = hash,
                                 .name = "bootstrap", .created = now};
        e = fp_store_user_create(tx, "admin", NULL, &id, &diag);
        if (e == FP_OK)
                e = fp_store_grant_set(tx, id, "*", FP_ROLE_ADMIN, &diag);
        if (e == FP_OK)
                e = fp_store_account_create(tx, &acct, &diag);
        t.user = id;
        if (e == FP_OK)
                e = fp_store_token_create(tx, &t, &diag);
        char path[700];
        snprintf(path, sizeof(path), "%s/admin.token", s->cfg.state_dir);
        /* The file first: a store without a way in would need manual repair. */
        if (e == FP_OK && !write_secret(path, token, err, errsz)) {
                fp_tx_rollback(tx);
                sodium_memzero(token, sizeof(token));
                return false;
        }
        sodium_memzero(token, sizeof(token));
        if (e == FP_OK)
                e = fp_tx_commit(tx, &diag);
        else
                fp_tx_rollback(tx);
        if (e != FP_OK) {
                snprintf(err, errsz, "bootstrap: %s", diag.msg);
                unlink(path);
                return false;
        }
        fprintf(stderr, "fleetpatchd: first start: user 'admin' created; its token is in %s\n",
                path);
        return true;
}
