"""The server half of patch execution (docs/jobs.md), driven by jobs_server.sh.

usage: jobs_server.py main|offline STATE_DIR

A scripted agent (enrollment, check-ins with inventories, progress and finish reports) talks to
a real fleetpatchd over HTTPS; users of two accounts queue and read jobs. Every answer is
checked for its status and error code, and what the server stored is read back through the API.
"""
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fpapi  # noqa: E402

MODE, STATE = sys.argv[1], sys.argv[2]
s = fpapi.Server(STATE)
ADMIN = s.admin
PASSWORD = "correct horse battery"


def inv_hash(inv):
    """SHA-256 of the inventory as jansson writes it with JSON_COMPACT | JSON_SORT_KEYS."""
    text = json.dumps(inv, separators=(",", ":"), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def pkg(name, version, arch="amd64"):
    return {"name": name, "arch": arch, "version": version}


def upd(name, installed, candidate, security, arch="amd64"):
    return {"name": name, "arch": arch, "installed": installed, "candidate": candidate,
            "security": security}


def inventory(pkgs, updates):
    return {"family": "deb", "distro": "debian", "release": "bookworm", "packages": pkgs,
            "updates": updates}


BASE_PKGS = [pkg("curl", "7.88.1-10"), pkg("hello", "2.10-3"), pkg("libssl3", "3.0.11-1~deb12u2"),
             pkg("openssl", "3.0.11-1~deb12u2")]
BASE_UPDATES = [upd("curl", "7.88.1-10", "7.88.1-10+deb12u8", False),
                upd("libssl3", "3.0.11-1~deb12u2", "3.0.15-1~deb12u1", True),
                upd("openssl", "3.0.11-1~deb12u2", "3.0.15-1~deb12u1", True)]


class Agent:
    """A scripted agent: one host's credential and its sequence number."""

    def __init__(self, enroll_token, name, machine_id=None, instance=None, body_extra=None):
        self.name = name
        self.machine_id = machine_id or uuid.uuid4().hex
        self.instance = instance
        self.boot = str(uuid.uuid4())
        body = {"hostname": name, "facts": self.facts()}
        if body_extra:
            body.update(body_extra)
        doc = s.must("enroll " + name, "POST", "/v1/agent/enroll", enroll_token, body=body,
                     want=201)
        self.id, self.cred, self.seq = doc["host_id"], doc["credential"], 0

    def facts(self):
        f = {"hostname": self.name, "machine_id": self.machine_id, "boot_id": self.boot}
        if self.instance:
            f["cloud"] = {"provider": "aws", "instance_id": self.instance}
        return f

    def checkin(self, inv=None, lifecycle=None, seq=None, facts=None, want=200, code=None,
                what="check-in"):
        self.seq = seq if seq is not None else self.seq + 1
        body = {"seq": self.seq, "facts": facts or self.facts(),
                "inventory_hash": inv_hash(inv) if inv is not None else "0" * 64}
        if inv is not None:
            body["inventory"] = inv
        if lifecycle is not None:
            body["lifecycle"] = lifecycle
        st, doc = s.expect("%s: %s" % (self.name, what), "POST", "/v1/agent/checkin", self.cred,
                           want, code, body=body)
        return doc

    def jobs(self):
        return s.must("agent jobs", "GET", "/v1/agent/jobs", self.cred)["jobs"]


def host(hid, token=ADMIN):
    return s.must("host", "GET", "/v1/hosts/" + hid, token)


def job(jid, token=ADMIN):
    return s.must("job", "GET", "/v1/jobs/" + jid, token)


def user(name, grants):
    s.must("user " + name, "POST", "/v1/users", ADMIN,
           body={"name": name, "password": PASSWORD, "grants": grants})
    return s.must("login " + name, "POST", "/v1/auth/login",
                  body={"user": name, "password": PASSWORD}, want=201)["token"]


def enroll_token(account, uses=10):
    return s.must("enroll token", "POST", "/v1/accounts/%s/enroll-tokens" % account, ADMIN,
                  body={"uses": uses})["token"]


def queue(hid, type_, params=None, token=ADMIN, want=201, code=None, what=None):
    body = {"type": type_}
    if params is not None:
        body["params"] = params
    st, doc = s.expect(what or "queue %s" % type_, "POST", "/v1/hosts/%s/jobs" % hid, token,
                       want, code, body=body)
    return doc


def field_of(doc):
    return (doc or {}).get("error", {}).get("field")


def job_count(hid):
    return len(s.must("jobs", "GET", "/v1/hosts/%s/jobs?limit=1000" % hid, ADMIN)["jobs"])


def main():
    s.must("account a", "POST", "/v1/accounts", ADMIN, body={"name": "a"})
    s.must("account b", "POST", "/v1/accounts", ADMIN, body={"name": "b"})
    op_a = user("op-a", [{"account": "a", "role": "operator"}])
    viewer_a = user("viewer-a", [{"account": "a", "role": "viewer"}])
    admin_b = user("admin-b", [{"account": "b", "role": "admin"}])
    tok_a = enroll_token("a")
    ag = Agent(tok_a, "web-1")
    H = ag.id
    # no inventory yet: upgrade-approved has nothing to expand from
    queue(H, "upgrade-approved", {}, op_a, 409, "no_inventory", "upgrade without inventory")
    ag.checkin(inventory(BASE_PKGS, BASE_UPDATES), what="first inventory")
    print("ok: setup")

    # ---- upgrade-approved: expanded into exact pairs from the inventory ----
    j = queue(H, "upgrade-approved", {"security_only": True}, op_a)
    want_pairs = [{"name": "libssl3", "arch": "amd64", "version": "3.0.15-1~deb12u1"},
                  {"name": "openssl", "arch": "amd64", "version": "3.0.15-1~deb12u1"}]
    s.ok(j["params"]["packages"] == want_pairs,
         "security_only upgrade expanded to %s" % json.dumps(j["params"]))
    s.ok(j["params"].get("reboot") == "never" and j["params"].get("simulate") is False and
         "security_only" not in j["params"], "canonical params: %s" % json.dumps(j["params"]))
    s.ok(j["status"] == "queued" and j["created_by"] == "op-a", "job answer: %s" % json.dumps(j))
    UP = j["id"]
    j2 = queue(H, "upgrade-approved", {"packages": ["curl"], "simulate": True}, op_a)
    s.ok(j2["params"]["packages"] == [{"name": "curl", "arch": "amd64",
                                       "version": "7.88.1-10+deb12u8"}] and
         j2["params"]["simulate"] is True, "named upgrade: %s" % json.dumps(j2["params"]))
    j3 = queue(H, "upgrade-approved", None, op_a)
    s.ok(len(j3["params"]["packages"]) == 3, "full upgrade: %s" % json.dumps(j3["params"]))
    queue(H, "upgrade-approved", {"packages": ["hello"]}, op_a, 409, "nothing_to_do",
          "upgrade of a package without update")
    # the agent gets exactly the stored params
    got = {x["id"]: x for x in ag.jobs()}
    s.ok(got.get(UP, {}).get("params") == j["params"] and got[UP]["type"] == "upgrade-approved",
         "the agent received other params: %s" % json.dumps(got.get(UP)))
    s.ok(job(UP)["status"] == "delivered", "job not delivered after the agent listed it")
    print("ok: upgrade-approved expansion")

    # ---- every type, canonical params ----
    sc = queue(H, "scan", None, op_a)
    s.ok(sc["params"] == {"refresh": True}, "scan params %s" % sc["params"])
    rb = queue(H, "reboot", {"force": True}, op_a)
    s.ok(rb["params"] == {"force": True}, "reboot params %s" % rb["params"])
    hk = queue(H, "hook", {"name": "health-check"}, op_a)
    s.ok(hk["params"] == {"name": "health-check"}, "hook params %s" % hk["params"])
    ins = queue(H, "install", {"packages": [{"name": "hello", "version": "2.10-3+b1"}],
                               "reboot": "if-needed"}, op_a)
    s.ok(ins["params"]["packages"] == [{"name": "hello", "version": "2.10-3+b1"}] and
         ins["params"]["reboot"] == "if-needed" and ins["params"]["allow_remove"] is False,
         "install params %s" % ins["params"])
    rs = queue(H, "rescan", None, op_a)
    s.ok(rs["type"] == "rescan", "rescan kept its name: %s" % rs)

    # ---- malformed params: 400 with the field, nothing stored ----
    n0 = job_count(H)
    bad = [
        ("unknown type", {"type": "shell", "params": {}}, "type"),
        ("install without packages", {"type": "install", "params": {}}, None),
        ("install bad version", {"type": "install", "params": {"packages": [
            {"name": "hello", "version": "not a version!"}]}}, "params.packages[0].version"),
        ("install bad name", {"type": "install", "params": {"packages": [
            {"name": "Hello World", "version": "1.0"}]}}, "params.packages[0].name"),
        ("install unknown member", {"type": "install", "params": {"packages": [
            {"name": "hello", "version": "1.0"}], "shell": "rm -rf /"}}, "params.shell"),
        ("bad reboot policy", {"type": "install", "params": {"packages": [
            {"name": "hello", "version": "1.0"}], "reboot": "now"}}, "params.reboot"),
        ("hook bad name", {"type": "hook", "params": {"name": "../../bin/sh"}}, "params.name"),
        ("upgrade security_only not bool", {"type": "upgrade-approved",
                                            "params": {"security_only": "yes"}},
         "params.security_only"),
        ("upgrade unknown member", {"type": "upgrade-approved", "params": {"all": True}},
         "params.all"),
        ("upgrade bad package name", {"type": "upgrade-approved",
                                      "params": {"packages": ["a b"]}}, "params.packages[0]"),
        ("too many packages", {"type": "install", "params": {"packages": [
            {"name": "p%d" % i, "version": "1.0"} for i in range(5001)]}}, "params.packages"),
        ("unknown top member", {"type": "scan", "shell": "x"}, "shell"),
    ]
    for what, body, field in bad:
        st, doc = s.expect(what, "POST", "/v1/hosts/%s/jobs" % H, op_a, 400, "invalid_request",
                           body=body)
        if field:
            s.ok(field_of(doc) is not None and field_of(doc).startswith(field),
                 "%s: field %r, want %r" % (what, field_of(doc), field))
    # 5000 packages is the limit: accepted
    big = queue(H, "install", {"packages": [{"name": "p%d" % i, "version": "1.0"}
                                            for i in range(5000)], "simulate": True}, op_a)
    s.ok(len(big["params"]["packages"]) == 5000, "5000 packages at the limit")
    s.ok(job_count(H) == n0 + 1, "refused job requests stored jobs: %d, want %d"
         % (job_count(H), n0 + 1))
    print("ok: params checked, refused requests store nothing")

    # ---- rollback: the target must be an install/upgrade job of this host ----
    rbk = queue(H, "rollback", {"job": UP}, op_a)
    s.ok(rbk["params"]["job"] == UP, "rollback params %s" % rbk["params"])
    queue(H, "rollback", {"job": sc["id"]}, op_a, 404, "not_found", "rollback of a scan job")
    queue(H, "rollback", {"job": "0123456789abcdef"}, op_a, 404, "not_found",
          "rollback of a missing job")
    other = Agent(tok_a, "web-2")
    other.checkin(inventory(BASE_PKGS, BASE_UPDATES))
    oj = queue(other.id, "install", {"packages": [{"name": "hello", "version": "2.10-4"}]}, op_a)
    queue(H, "rollback", {"job": oj["id"]}, op_a, 404, "not_found",
          "rollback of another host's job")
    print("ok: rollback targets")

    # ---- roles and tenant isolation on every new route ----
    queue(H, "scan", None, viewer_a, 403, "forbidden", "viewer queues a scan")
    queue(H, "install", {"packages": [{"name": "hello", "version": "1"}]}, viewer_a, 403,
          "forbidden", "viewer queues an install")
    s.expect("viewer reads a job", "GET", "/v1/jobs/" + UP, viewer_a, 200)
    s.expect("viewer lists jobs", "GET", "/v1/hosts/%s/jobs" % H, viewer_a, 200)
    for what, m, path, body in [
            ("B reads A's job", "GET", "/v1/jobs/" + UP, None),
            ("B lists A's host's jobs", "GET", "/v1/hosts/%s/jobs" % H, None),
            ("B queues on A's host", "POST", "/v1/hosts/%s/jobs" % H, {"type": "scan"}),
            ("B rolls back A's job", "POST", "/v1/hosts/%s/jobs" % H,
             {"type": "rollback", "params": {"job": UP}})]:
        _, d1 = s.expect(what, m, path, admin_b, 404, "not_found", body=body)
    _, d2 = s.expect("B reads a missing job", "GET", "/v1/jobs/fedcba9876543210", admin_b, 404,
                     "not_found")
    _, d3 = s.expect("B reads A's job", "GET", "/v1/jobs/" + UP, admin_b, 404, "not_found")
    s.ok(d2 == d3, "a foreign job and a missing job answer differently")
    tok_b = enroll_token("b")
    agb = Agent(tok_b, "b-1")
    for what, path, body in [
            ("B's agent reports progress of A's job", "/v1/agent/jobs/%s/progress" % UP,
             {"phase": "applying", "log": "pwned\n"}),
            ("B's agent finishes A's job", "/v1/agent/jobs/" + UP, {"status": "failed",
                                                                  "detail": "x"})]:
        s.expect(what, "POST", path, agb.cred, 404, "not_found", body=body)
    jj = job(UP)
    s.ok(jj["status"] == "delivered" and jj["log"] == "", "B's agent changed A's job: %s" % jj)
    s.expect("user token on an agent route", "POST", "/v1/agent/jobs/%s/progress" % UP, op_a,
             401, "unauthenticated", body={"phase": "applying"})
    print("ok: roles and tenant isolation")

    # ---- paging of a host's jobs, newest first ----
    allj = s.must("all jobs", "GET", "/v1/hosts/%s/jobs?limit=1000" % H, ADMIN)["jobs"]
    keys = [(x["created"], x["id"]) for x in allj]
    s.ok(keys == sorted(keys, reverse=True), "jobs not newest first")
    s.ok(all("log" not in x for x in allj), "a list carries logs")
    page, seen, after = 0, [], None
    while True:
        q = "/v1/hosts/%s/jobs?limit=3" % H + ("&after=" + after if after else "")
        doc = s.must("page", "GET", q, ADMIN)
        seen += [x["id"] for x in doc["jobs"]]
        page += 1
        if "next" not in doc or page > 100:
            break
        after = doc["next"]
    s.ok(seen == [x["id"] for x in allj], "paged ids differ from the full list")
    s.expect("limit 0", "GET", "/v1/hosts/%s/jobs?limit=0" % H, ADMIN, 400, "invalid_request")
    s.expect("limit 1001", "GET", "/v1/hosts/%s/jobs?limit=1001" % H, ADMIN, 400,
             "invalid_request")
    s.expect("after another host's job", "GET", "/v1/hosts/%s/jobs?after=%s" % (H, oj["id"]),
             ADMIN, 400, "invalid_request")
    print("ok: paging")

    # ---- progress and finish with a result ----
    P = "/v1/agent/jobs/%s/progress" % UP
    s.expect("progress planning", "POST", P, ag.cred, 200,
             body={"phase": "planning", "log": "Reading package lists...\n"})
    s.expect("progress applying", "POST", P, ag.cred, 200,
             body={"phase": "applying", "log": "Unpacking openssl (3.0.15-1~deb12u1) ...\n"})
    jj = job(UP)
    s.ok(jj["status"] == "running" and jj["phase"] == "applying", "running job: %s" % jj)
    s.ok(jj["log"] == "Reading package lists...\nUnpacking openssl (3.0.15-1~deb12u1) ...\n",
         "log: %r" % jj["log"])
    for what, body, field in [
            ("unknown phase", {"phase": "hacking"}, "phase"),
            ("log too long", {"log": "x" * (64 * 1024 + 1)}, "log"),
            ("unknown member", {"phase": "applying", "cmd": "x"}, "cmd"),
            ("phase not a string", {"phase": 3}, "phase")]:
        st, doc = s.expect("progress " + what, "POST", P, ag.cred, 400, "invalid_request",
                           body=body)
        s.ok(field_of(doc) == field, "progress %s: field %r" % (what, field_of(doc)))
    s.expect("progress at the chunk limit", "POST", P, ag.cred, 200,
             body={"log": "y" * (64 * 1024)})
    s.ok(len(job(UP)["log"]) == len(jj["log"]) + 64 * 1024, "chunk at the limit not appended")
    s.expect("progress of a missing job", "POST", "/v1/agent/jobs/0123456789abcdef/progress",
             ag.cred, 404, "not_found", body={"phase": "applying"})

    good = {"reason": "", "simulated": False, "verdict": "verified", "missing": [],
            "unexpected": [], "reboot_required": True,
            "reboot_reasons": ["libssl3 asks for a reboot"], "rollback": "available",
            "resumed": False,
            "plan": [{"action": "upgrade", "name": "libssl3", "arch": "amd64",
                      "from": "3.0.11-1~deb12u2", "to": "3.0.15-1~deb12u1"},
                     {"action": "upgrade", "name": "openssl", "arch": "amd64",
                      "from": "3.0.11-1~deb12u2", "to": "3.0.15-1~deb12u1"}]}

    def with_(**kw):
        r = json.loads(json.dumps(good))
        r.update(kw)
        return r
    F = "/v1/agent/jobs/" + UP
    bad_results = [
        ("result not an object", [], "result"),
        ("unknown member", with_(shell="x"), "result.shell"),
        ("bad verdict", with_(verdict="fine"), "result.verdict"),
        ("reason on success", with_(reason="locked"), "result.reason"),
        ("bad action", with_(plan=[{"action": "purge", "name": "a", "arch": "amd64",
                                    "from": "1", "to": None}]), "result.plan[0].action"),
        ("plan entry member", with_(plan=[dict(good["plan"][0], x=1)]), "result.plan[0].x"),
        ("upgrade to null", with_(plan=[dict(good["plan"][0], to=None)]), "result.plan[0].to"),
        ("missing not objects", with_(verdict="mismatch", missing=["a"]), "result.missing[0]"),
        ("verified with missing", with_(missing=[{"name": "a", "arch": "amd64", "want": "1",
                                                  "have": None}]), "result.verdict"),
        ("bad rollback", with_(rollback="maybe"), "result.rollback"),
        ("simulated not bool", with_(simulated="no"), "result.simulated"),
        ("name with control char", with_(plan=[dict(good["plan"][0], name="a\u0001")]),
         "result.plan[0].name"),
        ("too many reboot reasons", with_(reboot_reasons=["r"] * 1025),
         "result.reboot_reasons"),
    ]
    for what, res, field in bad_results:
        st, doc = s.expect("finish: " + what, "POST", F, ag.cred, 400, "invalid_request",
                           body={"status": "succeeded", "result": res})
        s.ok(field_of(doc) == field, "finish %s: field %r, want %r" % (what, field_of(doc),
                                                                        field))
    st, doc = s.expect("failed without a reason", "POST", F, ag.cred, 400, "invalid_request",
                       body={"status": "failed", "result": with_(verdict="not-run")})
    s.ok(field_of(doc) == "result.reason", "failed without reason: %r" % field_of(doc))
    jj = job(UP)
    s.ok(jj["status"] == "running" and jj["result"] is None, "a refused finish stored: %s" % jj)
    s.ok(host(H)["catchup"] == [], "catch-up before any event")

    s.expect("finish with a result", "POST", F, ag.cred, 200,
             body={"status": "succeeded", "detail": "2 upgraded", "result": good})
    jj = job(UP)
    s.ok(jj["status"] == "succeeded" and jj["result"] == good and jj["detail"] == "2 upgraded",
         "finished job: %s" % json.dumps(jj)[:600])
    s.expect("finish again, same status", "POST", F, ag.cred, 200,
             body={"status": "succeeded", "result": good})
    s.expect("finish again, other status", "POST", F, ag.cred, 409, "conflict",
             body={"status": "failed", "result": with_(reason="other", verdict="not-run")})
    s.expect("progress of a finished job", "POST", P, ag.cred, 409, "conflict",
             body={"phase": "verifying"})
    # a simulated success records nothing: the curl job
    s.expect("simulated finish", "POST", "/v1/agent/jobs/" + j2["id"], ag.cred, 200,
             body={"status": "succeeded", "result": with_(simulated=True, plan=[{
                 "action": "upgrade", "name": "curl", "arch": "amd64", "from": "7.88.1-10",
                 "to": "7.88.1-10+deb12u8"}])})
    # a failed job with a reason
    s.expect("failed finish", "POST", "/v1/agent/jobs/" + hk["id"], ag.cred, 200,
             body={"status": "failed", "detail": "hook failed",
                   "result": {"reason": "hook", "verdict": "not-run"}})
    s.ok(job(hk["id"])["result"]["reason"] == "hook", "failed job's result not kept")
    print("ok: progress, finish and results")

    # ---- catch-up: downgraded (the verified upgrade is older in a new inventory) ----
    upgraded = [pkg("curl", "7.88.1-10"), pkg("hello", "2.10-3"),
                pkg("libssl3", "3.0.15-1~deb12u1"), pkg("openssl", "3.0.15-1~deb12u1")]
    ag.checkin(inventory(upgraded, BASE_UPDATES[:1]), what="inventory after the upgrade")
    s.ok(host(H)["catchup"] == [], "catch-up after a matching inventory: %s" % host(H)["catchup"])
    # curl was only simulated: an older curl is no downgrade
    ag.checkin(inventory([pkg("curl", "7.88.1-9")] + upgraded[1:], BASE_UPDATES[:1]),
               what="older curl")
    s.ok(host(H)["catchup"] == [], "a simulated job marked the host")
    ag.checkin(inventory(BASE_PKGS, BASE_UPDATES), what="downgraded inventory")
    h = host(H)
    s.ok(h["catchup"] == ["downgraded"] and h["catchup_since"] > 0, "downgraded: %s %s"
         % (h["catchup"], h["catchup_since"]))
    lst = s.must("catchup filter", "GET", "/v1/hosts?catchup=true", ADMIN)["hosts"]
    s.ok([x["id"] for x in lst] == [H], "?catchup=true lists %s" % [x["id"] for x in lst])
    s.ok(lst[0]["catchup"] == ["downgraded"], "list shows catchup")
    lst = s.must("catchup filter", "GET", "/v1/hosts?catchup=false", ADMIN)["hosts"]
    s.ok(H not in [x["id"] for x in lst], "?catchup=false lists the marked host")
    s.expect("catchup filter bad", "GET", "/v1/hosts?catchup=maybe", ADMIN, 400,
             "invalid_request")
    s.ok(s.must("summary", "GET", "/v1/summary", ADMIN)["catchup"] == 1, "summary catchup")
    s.ok(s.must("summary b", "GET", "/v1/summary", admin_b)["catchup"] == 0,
         "B's summary counts A's catch-up")
    # an inventory still downgraded keeps it; one with the versions back clears it
    ag.checkin(inventory(BASE_PKGS, BASE_UPDATES[1:]), what="still downgraded")
    s.ok(host(H)["catchup"] == ["downgraded"], "cleared while downgraded: %s"
         % host(H)["catchup"])
    ag.checkin(inventory(upgraded, []), what="versions back")
    h = host(H)
    s.ok(h["catchup"] == [] and h["catchup_since"] == 0, "not cleared: %s" % h["catchup"])
    print("ok: catch-up downgraded, marked and cleared")

    # ---- catch-up: revert by a sequence regression; a scan job clears it ----
    last = ag.seq
    st, doc = s.expect("regressed check-in", "POST", "/v1/agent/checkin", ag.cred, 409,
                       "sequence_regressed", body={"seq": last - 1, "facts": ag.facts(),
                                                   "inventory_hash": "0" * 64})
    h = host(H)
    s.ok(h["catchup"] == ["revert"], "revert by regression: %s" % h["catchup"])
    s.ok(h["last_seq"] == last, "a regression moved last_seq")
    # a check-in without inventory does not clear
    ag.checkin(what="after the revert, no inventory")
    s.ok(host(H)["catchup"] == ["revert"], "cleared without an inventory")
    scan = queue(H, "scan", None, op_a)
    ag.jobs()
    ag.checkin(what="the scan's check-in (inventory unchanged)")
    s.expect("scan finished", "POST", "/v1/agent/jobs/" + scan["id"], ag.cred, 200,
             body={"status": "succeeded"})
    s.ok(host(H)["catchup"] == [], "a succeeded scan did not clear: %s" % host(H)["catchup"])
    print("ok: catch-up revert by regression, cleared by a scan")

    # ---- catch-up: agent events; the inventory of the marking check-in does not clear ----
    ag.checkin(inventory(upgraded, [upd("curl", "7.88.1-10", "7.9", False)]),
               lifecycle={"events": [{"kind": "suspend", "at": int(time.time()),
                                      "detail": "slept 2h"},
                                     {"kind": "reboot", "at": int(time.time())}]},
               what="suspend event")
    s.ok(host(H)["catchup"] == ["suspend"], "suspend: %s" % host(H)["catchup"])
    ag.checkin(lifecycle={"events": [{"kind": "revert", "at": 1}]}, what="revert event")
    h = host(H)
    s.ok(h["catchup"] == ["suspend", "revert"], "reasons accumulate: %s" % h["catchup"])
    since = h["catchup_since"]
    for what, lc, field in [
            ("bad kind", {"events": [{"kind": "nap", "at": 1}]}, "lifecycle.events[0].kind"),
            ("no at", {"events": [{"kind": "reboot"}]}, "lifecycle.events[0].at"),
            ("unknown member", {"events": [], "x": 1}, "lifecycle.x"),
            ("too many", {"events": [{"kind": "reboot", "at": 1}] * 17}, "lifecycle.events")]:
        st, doc = s.expect("lifecycle " + what, "POST", "/v1/agent/checkin", ag.cred, 400,
                           "invalid_request", body={"seq": ag.seq + 1, "inventory_hash": "0" * 64,
                                                    "lifecycle": lc})
        s.ok(field_of(doc) == field, "lifecycle %s: field %r" % (what, field_of(doc)))
    s.ok(host(H)["last_seq"] == ag.seq, "a refused check-in moved last_seq")
    ag.checkin(lifecycle={"events": [{"kind": "reboot", "at": 1}] * 16}, what="16 events")
    ag.checkin(inventory(upgraded, []), what="fresh inventory")
    h = host(H)
    s.ok(h["catchup"] == [] and h["catchup_since"] == 0, "not cleared after events: %s"
         % h["catchup"])
    s.ok(since > 0, "since")
    print("ok: catch-up by lifecycle events")

    # ---- rollback success replaces the upgrade's records ----
    ag.jobs()
    s.expect("rollback finished", "POST", "/v1/agent/jobs/" + rbk["id"], ag.cred, 200,
             body={"status": "succeeded", "result": with_(plan=[
                 {"action": "downgrade", "name": "openssl", "arch": "amd64",
                  "from": "3.0.15-1~deb12u1", "to": "3.0.11-1~deb12u2"}])})
    # openssl 3.0.11 is now what should be there; libssl3 3.0.15 was the upgrade's and is gone
    ag.checkin(inventory(BASE_PKGS, BASE_UPDATES), what="after the rollback")
    s.ok(host(H)["catchup"] == [], "a rolled-back version counts as a downgrade: %s"
         % host(H)["catchup"])
    print("ok: rollback replaces installed records")

    # ---- clones ----
    tok_c = enroll_token("a")
    orig = Agent(tok_c, "db-1", instance="i-0aaa")
    orig.checkin(inventory(BASE_PKGS, []))
    before = host(orig.id)
    copy_facts = dict(orig.facts(), machine_id=uuid.uuid4().hex)
    st, doc = s.expect("clone by machine id", "POST", "/v1/agent/checkin", orig.cred, 409,
                       "clone_detected", body={"seq": orig.seq + 1, "facts": copy_facts,
                                               "inventory_hash": "0" * 64})
    etok = (doc or {}).get("error", {}).get("enroll_token", "")
    s.ok(etok.startswith("fpe_"), "no enrollment token in %s" % doc)
    after = host(orig.id)
    s.ok(after == before, "the clone's check-in touched the original: %s vs %s"
         % (json.dumps(before)[:300], json.dumps(after)[:300]))
    # the token works once, names the original, and only for it
    st, doc = s.expect("clone enrolls naming another host", "POST", "/v1/agent/enroll", etok,
                       400, "invalid_request", body={"hostname": "db-1-copy",
                                                     "facts": {"hostname": "db-1-copy"},
                                                     "cloned_from": H})
    s.ok(field_of(doc) == "cloned_from", "cloned_from field: %r" % field_of(doc))
    doc = s.must("clone enrolls", "POST", "/v1/agent/enroll", etok, want=201,
                 body={"hostname": "db-1-copy", "facts": {"hostname": "db-1-copy",
                                                          "machine_id": orig.machine_id,
                                                          "cloud": {"instance_id": "i-0bbb"}},
                       "cloned_from": orig.id})
    s.ok(doc["host_id"] != orig.id, "the clone took over the original's host id")
    c = host(doc["host_id"])
    s.ok(c["cloned_from"] == orig.id and c["account"] == "a", "clone host: %s" % c)
    s.ok(host(orig.id)["cloned_from"] is None, "the original has cloned_from")
    s.expect("clone token used up", "POST", "/v1/agent/enroll", etok, 410,
             "enrollment_exhausted", body={"hostname": "z", "facts": {"hostname": "z"}})
    # the original keeps working with its credential
    orig.checkin(what="original after the clone")
    # a cloud copy: same machine id, another instance id
    copy_facts = dict(orig.facts(), cloud={"provider": "aws", "instance_id": "i-0ccc"})
    s.expect("clone by instance id", "POST", "/v1/agent/checkin", orig.cred, 409,
             "clone_detected", body={"seq": orig.seq + 1, "facts": copy_facts,
                                     "inventory_hash": "0" * 64})
    # a normal enrollment token cannot claim to be a clone
    st, doc = s.expect("plain token with cloned_from", "POST", "/v1/agent/enroll", tok_a, 400,
                       "invalid_request", body={"hostname": "q", "facts": {"hostname": "q"},
                                                "cloned_from": orig.id})
    metrics = s.call("GET", "/metrics")[2].decode()
    s.ok("fleetpatchd_clones_detected_total 2" in metrics, "clone metric: %s"
         % [x for x in metrics.splitlines() if "clone" in x])
    # two boot ids taking turns at regressing: possible-clone
    twin = Agent(tok_c, "twin")
    twin.checkin()
    boot_a, boot_b = twin.boot, str(uuid.uuid4())
    fb = dict(twin.facts(), boot_id=boot_b)
    s.expect("twin B regresses", "POST", "/v1/agent/checkin", twin.cred, 409,
             "sequence_regressed", body={"seq": 1, "facts": fb, "inventory_hash": "0" * 64})
    s.ok(host(twin.id)["catchup"] == ["revert"], "first regression: %s"
         % host(twin.id)["catchup"])
    twin.checkin(facts=fb, what="twin B continues")
    s.expect("twin A regresses", "POST", "/v1/agent/checkin", twin.cred, 409,
             "sequence_regressed", body={"seq": 1, "facts": dict(fb, boot_id=boot_a),
                                         "inventory_hash": "0" * 64})
    s.ok(host(twin.id)["catchup"] == ["revert", "possible-clone"], "twins: %s"
         % host(twin.id)["catchup"])
    print("ok: clones")
    cli(ag, op_a, viewer_a, UP)
    s.done("jobs_server main")


def run_cli(token, *args, wait=True):
    env = dict(os.environ, FLEETPATCH_SERVER=s.url, FLEETPATCH_TOKEN=token,
               FLEETPATCH_CACERT=s.ca, HOME=tempfile.mkdtemp())
    p = subprocess.Popen([os.environ["FLEETPATCH"]] + list(args), env=env,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if not wait:
        return p
    out, err = p.communicate()
    return p.returncode, out.decode(), err.decode()


def cli(ag, op, viewer, up):
    """The CLI's job commands against the same server and scripted agent."""
    H = ag.id
    rc, out, err = run_cli(op, "hosts", "upgrade", H, "--security-only")
    jid = out.strip()
    s.ok(rc == 0 and len(jid) == 16, "hosts upgrade: rc %d out %r err %r" % (rc, out, err))
    if rc == 0:
        s.ok(job(jid)["params"]["packages"] == [
            {"name": "libssl3", "arch": "amd64", "version": "3.0.15-1~deb12u1"},
            {"name": "openssl", "arch": "amd64", "version": "3.0.15-1~deb12u1"}],
            "CLI upgrade params: %s" % job(jid)["params"])
    rc, out, err = run_cli(op, "hosts", "install", H, "hello=1:2.10-3:amd64", "curl=7.88.1-11",
                           "--simulate", "--reboot", "if-needed")
    s.ok(rc == 0, "hosts install: rc %d %r" % (rc, err))
    if rc == 0:
        p = job(out.strip())["params"]
        s.ok(p["packages"] == [{"name": "hello", "version": "1:2.10-3", "arch": "amd64"},
                               {"name": "curl", "version": "7.88.1-11"}] and
             p["simulate"] is True and p["reboot"] == "if-needed", "CLI install params: %s" % p)
    rc, out, err = run_cli(op, "hosts", "install", H, "hello")
    s.ok(rc == 2, "hosts install without a version: rc %d" % rc)
    rc, out, err = run_cli(op, "hosts", "install", H, "hello=1.0", "--reboot", "later")
    s.ok(rc == 2, "hosts install --reboot later: rc %d" % rc)
    rc, out, err = run_cli(op, "hosts", "rollback", H, up)
    s.ok(rc == 0 and job(out.strip())["params"]["job"] == up, "hosts rollback: %d %r" % (rc, err))
    rc, out, err = run_cli(op, "hosts", "reboot", H, "--force")
    s.ok(rc == 0 and job(out.strip())["params"] == {"force": True}, "hosts reboot: %r" % err)
    rc, out, err = run_cli(op, "hosts", "hook", H, "drain")
    s.ok(rc == 0 and job(out.strip())["params"] == {"name": "drain"}, "hosts hook: %r" % err)
    rc, out, err = run_cli(op, "hosts", "hook", H, "Bad Name")
    s.ok(rc == 6 and "params.name" in err, "hosts hook bad name: rc %d %r" % (rc, err))
    rc, out, err = run_cli(viewer, "hosts", "scan", H)
    s.ok(rc == 6 and "forbidden" in err, "viewer hosts scan: rc %d %r" % (rc, err))
    rc, out, err = run_cli(op, "jobs", "show", up, "--log")
    s.ok(rc == 0 and "Unpacking openssl (3.0.15-1~deb12u1) ...\n" in out and "succeeded" in out,
         "jobs show --log: rc %d out %r" % (rc, out[:300]))
    rc, out, err = run_cli(op, "jobs", "show", "0123456789abcdef")
    s.ok(rc == 6, "jobs show of a missing job: rc %d" % rc)
    rc, out, err = run_cli(op, "hosts", "jobs", H)
    s.ok(rc == 0 and up in out and "upgrade-approved" in out, "hosts jobs: %r" % out[:300])
    rc, out, err = run_cli(op, "hosts", "rescan", H)
    s.ok(rc == 0 and "queued" in out, "hosts rescan still works: %r" % out)
    # --wait follows the job: 0 when it succeeds, 1 when it fails
    for status, want in (("succeeded", 0), ("failed", 1)):
        p = run_cli(op, "hosts", "scan", H, "--wait", wait=False)
        jid = p.stdout.readline().decode().strip()
        s.ok(len(jid) == 16, "scan --wait printed %r" % jid)
        ag.jobs()
        body = {"status": status}
        if status == "failed":
            body["result"] = {"reason": "other", "verdict": "not-run"}
        s.expect("agent finishes the waited job", "POST", "/v1/agent/jobs/" + jid, ag.cred, 200,
                 body=body)
        out, err = p.communicate()
        s.ok(p.returncode == want, "scan --wait, job %s: exit %d, want %d (%r)"
             % (status, p.returncode, want, err))
    print("ok: CLI")


def offline():
    tok = enroll_token("default")
    ag = Agent(tok, "sleeper")
    ag.checkin(inventory(BASE_PKGS, []))
    s.ok(host(ag.id)["catchup"] == [], "marked at once")
    # catchup_after = 1: come back after more than a second without a check-in
    time.sleep(2.5)
    ag.checkin(what="back after 2.5 s")
    h = host(ag.id)
    s.ok(h["catchup"] == ["offline"], "offline: %s" % h["catchup"])
    ag.checkin(inventory(BASE_PKGS, [upd("curl", "7.88.1-10", "7.9", False)]),
               what="fresh inventory")
    s.ok(host(ag.id)["catchup"] == [], "offline not cleared by a fresh inventory")
    s.done("jobs_server offline")


main() if MODE == "main" else offline()
