#!/usr/bin/env bash
# java_keystore, read by a real JDK: keytool lists the stores' entries (and refuses a wrong
# password), and Java trusts openssl s_server's certificate, signed by testdata/test-ca.pem,
# only through a store that holds that CA.
#
# Usage: java_keystore_test.sh PEM_LAYER PEM_PATH PEM_PASSWORD MIXED_LAYER CA_DEB TESTDATA_DIR
set -euo pipefail
pem_layer=$1 pem_path=$2 pem_password=$3 mixed_layer=$4 ca_deb=$5 testdata=$6
work=$(mktemp -d "${TEST_TMPDIR:-/tmp}/keystore.XXXXXX")
server=
cleanup() {
  [[ -z $server ]] || kill "$server" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
failures=0
ok() { echo "ok: $*"; }
fail() {
  echo "FAIL: $*"
  failures=$((failures + 1))
}

mkdir "$work/pem" "$work/mixed"
tar -xzf "$pem_layer" -C "$work/pem"
tar -xzf "$mixed_layer" -C "$work/mixed"
pem_store=$work/pem/$pem_path
mixed_store=$work/mixed/etc/ssl/certs/java/cacerts
list() { LC_ALL=C keytool -list -storepass "$2" -keystore "$1" 2>&1; }

out=$(list "$pem_store" "$pem_password") || fail "keytool -list $pem_path: $out"
if grep -q "Your keystore contains 1 entry" <<<"$out" && grep -q "^test-ca.pem, .*trustedCertEntry" <<<"$out"; then
  ok "keytool: $pem_path holds test-ca.pem as its one trusted entry"
else
  fail "keytool: $pem_path: $out"
fi
if list "$pem_store" changeit >/dev/null; then
  fail "keytool opened $pem_path with the wrong password"
else
  ok "keytool refuses $pem_path with the wrong password"
fi

crts=$(dpkg-deb --fsys-tarfile "$ca_deb" | tar -t | grep -c '^\./usr/share/ca-certificates/.*\.crt$')
out=$(list "$mixed_store" changeit) || fail "keytool -list mixed store: $out"
debian=$(grep -c "^debian:.*trustedCertEntry" <<<"$out" || true)
if [[ $debian -eq $crts ]] && grep -q "^test-ca.pem, .*trustedCertEntry" <<<"$out" &&
  grep -q "Your keystore contains $((crts + 1)) entries" <<<"$out"; then
  ok "keytool: ca-certificates' $crts certificates (debian:*) and test-ca.pem, all trusted"
else
  fail "keytool: mixed store has $debian debian: entries of $crts .crt files: $out"
fi

# The server: a certificate for IP 127.0.0.1 signed by the test CA.
openssl s_server -www -accept 127.0.0.1:0 -cert "$testdata/server.pem" -key "$testdata/server.key" \
  >"$work/s_server.log" 2>&1 &
server=$!
port=
for _ in $(seq 100); do
  port=$(sed -n 's/^ACCEPT 127\.0\.0\.1:\([0-9]*\)$/\1/p' "$work/s_server.log")
  [[ -z $port ]] || break
  sleep 0.1
done
[[ -n $port ]] || {
  echo "FAIL: openssl s_server did not start: $(cat "$work/s_server.log")"
  exit 1
}

javac -d "$work/classes" "$testdata/TlsProbe.java"
probe() { # expected-outcome description java-options...
  local expect=$1 what=$2
  shift 2
  local out rc=0
  out=$(java -Xmx64m -XX:+UseSerialGC "$@" -cp "$work/classes" TlsProbe 127.0.0.1 "$port" 2>&1) || rc=$?
  if [[ $expect == trusted && $rc -eq 0 && $out == *"reply: HTTP/1.0 200 ok"* ]] ||
    [[ $expect == refused && $rc -eq 3 && $out == *"refused: "* ]]; then
    ok "java: $what: $expect (${out//$'\n'/; })"
  else
    fail "java: $what: expected $expect, exit $rc: $out"
  fi
}
probe trusted "store of test-ca.pem ($pem_path)" \
  "-Djavax.net.ssl.trustStore=$pem_store" "-Djavax.net.ssl.trustStorePassword=$pem_password"
probe trusted "ca-certificates + test-ca.pem store" \
  "-Djavax.net.ssl.trustStore=$mixed_store" -Djavax.net.ssl.trustStorePassword=changeit
probe refused "the JDK's own trust store (no test CA)"
probe refused "store of test-ca.pem with the wrong password" \
  "-Djavax.net.ssl.trustStore=$pem_store" -Djavax.net.ssl.trustStorePassword=changeit

echo "java_keystore: $failures failed"
[[ $failures -eq 0 ]]
