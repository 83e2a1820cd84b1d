"""A small HTTPS JSON client for fleetpatchd integration tests (python3 stdlib only).

Server(state_dir) reads the URL, the CA and the bootstrap admin token that fleetpatchd writes
into its state directory. call() sends one request on a fresh connection and answers
(status, parsed JSON or None, raw body bytes, headers).  check() asserts the status (and the
error code of an error answer) and counts the assertion; every failure is collected so a run
reports all of them, not only the first.
"""
import http.client
import json
import os
import socket
import ssl
import subprocess
import sys
import urllib.parse


class Server:
    def __init__(self, state_dir):
        with open(os.path.join(state_dir, "fleetpatchd.url")) as f:
            self.url = f.read().strip()
        u = urllib.parse.urlsplit(self.url)
        self.host = u.hostname
        self.port = u.port
        self.ca = os.path.join(state_dir, "tls", "ca.pem")
        self.ctx = ssl.create_default_context(cafile=self.ca)
        with open(os.path.join(state_dir, "admin.token")) as f:
            self.admin = f.read().strip()
        self.failures = []
        self.checks = 0

    # ---- transport ----
    def conn(self, timeout=120):
        return http.client.HTTPSConnection(self.host, self.port, context=self.ctx,
                                           timeout=timeout)

    def tls_socket(self, timeout=120):
        raw = socket.create_connection((self.host, self.port), timeout=timeout)
        return self.ctx.wrap_socket(raw, server_hostname=self.host)

    def call(self, method, path, token=None, body=None, headers=None, raw=None):
        """body: a JSON value (sent as application/json); raw: bytes sent as they are."""
        h = {}
        if token is not None:
            h["Authorization"] = token if token.startswith(("Bearer ", "Basic ")) or token == "" \
                else "Bearer " + token
        data = None
        if raw is not None:
            data = raw
        elif body is not None:
            data = json.dumps(body).encode()
            h["Content-Type"] = "application/json"
        if headers:
            h.update(headers)
        c = self.conn()
        try:
            c.request(method, path, body=data, headers=h)
            r = c.getresponse()
            text = r.read()
            status = r.status
            hdrs = dict(r.getheaders())
        finally:
            c.close()
        try:
            doc = json.loads(text) if text else None
        except ValueError:
            doc = None
        return status, doc, text, hdrs

    # ---- assertions ----
    def fail(self, what):
        self.failures.append(what)
        print("FAIL: " + what, flush=True)

    def ok(self, cond, what):
        self.checks += 1
        if not cond:
            self.fail(what)
        return cond

    def check(self, what, status, doc, want, code=None):
        """Assert the status; for errors also the envelope and (if given) the code."""
        self.checks += 1
        if isinstance(want, int):
            want = (want,)
        if status not in want:
            self.fail("%s: status %s, want %s (body %s)" % (what, status, "/".join(map(str, want)),
                                                             json.dumps(doc)[:300]))
            return False
        if status >= 400:
            if not error_shape_ok(doc):
                self.fail("%s: error body is not {\"error\":{\"code\",\"message\"}}: %s"
                          % (what, json.dumps(doc)[:300]))
                return False
            if code and doc["error"]["code"] != code:
                self.fail("%s: error code %r, want %r" % (what, doc["error"]["code"], code))
                return False
        return True

    def expect(self, what, method, path, token, want, code=None, **kw):
        st, doc, _, _ = self.call(method, path, token, **kw)
        self.check(what, st, doc, want, code)
        return st, doc

    def must(self, what, method, path, token=None, want=(200, 201), **kw):
        """A setup step: it has to work, or the test stops."""
        st, doc, text, _ = self.call(method, path, token, **kw)
        if isinstance(want, int):
            want = (want,)
        if st not in want:
            print("FAIL: setup: %s: %s %s -> %s %s" % (what, method, path, st, text[:400]))
            sys.exit(1)
        return doc

    def done(self, name):
        if self.failures:
            print("%s: %d of %d checks failed" % (name, len(self.failures), self.checks))
            sys.exit(1)
        print("%s: all %d checks passed" % (name, self.checks))


