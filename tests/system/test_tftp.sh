#!/usr/bin/env bash
# The TFTP role on a 2-node cluster of real wardd processes: tftp-hpa and
# atftp fetch the trust files with and without options (blksize, tsize,
# timeout, windowsize), in octet and netascii mode; HTTP on the second port
# serves the same bytes (curl); each node serves its own ITL and the
# cluster's CTL as the admin API exports it; a raw-packet client sends
# malformed, oversized and hostile packets and a flood from one address
# while other clients are served (tests/system/tftp_probe.py).
. "$(dirname "$0")/lib.sh"
. "$WARD_SRC/tests/system/tokens.sh"
. "$WARD_SRC/tests/system/tftp.sh"

# A short retransmission timeout, so that the flood's unanswered transfers
# end within seconds.
# At most 16 HTTP connections, to see the cap at work.
for n in n1 n2; do
	node_conf $n "[tftp]" "timeout_ms = 250" "http_max_connections = 16" \
		"[capf]" "listen = 127.0.0.1:$(free_port)"
done
D=$CLUSTER_DIR

step "init n1, join n2: every node serves TFTP and HTTP"
ward_init n1 tftptest
ward_join n2 n1
# Each node publishes its SIP address once (configs list it): before the
# configs are compared below.
sip_published() { [ "$(ward_ctl n1 --json audit | jq '[.audit[] | select(.action == "node.sip")] | length')" -ge 2 ]; }
wait_until 20 "both nodes' SIP addresses in their records" sip_published

step "tftp-hpa, atftp and curl fetch n1's ITL: the same bytes"
wait_until 10 "n1 serves its ITL" get_hpa n1 ITLFile.tlv "$D/itl.hpa"
[ -s "$D/itl.hpa" ] || fail "empty ITL"
get_hpa n1 ITLFile.tlv "$D/itl.ascii" netascii || fail "netascii fetch"
same "$D/itl.hpa" "$D/itl.ascii" "netascii"
get_atftp n1 ITLFile.tlv "$D/itl.atftp" || fail "atftp: $(cat "$D/atftp.out")"
same "$D/itl.hpa" "$D/itl.atftp" "atftp without options"
get_atftp n1 ITLFile.tlv "$D/itl.opt" "blksize 1428" "tsize 0" "timeout 2" ||
	fail "atftp with options: $(cat "$D/atftp.out")"
same "$D/itl.hpa" "$D/itl.opt" "atftp blksize/tsize/timeout"
get_atftp n1 ITLFile.tlv "$D/itl.win" "windowsize 8" "blksize 256" ||
	fail "atftp windowsize: $(cat "$D/atftp.out")"
same "$D/itl.hpa" "$D/itl.win" "atftp windowsize 8"
get_atftp n1 ITLFile.tlv "$D/itl.small" "blksize 8" ||
	fail "atftp blksize 8: $(cat "$D/atftp.out")"
same "$D/itl.hpa" "$D/itl.small" "atftp blksize 8 (hundreds of blocks)"
curl -sf "$(http_url n1 ITLFile.tlv)" -o "$D/itl.http" || fail "HTTP fetch"
same "$D/itl.hpa" "$D/itl.http" "HTTP"

step "each node serves its own ITL"
wait_until 10 "n2 serves its ITL" get_hpa n2 ITLFile.tlv "$D/itl2.hpa"
cmp -s "$D/itl.hpa" "$D/itl2.hpa" && fail "n1 and n2 serve the same ITL"
curl -sf "$(http_url n2 ITLFile.tlv)" -o "$D/itl2.http" || fail "HTTP n2"
same "$D/itl2.hpa" "$D/itl2.http" "HTTP on n2"

step "no CTL yet: CTLFile.tlv is not found, over TFTP and HTTP"
get_hpa n1 CTLFile.tlv "$D/none" && fail "a CTL before any was signed"
grep -qi "not found" "$D/hpa.out" || fail "tftp-hpa: $(cat "$D/hpa.out")"
code=$(curl -s -o /dev/null -w '%{http_code}' "$(http_url n1 CTLFile.tlv)")
[ "$code" = 404 ] || fail "HTTP for a missing CTL: $code"

