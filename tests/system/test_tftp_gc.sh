#!/usr/bin/env bash
# Uploads never committed are collected by the leader: a node running two
# days in the past (libfaketime) takes the chunks of two uploads — one
# committed, one abandoned; back in the present, the leader removes the
# abandoned upload's chunks (idle past tftp_upload_idle_hours, 24) so it
# can no longer be committed, while the committed file is still served
# byte for byte and an upload under way today is left alone.
. "$(dirname "$0")/lib.sh"
. "$WARD_SRC/tests/system/tftp.sh"

D=$CLUSTER_DIR
# api METHOD PATH [BODY-FILE]: the admin API; the status printed, the
# answer in $D/api.out.
api() {
	curl -sk -o "$D/api.out" -w '%{http_code}' -u "$WARD_USER:$WARD_PASSWORD" \
		-X "$1" ${3:+-H 'Content-Type: application/json' --data-binary @"$3"} \
		"$(ward_url n1)$2"
}
sha() { sha256sum "$1" | cut -d' ' -f1; }
# chunk FILE INDEX: uploads 64 KiB chunk INDEX of FILE.
chunk() {
	dd if="$1" bs=65536 skip="$2" count=1 2>/dev/null | base64 -w0 >"$D/b64"
	printf '{"sha256":"%s","index":%s,"data":"%s"}' "$(sha "$1")" "$2" \
		"$(cat "$D/b64")" >"$D/chunk.json"
	[ "$(api POST /v1/tftp/chunks "$D/chunk.json")" = 201 ] ||
		fail "chunk $2 of $1: $(cat "$D/api.out")"
}
# commit FILE NAME: the commit's HTTP status.
commit() {
	printf '{"name":"%s","size":%s,"sha256":"%s","chunk_size":65536}' "$2" \
		"$(stat -c %s "$1")" "$(sha "$1")" >"$D/commit.json"
	api POST /v1/tftp/files "$D/commit.json"
}

node_conf n1 "audit_prune_s = 1" "[capf]" "listen = 127.0.0.1:$(free_port)"
wardd_past 2
head -c 200000 /dev/urandom >"$D/kept.bin"      # 4 chunks, committed
head -c 150000 /dev/urandom >"$D/abandoned.bin" # 3 chunks, never committed
head -c 140000 /dev/urandom >"$D/today.bin"     # 3 chunks, under way today

step "two days ago: one upload committed, one abandoned"
WARDD=$D/wardd-past ward_init n1 gctest
ward_ctl n1 tftp upload --name kept.bin "$D/kept.bin" >/dev/null
for i in 0 1 2; do chunk "$D/abandoned.bin" $i; done
ward_stop n1

step "today: an upload under way; the leader collects the abandoned one"
ward_start n1
wait_until 20 "n1 leads" has_leader n1
for i in 0 1; do chunk "$D/today.bin" $i; done
wait_until 20 "the abandoned upload collected" \
	grep -q "TFTP upload collection: [0-9]* operations on uploads idle for 24 hours" "$D/n1.log"
code=$(commit "$D/abandoned.bin" abandoned.bin)
[ "$code" = 409 ] || fail "the abandoned upload committed after collection: $code $(cat "$D/api.out")"
grep -q "missing\|being removed" "$D/api.out" || fail "$(cat "$D/api.out")"

step "the committed file is served as it was; today's upload completes"
curl -sf "$(http_url n1 kept.bin)" -o "$D/kept.http" || fail "HTTP kept.bin"
cmp -s "$D/kept.bin" "$D/kept.http" || fail "kept.bin changed"
sleep 2 # more collection rounds
chunk "$D/today.bin" 2
code=$(commit "$D/today.bin" today.bin)
[ "$code" = 201 ] || fail "today's upload did not commit: $code $(cat "$D/api.out")"
curl -sf "$(http_url n1 today.bin)" -o "$D/today.http" || fail "HTTP today.bin"
cmp -s "$D/today.bin" "$D/today.http" || fail "today.bin differs"

step "done"
