"""Immutable groups end to end (docs/orchestration.md "Immutable groups") against a real
fleetpatchd: hosts enrolled over the agent protocol with the tag immutable=web get a change
request that patches nothing in place; once approved, fleetpatchd POSTs a signed webhook to a
real HTTP receiver started here, which checks the HMAC-SHA256 signature with its own code
(hmac module) and refuses the first delivery (500) so the retry is exercised; then
replacement hosts enroll with immutable=web, replaces=CR, the old hosts are decommissioned,
and the request ends done.  argv: STATE_DIR SECRET_FILE RECEIVER_PORT_FILE"""
import hashlib
import hmac
import http.server
import json
import sys
import threading
import time

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from fpapi import Server  # noqa: E402

state, secret_file, port_file = sys.argv[1:4]
key = open(secret_file, "rb").read().rstrip(b"\r\n")
received = []  # (signature ok, body dict)
lock = threading.Lock()


class Hook(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        sig = self.headers.get("X-Fleetpatch-Signature", "")
        parts = dict(p.split("=", 1) for p in sig.split(",") if "=" in p)
        want = hmac.new(key, parts.get("t", "").encode() + b"." + body, hashlib.sha256).hexdigest()
        good = hmac.compare_digest(want, parts.get("v1", "")) and \
            abs(time.time() - int(parts.get("t", "0"))) < 300
        with lock:
            received.append((good, json.loads(body)))
            first = len(received) == 1
        self.send_response(500 if first else 204)
        self.end_headers()

    def log_message(self, *a):
        pass


httpd = http.server.HTTPServer(("127.0.0.1", 0), Hook)
with open(port_file, "w") as f:
    f.write(str(httpd.server_address[1]))
threading.Thread(target=httpd.serve_forever, daemon=True).start()

# fleetpatchd is started by the shell once the port file exists
for _ in range(600):
    try:
        s = Server(state)
        break
    except OSError:
        time.sleep(0.1)
else:
    print("FAIL: fleetpatchd did not start")
    sys.exit(1)

admin = s.admin
acct = "default"
INV = {"family": "deb", "distro": "debian", "release": "bookworm",
       "packages": [{"name": "hello", "arch": "amd64", "version": "1.0",
                     "source": "hello", "source_version": "1.0"}],
       "updates": [{"name": "hello", "arch": "amd64", "installed": "1.0", "candidate": "1.1",
                    "origin": "Debian", "security": False}]}


def inv_hash(inv):
    return hashlib.sha256(json.dumps(inv, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def enroll(name, tags, machine):
    tok = s.must("enroll token", "POST", "/v1/accounts/%s/enroll-tokens" % acct, admin,
                 body={"ttl": 600, "uses": 1, "tags": tags})["token"]
    doc = s.must("enroll " + name, "POST", "/v1/agent/enroll", tok,
                 body={"hostname": name, "facts": {"hostname": name, "machine_id": machine}})
    s.must("check-in " + name, "POST", "/v1/agent/checkin", doc["credential"],
           body={"seq": 1, "facts": {"hostname": name, "machine_id": machine},
                 "inventory_hash": inv_hash(INV), "inventory": INV})
    return doc["host_id"]


old = [enroll("web-%d" % i, {"immutable": "web"}, "%032x" % (0xa0 + i)) for i in range(2)]
plain = enroll("db-1", {"role": "db"}, "%032x" % 0xb1)

s.must("baseline", "POST", "/v1/accounts/%s/baselines" % acct, admin,
       body={"name": "all", "family": "deb",
             "rules": [{"classification": ["security", "bugfix", "other"], "after_days": 0}]})
s.must("approver", "POST", "/v1/users", admin,
       body={"name": "carol", "password": "carol-password-1",
             "grants": [{"account": acct, "role": "approver"}]})
carol = s.must("login", "POST", "/v1/auth/login", body={"user": "carol",
                                                        "password": "carol-password-1"})["token"]

st, cr = s.expect("create", "POST", "/v1/change-requests", admin, 201,
                  body={"account": acct, "title": "web image", "baseline": "all",
                        "targets": {"tags": {"immutable": "web"}}})
cid = cr["id"]
s.ok(cr["update_set"]["hosts"] == 0, "nothing is patched in place: %s" % cr["update_set"])
rep = cr.get("replacements", [])
s.ok(len(rep) == 1 and rep[0]["group"] == "web" and sorted(rep[0]["retire"]) == sorted(old),
     "one replacement of group web retiring both hosts: %s" % rep)
s.ok(rep and rep[0]["updates"] == [{"name": "hello", "arch": "amd64", "version": "1.1"}],
     "the image carries the approved update: %s" % rep)
time.sleep(2)
s.ok(not received, "nothing is sent before approval")
s.expect("submit", "POST", "/v1/change-requests/%s/submit" % cid, admin, 200, body={})
s.expect("approve", "POST", "/v1/change-requests/%s/approve" % cid, carol, 200, body={})


def wait(cond, what, secs=60):
    for _ in range(secs * 10):
        v = cond()
        if v:
            return v
        time.sleep(0.1)
    s.fail("timed out: " + what)
    return None


wait(lambda: len(received) >= 2, "a retried delivery")
with lock:
    s.ok(all(g for g, _ in received), "every delivery's signature verifies")
    body = received[-1][1]
s.ok(body.get("event") == "image.rebuild" and body.get("change_request") == cid
     and body.get("group") == "web" and sorted(body.get("retire", [])) == sorted(old)
     and body.get("enroll_tags") == {"immutable": "web", "replaces": cid},
     "the webhook says what to build and whom it replaces: %s" % body)


def cr_doc():
    return s.must("cr", "GET", "/v1/change-requests/" + cid, admin)


d = wait(lambda: (lambda c: c if c["replacements"][0]["state"] == "replacing" else None)(cr_doc()),
         "state replacing")
s.ok(d and d["replacements"][0]["attempts"] >= 1, "the refused first delivery was counted")
s.ok(d and d["state"] == "running", "the request runs while hosts are replaced: %s" % (d or {}).get("state"))
new = [enroll("web-new-%d" % i, {"immutable": "web", "replaces": cid}, "%032x" % (0xc0 + i))
       for i in range(2)]
time.sleep(2)
s.ok(cr_doc()["state"] == "running", "not done while the old hosts are enrolled")
for h in old:
    s.must("decommission", "DELETE", "/v1/hosts/" + h, admin)
d = wait(lambda: (lambda c: c if c["state"] == "done" else None)(cr_doc()), "request done")
s.ok(d and d["replacements"][0]["replacement_hosts"] == 2 and
     d["replacements"][0]["old_hosts_left"] == 0, "tracked: %s" % (d or {}).get("replacements"))
# the plain host was never targeted, and nothing was queued for anyone
for h in new + [plain]:
    jobs = s.must("jobs", "GET", "/v1/hosts/%s/jobs" % h, admin)["jobs"]
    s.ok(jobs == [], "no job for %s: %s" % (h, jobs))
httpd.shutdown()
s.done("orch_immutable")