step "non-secure: a phone's configuration, unsigned, as the admin API reports it"
export WARD_NEW_PASSWORD=alice-secret-123
ward_ctl n1 user add alice >/dev/null
unset WARD_NEW_PASSWORD
ward_ctl n1 node-group add g1 --nodes "n2,n1" >/dev/null
ward_ctl n1 device add SEP0011223344AA --model 8841 --capabilities tls,srtp,encrypted-config \
	--profile standard-authenticated --lines 1001,1002 --digest-user alice --node-group g1 >/dev/null
CFG=SEP0011223344AA.cnf.xml
wait_until 10 "n2 serves the config" get_hpa n2 $CFG "$D/cfg.n2"
ward_ctl n2 tftp get -o "$D/cfg.n2.admin" $CFG
same "$D/cfg.n2.admin" "$D/cfg.n2" "config over TFTP"
# the node group's order is the phone's failover order
grep -n "<name>n[12]</name>" "$D/cfg.n2" | tr '\n' ' ' | grep -q "n2.*n1" ||
	fail "node group order: $(grep '<name>' "$D/cfg.n2")"
grep -q "<authName>alice</authName>" "$D/cfg.n2" || fail "no digest user"
! grep -qi "secret\|authHash\|password" "$D/cfg.n2" || fail "a credential in clear"
get_hpa n1 XMLDefault.cnf.xml "$D/default.xml" || fail "XMLDefault.cnf.xml"
get_hpa n1 $CFG.sgn "$D/none" && fail "a signed file in non-secure mode"

step "a token signs the CTL: both nodes serve exactly what the admin API exports"
tokens_dir
make_token tokA sast1 01
make_token tokB sast2 02
leader=$(leader_of n1)
ward_ctl "$leader" token register --module "$MODULE" --token tokA >/dev/null
ward_ctl "$leader" token register --module "$MODULE" --token tokB >/dev/null
ward_ctl n1 ctl sign --module "$MODULE" --token tokA --pin-file "$PIN_FILE" >/dev/null
ward_ctl n1 ctl export -o "$D/ctl.admin"
for n in n1 n2; do
	wait_until 10 "$n serves the CTL" get_hpa $n CTLFile.tlv "$D/ctl.$n"
	same "$D/ctl.admin" "$D/ctl.$n" "CTL over TFTP from $n"
	get_atftp $n CTLFile.tlv "$D/ctl.$n.win" "windowsize 4" "tsize 0" ||
		fail "atftp CTL: $(cat "$D/atftp.out")"
	same "$D/ctl.admin" "$D/ctl.$n.win" "CTL windowed from $n"
	curl -sf "$(http_url $n CTLFile.tlv)" -o "$D/ctl.$n.http" || fail "HTTP CTL"
	same "$D/ctl.admin" "$D/ctl.$n.http" "CTL over HTTP from $n"
done

step "mixed mode: configs only signed, by each node's TFTP key, checked by an independent verifier"
ward_ctl n1 security mode mixed >/dev/null
for n in n1 n2; do
	wait_until 10 "$n serves $CFG.sgn" get_atftp $n $CFG.sgn "$D/sgn.$n" "tsize 0" "blksize 1428"
	ward_ctl $n tftp get -o "$D/sgn.$n.admin" $CFG.sgn
	same "$D/sgn.$n.admin" "$D/sgn.$n" "signed config from $n"
	curl -sf "$(http_url $n $CFG.sgn)" -o "$D/sgn.$n.http" || fail "HTTP .sgn"
	same "$D/sgn.$n" "$D/sgn.$n.http" "signed config over HTTP from $n"
	mkdir -p "$D/indep.$n"
	/usr/bin/python3 "$KEYS/indep.py" check "$D/sgn.$n" "$D/$n/pki/tftp.pem" "$D/indep.$n" ||
		fail "the independent verifier refuses $n's $CFG.sgn"
	get_hpa $n $CFG "$D/none" && fail "$n serves the unsigned name in mixed mode"
	grep -qi "signed" "$D/hpa.out" || fail "no reason given: $(cat "$D/hpa.out")"
done
cmp -s "$D/sgn.n1" "$D/sgn.n2" && fail "n1 and n2 sign with the same key"
cp "$D/sgn.n1" "$D/sgn.bad"
printf 'X' | dd of="$D/sgn.bad" bs=1 seek=$(($(stat -c %s "$D/sgn.bad") - 20)) conv=notrunc 2>/dev/null
mkdir -p "$D/indep.bad"
/usr/bin/python3 "$KEYS/indep.py" check "$D/sgn.bad" "$D/n1/pki/tftp.pem" "$D/indep.bad" >/dev/null 2>&1 &&
	fail "a tampered file passes the independent verifier"

