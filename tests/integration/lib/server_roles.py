"""Roles and tenant isolation of a running fleetpatchd (driven by server_roles.sh).

usage: server_roles.py STATE_DIR WORK_DIR

Every route of fp_routes[] (parsed from src/server/router.c) is called by every kind of caller;
each answer's status and error code is compared with the expectation table below, which must
name every route (a new route fails the test until its row is added here).
"""
import json
import os
import sys
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fpapi  # noqa: E402

STATE, WORK = sys.argv[1], sys.argv[2]
SRC = os.environ["FP_SOURCE_ROOT"]
AGENT = os.environ["FLEETPATCH_AGENT"]
DPKG_STATUS = os.path.join(os.environ["FP_SHARED_DATA"], "inventory", "debian12-dpkg-status")
PASSWORD = "correct horse battery"

s = fpapi.Server(STATE)
ADMIN = s.admin

# ---- setup: accounts, users with passwords, tokens by login, agents ----
s.must("account a", "POST", "/v1/accounts", ADMIN, body={"name": "a", "regions": ["eu-1"]})
s.must("account b", "POST", "/v1/accounts", ADMIN, body={"name": "b"})
USERS = {
    "a-viewer": [("a", "viewer")],
    "a-operator": [("a", "operator")],
    "a-approver": [("a", "approver")],
    "a-admin": [("a", "admin")],
    "b-admin": [("b", "admin")],
    "org-viewer": [("*", "viewer")],
    "both-viewer": [("a", "viewer"), ("b", "viewer")],  # seen by B's admin with B's grant only
    "target": [("a", "viewer")],                        # the object of the grant routes
}
for name, grants in USERS.items():
    s.must("user " + name, "POST", "/v1/users", ADMIN,
           body={"name": name, "password": PASSWORD,
                 "grants": [{"account": a, "role": r} for a, r in grants]})
tok = {}
for name in ("a-viewer", "a-operator", "a-approver", "a-admin", "b-admin", "org-viewer"):
    doc = s.must("login " + name, "POST", "/v1/auth/login", None,
                 body={"user": name, "password": PASSWORD})
    tok[name] = doc["token"]
s.expect("login with a wrong password", "POST", "/v1/auth/login", None, 401, "unauthenticated",
         body={"user": "a-admin", "password": "wrong password"})
s.expect("login of an unknown user", "POST", "/v1/auth/login", None, 401, "unauthenticated",
         body={"user": "nobody", "password": PASSWORD})

enroll_a = s.must("enroll token a", "POST", "/v1/accounts/a/enroll-tokens", ADMIN,
                  body={"uses": 2, "tags": {"tier": "a"}})["token"]
enroll_b = s.must("enroll token b", "POST", "/v1/accounts/b/enroll-tokens", ADMIN,
                  body={"uses": 1})["token"]
state_a = fpapi.run_agent(AGENT, s, WORK, "host-a", enroll_a, DPKG_STATUS,
                          "a" * 32)
state_b = fpapi.run_agent(AGENT, s, WORK, "host-b", enroll_b, DPKG_STATUS,
                          "b" * 32)
cred_a = fpapi.agent_credential(state_a)
cred_b = fpapi.agent_credential(state_b)
hosts = s.must("hosts", "GET", "/v1/hosts", ADMIN)["hosts"]
by_name = {h["hostname"]: h for h in hosts}
if set(by_name) != {"host-a", "host-b"} or by_name["host-a"]["account"] != "a" or \
        by_name["host-b"]["account"] != "b" or by_name["host-a"]["packages"] < 100:
    print("FAIL: setup: the agents did not make one host in a and one in b: " + json.dumps(hosts))
    sys.exit(1)
HOST_A, HOST_B = by_name["host-a"]["id"], by_name["host-b"]["id"]
print("ok: setup (2 accounts, %d users, 2 real agents enrolled)" % len(USERS))

# A many-use enrollment token of A for API-made hosts, and one such host whose credential is
# the "agent" caller of the matrix (the real agents' persisted sequence stays untouched).
MATRIX_ENROLL = s.must("matrix enroll token", "POST", "/v1/accounts/a/enroll-tokens", ADMIN,
                       body={"uses": 1000})["token"]


def api_host(name):
    doc = s.must("enroll " + name, "POST", "/v1/agent/enroll", MATRIX_ENROLL,
                 body={"hostname": name, "facts": {"hostname": name,
                                                   "machine_id": uuid.uuid4().hex}})
    return doc["host_id"], doc["credential"]


AGENT_HOST, AGENT_CRED = api_host("matrix-agent")

# ---- tenant isolation: B's admin against A's objects ----
B = tok["b-admin"]
st, doc = s.expect("b-admin lists hosts", "GET", "/v1/hosts", B, 200)
s.ok([h["id"] for h in doc["hosts"]] == [HOST_B], "b-admin's /v1/hosts shows only B's host: "
     + json.dumps(doc)[:400])
st, doc = s.expect("b-admin lists hosts of a", "GET", "/v1/hosts?account=a", B, 200)
s.ok(doc["hosts"] == [], "b-admin's /v1/hosts?account=a is not empty")
st, doc = s.expect("b-admin filters hosts by a's tag", "GET", "/v1/hosts?tag=tier=a", B, 200)
s.ok(doc["hosts"] == [], "b-admin's /v1/hosts?tag=tier=a shows A's host")
st, doc = s.expect("b-admin lists accounts", "GET", "/v1/accounts", B, 200)
s.ok([a["name"] for a in doc["accounts"]] == ["b"], "b-admin's /v1/accounts: "
     + json.dumps(doc))
