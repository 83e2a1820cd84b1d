"""The audit log against a real fleetpatchd (driven by tests/integration/audit.sh).

usage: audit.py live STATE_DIR WORK_DIR    (the server of STATE_DIR is running)
       audit.py tamper STATE_DIR WORK_DIR  (it is stopped: copies are tampered and verified)

live: real actions (an account, users, logins good and bad, a real agent's enrollment and job
result, host tags, a rolled-back request) and their entries with actor, source, before/after
and no secret; tenant isolation; verify; export -> offline verify; every byte flipped ->
offline verify fails.
tamper: with the sqlite3 CLI on copies of the stopped server's store: an edited entry, an
edited column, a rewritten chain (hashes recomputed, no key), a deleted middle row, two rows
swapped, the newest rows deleted (with and without the head row rewound, with and without the
anchor file): a fleetpatchd started on each copy names the seq and what.
"""
import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fpapi  # noqa: E402

MODE, STATE, WORK = sys.argv[1], sys.argv[2], sys.argv[3]
CLI = os.environ["FLEETPATCH"]
PASSWORD = "correct horse battery"


def cli(srv, *args, token=None):
    env = dict(os.environ, FLEETPATCH_SERVER=srv.url, FLEETPATCH_TOKEN=token or srv.admin,
               FLEETPATCH_CACERT=srv.ca, FLEETPATCH_CLI_CONFIG=os.path.join(WORK, "cli.json"))
    p = subprocess.run([CLI] + list(args), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                       env=env, timeout=600)
    return p.returncode, p.stdout.decode(errors="replace"), p.stderr.decode(errors="replace")


def offline(path, full=False):
    pub = os.path.join(STATE, "keys", "signing.pub")
    args = [CLI, "audit", "verify", "--file", path, "--key", pub] + (["--full"] if full else [])
    p = subprocess.run(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=600)
    return p.returncode, p.stdout.decode(errors="replace") + p.stderr.decode(errors="replace")


def entries(s, token=None, query=""):
    return s.must("audit list", "GET", "/v1/audit?limit=1000" + query, token or s.admin)["entries"]


def find(es, **want):
    return [e for e in es if all(e.get(k) == v for k, v in want.items())]


