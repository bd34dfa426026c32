#!/usr/bin/env bash
# The house rule on the admin port, through a real wardd driven by curl and
# wardctl: what an unauthenticated client does costs bounded memory and CPU
# and never becomes a Raft write of its own.
# - key generation and scrypt run off the event loop: the node answers
#   while cluster init makes its PKI;
# - thirty requests with a malformed Authorization header: a few 401s, then
#   429 with Retry-After; a cached login still goes through; the failures
#   end up in one summary command (the applied index barely moves);
# - the connection cap: at admin.max_connections idle connections a new
#   client is not served until one closes;
# - the leader prunes audit records older than audit_retention_days
#   (records written by the same node running three days in the past).
. "$(dirname "$0")/lib.sh"

node_conf n1 "max_connections = 6" "login_burst = 5" "login_per_min = 6" \
	"fail_summary_s = 4" "audit_prune_s = 1"
url=$(ward_url n1)
hostport=$(cat "$CLUSTER_DIR/n1.admin")

# status_time: seconds one GET /v1/status without credentials takes;
# "fail" if it is not answered. Before the cluster exists it is answered
# 200, after the bootstrap 401 until the first admin is committed: either
# way the event loop served it.
status_time() {
	curl -sk -o /dev/null --max-time 20 -w '%{http_code} %{time_total}\n' \
		"$url/v1/status" |
		awk '$1 == 200 || $1 == 401 { print $2; next } { print "fail" }'
}
applied() { ward_ctl n1 --json status | jq .node.applied_index; }
audit_count() { ward_ctl n1 --json audit --limit 1000 | jq '.audit | length'; }

# wardd three days in the past, for records old enough to prune.
wardd_past 3

step "init makes its keys off the event loop: status answers meanwhile"
WARDD=$CLUSTER_DIR/wardd-past ward_start n1
for i in $(seq 1 100); do
	[ -s "$CLUSTER_DIR/n1/init.token" ] && break
	sleep 0.05
done
t0=$(date +%s%N)
ward_ctl n1 cluster init --name unauth \
	--token-file "$CLUSTER_DIR/n1/init.token" >"$CLUSTER_DIR/init.out" &
init_pid=$!
times=()
while kill -0 $init_pid 2>/dev/null; do
	times+=("$(status_time)")
	sleep 0.02
