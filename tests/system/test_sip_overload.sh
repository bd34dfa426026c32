#!/usr/bin/env bash
# Overload control (docs/sip.md, "Overload"): SIPp offers calls faster
# than one signaling thread serves them and ward_sipd is stopped for 0.8 s
# meanwhile (SIGSTOP: the thread falls behind, the socket queue
# fills as under a burst). New INVITEs get 503 with Retry-After; every
# call that was answered completes (its BYE answered); REGISTER and
# OPTIONS are answered while the calls go on; the process lives and its
# memory stays bounded: with transactions living 2 s (--t1x64-ms), 5 s
# after the last call about one per answered call is held — the INVITE
# to the callee, whose Timer D sofia keeps at 32 s whatever T1 — where
# every call's ACK to the callee once stayed for good as well (two per
# call). Nothing is timed.
. "$(dirname "$0")/lib.sh"

SIPD=$WARD_BIN/tests/ward_sipd
SCEN=$WARD_SRC/tests/system/sip
BENCH=$WARD_SRC/bench/sip
command -v sipp >/dev/null || fail "sipp (sip-tester) is not installed"

phones=400 half=200 calls=3000
{
	echo "realm ward.test"
	echo "secret $(openssl rand -hex 32)"
	for ((i = 0; i < phones; i++)); do
		echo "user dev$i pw"
		echo "device dev$i user=dev$i line=$((10000 + i))"
	done
} >"$CLUSTER_DIR/dir.txt"
{
	echo SEQUENTIAL
	for ((i = half; i < phones; i++)); do
		echo "dev$i;[authentication username=dev$i password=pw]"
	done
} >"$CLUSTER_DIR/callees.csv"
{
	echo SEQUENTIAL
	for ((i = 0; i < half; i++)); do
		echo "dev$i;[authentication username=dev$i password=pw];$((10000 + i + half))"
	done
} >"$CLUSTER_DIR/callers.csv"

PORT=$(free_port)
# 50 ms of queueing: a low threshold, so that the burst below overloads
# the node whatever the machine's speed. 3,000 calls from 200 callers:
# up to 15 a device when the stop piles them up, so the per-device
# limit (8 by default, 486 beyond) is raised out of the way.
"$SIPD" --dir "$CLUSTER_DIR/dir.txt" --host 127.0.0.1 --port "$PORT" \
	--rate 0 --digest MD5 --digest-uri-any --quiet \
	--overload-delay-ms 50 --t1x64-ms 2000 --max-per-device 64 >"$CLUSTER_DIR/sipd.out" \
	2>"$CLUSTER_DIR/sipd.log" &
SIPD_PID=$!
echo $SIPD_PID >"$CLUSTER_DIR/sipd.pid"
wait_until 5 "ward_sipd listening" sh -c "ss -Hlnt 'sport = :$PORT' | grep -q ."

step "the callees register"
UAS=$(free_port)
(cd "$CLUSTER_DIR" && timeout 30 sipp -sf "$SCEN/register.xml" \
	-inf callees.csv -m "$half" -r 500 -i 127.0.0.1 -p "$UAS" \
	-timeout 20 127.0.0.1:"$PORT" </dev/null >/dev/null 2>&1) ||
	fail "the callees did not register"
(cd "$CLUSTER_DIR" && exec sipp -sf "$BENCH/call_uas.xml" -rp 1000 \
	-buff_size 8388608 -i 127.0.0.1 -p "$UAS" </dev/null >/dev/null 2>&1) &
echo $! >"$CLUSTER_DIR/uas.pid"
sleep 0.3

step "$calls calls offered at 3,000/s; ward_sipd stopped for 0.8 s among them"
mkdir -p "$CLUSTER_DIR/uac"
(cd "$CLUSTER_DIR/uac" && timeout 120 sipp -sf "$BENCH/call_uac.xml" \
	-inf ../callers.csv -m "$calls" -r 3000 -rp 1000 -l 3000 \
	-buff_size 8388608 -i 127.0.0.1 -p "$(free_port)" -timeout 100 \
	-trace_stat -fd 3600 -stf stat.csv -trace_logs -trace_err \
	127.0.0.1:"$PORT" </dev/null >/dev/null 2>&1) &
UAC=$!
sleep 0.3
kill -STOP "$SIPD_PID"
sleep 0.8
kill -CONT "$SIPD_PID"

step "REGISTER and OPTIONS answered while the calls go on"
printf 'SEQUENTIAL\ndev0;[authentication username=dev0 password=pw]\n' \
	>"$CLUSTER_DIR/reg0.csv"
(cd "$CLUSTER_DIR" && timeout 30 sipp -sf "$SCEN/register.xml" \
	-inf reg0.csv -m 1 -i 127.0.0.1 -p "$(free_port)" -timeout 20 \
	127.0.0.1:"$PORT" </dev/null >/dev/null 2>&1) ||
	fail "a REGISTER was not answered during the overload"
