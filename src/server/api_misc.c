/* Unauthenticated endpoints: liveness, readiness, Prometheus metrics. */
#include <stdlib.h>
#include <string.h>

#include "server/server.h"

void api_healthz(struct fp_req *r)
{
        req_answer(r, 200, json_pack("{s:s}", "status", "ok"));
}

void api_readyz(struct fp_req *r)
{
        struct fp_diag diag;
        fp_diag_clear(&diag);
        if (fp_store_ping(r->srv->store, &diag) != FP_OK) {
                req_error(r, 503, "unavailable", NULL, "the store does not answer: %s", diag.msg);
                return;
        }
        req_answer(r, 200,
                   json_pack("{s:s, s:s, s:b}", "status", "ready", "store",
                             fp_store_engine(r->srv->store), "vulnerability_database",
                             fp_findings_available(r->srv->findings)));
}

void api_metrics(struct fp_req *r)
{
        r->text = fp_metrics_render();
        if (!r->text) {
                req_error(r, 500, "internal", NULL, "out of memory");
                return;
        }
        r->status = 200;
        r->content_type = "text/plain; version=0.0.4; charset=utf-8";
}