done
wait $init_pid || fail "cluster init failed"
init_ms=$((($(date +%s%N) - t0) / 1000000))
echo "init took ${init_ms} ms; status answered in: ${times[*]} s"
[ ${#times[@]} -ge 2 ] || fail "init too quick to observe (${init_ms} ms)"
slowest=$(printf '%s\n' "${times[@]}" | sort -g | tail -1)
[ "$slowest" != fail ] || fail "a status call failed during init"
# The PKI (seven key pairs) takes most of init; a loop busy with it would
# hold every status call for that long.
awk -v s="$slowest" -v i="$init_ms" 'BEGIN { exit !(s * 1000 < i / 2) }' ||
	fail "a status call waited ${slowest} s during an init of ${init_ms} ms"
ward_ctl n1 status >/dev/null || fail "no status after init"

step "a few failures three days ago, then the node runs in the present"
for i in 1 2 3; do
	ward_ctl n1 param set sip_keepalive_s $((40 + i)) >/dev/null
done
old_records=$(audit_count)
[ "$old_records" -ge 4 ] || fail "only $old_records audit records were written"
ward_stop n1
ward_start n1
wait_until 10 "n1 leads again" has_leader n1

step "thirty malformed Authorization headers: 401, then 429; one summary"
ward_ctl n1 status >/dev/null # a good login, now cached
a0=$(applied)
n0=$(audit_count)
codes=()
for i in $(seq 1 30); do
	codes+=("$(curl -sk -o /dev/null -w '%{http_code}' \
		-H 'Authorization: Basic !!!' "$url/v1/nodes")")
done
n401=$(printf '%s\n' "${codes[@]}" | grep -c '^401$' || true)
n429=$(printf '%s\n' "${codes[@]}" | grep -c '^429$' || true)
echo "answers: ${codes[*]}"
[ "$n401" -ge 1 ] && [ "$n401" -le 8 ] || fail "$n401 answers 401 (burst 5)"
[ $((n401 + n429)) = 30 ] || fail "answers other than 401 and 429: ${codes[*]}"
curl -sk -D "$CLUSTER_DIR/h429" -o "$CLUSTER_DIR/b429" \
	-H 'Authorization: Basic !!!' "$url/v1/nodes" >/dev/null
grep -q '^HTTP/1.1 429' "$CLUSTER_DIR/h429" || fail "no 429: $(head -1 "$CLUSTER_DIR/h429")"
retry=$(tr -d '\r' <"$CLUSTER_DIR/h429" | sed -n 's/^Retry-After: //Ip')
[ -n "$retry" ] && [ "$retry" -ge 1 ] && [ "$retry" -le 60 ] ||
	fail "429 without a sensible Retry-After: '$retry'"
jq -e '.error | test("too many logins")' "$CLUSTER_DIR/b429" >/dev/null ||
	fail "429 body: $(cat "$CLUSTER_DIR/b429")"
# A wrong password from the same address waits too ...
code=$(curl -sk -o /dev/null -w '%{http_code}' -u admin:wrong-password "$url/v1/nodes")
[ "$code" = 429 ] || fail "a wrong password got $code, not 429"
# ... but a login already verified does not.
ward_ctl n1 node list >/dev/null || fail "the cached login was throttled"
# 32 failures: summed over the summaries of one or two windows.
fails_summed() {
	ward_ctl n1 --json audit | jq '[.audit[] | select(.action == "login.fail")
		| .detail | capture("peer=127.0.0.1 count=(?<n>[0-9]+) ").n
		| tonumber] | add // 0'
}
summed_32() { [ "$(fails_summed)" -ge 32 ]; }
wait_until 15 "the failures are summarised" summed_32
sleep 5 # another summary window: nothing more may come
a1=$(applied)
n1c=$(audit_count)
echo "applied index $a0 -> $a1, audit records $n0 -> $n1c"
[ "$(fails_summed)" = 32 ] || fail "summaries count $(fails_summed) failures, not 32"
# One command per window (the 32 requests may straddle two windows), each
# with a record for the source and one for the users.
[ $((a1 - a0)) -le 2 ] || fail "32 failures made $((a1 - a0)) Raft entries"
[ $((n1c - n0)) -le 4 ] || fail "32 failures made $((n1c - n0)) audit records"
ward_ctl n1 --json audit | jq -e '.audit[] | select(.action == "login.fail.users")
	| .detail | test("\\?:")' >/dev/null || fail "no per-user summary"

step "the connection cap: six idle connections, the seventh waits"
holders=()
for i in $(seq 1 6); do
	sleep 30 | openssl s_client -connect "$hostport" -quiet \
		>/dev/null 2>&1 &
	holders+=($!)
done
wait_until 10 "the node stops accepting" grep -q "6 connections open" \
	"$CLUSTER_DIR/n1.log"
rc=0
curl -sk -o /dev/null --max-time 2 "$url/v1/status" || rc=$?
[ "$rc" = 28 ] || fail "a seventh client was served (curl exit $rc)"
for p in "${holders[@]}"; do pkill -P "$p" sleep 2>/dev/null || true; kill "$p" 2>/dev/null || true; done
wait_until 10 "a client is served again" curl -sk -o /dev/null --max-time 2 \
	-f -u "$WARD_USER:$WARD_PASSWORD" "$url/v1/status"
grep -q "accepting connections again" "$CLUSTER_DIR/n1.log" ||
	fail "the node did not say it accepts again"

step "records older than audit_retention_days are pruned by the leader"
ward_ctl n1 param set audit_retention_days 1 >/dev/null
old_gone() {
	ward_ctl n1 --json audit --limit 1000 | jq -e '[.audit[] |
		select(.action == "param.set" and (.detail | test("sip_keepalive_s")))]
		| length == 0'
}
wait_until 15 "the three-day-old records are gone" old_gone
ward_ctl n1 --json audit --limit 1000 >"$CLUSTER_DIR/audit.json"
jq -e '[.audit[] | select(.action == "cluster.init")] | length == 0' \
	"$CLUSTER_DIR/audit.json" >/dev/null || fail "cluster.init was kept"
jq -e '[.audit[] | select(.action == "param.set" and
	(.detail | test("audit_retention_days")))] | length == 1' \
	"$CLUSTER_DIR/audit.json" >/dev/null || fail "a new record was pruned"
jq -e '[.audit[] | select(.action == "login.fail")] | length == 1' \
	"$CLUSTER_DIR/audit.json" >/dev/null || fail "a new summary was pruned"
grep -q "audit pruning: [0-9]* records older than 1 days deleted" \
	"$CLUSTER_DIR/n1.log" || fail "no pruning in the log"

step "ok"
