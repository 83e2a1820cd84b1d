"""The dashboard's APIs at their limits (driven by dashboard_api.sh): GET /v1/vulns answers from
the exposures table: 500 hosts with findings and one more (the old per-request limit) are all
counted, never partial; hosts without findings are counted, never read; the score and reasons
come from one representative host (hosts_scored). GET /v1/hosts
sorts, offsets, searches and counts on the server, and rejects a bad sort, offset or search.

usage: dashboard_api.py STATE_DIR
"""
import hashlib
import json
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from fpapi import Server  # noqa: E402

LIMIT = 500  # the old per-request limit of GET /v1/vulns
s = Server(sys.argv[1])
A = s.admin


def inventory(version):
    return {"family": "deb", "distro": "debian", "release": "bookworm",
            "packages": [{"name": "hello", "arch": "amd64", "version": version,
                          "source": "hello", "source_version": version}],
            "updates": []}


TOK = s.must("enroll token", "POST", "/v1/accounts/default/enroll-tokens", A,
             body={"ttl": 3600, "uses": 1000})["token"]


def enroll(name, version, zone):
    facts = {"hostname": name, "machine_id": hashlib.md5(name.encode()).hexdigest(),
             "cloud": {"provider": "aws", "region": "r-1", "zone": zone}}
    doc = s.must("enroll " + name, "POST", "/v1/agent/enroll", TOK,
                 body={"hostname": name, "facts": facts})
    inv = inventory(version)
    h = hashlib.sha256(json.dumps(inv, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    s.must("check-in " + name, "POST", "/v1/agent/checkin", doc["credential"],
           body={"seq": 1, "facts": facts, "inventory_hash": h, "inventory": inv})
    return doc["host_id"]


# LIMIT vulnerable hosts (hello 1.0, CVE-2099-4242 fixed in 2.0) and 20 fixed ones (hello 2.0)
for i in range(LIMIT):
    enroll("vuln-%04d" % i, "1.0", "r-1a" if i % 2 else "r-1b")
for i in range(20):
    enroll("fixed-%04d" % i, "2.0", "r-1c")
st, d = s.expect("vulns at the limit", "GET", "/v1/vulns", A, 200)
s.ok(d["hosts_evaluated"] == LIMIT and not d["partial"] and d["hosts_matched"] == LIMIT + 20 and
     d["hosts_without_findings"] == 20, "at the limit: " + json.dumps({k: v for k, v in d.items()
                                                                       if k != "vulns"}))
row = [v for v in d["vulns"] if v["vuln"] == "CVE-2099-4242"]
s.ok(len(row) == 1 and row[0]["hosts"] == LIMIT and row[0]["fixed"] == ["hello 2.0"] and
     row[0]["packages"] == ["hello"] and row[0]["severity"] == "high" and row[0]["reasons"] and
     row[0]["score"] >= 0 and row[0]["hosts_excepted"] == 0 and d["hosts_scored"] == 1,
     "CVE-2099-4242 on every vulnerable host with its fix and reasons: " + json.dumps(row)[:400])
enroll("vuln-past", "1.0", "r-1a")
st, d = s.expect("vulns past the limit", "GET", "/v1/vulns", A, 200)
row = [v for v in d["vulns"] if v["vuln"] == "CVE-2099-4242"]
s.ok(d["hosts_evaluated"] == LIMIT + 1 and not d["partial"] and d["hosts_matched"] == LIMIT + 21
     and len(row) == 1 and row[0]["hosts"] == LIMIT + 1,
     "one past the old limit: whole: " + json.dumps({k: v for k, v in d.items() if k != "vulns"}))
st, d = s.expect("vulns narrowed by zone", "GET", "/v1/vulns?zone=r-1a", A, 200)
s.ok(not d["partial"] and d["hosts_evaluated"] == LIMIT // 2 + 1, "zone r-1a: " +
     json.dumps({k: v for k, v in d.items() if k != "vulns"}))
# tenant isolation: a viewer of another account sees none of default's exposures, a viewer
# of every account ("*") sees them all
s.must("account other", "POST", "/v1/accounts", A, body={"name": "other"})
for user, acct in (("o-viewer", "other"), ("all-viewer", "*")):
    s.must("user " + user, "POST", "/v1/users", A,
           body={"name": user, "password": "correct horse battery",
                 "grants": [{"account": acct, "role": "viewer"}]})
O = s.must("login o-viewer", "POST", "/v1/auth/login",
           body={"user": "o-viewer", "password": "correct horse battery"})["token"]
ALL = s.must("login all-viewer", "POST", "/v1/auth/login",
             body={"user": "all-viewer", "password": "correct horse battery"})["token"]
st, d = s.expect("vulns of another account's viewer", "GET", "/v1/vulns", O, 200)
s.ok(d["vulns"] == [] and d["total"] == 0 and d["hosts_matched"] == 0,
     "o-viewer sees default's exposures: " + json.dumps(d)[:300])
st, d = s.expect("vulns of default asked by another account's viewer", "GET",
                 "/v1/vulns?account=default", O, 200)
s.ok(d["vulns"] == [] and d["hosts_matched"] == 0, "o-viewer, account=default: " +
     json.dumps(d)[:300])
st, d = s.expect("vulns of a * viewer", "GET", "/v1/vulns", ALL, 200)
row = [v for v in d["vulns"] if v["vuln"] == "CVE-2099-4242"]
s.ok(len(row) == 1 and row[0]["hosts"] == LIMIT + 1 and d["hosts_matched"] == LIMIT + 21,
     "all-viewer sees every exposure: " + json.dumps({k: v for k, v in d.items() if k != "vulns"}))
s.expect("a bad severity", "GET", "/v1/vulns?severity=urgent", A, 400, "invalid_request")
s.expect("kev not a boolean", "GET", "/v1/vulns?kev=maybe", A, 400, "invalid_request")
st, d = s.expect("kev only", "GET", "/v1/vulns?kev=true", A, 200)
s.ok(d["vulns"] == [] and d["total"] == 0, "no KEV vulnerability in this feed: " + json.dumps(d)[:200])

# hosts: server-side search, sort, offset and count
st, d = s.expect("search", "GET", "/v1/hosts?q=FIXED-00&count=1&limit=5&sort=-hostname", A, 200)
s.ok(d["total"] == 20 and [h["hostname"] for h in d["hosts"]] ==
     ["fixed-%04d" % i for i in range(19, 14, -1)] and "next" not in d,
     "q=FIXED-00 (case-insensitive), sorted descending, 5 of 20: " + json.dumps(d)[:300])
st, d = s.expect("offset", "GET", "/v1/hosts?q=fixed-&count=1&limit=5&sort=hostname&offset=15", A, 200)
s.ok([h["hostname"] for h in d["hosts"]] == ["fixed-%04d" % i for i in range(15, 20)],
     "offset 15 of the sorted 20: " + json.dumps([h["hostname"] for h in d["hosts"]]))
st, d = s.expect("zone filter", "GET", "/v1/hosts?zone=r-1c&count=1&limit=1&sort=zone", A, 200)
s.ok(d["total"] == 20 and d["hosts"][0]["zone"] == "r-1c", "zone r-1c: " + json.dumps(d)[:300])
st, d = s.expect("offset past the end", "GET", "/v1/hosts?offset=100000&count=1", A, 200)
s.ok(d["hosts"] == [] and d["total"] == LIMIT + 21, "past the end: " + json.dumps(d)[:200])
s.expect("offset at its limit", "GET", "/v1/hosts?offset=1000000&limit=1", A, 200)
s.expect("offset past its limit", "GET", "/v1/hosts?offset=1000001", A, 400, "invalid_request")
s.expect("a search at its limit", "GET", "/v1/hosts?q=" + "a" * 255, A, 200)
s.expect("a search past its limit", "GET", "/v1/hosts?q=" + "a" * 256, A, 400, "invalid_request")
s.expect("a bad sort", "GET", "/v1/hosts?sort=-bogus", A, 400, "invalid_request")
s.expect("after with offset", "GET", "/v1/hosts?after=0&offset=1", A, 400, "invalid_request")
st, d = s.expect("risk sort", "GET", "/v1/hosts?sort=-risk&limit=1", A, 200)
s.ok(d["hosts"][0]["hostname"].startswith("vuln-"), "the riskiest host first: " + json.dumps(d)[:200])
# the installed packages of one host
hid = d["hosts"][0]["id"]
st, d = s.expect("packages", "GET", "/v1/hosts/%s/packages?q=hel" % hid, A, 200)
s.ok(d["total"] == 1 and d["packages"][0]["name"] == "hello", "packages: " + json.dumps(d)[:200])
s.expect("packages limit past", "GET", "/v1/hosts/%s/packages?limit=1001" % hid, A, 400,
         "invalid_request")
s.done("dashboard_api")
