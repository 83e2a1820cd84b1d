"""Bad input against a running fleetpatchd (driven by server_bad_input.sh).

usage: server_bad_input.py STATE_DIR WORK_DIR

Oversized bodies (declared and chunked), malformed JSON, wrong types, unknown members, wrong
content types, bodies where none belong, replayed check-ins, revoked, expired and used-up
credentials, a deleted host's credential, tag limits, slow clients; every error must be the
documented envelope, a refused request must write nothing, and the store must be intact after.
"""
import http.client
import json
import os
import sqlite3
import sys
import uuid

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fpapi  # noqa: E402

STATE, WORK = sys.argv[1], sys.argv[2]
AGENT = os.environ["FLEETPATCH_AGENT"]
DPKG_STATUS = os.path.join(os.environ["FP_SHARED_DATA"], "inventory", "debian12-dpkg-status")
KB = 1024
API_LIMIT = 256 * KB

s = fpapi.Server(STATE)
ADMIN = s.admin


def raw(request, shutdown=False):
    """Send raw bytes over TLS and parse one response: (status, doc, body)."""
    sock = s.tls_socket()
    try:
        try:
            sock.sendall(request)
        except OSError:
            pass  # the server answered and closed early (a refused body): read that answer
        resp = http.client.HTTPResponse(sock, method=request.split(b" ", 1)[0].decode())
        resp.begin()
        body = resp.read()
    finally:
        sock.close()
    try:
        doc = json.loads(body) if body else None
    except ValueError:
        doc = None
    return resp.status, doc, body


def head(method, path, token=ADMIN, extra=b""):
    h = ("%s %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n" % (method, path, s.host)).encode()
    if token:
        h += ("Authorization: Bearer %s\r\n" % token).encode()
    return h + extra


def chunked(data, size=16 * KB):
    out = b""
    for i in range(0, len(data), size):
        part = data[i:i + size]
        out += b"%x\r\n" % len(part) + part + b"\r\n"
    return out + b"0\r\n\r\n"


def counts():
    hosts = s.must("hosts", "GET", "/v1/hosts?limit=1000", ADMIN)["hosts"]
    accts = s.must("accounts", "GET", "/v1/accounts", ADMIN)["accounts"]
    users = s.must("users", "GET", "/v1/users", ADMIN)["users"]
    return len(hosts), len(accts), len(users)


def db_exec(sql, args=()):
    """Change the store behind the server's back (time travel for expiries); SQLite WAL lets
    another process write while the server runs."""
    db = sqlite3.connect(os.path.join(STATE, "fleetpatch.db"), timeout=60)
    try:
        db.execute(sql, args)
        db.commit()
    finally:
        db.close()


# ---- setup: an account, a real agent, an API-enrolled host ----
s.must("account", "POST", "/v1/accounts", ADMIN, body={"name": "acme"})
enroll = s.must("enroll token", "POST", "/v1/accounts/acme/enroll-tokens", ADMIN,
                body={"uses": 1})["token"]
state = fpapi.run_agent(AGENT, s, WORK, "web-1", enroll, DPKG_STATUS, "c" * 32)
CRED = fpapi.agent_credential(state)
HOST = s.must("hosts", "GET", "/v1/hosts", ADMIN)["hosts"][0]["id"]
many = s.must("enroll token", "POST", "/v1/accounts/acme/enroll-tokens", ADMIN,
              body={"uses": 100})["token"]


def api_host(name):
    d = s.must("enroll " + name, "POST", "/v1/agent/enroll", many,
               body={"hostname": name, "facts": {"hostname": name, "machine_id": uuid.uuid4().hex}})
    return d["host_id"], d["credential"]


# The check-in used for replays: an API host with a real inventory hash.
H2, CRED2 = api_host("replay-1")
BEFORE = counts()
print("ok: setup (%d hosts, %d accounts, %d users)" % BEFORE)

# ---- bodies: size ----
big = json.dumps({"name": "x" * (API_LIMIT + 10)}).encode()
st, doc, _ = raw(head("POST", "/v1/tokens", extra=b"Content-Type: application/json\r\n"
                      b"Content-Length: %d\r\n\r\n" % len(big)))
