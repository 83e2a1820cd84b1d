#!/bin/sh
# A real fleetpatchd and real agents (separate processes, state directories and sandbox roots)
# over TLS on loopback: a Debian 12 host with its captured apt lists (pending security updates),
# an Ubuntu host and a small Debian host built from the shared dpkg status, and an RPM host built
# with rpmbuild (when rpm is installed). Checks what the server shows of each host against
# `fleetpatch scan --root`, that an unchanged check-in sends only the hash, that a changed dpkg
# status is re-sent, that a running agent daemon picks up a queued rescan job through the long
# poll, and the tags and filters of GET /v1/hosts.
set -u
T=$(mktemp -d) || exit 1
SRV_PID= DAEMON_PID=
cleanup() {
        [ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
        [ -n "$SRV_PID" ] && kill "$SRV_PID" 2>/dev/null && wait "$SRV_PID" 2>/dev/null
        rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
. "$FP_SOURCE_ROOT/tests/integration/server_lib.sh"
export HOME="$T/home" # rpm reads ~/.rpmmacros: never the caller's
mkdir -p "$HOME"

srv_start "$T/srv" "$T/srv.log" --port 0
api_ok POST /v1/accounts '{"name":"acme","display":"Acme"}' > /dev/null
enroll_token "$T/tok-default" '{"uses":10,"region":"eu-west","tags":{"env":"prod"}}'
enroll_token "$T/tok-acme" '{"uses":10,"region":"us-east","tags":{"env":"stage"}}' acme

# ---- the sandbox roots ----
first_stanzas 300 > "$T/status-300"
first_stanzas 120 > "$T/status-120"
deb_root "$T/r-deb1" "$STATUS" debian 12 bookworm 11111111111111111111111111111111 with-lists
deb_root "$T/r-ubu1" "$T/status-300" ubuntu 22.04 jammy 22222222222222222222222222222222
deb_root "$T/r-deb2" "$T/status-120" debian 12 bookworm 33333333333333333333333333333333
agent_conf deb1 "$T/r-deb1" "$T/tok-default"
agent_conf ubu1 "$T/r-ubu1" "$T/tok-default" 'tags = role=web
checkin_interval = 3600'
agent_conf deb2 "$T/r-deb2" "$T/tok-acme"
NAMES="deb1 ubu1 deb2"
if command -v rpm >/dev/null 2>&1 && command -v rpmbuild >/dev/null 2>&1; then
        R=$T/r-rpm1
        mkdir -p "$R/etc" "$R/var/lib/rpm" "$T/rpmbuild"
        for p in alpha:1.0 bravo:2.3 charlie:0.9; do
                n=${p%%:*} v=${p#*:}
                printf 'Name: %s\nVersion: %s\nRelease: 1.el9\nSummary: t\nLicense: MIT\nBuildArch: noarch\n%%description\nt\n%%install\nmkdir -p %%{buildroot}/opt/%s\necho %s > %%{buildroot}/opt/%s/v\n%%files\n/opt/%s/v\n' \
                        "$n" "$v" "$n" "$v" "$n" "$n" > "$T/$n.spec"
                rpmbuild -bb --quiet --define "_topdir $T/rpmbuild" --define "_rpmdir $T/rpms" \
                        "$T/$n.spec" > "$T/rpmbuild.log" 2>&1 || { cat "$T/rpmbuild.log"; fail "rpmbuild $n"; }
        done
        rpm --root "$R" --dbpath /var/lib/rpm --initdb || fail "rpm --initdb"
        rpm --root "$R" --dbpath /var/lib/rpm -i --nodeps --noscripts "$T"/rpms/noarch/*.rpm \
                > /dev/null 2>&1 || fail "rpm -i into the sandbox"
        printf 'ID="rocky"\nVERSION_ID="9.4"\nPRETTY_NAME="Rocky Linux 9.4"\n' > "$R/etc/os-release"
        echo 44444444444444444444444444444444 > "$R/etc/machine-id"
        agent_conf rpm1 "$R" "$T/tok-acme"
        NAMES="$NAMES rpm1"
else
        echo "note: rpm/rpmbuild missing, no RPM host in this run"
fi

# what the server must show: `fleetpatch scan --root` of the same root
expect() { # NAME -> $T/NAME.scan.json
        "$FLEETPATCH" scan --root "$T/r-$1" --json > "$T/$1.scan.json" 2> "$T/$1.scan.err" ||
                { cat "$T/$1.scan.err"; fail "fleetpatch scan --root r-$1"; }
}
check_host() { # NAME OS RELEASE
        expect "$1"
        want_pk=$(jq .installed_count "$T/$1.scan.json") want_up=$(jq .count "$T/$1.scan.json")
        host "$(host_id "$1")" > "$T/$1.host.json"
        got=$(jq -r '[.hostname, .os, .os_release, .packages, .updates] | map(tostring) | join(" ")' "$T/$1.host.json")
        [ "$got" = "$1 $2 $3 $want_pk $want_up" ] ||
                fail "host $1: server shows '$got', want '$1 $2 $3 $want_pk $want_up'"
}

# ---- enrollment and the first check-in: every inventory sent and shown ----
for n in $NAMES; do
        agent_once "$n"
        grep -q "check-in 1: inventory accepted" "$T/$n.out" || { cat "$T/$n.out"; fail "$n first check-in"; }
        grep -q "inventory accepted (.*, sent)" "$T/$n.err" || fail "$n first check-in did not send the inventory"
done
ids=$(for n in $NAMES; do host_id "$n"; done | sort -u | wc -l)
[ "$ids" -eq "$(echo $NAMES | wc -w)" ] || fail "agents share host ids"
check_host deb1 debian bookworm
check_host ubu1 ubuntu 22.04
check_host deb2 debian bookworm
case " $NAMES " in *" rpm1 "*) check_host rpm1 rocky 9 ;; esac
[ "$(jq .packages "$T/deb1.host.json")" -eq 823 ] || fail "deb1 is not the 823-package host"
[ "$(jq .security_updates "$T/deb1.host.json")" -gt 0 ] || fail "deb1 shows no security updates"
[ "$(jq .packages "$T/deb2.host.json")" -lt "$(jq .packages "$T/ubu1.host.json")" ] || fail "roots not different"
ok "$(echo $NAMES | wc -w) agents enrolled; os, release, packages and updates equal fleetpatch scan --root"

# ---- an unchanged second check-in sends only the hash ----
inv0=$(metric inventories_total) chk0=$(metric checkins_total) steady0=$(metric checkins_steady_total)
[ "$inv0" -eq "$(echo $NAMES | wc -w)" ] || fail "inventories_total $inv0 after the first round"
for n in $NAMES; do
        : > "$T/$n.err"
        agent_once "$n"
        grep -q "check-in 2: inventory unchanged" "$T/$n.out" || { cat "$T/$n.out"; fail "$n second check-in"; }
        grep -q ", sent)" "$T/$n.err" && fail "$n sent its unchanged inventory again"
done
[ "$(metric inventories_total)" -eq "$inv0" ] || fail "the server received inventories on unchanged check-ins"
[ "$(metric checkins_total)" -eq $((chk0 + $(echo $NAMES | wc -w))) ] || fail "checkins_total did not count them"
[ "$(host "$(host_id deb1)" | jq .last_seq)" -eq 2 ] || fail "deb1 last_seq is not 2"
# nothing new in them: each one only the row update outside the writers' turn (api_agent.c)
[ "$(metric checkins_steady_total)" -eq $((${steady0:-0} + $(echo $NAMES | wc -w))) ] ||
        fail "checkins_steady_total $(metric checkins_steady_total): unchanged check-ins took the serialised path"
ok "unchanged check-ins send the hash only (inventories_total stays $inv0), and are steady ones"

# ---- a changed dpkg status is sent again: upgrade one package to its candidate ----
jq -r '.updates[0] | [.name, .arch, .installed, .candidate] | join(" ")' "$T/deb1.scan.json" > "$T/bump"
read -r BN BA BI BC < "$T/bump"
[ -n "$BC" ] || fail "deb1 has no update to apply"
awk -v n="$BN" -v a="$BA" -v c="$BC" 'BEGIN { RS = ""; ORS = "\n\n"; FS = OFS = "\n" }
        { hit = 0
          for (i = 1; i <= NF; i++) {
                  if ($i == "Package: " n) hit++
                  if ($i == "Architecture: " a) hit++
          }
          if (hit == 2) for (i = 1; i <= NF; i++) if ($i ~ /^Version: /) $i = "Version: " c
          print }' "$STATUS" > "$T/r-deb1/var/lib/dpkg/status"
grep -q "^Version: $BC\$" "$T/r-deb1/var/lib/dpkg/status" || fail "the status edit did not apply"
hash0=$(host "$(host_id deb1)" | jq -r .inventory_hash)
: > "$T/deb1.err"
agent_once deb1
grep -q "inventory accepted" "$T/deb1.out" || { cat "$T/deb1.out"; fail "changed inventory not accepted"; }
grep -q ", sent)" "$T/deb1.err" || fail "changed inventory not sent"
[ "$(metric inventories_total)" -eq $((inv0 + 1)) ] || fail "inventories_total did not count the new inventory"
before_up=$(jq .updates "$T/deb1.host.json")
check_host deb1 debian bookworm
[ "$(jq .updates "$T/deb1.host.json")" -eq $((before_up - 1)) ] || fail "deb1 updates did not drop by one"
[ "$(jq -r .inventory_hash "$T/deb1.host.json")" != "$hash0" ] || fail "deb1 inventory hash unchanged"
api_ok GET "/v1/hosts/$(host_id deb1)/updates" | jq -e --arg n "$BN" --arg a "$BA" \
        'all(.updates[]; .name != $n or .arch != $a)' > /dev/null || fail "$BN still listed as an update"
ok "a changed dpkg status ($BN $BI -> $BC) is re-sent; the host's updates drop to $((before_up - 1))"

# ---- a running agent daemon picks up a queued rescan through the long poll ----
UBU=$(host_id ubu1)
"$FLEETPATCH_AGENT" --config "$T/ubu1.conf" > "$T/ubu1.daemon.out" 2> "$T/ubu1.daemon.log" &
DAEMON_PID=$!
seq_is_3() { [ "$(host "$UBU" | jq .last_seq)" -ge 3 ]; }
wait_for "the daemon's first check-in" seq_is_3
# Its first check-in is committed: a job queued now reaches it only through GET
# /v1/agent/jobs (its check-in interval is an hour). Change the host first, so the rescan has
# something new to send.
awk 'BEGIN { RS = ""; ORS = "\n\n"; FS = OFS = "\n" }
     NR == 1 { for (i = 1; i <= NF; i++) if ($i ~ /^Version: /) $i = $i "+fp1" } { print }' \
        "$T/status-300" > "$T/r-ubu1/var/lib/dpkg/status"
seq0=$(host "$UBU" | jq .last_seq) hash0=$(host "$UBU" | jq -r .inventory_hash)
JOB=$(api_ok POST "/v1/hosts/$UBU/jobs" '{"type":"rescan"}' | jq -r .id)
[ "$(jq -r .status "$T/http_body")" = queued ] || fail "job not queued"
job_done() {
        grep -q "job $JOB: rescan" "$T/ubu1.daemon.log" &&
                [ "$(host "$UBU" | jq -r .inventory_hash)" != "$hash0" ]
}
wait_for "the rescan job" job_done
[ "$(host "$UBU" | jq .last_seq)" -gt "$seq0" ] || fail "no check-in after the job"
kill -0 "$DAEMON_PID" || fail "the daemon exited"
# through the API, so that the test holds whatever the store's engine
fin() { api_ok GET "/v1/jobs/$JOB" | jq -e '.status == "succeeded" and .finished > 0 and .delivered > 0' > /dev/null; }
wait_for "the job to be finished" fin
ok "the daemon (not --once) took rescan job $JOB from the long poll, sent its new inventory and finished the job"
kill "$DAEMON_PID"; wait "$DAEMON_PID"; DAEMON_PID=

# ---- tags: from the token, from the agent, from PUT /v1/hosts/{id}/tags ----
DEB2=$(host_id deb2)
api_ok PUT "/v1/hosts/$DEB2/tags" '{"tags":{"owner":"alice","tier":"1"}}' > /dev/null
host "$DEB2" | jq -e '.tags.env == "stage" and .tags.owner == "alice" and .tags.tier == "1"' > /dev/null ||
        fail "deb2 tags: $(host "$DEB2" | jq -c .tags)"
host "$UBU" | jq -e '.tags.env == "prod" and .tags.role == "web"' > /dev/null ||
        fail "ubu1 tags (token + agent): $(host "$UBU" | jq -c .tags)"
[ "$(hosts_of 'tag=owner=alice')" = "deb2" ] || fail "tag=owner=alice: $(hosts_of 'tag=owner=alice')"
[ "$(hosts_of 'tag=env=prod')" = "deb1 ubu1" ] || fail "tag=env=prod: $(hosts_of 'tag=env=prod')"
[ "$(hosts_of 'tag=env=prod&tag=role=web')" = "ubu1" ] || fail "two tags"
[ -z "$(hosts_of 'tag=env=none')" ] || fail "tag=env=none lists hosts"
api_ok PUT "/v1/hosts/$DEB2/tags" '{"tags":{"tier":"2"}}' > /dev/null
[ -z "$(hosts_of 'tag=owner=alice')" ] || fail "PUT tags did not replace the API tags"
[ "$(hosts_of 'tag=tier=2')" = "deb2" ] || fail "tag=tier=2"
[ "$(hosts_of 'tag=env=stage&tag=tier=2')" = "deb2" ] || fail "token tag kept after PUT"
ok "tags from the token, the agent and the API show up and filter"

# ---- filters: account, region, os, compliance ----
ACME="deb2"; case " $NAMES " in *" rpm1 "*) ACME="deb2 rpm1" ;; esac
[ "$(hosts_of 'account=acme')" = "$ACME" ] || fail "account=acme: $(hosts_of 'account=acme')"
[ "$(hosts_of 'account=default')" = "deb1 ubu1" ] || fail "account=default"
[ "$(hosts_of 'region=eu-west')" = "deb1 ubu1" ] || fail "region=eu-west: $(hosts_of 'region=eu-west')"
[ "$(hosts_of 'region=us-east')" = "$ACME" ] || fail "region=us-east"
[ "$(hosts_of 'os=ubuntu')" = "ubu1" ] || fail "os=ubuntu: $(hosts_of 'os=ubuntu')"
[ "$(hosts_of 'os=debian')" = "deb1 deb2" ] || fail "os=debian"
case " $NAMES " in *" rpm1 "*) [ "$(hosts_of 'os=rocky')" = "rpm1" ] || fail "os=rocky" ;; esac
[ "$(hosts_of 'compliance=noncompliant')" = "deb1" ] || fail "noncompliant: $(hosts_of 'compliance=noncompliant')"
want=$(echo $NAMES | tr ' ' '\n' | grep -v '^deb1$' | sort | tr '\n' ' ' | sed 's/ $//')
[ "$(hosts_of 'compliance=compliant')" = "$want" ] || fail "compliant: $(hosts_of 'compliance=compliant')"
[ -z "$(hosts_of 'compliance=unknown')" ] || fail "compliance=unknown lists hosts with an inventory"
[ "$(hosts_of 'account=acme&region=eu-west')" = "" ] || fail "filters do not combine"
[ "$(hosts_of 'os=debian&compliance=compliant')" = "deb2" ] || fail "os + compliance"
api GET '/v1/hosts?compliance=bogus' > /dev/null
[ "$(cat "$T/http_status")" = 400 ] || fail "compliance=bogus is not 400"
api_ok GET /v1/summary | jq -e --argjson n "$(echo $NAMES | wc -w)" '.hosts == $n' > /dev/null || fail "summary host count"
ok "filters account, region, os, compliance (and combined) list the right hosts"

srv_stop
echo "PASS: $PASSED checks"
exit 0
