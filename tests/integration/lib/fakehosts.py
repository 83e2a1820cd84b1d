"""Enroll hosts over the real agent protocol (no agent process): each gets facts with a time
zone, tags from its enrollment token and a small Debian inventory (hello 1.0 installed, 1.1
pending). For tests that need a fleet in several time zones without sandboxes.
usage: fakehosts.py STATE_DIR NAME=TZ[=TAGSJSON] ...   prints one "NAME HOST_ID" line each."""
import hashlib
import json
import sys

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from fpapi import Server  # noqa: E402

INV = {"family": "deb", "distro": "debian", "release": "bookworm",
       "packages": [{"name": "hello", "arch": "amd64", "version": "1.0",
                     "source": "hello", "source_version": "1.0"}],
       "updates": [{"name": "hello", "arch": "amd64", "installed": "1.0", "candidate": "1.1",
                    "origin": "Debian", "security": False}]}


def enroll(s, name, tz, tags, machine, account="default"):
    tok = s.must("enroll token", "POST", "/v1/accounts/%s/enroll-tokens" % account, s.admin,
                 body={"ttl": 600, "uses": 1, "tags": tags})["token"]
    facts = {"hostname": name, "machine_id": machine, "timezone": tz}
    doc = s.must("enroll " + name, "POST", "/v1/agent/enroll", tok,
                 body={"hostname": name, "facts": facts})
    h = hashlib.sha256(json.dumps(INV, sort_keys=True, separators=(",", ":")).encode()).hexdigest()
    s.must("check-in " + name, "POST", "/v1/agent/checkin", doc["credential"],
           body={"seq": 1, "facts": facts, "inventory_hash": h, "inventory": INV})
    return doc["host_id"]


if __name__ == "__main__":
    s = Server(sys.argv[1])
    for i, spec in enumerate(sys.argv[2:]):
        parts = spec.split("=", 2)
        tags = json.loads(parts[2]) if len(parts) > 2 else {}
        print(parts[0], enroll(s, parts[0], parts[1], tags, "%032x" % (0xf00 + i)))