s.check("declared oversized body (headers only)", st, doc, 413, "body_too_large")
try:
    st, doc, _ = raw(head("POST", "/v1/tokens", extra=b"Content-Type: application/json\r\n"
                          b"Content-Length: %d\r\n\r\n" % len(big)) + big)
    s.check("declared oversized body (sent)", st, doc, 413, "body_too_large")
except (OSError, http.client.HTTPException):
    pass  # closed before an answer could be read: the refusal above is the check
st, doc, _ = raw(head("POST", "/v1/tokens", extra=b"Content-Type: application/json\r\n"
                      b"Content-Length: 99999999999999999999999\r\n\r\n"))
# libmicrohttpd refuses a Content-Length it cannot parse itself, before fleetpatchd sees the
# request: its own 413 page, not our envelope. Only the status is ours to check.
s.ok(st == 413, "absurd Content-Length: status %s, want 413" % st)
st, doc, _ = raw(head("POST", "/v1/tokens", extra=b"Content-Type: application/json\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n") + chunked(big))
s.check("chunked oversized body", st, doc, 413, "body_too_large")
ok_body = json.dumps({"name": "chunked", "pad": None}).encode()
st, doc, _ = raw(head("POST", "/v1/tokens", extra=b"Content-Type: application/json\r\n"
                      b"Transfer-Encoding: chunked\r\n\r\n")
                 + chunked(json.dumps({"name": "chunked"}).encode(), 3))
s.check("chunked small body", st, doc, 201)
exact = b'{"name":"edge"' + b" " * (API_LIMIT - 15) + b"}"
st, doc, _ = raw(head("POST", "/v1/tokens", extra=b"Content-Type: application/json\r\n"
                      b"Content-Length: %d\r\n\r\n" % len(exact)) + exact)
s.check("body of exactly the limit", st, doc, 201)
over = exact[:-1] + b" }"
st, doc, _ = raw(head("POST", "/v1/tokens", extra=b"Content-Type: application/json\r\n"
                      b"Content-Length: %d\r\n\r\n" % len(over)) + over)
s.check("body one byte over the limit", st, doc, 413, "body_too_large")

# ---- bodies: content type ----
body = b'{"name":"t"}'
for what, ctype in (("text/plain", b"Content-Type: text/plain\r\n"), ("no type", b""),
                    ("form", b"Content-Type: application/x-www-form-urlencoded\r\n"),
                    ("json prefix", b"Content-Type: application/jsonx\r\n")):
    st, doc, _ = raw(head("POST", "/v1/tokens", extra=ctype + b"Content-Length: %d\r\n\r\n"
                          % len(body)) + body)
    s.check("content type " + what, st, doc, 415, "unsupported_media_type")
    st, doc, _ = raw(head("POST", "/v1/tokens", extra=ctype + b"Transfer-Encoding: chunked\r\n\r\n")
                     + chunked(body))
    s.check("content type " + what + " (chunked)", st, doc, 415, "unsupported_media_type")
st, doc, _ = raw(head("POST", "/v1/tokens", extra=b"Content-Type: application/json; charset=utf-8"
                      b"\r\nContent-Length: %d\r\n\r\n" % len(body)) + body)
s.check("content type with charset", st, doc, 201)

# ---- bodies where none belong ----
for method, path in (("GET", "/v1/whoami"), ("GET", "/v1/hosts"), ("DELETE", "/v1/tokens/"
                                                                    + "0" * 16),
                     ("GET", "/healthz")):
    st, doc, _ = raw(head(method, path, extra=b"Content-Type: application/json\r\n"
                          b"Content-Length: 2\r\n\r\n{}"))
    s.check("a body on %s %s" % (method, path), st, doc, 400, "invalid_request")
    st, doc, _ = raw(head(method, path, extra=b"Content-Type: application/json\r\n"
                          b"Transfer-Encoding: chunked\r\n\r\n") + chunked(b"{}"))
    s.check("a chunked body on %s %s" % (method, path), st, doc, 400, "invalid_request")