step "a change through one node: every node serves the new file, signed through the keystore"
# The key file in DATA/pki is not what signs: the keystore holds the key.
mv "$D/n1/pki/tftp.key" "$D/n1.tftp.key.aside"
ward_ctl n2 device set SEP0011223344AA --lines 2001 >/dev/null
for n in n1 n2; do
	wait_until 10 "$n serves the changed config" bash -c \
		"curl -sf '$(http_url $n $CFG.sgn)' | grep -qa '<featureLabel>2001<'"
done
curl -sf "$(http_url n1 $CFG.sgn)" -o "$D/sgn.ks"
mkdir -p "$D/indep.ks"
/usr/bin/python3 "$KEYS/indep.py" check "$D/sgn.ks" "$D/n1/pki/tftp.pem" "$D/indep.ks" ||
	fail "the file signed through the keystore does not verify"
mv "$D/n1.tftp.key.aside" "$D/n1/pki/tftp.key"
grep -q "signing with the TFTP key the keystore holds" "$D/n1.log" ||
	fail "n1 does not sign through the keystore"
! grep -q "signing with the TFTP key of" "$D/n1.log" || fail "n1 signed with the key file"

step "wardctl tftp files says what the phone gets and why"
ward_ctl n1 tftp files SEP0011223344AA >"$D/files.txt"
grep -q "refused: mixed mode" "$D/files.txt" || fail "$(cat "$D/files.txt")"
grep -q "signed with this node's TFTP key" "$D/files.txt" || fail "$(cat "$D/files.txt")"
grep -q "encryption is not asked" "$D/files.txt" || fail "$(cat "$D/files.txt")"
grep -q "WARNING: the digest user" "$D/files.txt" || fail "no digest warning: $(cat "$D/files.txt")"
get_hpa n1 $CFG.sgn "$D/sgn.n1.now" || fail "$CFG.sgn after the change"
[ "$(ward_ctl n1 --json tftp files SEP0011223344AA | jq -r '.files[1].sha256')" = \
	"sha256:$(sha256sum "$D/sgn.n1.now" | cut -d' ' -f1)" ] || fail "tftp files: another sha256"
ward_ctl n1 param set tftp_encrypted_config true >/dev/null
wait_until 10 "the phone without an LSC or MIC gets no encrypted file, and why" bash -c \
	"'$WARDCTL' --url '$(ward_url n1)' --fingerprint '$(ward_fp n1)' tftp files SEP0011223344AA |
		grep -q 'no certificate (LSC or MIC, RSA) to encrypt to'"
get_hpa n1 $CFG.enc.sgn "$D/none" && fail "an encrypted file without an LSC"
get_hpa n1 $CFG.sgn "$D/sgn.noenc" || fail "the .sgn without an LSC"
grep -qa "<fullConfig>true<" "$D/sgn.noenc" || fail "a stub without an encrypted file"
wait_until 10 "the log says why" grep -q "has no certificate (LSC or MIC, RSA)" "$D/n1.log"
expect_rc 2 ward_ctl n1 tftp files SEP00000000FFFF

step "HTTP refuses what is not a file of this node"
for path in /no-such-file /../../etc/passwd /%2e%2e/etc/passwd //etc/passwd; do
	code=$(curl -s --path-as-is -o /dev/null -w '%{http_code}' \
		"http://$(conf_get n1 tftp http_listen)$path")
	[ "$code" = 404 ] || fail "HTTP $path: $code"
done
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST --data x "$(http_url n1 CTLFile.tlv)")
[ "$code" = 405 ] || fail "HTTP POST: $code"
# An endless header is cut off, and the node goes on serving.
head -c 20000 /dev/zero | tr '\0' 'a' |
	curl -s -o /dev/null -H "X-Long: $(head -c 8000 /dev/zero | tr '\0' b)" \
		"$(http_url n1 CTLFile.tlv)" || true
curl -sf "$(http_url n1 CTLFile.tlv)" -o "$D/ctl.after" || fail "HTTP after a long header"
same "$D/ctl.admin" "$D/ctl.after" "HTTP after a long header"