def live():
    s = fpapi.Server(STATE)
    A = s.admin
    s.must("account", "POST", "/v1/accounts", A, body={"name": "acme"})
    s.must("account other", "POST", "/v1/accounts", A, body={"name": "other"})
    s.must("user bob", "POST", "/v1/users", A, body={
        "name": "bob", "password": PASSWORD, "grants": [{"account": "acme", "role": "viewer"}]})
    bob = s.must("login bob", "POST", "/v1/auth/login", None,
                 body={"user": "bob", "password": PASSWORD})["token"]
    s.expect("bad login", "POST", "/v1/auth/login", None, 401, "unauthenticated",
             body={"user": "bob", "password": "not the password"})
    api_tok = s.must("token", "POST", "/v1/tokens", A, body={"name": "ci"})["token"]
    enroll = s.must("enroll token", "POST", "/v1/accounts/acme/enroll-tokens", A,
                    body={"uses": 1})["token"]
    dpkg = os.path.join(os.environ["FP_SHARED_DATA"], "inventory", "debian12-dpkg-status")
    agent = os.environ["FLEETPATCH_AGENT"]
    state = fpapi.run_agent(agent, s, WORK, "web-1", enroll, dpkg, "c" * 32)
    host = s.must("hosts", "GET", "/v1/hosts", A)["hosts"][0]["id"]
    s.must("tags", "PUT", "/v1/hosts/%s/tags" % host, A, body={"tags": {"tier": "web"}})
    job = s.must("scan job", "POST", "/v1/hosts/%s/jobs" % host, A, body={"type": "scan"})["id"]
    fpapi.run_agent(agent, s, WORK, "web-1", enroll, dpkg, "c" * 32)  # runs the job
    for _ in range(100):
        if s.must("job", "GET", "/v1/jobs/" + job, A)["status"] in ("succeeded", "failed"):
            break
        time.sleep(0.1)
    del state

    es = entries(s)
    by_action = {}
    for e in es:
        by_action.setdefault(e["action"], []).append(e)
    acc = find(es, action="account.create", target="acme")
    s.ok(len(acc) == 1 and acc[0]["actor"] == "user:admin" and acc[0]["source"] == "127.0.0.1"
         and acc[0]["token"] and acc[0]["after"].get("name") == "acme",
         "account.create entry: " + json.dumps(acc))
    uc = find(es, action="user.create", target="bob")
    s.ok(len(uc) == 1 and uc[0]["after"]["password"] == "[redacted]",
         "user.create with the password redacted: " + json.dumps(uc))
    li = find(es, action="user.login", actor="user:bob")
    s.ok(len(li) == 1 and li[0]["after"]["password"] == "[redacted]",
         "login entry: " + json.dumps(li))
    lf = find(es, action="user.login_failed", target="bob")
    s.ok(len(lf) == 1 and lf[0]["actor"] == "anonymous" and lf[0]["source"] == "127.0.0.1",
         "failed login on record (its own transaction): " + json.dumps(lf))
    en = find(es, action="agent.enroll", actor="agent:" + host)
    s.ok(len(en) == 1 and en[0]["account"] == "acme" and en[0]["target"] == host,
         "enrollment entry: " + json.dumps(en))
    tg = find(es, action="host.tags", target=host)
    s.ok(len(tg) == 1 and tg[0]["before"] == {"tags": {}} and
         tg[0]["after"] == {"tags": {"tier": "web"}} and tg[0]["account"] == "acme",
         "host.tags before/after: " + json.dumps(tg))
    jc = find(es, action="job.create", target=host + "/" + job)
    s.ok(len(jc) == 1 and jc[0]["actor"] == "user:admin" and jc[0]["account"] == "acme" and
         jc[0]["after"].get("type") == "scan", "job.create names host/job: " + json.dumps(jc))
    jf = find(es, action="job.finish", target=job)
    s.ok(len(jf) == 1 and jf[0]["actor"] == "agent:" + host and
         jf[0]["after"]["status"] == "succeeded" and jf[0]["account"] == "acme",
         "job result entry: " + json.dumps(jf))
    s.ok(not find(es, action="agent.checkin"), "check-ins are not logged")
    text = json.dumps(es)
    for secret in (bob, api_tok, enroll, PASSWORD, bob[21:], api_tok[21:]):
        s.ok(secret not in text, "a secret in the audit log: " + secret[:12] + "...")
    seqs = [e["seq"] for e in es]
    s.ok(seqs == list(range(len(es), 0, -1)), "seqs newest first without gaps: %s" % seqs)

    # a rolled-back request leaves no entry: the duplicate account, and a user whose grant
    # names a missing account (the user row is written, then the request fails)
    head = entries(s, query="&limit=1")[0]["seq"]
    s.expect("duplicate account", "POST", "/v1/accounts", A, 409, body={"name": "acme"})
    st, _ = s.expect("user with a bad grant", "POST", "/v1/users", A, (400, 404), body={
        "name": "carol", "grants": [{"account": "nosuch", "role": "viewer"}]})
    s.ok(entries(s, query="&limit=1")[0]["seq"] == head, "a failed request appended an entry")
    s.ok(not [u for u in s.must("users", "GET", "/v1/users", A)["users"] if u["name"] == "carol"],
         "the failed user creation left the user")

    # tenant isolation: bob (viewer of acme) sees acme's entries only; other's not at all
    be = entries(s, bob)
    s.ok(be and all(e["account"] == "acme" for e in be), "bob's list: %s" %
         sorted({e["account"] for e in be}))
    s.expect("bob lists other", "GET", "/v1/audit?account=other", bob, 404, "not_found")
    s.expect("bob verifies", "GET", "/v1/audit/verify", bob, 403, "forbidden")
    s.expect("bob exports all", "GET", "/v1/audit/export?from=0&to=1000", bob, 403, "forbidden")
    filt = entries(s, query="&actor=user:bob")
    s.ok(filt and all(e["actor"] == "user:bob" for e in filt), "actor filter")
    filt = entries(s, query="&action=user.")
    s.ok(filt and all(e["action"].startswith("user.") for e in filt), "action prefix filter")
    page = s.must("page", "GET", "/v1/audit?limit=2", A)
    s.ok(len(page["entries"]) == 2 and page["next_before"] == page["entries"][1]["seq"],
         "paging: " + json.dumps(page)[:200])

    # verification on the server, and through the CLI
    v = s.must("verify", "GET", "/v1/audit/verify?full=true", A)
    s.ok(v["ok"] and v["entries"] == len(es) and v["problems"] == [], "verify: " + json.dumps(v))
    rc, out, err = cli(s, "audit", "verify")
    s.ok(rc == 0 and out.startswith("ok:"), "cli verify: %d %s %s" % (rc, out, err))

    # export -> offline verification; any byte flipped fails it
    now = int(time.time())
    exp = os.path.join(WORK, "export.jsonl")
    rc, out, err = cli(s, "audit", "export", "--from", str(now - 86400), "--to", str(now + 60),
                       "-o", exp)
    s.ok(rc == 0 and os.path.getsize(exp) > 0, "cli export: %d %s" % (rc, err))
    with open(exp, "rb") as f:
        data = f.read()
    lines = data.split(b"\n")
    s.ok(len(lines) == len(es) + 3, "export lines: %d for %d entries" % (len(lines), len(es)))
    rc, out = offline(exp)
    s.ok(rc == 0 and out.startswith("ok: %d entries" % len(es)), "offline verify: " + out)
    rc, out = offline(exp, full=True)
    s.ok(rc == 0 and "every signature" in out, "offline verify --full: " + out)
    flipped = os.path.join(WORK, "flipped.jsonl")
    step = max(1, len(data) // 400)
    positions = sorted(set(list(range(0, len(data), step)) + [len(data) - 1, len(data) - 2]))
    survived = []
    for pos in positions:
        b = bytearray(data)
        b[pos] ^= 0x01
        with open(flipped, "wb") as f:
            f.write(bytes(b))
        rc, out = offline(flipped)
        if rc != 1 or "line " not in out:
            survived.append((pos, rc, out.strip()[:200]))
    s.ok(not survived, "flipped bytes that offline verify did not refuse: %s" % survived[:5])
    print("ok: %d single-byte flips refused" % len(positions))
    # the message names the line and the seq of the entry that was changed
    b = bytearray(data)
    third = data.index(b"\n", data.index(b"\n", data.index(b"\n") + 1) + 1) + 1  # line 4
    i = data.index(b'"actor":"', third) + 9
    b[i] = ord("X")
    with open(flipped, "wb") as f:
        f.write(bytes(b))
    rc, out = offline(flipped)
    s.ok(rc == 1 and "line 4: seq 3:" in out and "edited" in out, "named entry: " + out)
    # an account's export: its entries only, verified too
    rc, out, err = cli(s, "audit", "export", "--from", str(now - 86400), "--to", str(now + 60),
                       "--account", "acme", "-o", exp, token=bob)
    s.ok(rc == 0, "bob exports acme: %s" % err)
    rc, out = offline(exp, full=True)
    s.ok(rc == 0 and "account acme" in out, "offline verify of acme's export: " + out)
    # the period limit (FP_AUDIT_EXPORT_MAX_DAYS) at and one second past it, named; the page
    # limit (FP_AUDIT_LIST_MAX) at and past it
    s.expect("a period of 366 days", "GET", "/v1/audit/export?from=%d&to=%d"
             % (now - 366 * 86400, now), A, 200)
    st, doc = s.expect("a period too long", "GET", "/v1/audit/export?from=%d&to=%d"
                       % (now - 366 * 86400 - 1, now), A, 400, "invalid_request")
    s.ok("FP_AUDIT_EXPORT_MAX_DAYS" in json.dumps(doc), "the limit is named: " + json.dumps(doc))
    s.expect("a page of 1000", "GET", "/v1/audit?limit=1000", A, 200)
    s.expect("a page of 1001", "GET", "/v1/audit?limit=1001", A, 400, "invalid_request")
    s.expect("export without to", "GET", "/v1/audit/export?from=0", A, 400, "invalid_request")
    s.expect("export to before from", "GET", "/v1/audit/export?from=10&to=5", A, 400,
             "invalid_request")
    key = s.must("key", "GET", "/v1/audit/key", bob)
    with open(os.path.join(STATE, "keys", "signing.pub")) as f:
        s.ok(key["public_key"] == f.read().strip(), "GET /v1/audit/key is signing.pub")
    v = s.must("verify at the end", "GET", "/v1/audit/verify", A)
    s.ok(v["ok"], "verify at the end: " + json.dumps(v))
    with open(os.path.join(WORK, "count"), "w") as f:
        f.write(str(v["entries"]))
    s.done("audit live")


# ---- tampering ----

def start(state):
    log = open(os.path.join(state + ".log"), "w")
    p = subprocess.Popen([os.environ["FLEETPATCHD"], "--state-dir", state, "--port", "0"],
                         stdout=log, stderr=subprocess.STDOUT)
    url = os.path.join(state, "fleetpatchd.url")
    for _ in range(600):
        if os.path.exists(url) and os.path.getsize(url) > 0:
            break
        if p.poll() is not None:
            print("FAIL: fleetpatchd exited on " + state)
            sys.exit(1)
        time.sleep(0.1)
    return p


def stop(p):
    p.terminate()
    p.wait(timeout=60)


def sql(db, script):
    subprocess.run(["sqlite3", db], input=script.encode(), check=True, timeout=60)


def rechain(db, seq):
    """Edit entry seq and recompute every hash from there and the head's hash (not the
    signatures: the attacker has no key)."""
    c = sqlite3.connect(db)
    rows = c.execute("SELECT seq, entry, hash FROM audit_log WHERE seq >= ? - 1 ORDER BY seq",
                     (seq,)).fetchall()
    prev = bytes.fromhex(rows[0][2]) if rows[0][0] == seq - 1 else bytes(32)
    for s_, entry, _ in rows:
        if s_ < seq:
            continue
        e = json.loads(entry)
        if s_ == seq:
            e["actor"] = "user:mallory"
        e["prev"] = prev.hex()
        text = json.dumps(e, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        h = hashlib.sha256(prev + text.encode()).digest()
        c.execute("UPDATE audit_log SET entry = ?, hash = ?, actor = ? WHERE seq = ?",
                  (text, h.hex(), e["actor"], s_))
        prev = h
    c.execute("UPDATE audit_head SET hash = ?", (prev.hex(),))
    c.commit()
    c.close()


def tamper():
    with open(os.path.join(WORK, "count")) as f:
        n = int(f.read())
    mid = n // 2
    cases = [
        ("edited entry", "UPDATE audit_log SET entry = replace(entry, '\"tier\":\"web\"', "
         "'\"tier\":\"www\"') WHERE action = 'host.tags';", None, "does not match its hash"),
        ("edited column", "UPDATE audit_log SET actor = 'user:mallory' WHERE seq = %d;" % mid,
         mid, "actor column differs"),
        ("rewritten chain", rechain, mid, "signature does not match"),
        ("deleted middle row", "DELETE FROM audit_log WHERE seq = %d;" % mid, mid,
         "missing (removed)"),
        ("swapped rows", "UPDATE audit_log SET seq = -1 WHERE seq = %d;"
         "UPDATE audit_log SET seq = %d WHERE seq = %d;"
         "UPDATE audit_log SET seq = %d WHERE seq = -1;" % (mid, mid, mid + 1, mid + 1), mid,
         "reordered"),
        ("newest rows deleted", "DELETE FROM audit_log WHERE seq > %d;" % (n - 3), n - 2,
         "truncated"),
        ("newest rows deleted, head rewound", "DELETE FROM audit_log WHERE seq > %d;"
         "UPDATE audit_head SET (seq, time, hash, sig) = (SELECT seq, time, hash, sig FROM "
         "audit_log WHERE seq = %d);" % (n - 3, n - 3), n - 2, "truncated"),
        ("newest rows deleted, head rewound, anchor file removed",
         "DELETE FROM audit_log WHERE seq > %d;"
         "UPDATE audit_head SET (seq, time, hash, sig) = (SELECT seq, time, hash, sig FROM "
         "audit_log WHERE seq = %d);" % (n - 3, n - 3), n - 3, "head's signature does not match"),
        ("anchor file edited", None, n, "signature does not match"),
    ]
    failures = []
    checks = 0
    for i, (name, change, seq, what) in enumerate(cases):
        copy = os.path.join(WORK, "tamper%d" % i)
        shutil.copytree(STATE, copy)
        for f in ("fleetpatchd.url",):
            if os.path.exists(os.path.join(copy, f)):
                os.remove(os.path.join(copy, f))
        db = os.path.join(copy, "fleetpatch.db")
        if not os.path.exists(db):
            db = [os.path.join(copy, f) for f in os.listdir(copy) if f.endswith(".db")][0]
        if callable(change):
            change(db, seq)
        elif change:
            sql(db, change)
        if "removed" in name:
            os.remove(os.path.join(copy, "audit.head"))
        if name == "anchor file edited":
            with open(os.path.join(copy, "audit.head")) as f:
                a = json.load(f)
            a["time"] += 1
            with open(os.path.join(copy, "audit.head"), "w") as f:
                json.dump(a, f)
        p = start(copy)
        try:
            s = fpapi.Server(copy)
            v = s.must("verify " + name, "GET", "/v1/audit/verify", s.admin)
            probs = v["problems"]
            hit = [q for q in probs if (seq is None or q["seq"] == seq) and what in q["what"]]
            checks += 1
            if v["ok"] or not hit:
                failures.append("%s: want seq %s '%s', got %s" % (name, seq, what,
                                                                 json.dumps(probs)))
            else:
                print("ok: %s detected: seq %s: %s" % (name, hit[0]["seq"], hit[0]["what"]))
            if i == 0:
                rc, out, _ = cli(s, "audit", "verify")
                checks += 1
                if rc != 1 or "seq " not in out:
                    failures.append("cli verify of a tampered log: %d %s" % (rc, out))
        finally:
            stop(p)
    if "removed" not in cases[7][0]:
        failures.append("case table")
    for f in failures:
        print("FAIL: " + f)
    if failures:
        print("audit tamper: %d of %d checks failed" % (len(failures), checks))
        sys.exit(1)
    print("audit tamper: all %d checks passed" % checks)


if MODE == "live":
    live()
else:
    tamper()