st, doc, _ = raw(head("POST", "/v1/tokens", extra=b"Content-Type: application/json\r\n"
                      b"Content-Length: 0\r\n\r\n"))
s.check("an empty body where one is needed", st, doc, 400, "invalid_json")

# ---- malformed JSON and wrong shapes ----
for what, text in (("truncated", b'{"name":'), ("not json", b"hello"), ("trailing", b'{} {}'),
                   ("bad utf-8", b'{"name":"\xff\xfe"}'), ("nul", b'{"name":"a\\u0000b"}'),
                   ("deep", b"[" * 100000 + b"]" * 100000), ("empty object key", b'{"":1}'),
                   ("huge number", b'{"ttl": 1' + b"0" * 400 + b'}'),
                   ("duplicate key", b'{"name":"a","name":"b"}')):
    st, doc, _, _ = s.call("POST", "/v1/tokens", ADMIN, raw=text,
                           headers={"Content-Type": "application/json"})
    s.check("malformed JSON: " + what, st, doc, 400)
for what, text in (("array", b"[]"), ("string", b'"x"'), ("number", b"1"), ("null", b"null")):
    st, doc, _, _ = s.call("POST", "/v1/tokens", ADMIN, raw=text,
                           headers={"Content-Type": "application/json"})
    s.check("not an object: " + what, st, doc, 400)

BAD = [
    ("POST", "/v1/tokens", {"name": 5}, "name"),
    ("POST", "/v1/tokens", {"ttl": "3600"}, "ttl"),
    ("POST", "/v1/tokens", {"ttl": 1.5}, "ttl"),
    ("POST", "/v1/tokens", {"ttl": 59}, "ttl"),
    ("POST", "/v1/tokens", {"ttl": True}, "ttl"),
    ("POST", "/v1/tokens", {"nme": "x"}, "nme"),
    ("POST", "/v1/tokens", {"name": "x" * 64}, "name"),
    ("POST", "/v1/auth/login", {"user": "admin"}, "password"),
    ("POST", "/v1/auth/login", {"user": ["admin"], "password": "x"}, "user"),
    ("POST", "/v1/accounts", {"name": "Upper"}, "name"),
    ("POST", "/v1/accounts", {"name": "*"}, "name"),
    ("POST", "/v1/accounts", {"name": "ok", "regions": "eu"}, "regions"),
    ("POST", "/v1/accounts", {"name": "ok", "regions": [1]}, "regions"),
    ("POST", "/v1/accounts", {"name": "ok", "extra": 1}, "extra"),
    ("POST", "/v1/accounts/acme/enroll-tokens", {"uses": 0}, "uses"),
    ("POST", "/v1/accounts/acme/enroll-tokens", {"ttl": 10 ** 9}, "ttl"),
    ("POST", "/v1/accounts/acme/enroll-tokens", {"region": "Bad Region"}, "region"),
    ("POST", "/v1/accounts/acme/enroll-tokens", {"tags": []}, "tags"),
    ("POST", "/v1/users", {"name": "n1", "password": "short"}, "password"),
    ("POST", "/v1/users", {"name": "n1", "grants": {}}, "grants"),
    ("POST", "/v1/users", {"name": "n1", "grants": [{"account": "acme", "role": "boss"}]}, "role"),
    ("POST", "/v1/users", {"name": "n1", "grants": [{"account": "acme", "role": "viewer",
                                                     "x": 1}]}, None),
    ("PUT", "/v1/users/admin/grants", {"account": "acme"}, "role"),
    ("PUT", "/v1/hosts/%s/tags" % HOST, {}, "tags"),
    ("PUT", "/v1/hosts/%s/tags" % HOST, {"tags": {"k": 1}}, "tags"),
    ("PUT", "/v1/hosts/%s/tags" % HOST, {"tags": {"bad key": "v"}}, "tags"),
    ("PUT", "/v1/hosts/%s/tags" % HOST, {"tags": {"k": "a\nb"}}, "tags"),
    ("PUT", "/v1/hosts/%s/tags" % HOST, {"tags": {"": "v"}}, "tags"),
    ("POST", "/v1/hosts/%s/jobs" % HOST, {"type": "shell"}, "type"),
    ("POST", "/v1/hosts/%s/jobs" % HOST, {"type": "rescan", "cmd": "rm -rf /"}, "cmd"),
]
for method, path, body, field in BAD:
    st, doc, _, _ = s.call(method, path, ADMIN, body=body)
    if s.check("%s %s %s" % (method, path, json.dumps(body)[:60]), st, doc, 400,
               "invalid_request") and field:
        s.ok(doc["error"].get("field") == field, "%s %s %s: field %r, want %r"
             % (method, path, json.dumps(body)[:60], doc["error"].get("field"), field))