step "uploads: a 3 MB load and a locale in a folder, through n2, served by both nodes"
head -c 3000000 /dev/urandom >"$D/load.bin"
head -c 1000000 /dev/urandom >"$D/mid.jar"
ward_ctl n2 tftp upload --name SIP88xx.14-2-1.loads "$D/load.bin" >/dev/null
ward_ctl n1 tftp upload --name English_United_States/mk-sip.jar "$D/mid.jar" >/dev/null
ward_ctl n1 --json tftp list | jq -e '.files | length == 2' >/dev/null ||
	fail "tftp list: $(ward_ctl n1 --json tftp list)"
for n in n1 n2; do
	wait_until 10 "$n serves the load" get_atftp $n SIP88xx.14-2-1.loads "$D/load.$n" \
		"windowsize 16" "blksize 1428" "tsize 0"
	same "$D/load.bin" "$D/load.$n" "upload windowed from $n"
	ward_ctl $n tftp get -o "$D/load.$n.admin" SIP88xx.14-2-1.loads
	same "$D/load.bin" "$D/load.$n.admin" "upload as the admin API reports it on $n"
	curl -sf "$(http_url $n SIP88xx.14-2-1.loads)" -o "$D/load.$n.http" || fail "HTTP upload"
	same "$D/load.bin" "$D/load.$n.http" "upload over HTTP from $n"
done
get_hpa n2 SIP88xx.14-2-1.loads "$D/load.hpa" || fail "tftp-hpa large file"
same "$D/load.bin" "$D/load.hpa" "tftp-hpa, 5860 blocks lock-step"
# 125000 blocks of 8 bytes: the block number rolls over past 65535.
get_atftp n2 English_United_States/mk-sip.jar "$D/mid.small" "blksize 8" "windowsize 32" ||
	fail "atftp blksize 8: $(cat "$D/atftp.out")"
same "$D/mid.jar" "$D/mid.small" "block number roll-over"
# In mixed mode an uploaded file can be had signed too; the signed content is the file.
get_atftp n2 English_United_States/mk-sip.jar.sgn "$D/mid.sgn" "windowsize 8" "blksize 1428" ||
	fail "uploaded file .sgn: $(cat "$D/atftp.out")"
mkdir -p "$D/indep.up"
/usr/bin/python3 "$KEYS/indep.py" check "$D/mid.sgn" "$D/n2/pki/tftp.pem" "$D/indep.up" ||
	fail "the independent verifier refuses a signed upload"
[ "$(tail -c 1000000 "$D/mid.sgn" | sha256sum)" = "$(sha256sum <"$D/mid.jar")" ] ||
	fail "the signed upload does not end with the file"
expect_rc 2 ward_ctl n1 tftp upload --name CTLFile.tlv "$D/mid.jar"
expect_rc 2 ward_ctl n1 tftp upload --name ../x "$D/mid.jar"
ward_ctl n2 tftp delete SIP88xx.14-2-1.loads >/dev/null
wait_until 10 "n1 stops serving a deleted file" \
	bash -c "! curl -sf '$(http_url n1 SIP88xx.14-2-1.loads)' -o /dev/null"

step "HTTP: connections past the cap are closed at once; served again when they go"
/usr/bin/python3 - "$(conf_get n1 tftp http_listen)" <<'PY' || fail "HTTP connection cap"
import socket, sys, time
host, port = sys.argv[1].rsplit(":", 1)
idle = [socket.create_connection((host, int(port))) for _ in range(16)]
time.sleep(0.3)
extra = socket.create_connection((host, int(port)))
extra.settimeout(2)
extra.sendall(b"GET /CTLFile.tlv HTTP/1.1\r\n\r\n")
try:
    got = extra.recv(100)
except (ConnectionResetError, socket.timeout):
    got = b""
if got:
    sys.exit("the 17th connection was served: %r" % got[:40])
for s in idle:
    s.close()
PY
wait_until 5 "HTTP serves again" curl -sf "$(http_url n1 CTLFile.tlv)" -o /dev/null

step "raw packets: refusals, silences, a flood from one address"
python3 "$WARD_SRC/tests/system/tftp_probe.py" 127.0.0.1 "$(tftp_port n1)" \
	CTLFile.tlv "$(sha256sum "$D/ctl.admin" | cut -d' ' -f1)"
wait_until 15 "n1 serves 127.0.0.1 again after the flood" \
	get_hpa n1 CTLFile.tlv "$D/ctl.end"
same "$D/ctl.admin" "$D/ctl.end" "CTL after the probe"
[ -n "$(ward_pid n1)" ] || fail "n1 exited"

step "done"