def error_shape_ok(doc):
    return (isinstance(doc, dict) and isinstance(doc.get("error"), dict)
            and isinstance(doc["error"].get("code"), str) and doc["error"]["code"] != ""
            and isinstance(doc["error"].get("message"), str) and doc["error"]["message"] != "")


def parse_routes(router_c):
    """(method, pattern, auth) of every row of fp_routes[] in src/server/router.c."""
    import re
    with open(router_c) as f:
        text = f.read()
    start = text.index("fp_routes[] = {")
    end = text.index("};", start)
    rows = re.findall(r'\{\s*"([A-Z]+)"\s*,\s*"([^"]+)"\s*,\s*(\w+)\s*,\s*(FP_AUTH_\w+)',
                      text[start:end])
    if not rows:
        print("FAIL: no routes parsed from " + router_c)
        sys.exit(1)
    return [(m, p, a) for m, p, _, a in rows]


def inventory_hash(inv):
    """The agent protocol's inventory hash: SHA-256 of the compact, key-sorted JSON."""
    import hashlib
    return hashlib.sha256(json.dumps(inv, sort_keys=True, separators=(",", ":"))
                          .encode()).hexdigest()


def make_root(path, hostname, machine_id, dpkg_status):
    """A sandbox system root for fleetpatch-agent --root: os-release, dpkg status, machine-id."""
    os.makedirs(os.path.join(path, "etc"), exist_ok=True)
    os.makedirs(os.path.join(path, "var/lib/dpkg"), exist_ok=True)
    with open(os.path.join(path, "etc/os-release"), "w") as f:
        f.write('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\n'
                'VERSION_ID="12"\nVERSION="12 (bookworm)"\nVERSION_CODENAME=bookworm\n'
                'ID=debian\n')
    with open(os.path.join(path, "etc/machine-id"), "w") as f:
        f.write(machine_id + "\n")
    with open(os.path.join(path, "etc/hostname"), "w") as f:
        f.write(hostname + "\n")
    with open(dpkg_status, "rb") as src, open(os.path.join(path, "var/lib/dpkg/status"),
                                              "wb") as dst:
        dst.write(src.read())


def run_agent(agent, srv, work, name, enroll_token, dpkg_status, machine_id):
    """Enroll and check in one real fleetpatch-agent (--once) on a sandbox root; answers the
    agent's state directory."""
    root = os.path.join(work, name + "-root")
    state = os.path.join(work, name + "-state")
    os.makedirs(state, mode=0o700, exist_ok=True)
    make_root(root, name, machine_id, dpkg_status)
    tok = os.path.join(work, name + ".enroll")
    with open(tok, "w") as f:
        f.write(enroll_token + "\n")
    os.chmod(tok, 0o600)
    conf = os.path.join(work, name + ".conf")
    with open(conf, "w") as f:
        f.write("server = %s\nca_file = %s\nstate_dir = %s\nenroll_token_file = %s\n"
                "root = %s\nhostname = %s\n" % (srv.url, srv.ca, state, tok, root, name))
    p = subprocess.run([agent, "--config", conf, "--once"], stdout=subprocess.PIPE,
                       stderr=subprocess.STDOUT, timeout=600)
    if p.returncode != 0:
        print("FAIL: setup: fleetpatch-agent --once for %s exit %d:\n%s"
              % (name, p.returncode, p.stdout.decode(errors="replace")))
        sys.exit(1)
    return state


def agent_credential(state):
    for n in ("credential", "agent.credential"):
        p = os.path.join(state, n)
        if os.path.exists(p):
            with open(p) as f:
                return f.read().strip()
    print("FAIL: setup: no credential in " + state + ": " + " ".join(os.listdir(state)))
    sys.exit(1)