s.expect("unknown route", "GET", "/v1/nothing", ADMIN, 404, "not_found")
s.expect("unknown method", "PATCH", "/v1/hosts", ADMIN, 405, "method_not_allowed")
s.expect("path with an empty segment", "GET", "/v1/hosts//tags", ADMIN, (404, 405))
s.expect("list limit 0", "GET", "/v1/hosts?limit=0", ADMIN, 400, "invalid_request")
s.expect("list limit text", "GET", "/v1/hosts?limit=ten", ADMIN, 400, "invalid_request")
s.expect("seen_within", "GET", "/v1/hosts?seen_within=5y", ADMIN, 400, "invalid_request")
s.expect("compliance", "GET", "/v1/summary?compliance=maybe", ADMIN, 400, "invalid_request")
s.expect("tag filter without =", "GET", "/v1/hosts?tag=role", ADMIN, 400, "invalid_request")
s.expect("long-poll above 60 s", "GET", "/v1/agent/jobs?wait=61", CRED, 400, "invalid_request")
s.expect("long-poll negative", "GET", "/v1/agent/jobs?wait=-1", CRED, 400, "invalid_request")
print("ok: bodies and parameters (%d checks so far)" % s.checks)

# ---- tags at and past the limits ----
T = "/v1/hosts/%s/tags" % HOST
s.expect("tag key of 63", "PUT", T, ADMIN, 200, body={"tags": {"k" * 63: "v"}})
s.expect("tag key of 64", "PUT", T, ADMIN, 400, "invalid_request", body={"tags": {"k" * 64: "v"}})
s.expect("tag value of 255", "PUT", T, ADMIN, 200, body={"tags": {"k": "v" * 255}})
s.expect("tag value of 256", "PUT", T, ADMIN, 400, "invalid_request",
         body={"tags": {"k": "v" * 256}})
s.expect("64 tags", "PUT", T, ADMIN, 200, body={"tags": {"k%d" % i: "v" for i in range(64)}})
s.expect("65 tags", "PUT", T, ADMIN, 400, "invalid_request",
         body={"tags": {"k%d" % i: "v" for i in range(65)}})
h = s.must("host", "GET", "/v1/hosts/" + HOST, ADMIN)
s.ok(len(h["api_tags"]) == 64, "a refused tag update changed the tags: %d" % len(h["api_tags"]))
s.expect("tags reset", "PUT", T, ADMIN, 200, body={"tags": {}})

# ---- refused requests write nothing ----
tok1 = s.must("one-use token", "POST", "/v1/accounts/acme/enroll-tokens", ADMIN,
              body={"uses": 1, "tags": {"t%d" % i: "v" for i in range(40)}})["token"]
n0 = counts()[0]
for what, body in (
        ("facts not an object", {"hostname": "e1", "facts": []}),
        ("facts with a bad member", {"hostname": "e1", "facts": {"hostname": "e1",
                                                                 "unknown_fact": 1}}),
        ("facts hostname too long", {"hostname": "e1", "facts": {"hostname": "h" * 300}}),
        ("facts timezone not IANA", {"hostname": "e1", "facts": {"hostname": "e1",
                                                                 "timezone": "Mars/Base"}}),
        ("facts with a control character", {"hostname": "e1", "facts": {"hostname": "e\u0001"}}),
        ("no hostname", {"facts": {"hostname": "e1"}}),
        ("unknown member", {"hostname": "e1", "color": "red"}),
        ("tags over the limit with the token's", {"hostname": "e1", "tags": {
            "r%d" % i: "v" for i in range(30)}})):
    st, doc, _, _ = s.call("POST", "/v1/agent/enroll", tok1, body=body)
    s.check("enrollment with " + what, st, doc, 400, "invalid_request")