st, doc = s.expect("b-admin lists users", "GET", "/v1/users", B, 200)
seen = {u["name"]: u for u in doc["users"]}
s.ok(set(seen) == {"b-admin", "both-viewer"}, "b-admin's /v1/users shows %s" % sorted(seen))
for u in doc["users"]:
    s.ok(all(g["account"] == "b" for g in u["grants"]),
         "b-admin's /v1/users shows a grant outside b: " + json.dumps(u))
st, doc = s.expect("b-admin summary", "GET", "/v1/summary", B, 200)
s.ok(list(doc["by_account"]) == ["b"] and doc["hosts"] == 1,
     "b-admin's summary: " + json.dumps(doc)[:400])
st, doc = s.expect("b-admin summary of a", "GET", "/v1/summary?account=a", B, 200)
s.ok(doc["hosts"] == 0 and doc["by_account"] == {}, "b-admin's summary?account=a: "
     + json.dumps(doc)[:400])
st, doc = s.expect("b-admin whoami", "GET", "/v1/whoami", B, 200)
s.ok(doc["grants"] == [{"account": "b", "role": "admin"}], "b-admin whoami: " + json.dumps(doc))

# A foreign host is answered exactly like a host that does not exist.
_, d1 = s.expect("b-admin gets A's host", "GET", "/v1/hosts/" + HOST_A, B, 404, "not_found")
_, d2 = s.expect("b-admin gets a missing host", "GET", "/v1/hosts/fedcba9876543210", B, 404,
                 "not_found")
s.ok(d1 == d2, "a foreign host and a missing host answer differently: %s vs %s" % (d1, d2))
_, d1 = s.expect("b-admin gets account a", "GET", "/v1/accounts/a", B, 404, "not_found")
_, d2 = s.expect("b-admin gets a missing account", "GET", "/v1/accounts/zz", B, 404, "not_found")
s.ok(d1 == d2, "a foreign account and a missing account answer differently: %s vs %s" % (d1, d2))

before_host = s.must("host a before", "GET", "/v1/hosts/" + HOST_A, tok["a-admin"])
before_users = s.must("users before", "GET", "/v1/users", tok["a-admin"])
a_admin_tokens = s.must("a-admin tokens", "GET", "/v1/tokens", tok["a-admin"])["tokens"]
attacks = [
    ("tag A's host", "PUT", "/v1/hosts/%s/tags" % HOST_A, {"tags": {"owned": "by-b"}}),
    ("queue a job on A's host", "POST", "/v1/hosts/%s/jobs" % HOST_A, {"type": "rescan"}),
    ("delete A's host", "DELETE", "/v1/hosts/" + HOST_A, None),
    ("A's host updates", "GET", "/v1/hosts/%s/updates" % HOST_A, None),
    ("A's host vulns", "GET", "/v1/hosts/%s/vulns" % HOST_A, None),
    ("grant on a to an A user", "PUT", "/v1/users/a-viewer/grants",
     {"account": "a", "role": "admin"}),
    ("grant itself admin on a", "PUT", "/v1/users/b-admin/grants",
     {"account": "a", "role": "admin"}),
    ("revoke an A user's grant", "DELETE", "/v1/users/a-viewer/grants/a", None),
    ("revoke a's grant of a shared user", "DELETE", "/v1/users/both-viewer/grants/a", None),
    ("enroll token for a", "POST", "/v1/accounts/a/enroll-tokens", {"uses": 5}),
    ("create a user with a grant on a", "POST", "/v1/users",
     {"name": "b-made", "grants": [{"account": "a", "role": "viewer"}]}),
]
MISSING = "0123456789abcdef"
for what, method, path, body in attacks:
    _, d1 = s.expect("b-admin: " + what, method, path, B, 404, "not_found", body=body)
    if HOST_A in path:  # the same answer as for a host that does not exist
        _, d2 = s.expect("b-admin: " + what + " (missing host)", method,
                         path.replace(HOST_A, MISSING), B, 404, "not_found", body=body)
        s.ok(d1 == d2, "b-admin: %s: a foreign host answers %s, a missing one %s" % (what, d1, d2))
_, d2 = s.expect("b-admin revokes a missing token", "DELETE", "/v1/tokens/" + MISSING, B, 404,
                 "not_found")
for t in a_admin_tokens:
    _, d1 = s.expect("b-admin revokes a-admin's token", "DELETE", "/v1/tokens/" + t["id"], B,
                     404, "not_found")
    s.ok(d1 == d2, "another user's token answers %s, a missing one %s" % (d1, d2))
s.expect("b-admin grants on '*'", "PUT", "/v1/users/b-admin/grants", B, 403, "forbidden",
         body={"account": "*", "role": "viewer"})
s.expect("b-admin creates a user on '*'", "POST", "/v1/users", B, 403, "forbidden",
         body={"name": "b-star", "grants": [{"account": "*", "role": "viewer"}]})
s.expect("a-admin grants on '*'", "PUT", "/v1/users/a-viewer/grants", tok["a-admin"], 403,
         "forbidden", body={"account": "*", "role": "admin"})
s.expect("a-admin grants on b", "PUT", "/v1/users/a-viewer/grants", tok["a-admin"], 404,
         "not_found", body={"account": "b", "role": "admin"})
s.expect("a-operator makes itself admin", "PUT", "/v1/users/a-operator/grants",
         tok["a-operator"], 403, "forbidden", body={"account": "a", "role": "admin"})
s.expect("a-admin revokes the org admin's '*'", "DELETE", "/v1/users/admin/grants/*",
         tok["a-admin"], 403, "forbidden")
s.expect("b's agent reads A's job", "POST", "/v1/agent/jobs/0123456789abcdef", cred_b, 404,
         "not_found", body={"status": "failed"})

# A queued job names its host (the answer is built after the job's own commit).
for i in range(20):
    _, doc = s.expect("queue job %d" % i, "POST", "/v1/hosts/%s/jobs" % HOST_B, ADMIN, 201,
                      body={"type": "rescan"})
    s.ok(doc and doc.get("host") == HOST_B and doc.get("status") == "queued",
         "job answer: " + json.dumps(doc))
