"""Notifications end to end (tests/integration/notify.sh; docs/notifications.md).

A real SMTP server (aiosmtpd, STARTTLS required, a certificate the test made) and a real HTTP
receiver on loopback, both in this process, started before a real fleetpatchd configured to
use them (notify_allow_private = 1: the receiver is on loopback). The receiver checks each webhook's HMAC-SHA256 signature with its own code.
Events come from real actions: a KEV exposure at check-in (a vulnerability database with a
KEV entry on the test package), a host marked for catch-up (a replayed check-in), a change
request submitted (change.approval) and approved (maintenance.planned). An unreachable
webhook, a webhook answering 503 and a recipient the SMTP server refuses are retried with
backoff (checked on the signed timestamps) and end in the dead-letter list; requeued after
the receiver is fixed, they arrive. An invalid template is refused at creation with its
position. A delivery in flight when fleetpatchd stops is sent after the restart.

Run with Debian's python3 (aiosmtpd): notify.py WORKDIR CERTDIR
"""
import email
import email.policy
import hashlib
import hmac
import http.server
import json
import os
import socket
import ssl
import subprocess
import sys
import threading
import time
import uuid

from aiosmtpd.controller import Controller

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fpapi  # noqa: E402

WORK, CERTS = sys.argv[1], sys.argv[2]
FLEETPATCHD = os.environ["FLEETPATCHD"]
FLEETPATCH = os.environ["FLEETPATCH"]
SHARED = os.environ["FP_SHARED_DATA"]
SECRET = "webhook-secret-0123456789"
failures = []
checks = [0]


def ok(cond, what):
    checks[0] += 1
    if not cond:
        failures.append(what)
        print("FAIL: " + what, flush=True)
    return cond


def free_port():
    with socket.socket() as so:
        so.bind(("127.0.0.1", 0))
        return so.getsockname()[1]


def wait_for(what, cond, limit=180):
    """Poll cond until true; the limit only keeps a broken run from hanging."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        v = cond()
        if v:
            return v
        time.sleep(0.2)
    ok(False, "timed out waiting for " + what)
    return None


# ---- the SMTP server: every message accepted is written to WORK/mail/N.eml ----
MAIL = os.path.join(WORK, "mail")
os.makedirs(MAIL)
smtp_state = {"refuse": {"refuse@example.org"}, "n": 0, "refused": []}
lock = threading.Lock()


class Handler:
    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in smtp_state["refuse"]:
            with lock:
                smtp_state["refused"].append(time.time())
            return "550 5.7.1 <%s>: refused by the test" % address
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with lock:
            smtp_state["n"] += 1
            n = smtp_state["n"]
        meta = {"tls": session.ssl is not None, "from": envelope.mail_from,
                "to": envelope.rcpt_tos}
        with open(os.path.join(MAIL, "%04d.eml" % n), "wb") as f:
            f.write(envelope.original_content or envelope.content)
        with open(os.path.join(MAIL, "%04d.json" % n), "w") as f:
            json.dump(meta, f)
        return "250 Message accepted"


tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
tls.load_cert_chain(os.path.join(CERTS, "smtp.pem"), os.path.join(CERTS, "smtp.key"))
SMTP_PORT = free_port()
smtp = Controller(Handler(), hostname="127.0.0.1", port=SMTP_PORT, tls_context=tls,
                  require_starttls=True)
smtp.start()


def mails():
    out = []
    for n in sorted(os.listdir(MAIL)):
        if n.endswith(".eml"):
            with open(os.path.join(MAIL, n), "rb") as f:
                msg = email.message_from_bytes(f.read(), policy=email.policy.default)
            with open(os.path.join(MAIL, n[:-4] + ".json")) as f:
                meta = json.load(f)
            out.append((msg, meta))
    return out


# ---- the HTTP receiver: /ok records, /fail answers 503, /hang holds the first request ----
hooks = {"ok": [], "fail": [], "hang": []}
modes = {"fail": 503, "hang": "hold"}
hang_seen = threading.Event()


def verify(headers, body):
    """The receiver's own check: t=TS,v1=HEX over "TS.BODY" with the shared secret."""
    sig = headers.get("X-Fleetpatch-Signature", "")
    parts = dict(p.split("=", 1) for p in sig.split(",") if "=" in p)
    if "t" not in parts or "v1" not in parts:
        return False, 0
    want = hmac.new(SECRET.encode(), (parts["t"] + ".").encode() + body, hashlib.sha256)
    return hmac.compare_digest(want.hexdigest(), parts["v1"]), int(parts["t"])


