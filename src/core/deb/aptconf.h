/*
 * A small reader of apt.conf syntax ("APT::Default-Release \"x\";", scopes in braces, lists,
 * '#', '//' and C comments), enough for the few options a scan needs.
 */
#ifndef FP_CORE_DEB_APTCONF_H
#define FP_CORE_DEB_APTCONF_H

#include <stddef.h>

#include "fleetpatch/error.h"

/*
 * Called for each assignment with the full option name ("APT::Architectures::" for a list
 * item) and its value; value is NUL-terminated and valid only during the call.
 */
typedef void (*fp_aptconf_cb)(const char *name, const char *value, void *ctx);

/*
 * Errors: unbalanced braces or an unterminated string/comment (FP_EPARSE), nesting beyond
 * FP_MAX_APTCONF_DEPTH or a name beyond FP_MAX_APTCONF_NAME (FP_ELIMIT). Directives
 * (#include, #clear) are ignored.
 */
enum fp_err fp_aptconf_parse(const char *buf, size_t len, const char *file, fp_aptconf_cb cb,
                             void *ctx, struct fp_diag *diag);

#endif