st, doc = s.expect("B's agent takes the jobs", "GET", "/v1/agent/jobs", cred_b, 200)
s.ok(len(doc["jobs"]) == 20, "B's agent got %d jobs, want 20" % len(doc["jobs"]))

# Nothing of it took effect (checked as A's admin).
after_host = s.must("host a after", "GET", "/v1/hosts/" + HOST_A, tok["a-admin"])
for k in ("tags", "api_tags", "agent_tags", "account", "hostname"):
    s.ok(after_host[k] == before_host[k], "A's host %s changed: %s -> %s"
         % (k, before_host[k], after_host[k]))
after_users = s.must("users after", "GET", "/v1/users", tok["a-admin"])
s.ok(after_users == before_users, "A's users changed:\n%s\n%s"
     % (json.dumps(before_users), json.dumps(after_users)))
s.ok("b-made" not in [u["name"] for u in
                      s.must("all users", "GET", "/v1/users", ADMIN)["users"]],
     "a refused POST /v1/users still created the user")
st, doc = s.expect("A's agent after B's attempts", "GET", "/v1/agent/jobs", cred_a, 200)
s.ok(doc["jobs"] == [], "B queued a job on A's host: " + json.dumps(doc))
s.expect("a-admin's token still works", "GET", "/v1/whoami", tok["a-admin"], 200)
st, doc = s.expect("org view", "GET", "/v1/summary", ADMIN, 200)
s.ok(sorted(doc["by_account"]) == ["a", "b"], "org summary by_account: " + json.dumps(doc))
print("ok: tenant isolation (%d checks so far)" % s.checks)

# ---- the route matrix ----
ROLE = {"viewer": 1, "operator": 2, "approver": 3, "admin": 4}
CALLERS = {
    # name: (Authorization value or None, kind, role on a, role on b)
    "none": (None, "none", 0, 0),
    "malformed": ("Bearer fpu_notatoken", "bad", 0, 0),
    "not-bearer": ("Basic YWRtaW46YWRtaW4=", "bad", 0, 0),
    "unknown": ("Bearer fpu_0123456789abcdef_" + "0" * 64, "bad", 0, 0),
    "wrong-secret": ("Bearer " + ADMIN[:21] + "f" * 64, "bad", 0, 0),
    "agent": (AGENT_CRED, "agent", 0, 0),
    "enroll": (MATRIX_ENROLL, "enroll", 0, 0),
    "a-viewer": (tok["a-viewer"], "user", 1, 0),
    "a-operator": (tok["a-operator"], "user", 2, 0),
    "a-approver": (tok["a-approver"], "user", 3, 0),
    "a-admin": (tok["a-admin"], "user", 4, 0),
    "b-admin": (tok["b-admin"], "user", 0, 4),
    "org-viewer": (tok["org-viewer"], "user", 1, 1),
    "org-admin": (ADMIN, "user", 4, 4),
}
ORG = {"org-viewer": 1, "org-admin": 4}
counter = [0]


def fresh(prefix):
    counter[0] += 1
    return "%s-%d" % (prefix, counter[0])


def on_a(need, ok):
    """A user route on an object of account a that needs role `need`."""
    def rule(c):
        kind, ra = CALLERS[c][1], CALLERS[c][2]
        if kind != "user":
            return 401, "unauthenticated"
        if ra == 0:
            return 404, "not_found"
        return (ok, None) if ra >= ROLE[need] else (403, "forbidden")
    return rule


def any_user(ok):
    return lambda c: (ok, None) if CALLERS[c][1] == "user" else (401, "unauthenticated")


def admin_somewhere(ok, foreign=None):
    """Routes that need role admin on some account; foreign: answer for an admin of b only."""
    def rule(c):
        kind, ra, rb = CALLERS[c][1:]
        if kind != "user":
            return 401, "unauthenticated"
        if ra >= 4:
            return ok, None
        if rb >= 4:
            return foreign or (ok, None)
        return 403, "forbidden"
    return rule


def org_admin(ok):
    def rule(c):
        if CALLERS[c][1] != "user":
            return 401, "unauthenticated"
        return (ok, None) if ORG.get(c) == 4 else (403, "forbidden")
    return rule


def kind_only(kind, ok):
    return lambda c: (ok, None) if CALLERS[c][1] == kind else (401, "unauthenticated")


def everyone(ok):
    return lambda c: (ok, None)


def prep_token_revoke(c):
    if CALLERS[c][1] == "user":  # one of the caller's own tokens
        t = s.must("token of " + c, "POST", "/v1/tokens", CALLERS[c][0], body={"name": "m"})
    else:
        t = s.must("token to revoke", "POST", "/v1/tokens", tok["a-admin"], body={"name": "m"})
    return "/v1/tokens/" + t["id"], None


def prep_ungrant(c):
    s.must("regrant", "PUT", "/v1/users/target/grants", ADMIN,
           body={"account": "a", "role": "viewer"})
    return "/v1/users/target/grants/a", None


def prep_host_delete(c):
    return "/v1/hosts/" + api_host(fresh("doomed"))[0], None


def prep_checkin(c):
    last = s.must("agent host", "GET", "/v1/hosts/" + AGENT_HOST, ADMIN)["last_seq"]
    return "/v1/agent/checkin", {"seq": last + 1, "inventory_hash": "0" * 64}


def prep_job_finish(c):
    j = s.must("job", "POST", "/v1/hosts/%s/jobs" % AGENT_HOST, ADMIN, body={"type": "rescan"})
    return "/v1/agent/jobs/" + j["id"], {"status": "succeeded", "detail": "done"}