s.ok(counts()[0] == n0, "a refused enrollment made a host")
for tz in ("America", "../../etc/passwd", "Europe/Nowhere"):
    st, doc, _, _ = s.call("POST", "/v1/agent/enroll", tok1,
                           body={"hostname": "e1", "facts": {"hostname": "e1", "timezone": tz}})
    s.check("enrollment with timezone " + tz, st, doc, 400, "invalid_request")
if os.path.exists("/usr/share/zoneinfo/Europe/Berlin"):
    d = s.must("timezone Europe/Berlin", "POST", "/v1/agent/enroll", many,
               body={"hostname": "tz", "facts": {"hostname": "tz", "timezone": "Europe/Berlin"}})
    s.expect("delete tz", "DELETE", "/v1/hosts/" + d["host_id"], ADMIN, 200)
    n0 = counts()[0]
st, doc = s.expect("the one-use token still works", "POST", "/v1/agent/enroll", tok1, 201,
                   body={"hostname": "e1", "facts": {"hostname": "e1"}})
s.expect("used up", "POST", "/v1/agent/enroll", tok1, 410, "enrollment_exhausted",
         body={"hostname": "e2"})
s.expect("used up, bad body", "POST", "/v1/agent/enroll", tok1, (400, 410),
         body={"hostname": 1})
s.ok(counts()[0] == n0 + 1, "enrollments made %d hosts, want 1" % (counts()[0] - n0))
E1, E1CRED = doc["host_id"], doc["credential"]

names = [u["name"] for u in s.must("users", "GET", "/v1/users", ADMIN)["users"]]
s.expect("user with a second grant bad", "POST", "/v1/users", ADMIN, 400, "invalid_request",
         body={"name": "half", "grants": [{"account": "acme", "role": "viewer"},
                                          {"account": "acme", "role": "nope"}]})
s.expect("user with a grant on a missing account", "POST", "/v1/users", ADMIN, 404, "not_found",
         body={"name": "half", "grants": [{"account": "missing", "role": "viewer"}]})
s.ok([u["name"] for u in s.must("users", "GET", "/v1/users", ADMIN)["users"]] == names,
     "a refused POST /v1/users created the user")
s.expect("the name is still free", "POST", "/v1/users", ADMIN, 201, body={"name": "half"})
s.expect("a taken name", "POST", "/v1/users", ADMIN, 409, "conflict", body={"name": "half"})
s.expect("a taken account", "POST", "/v1/accounts", ADMIN, 409, "conflict", body={"name": "acme"})
print("ok: refused requests write nothing")

# ---- check-in sequence ----
HASH = "0" * 64
CI = "/v1/agent/checkin"
s.expect("check-in 5", "POST", CI, CRED2, 200, body={"seq": 5, "inventory_hash": HASH})
for seq in (5, 4, 1):
    st, doc = s.expect("replayed check-in %d" % seq, "POST", CI, CRED2, 409, "sequence_regressed",
                       body={"seq": seq, "inventory_hash": HASH})
    s.ok(doc and doc["error"].get("last_seq") == 5, "409 names last_seq 5: %s" % doc)
s.expect("check-in seq 0", "POST", CI, CRED2, 400, "invalid_request",
         body={"seq": 0, "inventory_hash": HASH})
s.expect("check-in seq text", "POST", CI, CRED2, 400, "invalid_request",
         body={"seq": "6", "inventory_hash": HASH})
s.expect("check-in bad hash", "POST", CI, CRED2, 400, "invalid_request",
         body={"seq": 6, "inventory_hash": "Z" * 64})