class Receiver(http.server.BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        good, ts = verify(self.headers, body)
        path = self.path.strip("/")
        rec = {"valid": good, "t": ts, "doc": json.loads(body), "event":
               self.headers.get("X-Fleetpatch-Event"), "delivery":
               self.headers.get("X-Fleetpatch-Delivery")}
        with lock:
            hooks.setdefault(path, []).append(rec)
        mode = modes.get(path, 200)
        if mode == "hold":
            hang_seen.set()
            time.sleep(8)  # longer than notify_timeout: the sender gives up first
            mode = 503
        self.send_response(mode if isinstance(mode, int) else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()


HTTP_PORT = free_port()
httpd = http.server.ThreadingHTTPServer(("127.0.0.1", HTTP_PORT), Receiver)
threading.Thread(target=httpd.serve_forever, daemon=True).start()
HOOK = "http://127.0.0.1:%d/" % HTTP_PORT
DOWN = "http://127.0.0.1:%d/" % free_port()  # nothing listens there

# ---- fleetpatchd ----
STATE = os.path.join(WORK, "srv")
os.makedirs(STATE, mode=0o700)
with open(os.path.join(WORK, "tracker.json"), "w") as f:
    json.dump({"hello-fp": {"CVE-2014-0160": {
        "description": "a KEV entry on the test package",
        "releases": {"bookworm": {"status": "resolved", "repositories": {},
                                  "fixed_version": "2.0", "urgency": "high"}}}}}, f)
imp = subprocess.run([FLEETPATCH, "feeds", "import",
                      os.path.join(SHARED, "kev", "known_exploited_vulnerabilities.json"),
                      os.path.join(WORK, "tracker.json")],
                     env=dict(os.environ, FLEETPATCH_DB=os.path.join(STATE, "vuln.db")),
                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
if imp.returncode:
    print("FAIL: feeds import: " + imp.stdout.decode(errors="replace"))
    sys.exit(1)
CONF = os.path.join(WORK, "fleetpatchd.conf")
with open(CONF, "w") as f:
    f.write("smtp_url = smtp://127.0.0.1:%d\nsmtp_from = fleetpatch@example.org\n"
            "smtp_ca_file = %s\nsmtp_starttls = required\nnotify_retry_base = 1\n"
            "notify_retry_max = 8\nnotify_max_attempts = 3\nnotify_timeout = 3\n"
            "notify_window_lead = 90000\nnotify_allow_private = 1\nscheduler_interval = 1\n" % (SMTP_PORT, os.path.join(CERTS, "ca.pem")))
LOG = open(os.path.join(WORK, "server.log"), "ab")
proc = [None]


def start_server():
    url = os.path.join(STATE, "fleetpatchd.url")
    if os.path.exists(url):
        os.unlink(url)
    proc[0] = subprocess.Popen([FLEETPATCHD, "--state-dir", STATE, "--port", "0", "--config",
                                CONF], stdout=LOG, stderr=LOG)
    if not wait_for("fleetpatchd's URL", lambda: os.path.exists(url) and os.path.getsize(url)
                    or proc[0].poll() is not None, 60) or proc[0].poll() is not None:
        print("FAIL: fleetpatchd did not start")
        sys.exit(1)
    return fpapi.Server(STATE)


def cli(*args):
    env = dict(os.environ, FLEETPATCH_SERVER=s.url, FLEETPATCH_TOKEN=s.admin,
               FLEETPATCH_CACERT=s.ca)
    return subprocess.run([FLEETPATCH] + list(args), env=env, stdout=subprocess.PIPE,
                          stderr=subprocess.PIPE, text=True, timeout=120)


def stop_server():
    proc[0].terminate()
    proc[0].wait(60)


try:
    s = start_server()
    ADMIN = s.admin
    A = "/v1/accounts/default"

    # ---- users and subscriptions ----
    for name, role in (("alice", "viewer"), ("author", "operator"), ("approver", "approver")):
        s.must("user " + name, "POST", "/v1/users", ADMIN,
               body={"name": name, "password": "correct horse battery",
                     "grants": [{"account": "default", "role": role}]})
    tok = {n: s.must("login " + n, "POST", "/v1/auth/login", None,
                     body={"user": n, "password": "correct horse battery"})["token"]
           for n in ("alice", "author", "approver")}
    EVENTS = ["change.approval", "host.catchup", "exposure.kev", "maintenance.planned"]

    def sub(what, body, token=ADMIN, want=201):
        st, doc, _, _ = s.call("POST", A + "/subscriptions", token, body=body)
        ok(st == want, "%s: %s %s, want %s" % (what, st, doc, want))
        return doc

    w_ok = sub("webhook ok", {"events": EVENTS, "channel": "webhook", "url": HOOK + "ok",
                              "secret": SECRET,
                              "body": "{{type}} for {{account}}: {{data.hostname}}"})
    ok("secret" not in w_ok and w_ok.get("secret_set") is True,
       "the secret is shown back: %s" % w_ok)
    e_ok = sub("email ok", {"events": EVENTS, "channel": "email", "to": ["ops@example.org"],
                            "subject": "[fp] {{subject}}"})
    w_fail = sub("webhook 503", {"events": ["host.catchup"], "channel": "webhook",
                                 "url": HOOK + "fail", "secret": SECRET})
    w_down = sub("webhook unreachable", {"events": ["host.catchup"], "channel": "webhook",
                                         "url": DOWN, "secret": SECRET})
    e_refuse = sub("email refused", {"events": ["host.catchup"], "channel": "email",
                                     "to": ["refuse@example.org"]})
    # an invalid template is refused at creation, with the position
    st, doc, _, _ = s.call("POST", A + "/subscriptions", ADMIN, body={
        "events": ["host.catchup"], "channel": "email", "to": ["x@example.org"],
        "subject": "Host {{data.hostname}} {{nope}}"})
    ok(st == 400 and doc["error"]["code"] == "invalid_template" and
       "position 24" in doc["error"]["message"] and "{{nope}}" in doc["error"]["message"],
       "an unknown placeholder: %s %s" % (st, doc))
    st, doc, _, _ = s.call("POST", A + "/subscriptions", ADMIN, body={
        "events": ["host.catchup"], "channel": "webhook", "url": HOOK + "ok", "secret": SECRET,
        "body": "{{type} and more"})
    ok(st == 400 and "'{{' without '}}' at position 1" in doc["error"]["message"],
       "unbalanced braces: %s %s" % (st, doc))
    st, doc, _, _ = s.call("POST", A + "/subscriptions", ADMIN, body={
        "events": ["host.nope"], "channel": "webhook", "url": HOOK + "ok", "secret": SECRET})
    ok(st == 400 and "is not an event type" in doc["error"]["message"],
       "an unknown event type: %s %s" % (st, doc))
    # an admin may subscribe another user only if that user may read the account
    s.must("user stranger", "POST", "/v1/users", ADMIN,
           body={"name": "stranger", "password": "correct horse battery"})
    st, doc, _, _ = s.call("POST", A + "/subscriptions", ADMIN, body={
        "user": "stranger", "events": ["host.catchup"], "channel": "webhook",
        "url": HOOK + "ok", "secret": SECRET})
    ok(st == 400 and doc["error"].get("field") == "user" and
       "no grant on account 'default'" in doc["error"]["message"],
       "a subscription for a user without a grant: %s %s" % (st, doc))
    # a viewer manages her own subscriptions only
    mine = sub("alice's own", {"events": ["host.catchup"], "channel": "webhook",
                               "url": HOOK + "alice", "secret": SECRET}, tok["alice"])
    sub("alice for a group", {"group": "x", "events": ["host.catchup"], "channel": "webhook",
                              "url": HOOK + "ok", "secret": SECRET}, tok["alice"], 403)
    st, doc, _, _ = s.call("GET", A + "/subscriptions", tok["alice"])
    ok(st == 200 and [x["id"] for x in doc["subscriptions"]] == [mine["id"]],
       "alice lists only hers: %s" % doc)
    st, _, _, _ = s.call("GET", A + "/subscriptions/" + w_ok["id"], tok["alice"])
    ok(st == 404, "alice reads the admin's subscription: %s" % st)
    st, doc, _, _ = s.call("GET", A + "/subscriptions", ADMIN)
    ok(st == 200 and len(doc["subscriptions"]) == 6, "the admin lists all 6: %s" % doc)
    # a group with an address; its subscription without "to" mails the group
    s.must("group", "POST", A + "/groups", ADMIN,
           body={"name": "db-team", "members": ["alice"], "emails": ["dba@example.org"]})
    g_sub = sub("group's", {"group": "db-team", "events": ["host.catchup"], "channel": "email"})
    sub("windows", {"events": ["window.starting"], "channel": "webhook", "url": HOOK + "win",
                    "secret": SECRET})
    print("ok: subscriptions (webhook, email, group), templates checked, roles", flush=True)

    # the CLI: subscribe with the secret from a file, list, refuse a bad template, remove
    with open(os.path.join(WORK, "secret"), "w") as f:
        f.write(SECRET + "\n")
    p = cli("notify", "subscribe", "--webhook", HOOK + "cli", "--secret-file",
            os.path.join(WORK, "secret"), "--event", "rollout.halted", "--event", "sla.breach")
    cli_id = p.stdout.strip()
    ok(p.returncode == 0 and len(cli_id) == 16, "notify subscribe: %s" % (p.stdout + p.stderr))
    p = cli("notify", "ls")
    ok(p.returncode == 0 and cli_id in p.stdout and SECRET not in p.stdout,
       "notify ls: %s" % p.stdout)
    p = cli("notify", "subscribe", "--email", "x@example.org", "--event", "sla.breach",
            "--subject", "{{data.host}")
    ok(p.returncode != 0 and "position 1" in p.stderr, "a bad template by the CLI: %s"
       % p.stderr)
    p = cli("notify", "rm", cli_id)
    ok(p.returncode == 0 and cli_id not in cli("notify", "ls").stdout, "notify rm: %s" % p.stderr)
    p = cli("notify", "groups", "set", "ops", "--email", "ops@example.org")
    ok(p.returncode == 0 and "ops" in cli("notify", "groups").stdout, "notify groups set")
    p = cli("notify", "groups", "rm", "ops")
    ok(p.returncode == 0, "notify groups rm: %s" % p.stderr)
    print("ok: fleetpatch notify subscribe / ls / rm / groups", flush=True)

    # ---- real actions ----
    enroll = s.must("enroll token", "POST", A + "/enroll-tokens", ADMIN,
                    body={"uses": 10})["token"]

    def host(name):
        doc = s.must("enroll " + name, "POST", "/v1/agent/enroll", enroll,
                     body={"hostname": name, "facts": {"hostname": name,
                                                       "machine_id": uuid.uuid4().hex}})
        return doc["host_id"], doc["credential"]

    INV = {"family": "deb", "distro": "debian", "release": "bookworm",
           "packages": [{"name": "hello-fp", "arch": "all", "version": "1.0",
                         "source": "hello-fp", "source_version": "1.0"}],
           "updates": [{"name": "hello-fp", "arch": "all", "installed": "1.0",
                        "candidate": "2.0", "origin": "Debian", "security": True}]}
    H1, C1 = host("web-1")
    s.must("web-1 inventory", "POST", "/v1/agent/checkin", C1,
           body={"seq": 5, "facts": {"hostname": "web-1"}, "inventory": INV,
                 "inventory_hash": fpapi.inventory_hash(INV)})
    ok(s.must("web-1", "GET", "/v1/hosts/" + H1, ADMIN)["kev"] == 1, "web-1 has no KEV finding")
    # a replayed check-in: the host is marked for catch-up (revert)
    st, _, _, _ = s.call("POST", "/v1/agent/checkin", C1, body={"seq": 5,
                                                                "inventory_hash": "0" * 64})
    ok(st == 409, "a replayed check-in: %s, want 409" % st)
    START = time.strftime("%Y-%m-%dT%H:00:00", time.gmtime(time.time() - 3600))
    s.must("window", "POST", A + "/windows", ADMIN, body={
        "name": "all-day", "mode": "absolute", "tz": "Europe/Berlin", "rrule": "FREQ=DAILY",
        "start": START, "duration": 14400, "cutoff": 3600})
    s.must("baseline", "POST", A + "/baselines", ADMIN, body={
        "name": "deb-all", "family": "deb", "selector": {},
        "rules": [{"classification": ["security", "bugfix", "other"], "after_days": 0}]})
    cr = s.must("change request", "POST", "/v1/change-requests", tok["author"], body={
        "account": "default", "title": "hello-fp 2.0", "baseline": "deb-all",
        "window": "all-day", "targets": {"hosts": [H1]}})["id"]
    s.must("submit", "POST", "/v1/change-requests/%s/submit" % cr, tok["author"], body={})
    s.must("approve", "POST", "/v1/change-requests/%s/approve" % cr, tok["approver"], body={})

    # ---- what arrives ----
    def hook_types():
        return sorted(r["event"] for r in hooks["ok"])
    wait_for("4 webhooks at /ok", lambda: len(hooks["ok"]) >= 4)
    ok(hook_types() == sorted(EVENTS), "webhooks at /ok: %s" % hook_types())
    for r in hooks["ok"]:
        d = r["doc"]
        ok(r["valid"], "%s: the signature does not verify" % r["event"])
        ok(d["type"] == r["event"] and d["account"] == "default" and d["attempt"] == 1 and
           str(d["delivery"]) == r["delivery"], "webhook body: %s" % d)
        if d["type"] == "exposure.kev":
            ok(d["data"]["host"] == H1 and d["data"]["count"] == 1 and d["data"]["before"] == 0 and
               d["text"] == "exposure.kev for default: web-1", "exposure.kev: %s" % d)
        if d["type"] == "host.catchup":
            ok(d["data"]["reasons"] == ["revert"], "host.catchup: %s" % d)
        if d["type"] == "change.approval":
            ok(d["data"]["change_request"] == cr and d["data"]["author"] == "author",
               "change.approval: %s" % d)
        if d["type"] == "maintenance.planned":
            o = d["data"]["openings"]
            ok(len(o) == 1 and o[0]["zone"] == "Europe/Berlin" and
               o[0]["opens_utc"].endswith("UTC") and "(Europe/Berlin)" in o[0]["opens_local"],
               "maintenance.planned: %s" % d)
    print("ok: 4 signed webhooks from real actions (KEV at check-in, catch-up, submit, approve)",
          flush=True)

    def mail_for(rcpt):
        return [(m, meta) for m, meta in mails() if rcpt in meta["to"]]
    wait_for("4 emails to ops@", lambda: len(mail_for("ops@example.org")) >= 4)
    got = mail_for("ops@example.org")
    subjects = sorted(str(m["Subject"]) for m, _ in got)
    ok(len(got) == 4 and all(x.startswith("[fp] ") for x in subjects), "subjects: %s" % subjects)
    # the group's subscription takes events addressed to the group only (data.group)
    ok(not mail_for("dba@example.org"), "the group got events not addressed to it")
    for m, meta in got:
        ok(meta["tls"], "a message came without STARTTLS")
        ok(m["Date"] and m["Message-ID"] and m["From"] == "fleetpatch@example.org" and
           m["X-Fleetpatch-Event"] in EVENTS and m.get_content_type() == "text/plain",
           "headers: %s" % dict(m.items()))
    planned = [m for m, _ in got if m["X-Fleetpatch-Event"] == "maintenance.planned"]
    ok(planned and "Europe/Berlin" in planned[0].get_content() and
       "opens_utc" in planned[0].get_content(), "the maintenance notice's text")
    print("ok: 4 emails over STARTTLS with Date, Message-ID, From; none to the group",
          flush=True)

    # the daily window opened an hour ago; its next opening is within notify_window_lead
    wait_for("window.starting", lambda: hooks.get("win"))
    w = hooks["win"][0]
    o = w["doc"]["data"]["opening"]
    ok(w["valid"] and w["event"] == "window.starting" and o["zone"] == "Europe/Berlin" and
       0 < o["opens"] - w["t"] <= 90000 and w["doc"]["data"]["change_request"] == cr,
       "window.starting: %s" % w)
    print("ok: window.starting for the next opening within the lead time", flush=True)

    # ---- retries, dead letters, requeue ----
    def dead():
        st, doc, _, _ = s.call("GET", A + "/deliveries?state=dead", ADMIN)
        return {d["subscription"]: d for d in doc["deliveries"]} if st == 200 else {}
    wait_for("3 dead letters", lambda: len(dead()) >= 3)
    dl = dead()
    ok(set(dl) == {w_fail["id"], w_down["id"], e_refuse["id"]},
       "the dead letters are not the failing three: %s" % dl)
    for sid, d in dl.items():
        ok(d["attempts"] == 3 and d["error"], "dead letter %s: %s" % (sid, d))
    ok(dl[w_fail["id"]]["status"] == 503, "the 503 is recorded: %s" % dl[w_fail["id"]])
    ok(dl[e_refuse["id"]]["status"] == 550, "the SMTP 550 is recorded: %s" % dl[e_refuse["id"]])
    ok("refused" in dl[w_down["id"]]["error"].lower() or "connect" in dl[w_down["id"]]["error"].lower(),
       "unreachable: %s" % dl[w_down["id"]]["error"])
    ts = [r["t"] for r in hooks["fail"]]
    ok(len(ts) == 3 and all(r["valid"] for r in hooks["fail"]) and ts[1] - ts[0] >= 1 and
       ts[2] - ts[1] >= 2, "backoff 1 s then 2 s between the signed attempts: %s" % ts)
    ok(len(smtp_state["refused"]) == 3, "the SMTP server refused %d times, want 3"
       % len(smtp_state["refused"]))
    # the CLI shows the same dead-letter list
    p = cli("notify", "deliveries", "--dead", "--json")
    ok(p.returncode == 0 and {d["id"] for d in json.loads(p.stdout)["deliveries"]} ==
       {d["id"] for d in dl.values()}, "fleetpatch notify deliveries --dead: %s" % p.stdout)
    p = cli("notify", "deliveries", "--dead")
    ok(p.returncode == 0 and "HTTP 503" in p.stdout and "dead" in p.stdout,
       "the dead-letter table: %s" % p.stdout)
    # fixed receivers, then requeue (one through the API, one through the CLI)
    modes["fail"] = 200
    smtp_state["refuse"] = set()
    st, doc, _, _ = s.call("POST", A + "/deliveries/%d/retry" % dl[w_fail["id"]]["id"], ADMIN)
    ok(st == 200 and doc["state"] == "pending", "requeue: %s %s" % (st, doc))
    p = cli("notify", "retry", str(dl[e_refuse["id"]]["id"]), "--json")
    ok(p.returncode == 0 and json.loads(p.stdout)["state"] == "pending",
       "fleetpatch notify retry: %s %s" % (p.returncode, p.stdout + p.stderr))
    st, doc, _, _ = s.call("POST", A + "/deliveries/%d/retry" % dl[w_fail["id"]]["id"], ADMIN)
    ok(st == 409, "a second requeue of a pending delivery: %s" % st)
    st, _, _, _ = s.call("POST", A + "/deliveries/%d/retry" % dl[w_fail["id"]]["id"],
                         tok["alice"])
    ok(st == 404, "alice requeues the admin's delivery: %s" % st)
    wait_for("the requeued webhook", lambda: len(hooks["fail"]) >= 4)
    ok(hooks["fail"][-1]["valid"] and hooks["fail"][-1]["doc"]["attempt"] == 1,
       "the requeued webhook: %s" % hooks["fail"][-1])
    wait_for("the requeued email", lambda: mail_for("refuse@example.org"))
    wait_for("both sent", lambda: not dead().get(w_fail["id"]) and not dead().get(e_refuse["id"]))
    print("ok: unreachable, 503 and SMTP 550 retried with backoff into the dead-letter list; "
          "requeued after the fix, they arrive", flush=True)

    # ---- test send ----
    st, doc, _, _ = s.call("POST", A + "/subscriptions/%s/test" % g_sub["id"], ADMIN)
    ok(st == 202 and doc["queued"] == 1, "test send: %s %s" % (st, doc))
    t = wait_for("the test email", lambda: [(m, meta) for m, meta in mail_for("dba@example.org")
                                            if "test notification" in str(m["Subject"])])
    ok(t and t[0][1]["tls"] and t[0][1]["to"] == ["dba@example.org"],
       "the test send to the group's address: %s" % (t and t[0][1]))
    print("ok: a test send of the group's subscription reaches the group's address", flush=True)

    # ---- a scheduled report (docs/compliance.md) arrives with its HTML and CSV attached ----
    sub("reports", {"events": ["report.ready"], "channel": "email", "to": ["reports@example.org"]})
    s.must("report schedule", "POST", A + "/report-schedules", ADMIN, body={
        "name": "weekly", "format": "csv", "every_days": 7, "range_days": 30,
        "start": str(int(time.time()))})
    got = wait_for("the report email", lambda: mail_for("reports@example.org"))
    if got:
        m, meta = got[0]
        parts = {p.get_filename(): p for p in m.iter_attachments()}
        html, csv = parts.get("weekly.html"), parts.get("weekly.csv")
        ok(meta["tls"] and m.get_content_type() == "multipart/mixed" and
           m["X-Fleetpatch-Event"] == "report.ready", "the report email: %s" % dict(m.items()))
        ok(html is not None and html.get_content_type() == "text/html" and
           "<html" in html.get_content().lower(), "the HTML attachment: %s" % list(parts))
        ok(csv is not None and csv.get_content_type() == "text/csv" and
           "web-1" in csv.get_content(), "the CSV attachment: %s" % list(parts))
        body = m.get_body(("plain",)).get_content()
        ok("Compliance report" in body and "<html" not in body.lower(),
           "the report email's text: %s" % body[:300])
    print("ok: report.ready by email with the report's HTML and CSV attached", flush=True)

    # ---- a delivery in flight when fleetpatchd stops is sent after the restart ----
    w_hang = sub("webhook hang", {"events": ["host.catchup"], "channel": "webhook",
                                  "url": HOOK + "hang", "secret": SECRET})
    H2, C2 = host("db-1")
    s.must("db-1 check-in", "POST", "/v1/agent/checkin", C2,
           body={"seq": 1, "facts": {"hostname": "db-1"}, "inventory_hash": "0" * 64})
    st, _, _, _ = s.call("POST", "/v1/agent/checkin", C2, body={"seq": 1,
                                                                "inventory_hash": "0" * 64})
    ok(st == 409, "db-1 replayed: %s" % st)
    wait_for("the held webhook", hang_seen.is_set)
    stop_server()  # the send in flight times out and is recorded before it exits
    modes["hang"] = 200
    first = hooks["hang"][0]
    s = start_server()
    wait_for("the webhook after the restart", lambda: len(hooks["hang"]) >= 2)
    again = hooks["hang"][-1]
    ok(again["valid"] and again["delivery"] == first["delivery"] and
       again["doc"]["attempt"] == 2 and again["doc"]["data"]["host"] == H2,
       "after the restart: %s (before: %s)" % (again, first))
    st, doc, _, _ = s.call("GET", A + "/deliveries?limit=1000", ADMIN)
    states = [d["state"] for d in doc["deliveries"]]
    ok(st == 200 and "dead" in states and "sent" in states, "deliveries after the restart")
    for bad in ("5x", "", "0", "1001"):
        st, doc, _, _ = s.call("GET", A + "/deliveries?limit=" + bad, ADMIN)
        ok(st == 400 and (doc or {}).get("error", {}).get("field") == "limit",
           "deliveries?limit=%s: %s %s" % (bad, st, doc))
    print("ok: the outbox survives a restart (attempt 2 of the same delivery, signed)", flush=True)
finally:
    if proc[0] and proc[0].poll() is None:
        stop_server()
    smtp.stop()
    httpd.shutdown()

print("notify: %d checks, %d failed" % (checks[0], len(failures)))
sys.exit(1 if failures else 0)