def prep_job_progress(c):
    j = s.must("job", "POST", "/v1/hosts/%s/jobs" % AGENT_HOST, ADMIN, body={"type": "scan"})
    return "/v1/agent/jobs/%s/progress" % j["id"], {"phase": "planning", "log": "line\n"}


def prep_job_get(c):
    j = s.must("job on A", "POST", H + "/jobs", ADMIN, body={"type": "scan"})
    return "/v1/jobs/" + j["id"], None


def fixed(path, body=None):
    return lambda c: (path, body)


H = "/v1/hosts/" + HOST_A
TABLE = {
    ("GET", "/healthz"): ("FP_AUTH_NONE", fixed("/healthz"), everyone(200)),
    ("GET", "/readyz"): ("FP_AUTH_NONE", fixed("/readyz"), everyone(200)),
    ("GET", "/metrics"): ("FP_AUTH_NONE", fixed("/metrics"), everyone(200)),
    # the dashboard's files are public (docs/dashboard.md); any credential sent is ignored
    ("GET", "/"): ("FP_AUTH_NONE", fixed("/"), everyone(200)),
    ("GET", "/ui/{file}"): ("FP_AUTH_NONE", fixed("/ui/app.js"), everyone(200)),
    ("GET", "/v1/vulns"): ("FP_AUTH_USER", fixed("/v1/vulns"), any_user(200)),
    ("GET", "/v1/hosts/{id}/packages"): ("FP_AUTH_USER", fixed(H + "/packages?limit=5"),
                                         on_a("viewer", 200)),
    ("POST", "/v1/auth/login"): ("FP_AUTH_NONE", fixed("/v1/auth/login", {
        "user": "a-viewer", "password": PASSWORD}), everyone(201)),
    ("GET", "/v1/whoami"): ("FP_AUTH_USER", fixed("/v1/whoami"), any_user(200)),
    ("GET", "/v1/accounts"): ("FP_AUTH_USER", fixed("/v1/accounts"), any_user(200)),
    ("POST", "/v1/accounts"): ("FP_AUTH_USER", lambda c: ("/v1/accounts", {
        "name": fresh("acct")}), org_admin(201)),
    ("GET", "/v1/accounts/{account}"): ("FP_AUTH_USER", fixed("/v1/accounts/a"),
                                        on_a("viewer", 200)),
    ("POST", "/v1/accounts/{account}/enroll-tokens"): (
        "FP_AUTH_USER", fixed("/v1/accounts/a/enroll-tokens", {"uses": 1}),
        on_a("operator", 201)),
    ("GET", "/v1/users"): ("FP_AUTH_USER", fixed("/v1/users"), admin_somewhere(200)),
    ("POST", "/v1/users"): ("FP_AUTH_USER", lambda c: ("/v1/users", {
        "name": fresh("u"), "grants": [{"account": "a", "role": "viewer"}]}),
        admin_somewhere(201, (404, "not_found"))),
    ("PUT", "/v1/users/{user}/grants"): ("FP_AUTH_USER", fixed(
        "/v1/users/target/grants", {"account": "a", "role": "viewer"}), on_a("admin", 200)),
    ("DELETE", "/v1/users/{user}/grants/{account}"): ("FP_AUTH_USER", prep_ungrant,
                                                      on_a("admin", 200)),
    ("GET", "/v1/tokens"): ("FP_AUTH_USER", fixed("/v1/tokens"), any_user(200)),
    ("POST", "/v1/tokens"): ("FP_AUTH_USER", fixed("/v1/tokens", {"name": "m", "ttl": 3600}),
                             any_user(201)),
    ("DELETE", "/v1/tokens/{id}"): ("FP_AUTH_USER", prep_token_revoke, any_user(200)),
    ("GET", "/v1/hosts"): ("FP_AUTH_USER", fixed("/v1/hosts"), any_user(200)),
    ("GET", "/v1/hosts/{id}"): ("FP_AUTH_USER", fixed(H), on_a("viewer", 200)),
    ("DELETE", "/v1/hosts/{id}"): ("FP_AUTH_USER", prep_host_delete, on_a("admin", 200)),
    ("PUT", "/v1/hosts/{id}/tags"): ("FP_AUTH_USER", fixed(H + "/tags", {"tags": {"env": "t"}}),
                                     on_a("operator", 200)),
    ("GET", "/v1/hosts/{id}/updates"): ("FP_AUTH_USER", fixed(H + "/updates"),
                                        on_a("viewer", 200)),
    ("GET", "/v1/hosts/{id}/vulns"): ("FP_AUTH_USER", fixed(H + "/vulns"), on_a("viewer", 200)),
    ("POST", "/v1/hosts/{id}/jobs"): ("FP_AUTH_USER", fixed(H + "/jobs", {"type": "rescan"}),
                                      on_a("operator", 201)),
    ("GET", "/v1/hosts/{id}/jobs"): ("FP_AUTH_USER", fixed(H + "/jobs"), on_a("viewer", 200)),
    ("GET", "/v1/jobs/{id}"): ("FP_AUTH_USER", prep_job_get, on_a("viewer", 200)),
    ("GET", "/v1/summary"): ("FP_AUTH_USER", fixed("/v1/summary"), any_user(200)),
    ("POST", "/v1/agent/enroll"): ("FP_AUTH_ENROLL", lambda c: ("/v1/agent/enroll", {
        "hostname": fresh("enrolled"), "facts": {"hostname": "x", "machine_id":
                                                 uuid.uuid4().hex}}), kind_only("enroll", 201)),
    ("POST", "/v1/agent/checkin"): ("FP_AUTH_AGENT", prep_checkin, kind_only("agent", 200)),
    ("GET", "/v1/agent/jobs"): ("FP_AUTH_AGENT", fixed("/v1/agent/jobs"),
                                kind_only("agent", 200)),
    ("POST", "/v1/agent/jobs/{id}"): ("FP_AUTH_AGENT", prep_job_finish, kind_only("agent", 200)),
    ("POST", "/v1/agent/jobs/{id}/progress"): ("FP_AUTH_AGENT", prep_job_progress,
                                               kind_only("agent", 200)),
}

