#!/bin/sh
# Notifications end to end (docs/notifications.md): a real SMTP server (Debian's aiosmtpd,
# STARTTLS required with a certificate made here by certtool) and a real HTTP receiver on
# loopback that verifies each webhook's HMAC-SHA256 signature itself, a real fleetpatchd
# configured to use them; events from real actions arrive, failures are retried with backoff
# into the dead-letter list and requeued, an invalid template is refused, a delivery in
# flight survives a restart. The checks are in lib/notify.py.
set -u
[ -n "${FLEETPATCHD:-}" ] && [ -x "$FLEETPATCHD" ] || { echo "SKIP: fleetpatchd not built"; exit 77; }
[ -n "${FLEETPATCH:-}" ] && [ -x "$FLEETPATCH" ] || { echo "SKIP: fleetpatch not built"; exit 77; }
[ -f "$FP_SHARED_DATA/kev/known_exploited_vulnerabilities.json" ] || { echo "SKIP: no shared data"; exit 77; }
command -v certtool > /dev/null 2>&1 || { echo "SKIP: certtool missing (gnutls-bin; scripts/deps.sh)"; exit 77; }
# Debian's python3 has aiosmtpd (python3-aiosmtpd); another python3 first on PATH may not.
PY=
for p in /usr/bin/python3 python3; do
        if "$p" -c 'import aiosmtpd' 2> /dev/null; then PY=$p; break; fi
done
[ -n "$PY" ] || { echo "SKIP: python3-aiosmtpd missing (scripts/deps.sh)"; exit 77; }
LIB=$FP_SOURCE_ROOT/tests/integration/lib

T=$(mktemp -d) || exit 1
trap 'rc=$?; [ $rc -ne 0 ] && [ -f "$T/w/server.log" ] && { echo "--- server log"; tail -n 40 "$T/w/server.log"; }; rm -rf "$T"; exit $rc' EXIT
trap 'exit 1' INT TERM
fail() { echo "FAIL: $*"; exit 1; }

# A CA and the SMTP server's certificate for 127.0.0.1, made for this run.
mkdir "$T/certs" "$T/w"
C=$T/certs
printf 'cn = "notify test CA"\nca\ncert_signing_key\nexpiration_days = 2\n' > "$C/ca.tmpl"
printf 'cn = "127.0.0.1"\nip_address = "127.0.0.1"\ndns_name = "localhost"\ntls_www_server\nencryption_key\nsigning_key\nexpiration_days = 2\n' > "$C/smtp.tmpl"
{ certtool --generate-privkey --outfile "$C/ca.key" &&
  certtool --generate-self-signed --load-privkey "$C/ca.key" --template "$C/ca.tmpl" --outfile "$C/ca.pem" &&
  certtool --generate-privkey --outfile "$C/smtp.key" &&
  certtool --generate-certificate --load-privkey "$C/smtp.key" --load-ca-certificate "$C/ca.pem" \
          --load-ca-privkey "$C/ca.key" --template "$C/smtp.tmpl" --outfile "$C/smtp.pem"; } \
        > "$T/certtool.log" 2>&1 || { cat "$T/certtool.log"; fail "certtool"; }

"$PY" "$LIB/notify.py" "$T/w" "$C" || fail "notify.py"
if grep -E "AddressSanitizer|LeakSanitizer|runtime error" "$T/w/server.log"; then
        fail "fleetpatchd logged a sanitizer error"
fi
echo "ok: notify"
