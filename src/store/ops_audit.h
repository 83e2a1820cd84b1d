/*
 * The store operations of the audit log (src/store/sqlite_audit.c, include/fleetpatch/store_audit.h).
 * X(name, parameters, arguments), the same pattern as engine.h: fp_store_<name> forwards to
 * the engine's member, the SQLite engine implements it as sq_audit_<name>.
 */
#ifndef FP_STORE_OPS_AUDIT_H
#define FP_STORE_OPS_AUDIT_H

#define FP_STORE_AUDIT_OPS(X)

#endif