python3 - "$PORT" <<'PY' || fail "an OPTIONS was not answered during the overload"
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 0))
s.settimeout(10)
port = s.getsockname()[1]
msg = ("OPTIONS sip:127.0.0.1:%s SIP/2.0\r\n"
       "Via: SIP/2.0/UDP 127.0.0.1:%d;branch=z9hG4bKovl1\r\n"
       "Max-Forwards: 70\r\nFrom: <sip:t@127.0.0.1>;tag=1\r\n"
       "To: <sip:t@127.0.0.1>\r\nCall-ID: ovl-options\r\n"
       "CSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n" % (sys.argv[1], port))
for _ in range(5):  # UDP: a retransmission if one is lost
    s.sendto(msg.encode(), ("127.0.0.1", int(sys.argv[1])))
    try:
        data = s.recv(65535).decode()
    except socket.timeout:
        continue
    sys.exit(0 if data.startswith("SIP/2.0 200") else 1)
sys.exit(1)
PY

wait $UAC || true
kill -0 "$SIPD_PID" 2>/dev/null || fail "ward_sipd died"
stat=$CLUSTER_DIR/uac/stat.csv
col() {
	awk -F';' -v name="$1" 'NR == 1 {for (i = 1; i <= NF; i++) if ($i == name) c = i}
		END {print $c + 0}' "$stat"
}
ok=$(col 'SuccessfulCall(C)') failed=$(col 'FailedCall(C)')
refused=$(cat "$CLUSTER_DIR"/uac/*_logs.log 2>/dev/null | grep -c '^refused' || true)
step "$ok calls ended as the scenario says ($refused of them refused 503), $failed failed"
[ "$refused" -gt 0 ] || fail "no INVITE was refused 503 under overload"
[ $((ok - refused)) -gt 0 ] || fail "no call was answered"
# Index 11 is the BYE, 12 its 200 (bench/sip/call_uac.xml). A late answer
# to a retransmitted INVITE (407, 503: ward answers those statelessly,
# each copy) that reaches SIPp while it waits for the BYE's 200 is SIPp's
# own confusion, not a BYE left unanswered.
bye_failed() {
	grep -h -E "index 1[12]\)|\(index 1[12]" "$CLUSTER_DIR"/uac/*errors.log 2>/dev/null |
		grep -v -E "received 'SIP/2.0 (1[0-9][0-9]|407|503) "
}
if bye_failed | grep -q .; then
	fail "a BYE was not answered: $(bye_failed | head -2)"
fi
# Every call offered ended one way or the other: answered and hung up,
# refused, or failed for one of two reasons that are not ward's fault
# under a stop: ward's INVITE to the callee timed out (Timer B is 2 s
# here, --t1x64-ms: 480 to the caller), or SIPp took a late stateless
# answer to a retransmitted INVITE for the BYE's. Every failed call must
# be one of those.
aborts() {
	grep -h -o "while expecting '[0-9]*' (index [0-9]*), received 'SIP/2.0 [0-9]*" \
		"$CLUSTER_DIR"/uac/*errors.log 2>/dev/null
}
explained=$(aborts | grep -c -E "\(index ([0-9]|10)\), received 'SIP/2.0 480$|\(index 1[12]\), received 'SIP/2.0 (1[0-9][0-9]|407|503)$" || true)
[ "$failed" -eq "$explained" ] ||
	fail "$failed calls failed, $explained of them explained: $(aborts | sort | uniq -c | head -5)"
rss=$(awk '/VmHWM/ {print $2}' "/proc/$SIPD_PID/status")
step "peak RSS of ward_sipd: $rss KiB"
[ "$rss" -lt 1048576 ] || fail "ward_sipd's memory grew past 1 GiB"
# Retry-After between 2 and 4 s (the default overload_retry_after_s, 2).
bad=$(grep '^refused' "$CLUSTER_DIR"/uac/*_logs.log | grep -v -c 'retry-after [234]$' || true)
[ "$bad" -eq 0 ] || fail "$bad 503s without a Retry-After of 2..4 s: $(grep '^refused' "$CLUSTER_DIR"/uac/*_logs.log | grep -v 'retry-after [234]$' | head -2)"

kill "$(cat "$CLUSTER_DIR/uas.pid")"
sleep 5 # 2.5 times the transactions' lifetime
kill "$SIPD_PID"
wait "$SIPD_PID" 2>/dev/null || true
rm -f "$CLUSTER_DIR/sipd.pid"
over=$(grep -o '"overloaded":[0-9]*' "$CLUSTER_DIR/sipd.out" | cut -d: -f2)
step "ward_sipd refused $over new dialogs 503"
[ "${over:-0}" -gt 0 ] || fail "ward_sipd counted no overload refusal"
held=$(grep -o '"transactions":[0-9]*' "$CLUSTER_DIR/sipd.out" | cut -d: -f2)
step "transactions held 5 s after the last call: $held ($((ok - refused)) calls answered)"
[ "${held:-999999}" -le $(((ok - refused) * 3 / 2)) ] ||
	fail "$held transactions outlived their timers"
echo PASS
