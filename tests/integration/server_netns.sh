#!/bin/sh
# Several hosts on one machine (../shared/docs/TESTING.md, "network namespaces"): two network
# namespaces with veth pairs made here, fleetpatchd listening on the host-side address of the
# first pair (certificate for that IP), one agent daemon inside each namespace. Both enroll and
# check in over the veth links; a namespace whose link is set down re-syncs once it is up again,
# while the other keeps checking in. Everything made here is removed by the trap.
set -u
[ "$(id -u)" = 0 ] || { echo "SKIP: network namespaces need root"; exit 77; }
command -v ip >/dev/null 2>&1 || { echo "SKIP: ip (iproute2) missing"; exit 77; }
ip netns list >/dev/null 2>&1 || { echo "SKIP: 'ip netns' is not available here"; exit 77; }
T=$(mktemp -d) || exit 1
P=$$
NS1=fp-$P-h1 NS2=fp-$P-h2
V1=fpv${P}a V1P=fpv${P}b V2=fpv${P}c V2P=fpv${P}d # <= 15 characters with a 7-digit pid
# a /24 per pair, chosen from the pid so parallel runs do not collide
N1=$(( (P % 100) * 2 + 10 )) N2=$(( (P % 100) * 2 + 11 ))
H1=10.231.$N1.1 A1=10.231.$N1.2 H2=10.231.$N2.1 A2=10.231.$N2.2
SRV_PID= AG1= AG2=
cleanup() {
        for p in $AG1 $AG2 $SRV_PID; do kill "$p" 2>/dev/null && wait "$p" 2>/dev/null; done
        ip link del "$V1" 2>/dev/null
        ip link del "$V2" 2>/dev/null
        ip netns del "$NS1" 2>/dev/null
        ip netns del "$NS2" 2>/dev/null
        rm -rf "$T"
}
trap cleanup EXIT
trap 'exit 1' INT TERM
. "$FP_SOURCE_ROOT/tests/integration/server_lib.sh"
if ip -4 addr show | grep -q "10\.231\.\($N1\|$N2\)\."; then
        echo "SKIP: 10.231.$N1.0/24 or 10.231.$N2.0/24 is already in use on this machine"; exit 77
fi

# netns NS HOSTVETH PEERVETH HOSTADDR PEERADDR
netns() {
        ip netns add "$1" || fail "ip netns add $1"
        ip link add "$2" type veth peer name "$3" || fail "ip link add $2"
        ip link set "$3" netns "$1" || fail "move $3 into $1"
        ip addr add "$4/24" dev "$2" && ip link set "$2" up || fail "host side of $2"
        ip netns exec "$1" ip addr add "$5/24" dev "$3" || fail "address in $1"
        ip netns exec "$1" ip link set "$3" up && ip netns exec "$1" ip link set lo up || fail "links in $1"
        # the server listens on the first pair's address: reach it through this pair
        ip netns exec "$1" ip route add default via "$4" || fail "route in $1"
}
netns "$NS1" "$V1" "$V1P" "$H1" "$A1"
netns "$NS2" "$V2" "$V2P" "$H2" "$A2"
# the namespaces see only their own link: not the server's loopback, not each other directly
ip netns exec "$NS1" ip -4 addr show | grep -q "$A1" || fail "no address in $NS1"
ok "namespaces $NS1 ($A1) and $NS2 ($A2) with veth links to $H1 / $H2"

srv_start "$T/srv" "$T/srv.log" --listen "$H1" --tls-names "$H1" --port 0
case $URL in "https://$H1:"*) ;; *) fail "server URL $URL is not on $H1" ;; esac
enroll_token "$T/tok" '{"uses":2,"tags":{"lab":"netns"}}'
first_stanzas 150 > "$T/status-150"
deb_root "$T/r-1" "$STATUS" debian 12 bookworm 51515151515151515151515151515151
deb_root "$T/r-2" "$T/status-150" ubuntu 22.04 jammy 52525252525252525252525252525252
agent_conf ns1 "$T/r-1" "$T/tok" 'checkin_interval = 2'
agent_conf ns2 "$T/r-2" "$T/tok" 'checkin_interval = 2'
ip netns exec "$NS1" "$FLEETPATCH_AGENT" --config "$T/ns1.conf" > "$T/ns1.out" 2> "$T/ns1.log" &
AG1=$!
ip netns exec "$NS2" "$FLEETPATCH_AGENT" --config "$T/ns2.conf" > "$T/ns2.out" 2> "$T/ns2.log" &
AG2=$!
enrolled() { [ -s "$T/ns1.state/host_id" ] && [ -s "$T/ns2.state/host_id" ]; }
wait_for "both agents to enroll" enrolled
I1=$(host_id ns1) I2=$(host_id ns2)
seq_of() { host "$1" | jq .last_seq; }
checked_in() { [ "$(seq_of "$I1")" -ge 2 ] && [ "$(seq_of "$I2")" -ge 2 ]; }
wait_for "both agents to check in" checked_in
[ "$(host "$I1" | jq .packages)" -eq 823 ] || fail "ns1 packages"
host "$I2" | jq -e '.os == "ubuntu" and .packages > 0 and .tags.lab == "netns"' > /dev/null || fail "ns2 host: $(host "$I2")"
host "$I1" | jq -e --arg a "$A1" '.facts.hostname == "ns1"' > /dev/null || fail "ns1 facts"
[ "$(api_ok GET /v1/hosts | jq '.hosts | length')" -eq 2 ] || fail "host count"
ok "both agents enrolled and checked in from inside their namespaces (hosts $I1, $I2)"

# ---- ns2's link goes down: it fails and backs off; ns1 goes on; ns2 re-syncs when it is up ----
lines=$(wc -l < "$T/ns2.log")
ip link set "$V2" down || fail "link down"
failing() { tail -n +"$((lines + 1))" "$T/ns2.log" | grep -q "retrying in"; }
wait_for "ns2 to notice its link is down" failing
down_seq=$(seq_of "$I2") s1=$(seq_of "$I1")
ns1_goes_on() { [ "$(seq_of "$I1")" -gt "$s1" ]; }
wait_for "ns1 to keep checking in while ns2 is cut off" ns1_goes_on
[ "$(seq_of "$I2")" -eq "$down_seq" ] || fail "ns2 checked in through a link that is down"
kill -0 "$AG2" || fail "the ns2 agent exited while its link was down"
ip link set "$V2" up || fail "link up"
back() { [ "$(seq_of "$I2")" -gt "$down_seq" ]; }
wait_for "ns2 to re-sync after its link came back" back
[ "$(host_id ns2)" = "$I2" ] || fail "ns2 changed its host id"
grep -c "enrolled as host" "$T/ns2.log" | grep -qx 1 || fail "ns2 enrolled again"
ok "ns2 re-synced after its link came back (seq $down_seq -> $(seq_of "$I2")), same host id"

echo "PASS: $PASSED checks"
exit 0