s.expect("check-in inventory not matching its hash", "POST", CI, CRED2, 400, "invalid_request",
         body={"seq": 6, "inventory_hash": HASH, "inventory": {
             "family": "deb", "distro": "debian", "release": "bookworm", "packages": [],
             "updates": []}})
s.expect("check-in bad inventory", "POST", CI, CRED2, 400, "invalid_request",
         body={"seq": 6, "inventory_hash": HASH, "inventory": {"family": "zip"}})
s.expect("check-in bad facts", "POST", CI, CRED2, 400, "invalid_request",
         body={"seq": 6, "inventory_hash": HASH, "facts": {"hostname": 7}})
s.expect("check-in 6 after the refusals", "POST", CI, CRED2, 200,
         body={"seq": 6, "inventory_hash": HASH})
h2 = s.must("replay host", "GET", "/v1/hosts/" + H2, ADMIN)
s.ok(h2["last_seq"] == 6 and h2["seq_regressions"] == 3,
     "after 3 replays: last_seq %s (want 6), seq_regressions %s (want 3)"
     % (h2["last_seq"], h2["seq_regressions"]))

# ---- credentials: revoked, expired, used up, deleted host, wrong kinds ----
t = s.must("token", "POST", "/v1/tokens", ADMIN, body={"name": "short"})
s.expect("fresh token", "GET", "/v1/whoami", t["token"], 200)
s.expect("revoke", "DELETE", "/v1/tokens/" + t["id"], ADMIN, 200)
s.expect("revoked token", "GET", "/v1/whoami", t["token"], 401, "unauthenticated")
s.expect("revoked token revokes", "DELETE", "/v1/tokens/" + t["id"], t["token"], 401,
         "unauthenticated")
t = s.must("token", "POST", "/v1/tokens", ADMIN, body={"name": "expiring", "ttl": 60})
db_exec("UPDATE tokens SET expires = 1000 WHERE id = ?", (t["id"],))
s.expect("expired API token", "GET", "/v1/whoami", t["token"], 401, "unauthenticated")
e = s.must("enroll token", "POST", "/v1/accounts/acme/enroll-tokens", ADMIN, body={"uses": 5})
db_exec("UPDATE tokens SET expires = 1000 WHERE id = ?", (e["id"],))
n0 = counts()[0]
s.expect("expired enrollment token", "POST", "/v1/agent/enroll", e["token"], 401,
         "unauthenticated", body={"hostname": "late"})
s.ok(counts()[0] == n0, "an expired enrollment token made a host")
tampered = t["token"][:-1] + ("0" if t["token"][-1] != "0" else "1")
s.expect("tampered secret", "GET", "/v1/whoami", tampered, 401, "unauthenticated")
for what, hdr in (("empty bearer", "Bearer "), ("lowercase scheme", "bearer " + ADMIN),
                  ("two spaces", "Bearer  " + ADMIN), ("trailing junk", "Bearer " + ADMIN + "x"),
                  ("uppercase hex", "Bearer " + ADMIN.upper()), ("nul", "Bearer fpu_\x01")):
    st, doc, _, _ = s.call("GET", "/v1/whoami", None, headers={"Authorization": hdr})
    s.check("credential: " + what, st, doc, 401, "unauthenticated")

s.expect("E1 checks in", "POST", CI, E1CRED, 200, body={"seq": 1, "inventory_hash": HASH})
s.expect("delete E1", "DELETE", "/v1/hosts/" + E1, ADMIN, 200)
s.expect("deleted host's check-in", "POST", CI, E1CRED, 401, "unauthenticated",
         body={"seq": 2, "inventory_hash": HASH})
s.expect("deleted host's jobs", "GET", "/v1/agent/jobs", E1CRED, 401, "unauthenticated")
s.expect("deleted host's job finish", "POST", "/v1/agent/jobs/0123456789abcdef", E1CRED, 401,
         "unauthenticated", body={"status": "failed"})
s.expect("deleted host again", "DELETE", "/v1/hosts/" + E1, ADMIN, 404, "not_found")
s.expect("deleted host's tags", "PUT", "/v1/hosts/%s/tags" % E1, ADMIN, 404, "not_found",
         body={"tags": {}})