# ---- orchestration objects of account a (docs/orchestration.md) ----
# A host of a with one pending update (checked in over the agent protocol), a window and a
# baseline that approves it; change requests are made per call where a route changes state.
CR_HOST, CR_CRED = api_host("cr-host")
CR_INV = {"family": "deb", "distro": "debian", "release": "bookworm",
          "packages": [{"name": "hello", "arch": "amd64", "version": "1.0",
                        "source": "hello", "source_version": "1.0"}],
          "updates": [{"name": "hello", "arch": "amd64", "installed": "1.0", "candidate": "1.1",
                       "origin": "Debian", "security": False}]}
s.must("cr-host inventory", "POST", "/v1/agent/checkin", CR_CRED,
       body={"seq": 1, "facts": {"hostname": "cr-host"}, "inventory": CR_INV,
             "inventory_hash": fpapi.inventory_hash(CR_INV)})
WINDOW = {"mode": "local", "rrule": "FREQ=WEEKLY;BYDAY=SA", "start": "2026-01-03T02:00:00",
          "duration": 14400, "cutoff": 3600}
BASELINE = {"family": "deb",
            "rules": [{"classification": ["security", "bugfix", "other"], "after_days": 0}]}
s.must("window", "POST", "/v1/accounts/a/windows", ADMIN, body=dict(WINDOW, name="w-fixed"))
s.must("baseline", "POST", "/v1/accounts/a/baselines", ADMIN, body=dict(BASELINE, name="b-fixed"))
OPERATOR, APPROVER = tok["a-operator"], tok["a-approver"]


def new_cr(author=OPERATOR, submit=False, approve=False, pause=False):
    cr = s.must("change request", "POST", "/v1/change-requests", author,
                body={"account": "a", "title": "matrix", "baseline": "b-fixed",
                      "targets": {"hosts": [CR_HOST]}})["id"]
    if submit or approve or pause:
        s.must("submit", "POST", "/v1/change-requests/%s/submit" % cr, author, body={})
    if approve or pause:
        s.must("approve", "POST", "/v1/change-requests/%s/approve" % cr, APPROVER, body={})
    if pause:
        s.must("pause", "POST", "/v1/change-requests/%s/pause" % cr, OPERATOR, body={})
    return "/v1/change-requests/" + cr


CR_DRAFT = new_cr()
CR_LIVE = new_cr(approve=True)


def prep_submit(c):
    # the author submits: operators of a submit their own request, the others try A's
    kind, ra = CALLERS[c][1], CALLERS[c][2]
    return new_cr(CALLERS[c][0] if kind == "user" and ra >= 2 else OPERATOR) + "/submit", {}


def prep_doc_delete(kind):
    def prep(c):
        name = fresh(kind[0] + "-doomed")
        body = dict(WINDOW if kind == "windows" else BASELINE, name=name)
        s.must("doc to delete", "POST", "/v1/accounts/a/" + kind, ADMIN, body=body)
        return "/v1/accounts/a/%s/%s" % (kind, name), None
    return prep


def doc_create(kind):
    return lambda c: ("/v1/accounts/a/" + kind,
                      dict(WINDOW if kind == "windows" else BASELINE, name=fresh(kind[0])))


TABLE_ORCH = {
    ("GET", "/v1/accounts/{account}/baselines"): ("FP_AUTH_USER", fixed(
        "/v1/accounts/a/baselines"), on_a("viewer", 200)),
    ("POST", "/v1/accounts/{account}/baselines"): ("FP_AUTH_USER", doc_create("baselines"),
                                                   on_a("approver", 201)),
    ("GET", "/v1/accounts/{account}/baselines/{name}"): ("FP_AUTH_USER", fixed(
        "/v1/accounts/a/baselines/b-fixed"), on_a("viewer", 200)),
    ("PUT", "/v1/accounts/{account}/baselines/{name}"): ("FP_AUTH_USER", fixed(
        "/v1/accounts/a/baselines/b-fixed", BASELINE), on_a("approver", 200)),
    ("DELETE", "/v1/accounts/{account}/baselines/{name}"): (
        "FP_AUTH_USER", prep_doc_delete("baselines"), on_a("approver", 200)),
    ("GET", "/v1/accounts/{account}/windows"): ("FP_AUTH_USER", fixed(
        "/v1/accounts/a/windows"), on_a("viewer", 200)),
    ("POST", "/v1/accounts/{account}/windows"): ("FP_AUTH_USER", doc_create("windows"),
                                                 on_a("approver", 201)),
    ("GET", "/v1/accounts/{account}/windows/{name}"): ("FP_AUTH_USER", fixed(
        "/v1/accounts/a/windows/w-fixed"), on_a("viewer", 200)),
    ("PUT", "/v1/accounts/{account}/windows/{name}"): ("FP_AUTH_USER", fixed(
        "/v1/accounts/a/windows/w-fixed", WINDOW), on_a("approver", 200)),
    ("DELETE", "/v1/accounts/{account}/windows/{name}"): (
        "FP_AUTH_USER", prep_doc_delete("windows"), on_a("approver", 200)),
    ("GET", "/v1/accounts/{account}/windows/{name}/next"): ("FP_AUTH_USER", fixed(
        "/v1/accounts/a/windows/w-fixed/next"), on_a("viewer", 200)),
    ("GET", "/v1/hosts/{id}/baseline"): ("FP_AUTH_USER", fixed(H + "/baseline"),
                                         on_a("viewer", 200)),
    ("GET", "/v1/change-requests"): ("FP_AUTH_USER", fixed("/v1/change-requests"),
                                     any_user(200)),
    ("POST", "/v1/change-requests"): ("FP_AUTH_USER", fixed("/v1/change-requests", {
        "account": "a", "title": "m", "baseline": "b-fixed", "targets": {"hosts": [CR_HOST]}}),
        on_a("operator", 201)),
    ("GET", "/v1/change-requests/{id}"): ("FP_AUTH_USER", fixed(CR_DRAFT), on_a("viewer", 200)),
    ("POST", "/v1/change-requests/{id}/submit"): ("FP_AUTH_USER", prep_submit,
                                                  on_a("operator", 200)),
    ("POST", "/v1/change-requests/{id}/approve"): (
        "FP_AUTH_USER", lambda c: (new_cr(submit=True) + "/approve", {}), on_a("approver", 200)),
    ("POST", "/v1/change-requests/{id}/reject"): (
        "FP_AUTH_USER", lambda c: (new_cr(submit=True) + "/reject", {}), on_a("approver", 200)),
    # no review is pending (only an emergency has one): permitted callers get 409
    ("POST", "/v1/change-requests/{id}/review"): (
        "FP_AUTH_USER", lambda c: (new_cr(submit=True) + "/review", {}), on_a("approver", 409)),
    ("GET", "/v1/change-requests/{id}/plan"): ("FP_AUTH_USER", fixed(CR_DRAFT + "/plan"),
                                               on_a("viewer", 200)),
    ("GET", "/v1/change-requests/{id}/rollout"): ("FP_AUTH_USER", fixed(CR_LIVE + "/rollout"),
                                                  on_a("viewer", 200)),
    ("POST", "/v1/change-requests/{id}/pause"): (
        "FP_AUTH_USER", lambda c: (new_cr(approve=True) + "/pause", {}), on_a("operator", 200)),
    ("POST", "/v1/change-requests/{id}/resume"): (
        "FP_AUTH_USER", lambda c: (new_cr(pause=True) + "/resume", {}), on_a("operator", 200)),
    ("POST", "/v1/change-requests/{id}/cancel"): (
        "FP_AUTH_USER", lambda c: (new_cr() + "/cancel", {}), on_a("operator", 200)),
}
TABLE.update(TABLE_ORCH)

