#!/usr/bin/env bash
# wardd started as root with node.user becomes that user, keeping only
# CAP_NET_BIND_SERVICE, and still serves TFTP (and HTTP) on ports below
# 1024; a data directory that belongs to someone else is refused with a
# message that says how to fix it; an unknown user is refused. Runs as
# root (the tests do): it creates a system user of its own and removes it.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || fail "this test needs root (to start wardd as root)"
U=wt$$
created=0
if ! id "$U" >/dev/null 2>&1; then
	useradd --system --no-create-home --user-group --shell /usr/sbin/nologin "$U"
	created=1
fi
trap 'rc=$?; [ $created = 1 ] && userdel "$U" 2>/dev/null; (exit $rc); sys_cleanup' EXIT
uid=$(id -u "$U")

# priv_port: a port below 1024 with nothing on it (UDP and TCP).
priv_port() {
	local p
	while :; do
		p=$((600 + RANDOM % 400))
		grep -qx "$p" "$CLUSTER_DIR/ports.used" 2>/dev/null && continue
		ss -Hanu "sport = :$p" | grep -q . && continue
		ss -Hant "sport = :$p" | grep -q . && continue
		echo "$p" >>"$CLUSTER_DIR/ports.used"
		echo "$p"
		return
	done
}
tport=$(priv_port)
hport=$(priv_port)
conf() { # USER
	WARD_TFTP_LISTEN=127.0.0.1:$tport WARD_TFTP_HTTP_LISTEN=127.0.0.1:$hport \
		ward_conf n1 "127.0.0.1:$(free_port)" "127.0.0.1:$(free_port)" \
		"[node]" "user = $1"
}

step "an unknown user is refused"
conf "nosuchuser$$"
expect_rc 1 timeout 20 "$WARDD" -c "$CLUSTER_DIR/n1.conf"
grep -q "node.user nosuchuser$$: no such user" "$CLUSTER_DIR/last.err" ||
	fail "no clear message: $(cat "$CLUSTER_DIR/last.err")"

step "a data directory the user cannot reach is refused"
conf "$U"
mkdir -m 700 "$CLUSTER_DIR/n1"
chmod 700 "$CLUSTER_DIR"
expect_rc 1 timeout 20 "$WARDD" -c "$CLUSTER_DIR/n1.conf"
grep -q "$CLUSTER_DIR/n1: Permission denied as node.user $U" "$CLUSTER_DIR/last.err" ||
	fail "no clear message: $(cat "$CLUSTER_DIR/last.err")"
chmod 755 "$CLUSTER_DIR"

step "a data directory owned by root is refused with the fix"
expect_rc 1 timeout 20 "$WARDD" -c "$CLUSTER_DIR/n1.conf"
grep -q "not to node.user $U (uid $uid).*chown -R $U: $CLUSTER_DIR/n1" \
	"$CLUSTER_DIR/last.err" || fail "no clear message: $(cat "$CLUSTER_DIR/last.err")"
[ -z "$(ls -A "$CLUSTER_DIR/n1")" ] || fail "wrote into a directory not its own"

step "owned by $U: it starts, as $U, on ports $tport and $hport"
chown "$U:" "$CLUSTER_DIR/n1"
ward_init n1 privdrop
pid=$(ward_pid n1)
[ -n "$pid" ] || fail "wardd is not running"
read -r _ r e s f < <(grep '^Uid:' /proc/"$pid"/status)
[ "$r $e $s $f" = "$uid $uid $uid $uid" ] || fail "uids are $r $e $s $f, not $uid"
gid=$(id -g "$U")
read -r _ r e s f < <(grep '^Gid:' /proc/"$pid"/status)
[ "$r $e $s $f" = "$gid $gid $gid $gid" ] || fail "gids are $r $e $s $f, not $gid"
# CAP_NET_BIND_SERVICE is bit 10: 0x400, and nothing else, in every thread
for task in /proc/"$pid"/task/*; do
	for set in CapEff CapPrm; do
		v=$(awk -v s="$set:" '$1 == s { print $2 }' "$task/status")
		[ "$((16#$v))" = 1024 ] || fail "$task $set is $v, not 0x400"
	done
	v=$(awk '$1 == "CapInh:" { print $2 }' "$task/status")
	[ "$((16#$v))" = 0 ] || fail "$task CapInh is $v"
done
[ "$(find "$CLUSTER_DIR/n1" ! -user "$U" | wc -l)" = 0 ] ||
	fail "files not owned by $U: $(find "$CLUSTER_DIR/n1" ! -user "$U" | head -3)"
grep -q "running as $U, CAP_NET_BIND_SERVICE only" "$CLUSTER_DIR/n1.log" ||
	fail "the log does not say whom it runs as"

step "it serves TFTP on $tport and HTTP on $hport"
ward_ctl n1 tftp get -o "$CLUSTER_DIR/itl.want" ITLFile.tlv >/dev/null
[ -s "$CLUSTER_DIR/itl.want" ] || fail "no ITL from the admin API"
(cd "$CLUSTER_DIR" && tftp -m binary 127.0.0.1 "$tport" -c get ITLFile.tlv itl.tftp) \
	>"$CLUSTER_DIR/hpa.out" 2>&1
cmp -s "$CLUSTER_DIR/itl.want" "$CLUSTER_DIR/itl.tftp" ||
	fail "TFTP on port $tport: $(cat "$CLUSTER_DIR/hpa.out")"
curl -sf "http://127.0.0.1:$hport/ITLFile.tlv" -o "$CLUSTER_DIR/itl.http"
cmp -s "$CLUSTER_DIR/itl.want" "$CLUSTER_DIR/itl.http" || fail "HTTP on port $hport"
ss -Hlnup "sport = :$tport" | grep -q "pid=$pid," || fail "port $tport is not wardd's"

step "stops cleanly"
ward_stop n1
step "ok"