s.expect("deleted host's job", "POST", "/v1/hosts/%s/jobs" % E1, ADMIN, 404, "not_found",
         body={"type": "rescan"})

# Re-enrollment (same machine id) revokes the old credential.
mid = uuid.uuid4().hex
d1 = s.must("enroll", "POST", "/v1/agent/enroll", many,
            body={"hostname": "re", "facts": {"hostname": "re", "machine_id": mid}})
d2 = s.must("re-enroll", "POST", "/v1/agent/enroll", many,
            body={"hostname": "re", "facts": {"hostname": "re", "machine_id": mid}})
s.ok(d1["host_id"] == d2["host_id"], "re-enrollment made a new host")
s.expect("old credential after re-enrollment", "GET", "/v1/agent/jobs", d1["credential"], 401,
         "unauthenticated")
s.expect("new credential", "GET", "/v1/agent/jobs", d2["credential"], 200)
print("ok: credentials")

# ---- slow clients: they hold connections, the server keeps answering others ----
slow = []
partial = [
    b"",  # TCP connected, TLS done, nothing sent
    b"GET /v1/whoami HTTP/1.1\r\nHost: x\r\n",  # headers not finished
    b"POST /v1/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + ADMIN.encode() +
    b"\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"na",  # body short
    b"POST /v1/tokens HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + ADMIN.encode() +
    b"\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"na",
]
for i in range(24):
    sock = s.tls_socket()
    sock.sendall(partial[i % len(partial)])
    slow.append(sock)
import socket  # noqa: E402
bare = [socket.create_connection((s.host, s.port)) for _ in range(8)]  # no TLS handshake
for b in bare[:4]:
    b.sendall(b"\x16\x03\x01")  # the start of a ClientHello, then nothing
for i in range(20):
    s.expect("request %d beside slow clients" % i, "GET", "/v1/whoami", ADMIN, 200)
s.expect("a write beside slow clients", "PUT", "/v1/hosts/%s/tags" % HOST, ADMIN, 200,
         body={"tags": {"slow": "ok"}})
s.expect("a check-in beside slow clients", "POST", CI, CRED2, 200,
         body={"seq": 7, "inventory_hash": HASH})
for sock in slow + bare:
    sock.close()
print("ok: slow clients")

# ---- the store afterwards ----
AFTER = counts()
# Made on purpose above: one host (e1, deleted again), one re-enrolled host, user 'half'.
s.ok(AFTER == (BEFORE[0] + 1, BEFORE[1], BEFORE[2] + 1),
     "counts after the bad input: %s, want %s" % (AFTER, (BEFORE[0] + 1, BEFORE[1],
                                                         BEFORE[2] + 1)))
st, doc = s.expect("readyz", "GET", "/readyz", None, 200)
s.ok(doc and doc.get("status") == "ready", "readyz: %s" % doc)
st, doc = s.expect("the real agent's host", "GET", "/v1/hosts/" + HOST, ADMIN, 200)
s.ok(doc["packages"] > 100 and doc["tags"].get("slow") == "ok", "host record: %s"
     % json.dumps(doc)[:300])
st, doc = s.expect("its updates", "GET", "/v1/hosts/%s/updates" % HOST, ADMIN, 200)

# ---- last: failed logins are limited per address (blocks logins here for a minute) ----
codes = []
for i in range(12):
    st, doc, _, _ = s.call("POST", "/v1/auth/login", None,
                           body={"user": "admin", "password": "wrong-%d" % i})
    s.check("failed login %d" % i, st, doc, (401, 429))
    codes.append(st)
s.ok(codes[:10] == [401] * 10 and codes[10:] == [429] * 2,
     "failed logins answered %s, want 10 x 401 then 429" % codes)
st, doc, _, _ = s.call("POST", "/v1/auth/login", None,
                       body={"user": "admin", "password": "wrong"})
s.check("limited login", st, doc, 429, "too_many_requests")
s.expect("tokens still work while logins are limited", "GET", "/v1/whoami", ADMIN, 200)
s.done("server_bad_input")