# ---- the audit log (docs/audit.md) ----
TABLE_AUDIT = {
    ("GET", "/v1/audit"): ("FP_AUTH_USER", fixed("/v1/audit?account=a&limit=5"),
                           on_a("viewer", 200)),
    ("GET", "/v1/audit/verify"): ("FP_AUTH_USER", fixed("/v1/audit/verify"), org_admin(200)),
    ("GET", "/v1/audit/export"): ("FP_AUTH_USER", fixed("/v1/audit/export?from=0&to=86400"),
                                  org_admin(200)),
    ("GET", "/v1/audit/key"): ("FP_AUTH_USER", fixed("/v1/audit/key"), any_user(200)),
}
TABLE.update(TABLE_AUDIT)
# b's admin sees none of a's entries and no org-wide ones; a's viewer sees a's
b_audit = s.must("b-admin audit", "GET", "/v1/audit?limit=1000", B)["entries"]
s.ok(all(e["account"] == "b" for e in b_audit),
     "b-admin's audit list: " + json.dumps(sorted({e["account"] for e in b_audit})))
a_audit = s.must("a-viewer audit", "GET", "/v1/audit?limit=1000", tok["a-viewer"])["entries"]
s.ok(a_audit and all(e["account"] == "a" for e in a_audit),
     "a-viewer's audit list: " + json.dumps(sorted({e["account"] for e in a_audit})))


# ---- compliance and reports (docs/compliance.md) ----
def org_viewer(ok):
    """Organisation-wide: a grant on '*' (any role) or 403."""
    def rule(c):
        if CALLERS[c][1] != "user":
            return 401, "unauthenticated"
        return (ok, None) if c in ORG else (403, "forbidden")
    return rule


SCHEDULE = {"format": "html", "every_days": 7, "range_days": 30}
s.must("report schedule", "POST", "/v1/accounts/a/report-schedules", ADMIN,
       body=dict(SCHEDULE, name="rs-fixed"))


def prep_schedule_delete(c):
    name = fresh("rs-doomed")
    s.must("schedule to delete", "POST", "/v1/accounts/a/report-schedules", ADMIN,
           body=dict(SCHEDULE, name=name))
    return "/v1/accounts/a/report-schedules/" + name, None


TABLE_COMPLY = {
    ("GET", "/v1/compliance"): ("FP_AUTH_USER", fixed("/v1/compliance?by=account"),
                                any_user(200)),
    ("GET", "/v1/compliance/hosts"): ("FP_AUTH_USER", fixed("/v1/compliance/hosts?account=a"),
                                      on_a("viewer", 200)),
    ("GET", "/v1/compliance/history"): ("FP_AUTH_USER", fixed("/v1/compliance/history"),
                                        any_user(200)),
    ("GET", "/v1/reports/compliance"): ("FP_AUTH_USER", fixed("/v1/reports/compliance"),
                                        org_viewer(200)),
    ("GET", "/v1/accounts/{account}/report-schedules"): ("FP_AUTH_USER", fixed(
        "/v1/accounts/a/report-schedules"), on_a("viewer", 200)),
    ("POST", "/v1/accounts/{account}/report-schedules"): ("FP_AUTH_USER", lambda c: (
        "/v1/accounts/a/report-schedules", dict(SCHEDULE, name=fresh("rs"))),
        on_a("operator", 201)),
    ("GET", "/v1/accounts/{account}/report-schedules/{name}"): ("FP_AUTH_USER", fixed(
        "/v1/accounts/a/report-schedules/rs-fixed"), on_a("viewer", 200)),
    ("PUT", "/v1/accounts/{account}/report-schedules/{name}"): ("FP_AUTH_USER", fixed(
        "/v1/accounts/a/report-schedules/rs-fixed", SCHEDULE), on_a("operator", 200)),
    ("DELETE", "/v1/accounts/{account}/report-schedules/{name}"): (
        "FP_AUTH_USER", prep_schedule_delete, on_a("operator", 200)),
}
TABLE.update(TABLE_COMPLY)

