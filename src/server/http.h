/* Starting and stopping the HTTP(S) listener of fleetpatchd (http.c). */
#ifndef FP_SERVER_HTTP_H
#define FP_SERVER_HTTP_H

#include <stdbool.h>
#include <stddef.h>

struct fp_server;
/* Listen on cfg.listen:cfg.port with the PEM cert chain and key; *port_out = the bound port. */
bool fp_http_start(struct fp_server *s, const char *cert, const char *key, char *err,
                   size_t errsz, unsigned *port_out);
void fp_http_stop(struct fp_server *s);
/* The client's IP address as text ("?" if unknown). */
struct MHD_Connection;
const char *fp_client_address(struct MHD_Connection *conn, char *buf, size_t sz);

#endif