# ---- tracking records, resolver rules, assets, exposures, evidence (docs/tracking.md) ----
# No vulnerability database here, so no record exists: the record routes are called on a
# missing id (every user 404, the rest 401); their roles are checked by tracking_e2e.sh.
RULES = {"rules": [{"name": "web", "tags": {"tier": "a"}, "group": "web-team"}],
         "default": "ops"}
s.must("resolver rules", "PUT", "/v1/accounts/a/resolver-rules", ADMIN, body=RULES)


def users_missing():
    return lambda c: (404, "not_found") if CALLERS[c][1] == "user" else (401, "unauthenticated")


def prep_rules_delete(c):
    s.must("rules to delete", "PUT", "/v1/accounts/a/resolver-rules", ADMIN, body=RULES)
    return "/v1/accounts/a/resolver-rules", None


TR = "/v1/tracking/" + MISSING
TABLE_TRACK = {
    ("GET", "/v1/tracking"): ("FP_AUTH_USER", fixed("/v1/tracking?account=a"),
                              on_a("viewer", 200)),
    ("GET", "/v1/tracking/{id}"): ("FP_AUTH_USER", fixed(TR), users_missing()),
    ("POST", "/v1/tracking/{id}/assign"): ("FP_AUTH_USER", fixed(TR + "/assign", {
        "group": "web-team"}), users_missing()),
    ("POST", "/v1/tracking/{id}/comment"): ("FP_AUTH_USER", fixed(TR + "/comment", {
        "text": "looked at it"}), users_missing()),
    ("POST", "/v1/tracking/{id}/accept-risk"): ("FP_AUTH_USER", lambda c: (
        TR + "/accept-risk", {"reason": "isolated", "expires": int(time.time()) + 86400}),
        users_missing()),
    ("GET", "/v1/accounts/{account}/resolver-rules"): ("FP_AUTH_USER", fixed(
        "/v1/accounts/a/resolver-rules"), on_a("viewer", 200)),
    ("PUT", "/v1/accounts/{account}/resolver-rules"): ("FP_AUTH_USER", fixed(
        "/v1/accounts/a/resolver-rules", RULES), on_a("admin", 200)),
    ("DELETE", "/v1/accounts/{account}/resolver-rules"): ("FP_AUTH_USER", prep_rules_delete,
                                                          on_a("admin", 200)),
    ("GET", "/v1/accounts/{account}/assets"): ("FP_AUTH_USER", fixed(
        "/v1/accounts/a/assets"), on_a("viewer", 200)),
    ("POST", "/v1/accounts/{account}/assets"): ("FP_AUTH_USER", lambda c: (
        "/v1/accounts/a/assets", {"name": fresh("db"), "service_model": "paas",
                                  "provider": "aws", "product": "rds-postgresql",
                                  "version": "15.4"}), on_a("operator", 201)),
    ("GET", "/v1/accounts/{account}/exposures"): ("FP_AUTH_USER", fixed(
        "/v1/accounts/a/exposures?since=0"), on_a("viewer", 200)),
    ("GET", "/v1/change-requests/{id}/evidence"): ("FP_AUTH_USER", fixed(CR_DRAFT + "/evidence"),
                                                   on_a("viewer", 200)),
}
TABLE.update(TABLE_TRACK)

# ---- notifications (docs/notifications.md) ----
# A subscription is its owner's (or an admin's): each user caller works on one of its own;
# the others are shown the admin's, which is not found for them.
HOOK = {"events": ["host.catchup"], "channel": "webhook", "url": "http://127.0.0.1:9/hook",
        "secret": "0123456789abcdef-matrix"}
s.must("group", "POST", "/v1/accounts/a/groups", ADMIN, body={"name": "g-fixed"})


def prep_own_sub(suffix=""):
    def prep(c):
        kind, ra = CALLERS[c][1], CALLERS[c][2]
        owner = CALLERS[c][0] if kind == "user" and ra >= 1 else ADMIN
        sid = s.must("subscription", "POST", "/v1/accounts/a/subscriptions", owner,
                     body=HOOK)["id"]
        return "/v1/accounts/a/subscriptions/" + sid + suffix, None
    return prep


def prep_group_delete(c):
    name = fresh("g-doomed")
    s.must("group to delete", "POST", "/v1/accounts/a/groups", ADMIN, body={"name": name})
    return "/v1/accounts/a/groups/" + name, None


TABLE_NOTIFY = {
    ("GET", "/v1/accounts/{account}/subscriptions"): ("FP_AUTH_USER", fixed(
        "/v1/accounts/a/subscriptions"), on_a("viewer", 200)),
    ("POST", "/v1/accounts/{account}/subscriptions"): ("FP_AUTH_USER", fixed(
        "/v1/accounts/a/subscriptions", HOOK), on_a("viewer", 201)),
    ("GET", "/v1/accounts/{account}/subscriptions/{id}"): ("FP_AUTH_USER", prep_own_sub(),
                                                           on_a("viewer", 200)),
    ("DELETE", "/v1/accounts/{account}/subscriptions/{id}"): ("FP_AUTH_USER", prep_own_sub(),
                                                              on_a("viewer", 200)),
    ("POST", "/v1/accounts/{account}/subscriptions/{id}/test"): (
        "FP_AUTH_USER", prep_own_sub("/test"), on_a("viewer", 202)),
    ("GET", "/v1/accounts/{account}/groups"): ("FP_AUTH_USER", fixed(
        "/v1/accounts/a/groups"), on_a("viewer", 200)),
    ("POST", "/v1/accounts/{account}/groups"): ("FP_AUTH_USER", lambda c: (
        "/v1/accounts/a/groups", {"name": fresh("g"), "emails": ["ops@example.org"]}),
        on_a("admin", 201)),
    ("PUT", "/v1/accounts/{account}/groups/{name}"): ("FP_AUTH_USER", fixed(
        "/v1/accounts/a/groups/g-fixed", {"members": ["a-viewer"]}), on_a("admin", 200)),
    ("DELETE", "/v1/accounts/{account}/groups/{name}"): ("FP_AUTH_USER", prep_group_delete,
                                                         on_a("admin", 200)),
    ("GET", "/v1/accounts/{account}/deliveries"): ("FP_AUTH_USER", fixed(
        "/v1/accounts/a/deliveries?state=dead"), on_a("viewer", 200)),
    # no dead delivery in the matrix: every user is answered 404 (tests/integration/notify.sh
    # requeues real ones)
    ("POST", "/v1/accounts/{account}/deliveries/{id}/retry"): ("FP_AUTH_USER", fixed(
        "/v1/accounts/a/deliveries/999999/retry"),
        lambda c: (404, "not_found") if CALLERS[c][1] == "user" else (401, "unauthenticated")),
}
TABLE.update(TABLE_NOTIFY)

routes = fpapi.parse_routes(os.path.join(SRC, "src", "server", "router.c"))
served = {(m, p) for m, p, _ in routes}
for m, p, auth in routes:
    if (m, p) not in TABLE:
        s.fail("route %s %s is not in the expectation table of %s: add a row" % (m, p, __file__))
        continue
    if TABLE[(m, p)][0] != auth:
        s.fail("route %s %s: the router says %s, the table %s" % (m, p, auth, TABLE[(m, p)][0]))
for key in TABLE:
    s.ok(key in served, "the table names %s %s, which the router does not serve" % key)

calls = 0
for m, p, _ in routes:
    if (m, p) not in TABLE:
        continue
    _, prep, rule = TABLE[(m, p)]
    for c, (cred, _, _, _) in CALLERS.items():
        path, body = prep(c)
        want, code = rule(c)
        st, doc, _, _ = s.call(m, path, cred, body=body)
        calls += 1
        s.check("%s %s as %s" % (m, p, c), st, doc, want, code)
print("ok: route matrix (%d routes x %d callers = %d calls)" % (len(routes), len(CALLERS), calls))

# The matrix's own writes that must not have happened.
names = [u["name"] for u in s.must("all users", "GET", "/v1/users", ADMIN)["users"]]
made = [n for n in names if n.startswith("u-")]
s.ok(len(made) == 2, "POST /v1/users by the matrix made %d users, want 2 (a-admin, org-admin): %s"
     % (len(made), made))
accts = [a["name"] for a in s.must("accounts", "GET", "/v1/accounts", ADMIN)["accounts"]]
s.ok(len([a for a in accts if a.startswith("acct-")]) == 1,
     "POST /v1/accounts by the matrix made other than 1 account: %s" % accts)
s.ok(s.call("GET", "/readyz")[0] == 200, "readyz after the matrix")
# B's admin sees none of A's change requests, baselines or windows in lists.
st, doc = s.expect("b-admin lists change requests", "GET", "/v1/change-requests", B, 200)
s.ok(all(c["account"] == "b" for c in doc["change_requests"]),
     "b-admin's change requests show another account's: " + json.dumps(doc)[:300])
s.expect("b-admin lists a's baselines", "GET", "/v1/accounts/a/baselines", B, 404, "not_found")
# The dashboard: fleet-wide findings and host lists stay within the caller's accounts; the
# public files carry the security headers and validate with their ETag.
st, doc = s.expect("b-admin's fleet-wide findings", "GET", "/v1/vulns", B, 200)
st2, own = s.expect("b-admin's hosts", "GET", "/v1/hosts?count=1", B, 200)
s.ok(doc["hosts_matched"] == own["total"] and all(h["account"] == "b" for h in own["hosts"]),
     "b-admin's /v1/vulns matched %s hosts, its /v1/hosts total %s" % (doc["hosts_matched"],
                                                                       own["total"]))
st, doc = s.expect("b-admin counts a's hosts", "GET", "/v1/hosts?account=a&count=1", B, 200)
s.ok(doc["hosts"] == [] and doc["total"] == 0, "b-admin's count of a's hosts: " + json.dumps(doc))
st, doc = s.expect("hosts sorted with an id cursor", "GET", "/v1/hosts?sort=hostname&after=x",
                   ADMIN, 400, "invalid_request")
st, _, body, hdrs = s.call("GET", "/")
csp = hdrs.get("Content-Security-Policy", "")
s.ok(st == 200 and hdrs.get("Content-Type", "").startswith("text/html") and
     "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and
     hdrs.get("X-Content-Type-Options") == "nosniff" and hdrs.get("Referrer-Policy") and
     hdrs.get("ETag"), "GET /: %s %s" % (st, hdrs))
st, _, _, again = s.call("GET", "/", headers={"If-None-Match": hdrs.get("ETag", "x")})
s.ok(st == 304 and again.get("ETag") == hdrs.get("ETag"), "GET / with its ETag: %s, want 304" % st)
st, _, _, js = s.call("GET", "/ui/app.js")
s.ok(st == 200 and js.get("Content-Type", "").startswith("text/javascript"),
     "GET /ui/app.js: %s %s" % (st, js.get("Content-Type")))
s.expect("a file the dashboard lacks", "GET", "/ui/nope.js", None, 404, "not_found")
s.expect("b-admin plans A's change request", "GET", CR_LIVE + "/plan", B, 404, "not_found")
s.done("server_roles")
