# sipp.sh: the SIPp helpers of the system tests, sourced after lib.sh.
# SIPp 3.6.1 (Debian) knows only MD5 digest and answers only the first
# challenge; each run works in $CLUSTER_DIR/NAME, where its logs stay.

SIPP_SCEN=$WARD_SRC/tests/system/sip
command -v sipp >/dev/null || fail "sipp (sip-tester) is not installed"

# sipp_run NAME LPORT SCENARIO [ARGS...]: one SIPp call from
# ${SIPP_IP:-127.0.0.1}:LPORT over ${SIPP_TP:-u1} (t1: TCP), SIPp giving
# up after ${SIPP_TIMEOUT:-20} s; ARGS end with the target. Its status.
sipp_run() {
	local name=$1 lport=$2 scen=$3 t=${SIPP_TIMEOUT:-20}
	shift 3
	mkdir -p "$CLUSTER_DIR/$name"
	(cd "$CLUSTER_DIR/$name" && timeout $((t + 10)) sipp -sf "$scen" \
		-t "${SIPP_TP:-u1}" -m 1 -i "${SIPP_IP:-127.0.0.1}" -p "$lport" \
		-timeout "$t" -trace_err "$@" </dev/null >/dev/null 2>&1)
}

# sipp_errors NAME: the end of run NAME's error log, for a failure.
sipp_errors() {
	cat "$CLUSTER_DIR/$1"/*errors.log 2>/dev/null | grep -v "^ *$" |
		tail -"${SIPP_ERR_LINES:-40}"
}

# sipp_bg NAME LPORT SCENARIO [ARGS...]: sipp_run in the background (a
# callee: it listens once this returns); its status in NAME.rc.
sipp_bg() {
	sipp_spawn "$@"
	sleep 0.3
}

# sipp_callee NAME LPORT SCENARIO [ARGS...]: sipp_bg, returning once SIPp
# is seen listening on LPORT.
sipp_callee() {
	local proto=u
	[ "${SIPP_TP:-u1}" = t1 ] && proto=t
	sipp_spawn "$@"
	wait_until 5 "$1's SIPp listening" \
		sh -c "ss -Hln$proto 'sport = :$2' | grep -q ."
}

# sipp_spawn NAME LPORT SCENARIO [ARGS...]: sipp_run in the background;
# its status in NAME.rc.
sipp_spawn() {
	rm -f "$CLUSTER_DIR/$1.rc"
	(
		rc=0
		sipp_run "$@" || rc=$?
		echo $rc >"$CLUSTER_DIR/$1.rc"
	) &
}

# sipp_rc NAME [SECONDS]: waits (30 s) for sipp_bg's run NAME to end;
# prints its status.
sipp_rc() {
	wait_until "${2:-30}" "$1 to end" test -e "$CLUSTER_DIR/$1.rc"
	cat "$CLUSTER_DIR/$1.rc"
}

# sipp_ok NAME [SECONDS]: waits (30 s) for sipp_bg's run NAME to end;
# the test fails unless it passed.
sipp_ok() {
	wait_until "${2:-30}" "$1 to end" test -e "$CLUSTER_DIR/$1.rc"
	[ "$(cat "$CLUSTER_DIR/$1.rc")" = 0 ] || fail "$1: $(sipp_errors "$1")"
}

# sipp_logged NAME WORD: the value of the first "WORD VALUE" line run NAME
# logged (-trace_logs; the scenario's <log> actions); fails while none.
sipp_logged() {
	grep -h "^$2 " "$CLUSTER_DIR/$1"/*_logs.log 2>/dev/null | head -1 |
		cut -d' ' -f2 | grep .
}

# sipp_scen NAME FILE [KEY=VALUE...]: scenario FILE with each @KEY@
# replaced by VALUE, as $CLUSTER_DIR/NAME.xml; prints its path.
sipp_scen() {
	local out=$CLUSTER_DIR/$1.xml f=$2 kv
	shift 2
	cp "$f" "$out"
	for kv in "$@"; do sed -i "s|@${kv%%=*}@|${kv#*=}|g" "$out"; done
	echo "$out"
}

# sipp_auth USER PASSWORD: the [authentication] field of an injection row.
sipp_auth() { echo "[authentication username=$1 password=$2]"; }

# sipp_csv FILE FIELD...: an injection file of one row (FIELDs joined by
# ';') at FILE, under $CLUSTER_DIR unless absolute; prints its path.
sipp_csv() {
	local f=$1
	shift
	case $f in /*) ;; *) f=$CLUSTER_DIR/$f ;; esac
	printf 'SEQUENTIAL\n%s\n' "$(
		IFS=';'
		echo "$*"
	)" >"$f"
	echo "$f"
}

# sipp_caller_csv DEVICE USER PASSWORD NUMBER: the injection file of
# DEVICE calling NUMBER, digest as USER; prints its path.
sipp_caller_csv() {
	sipp_csv "caller-$1-$4.csv" "$1" "$(sipp_auth "$2" "$3")" "$4"
}

# sipp_auth_uri USER HOST:PORT: -auth_uri's value for a request to USER at
# HOST:PORT. ward checks that the digest uri is the Request-URI; SIPp 3.6
# would answer with sip:HOST:PORT (it adds the "sip:" itself).
sipp_auth_uri() { echo "$1@$2"; }

# sipp_register NAME LPORT HOST:PORT DEVICE USER PASSWORD: DEVICE
# registers from LPORT (register.xml); the test fails if it does not.
sipp_register() {
	local csv
	csv=$(sipp_csv "$1.csv" "$4" "$(sipp_auth "$5" "$6")")
	sipp_run "$1" "$2" "$SIPP_SCEN/register.xml" -inf "$csv" "$3" ||
		fail "$4 did not register: $(sipp_errors "$1")"
}

# sipp_attended TARGET BOB CAROL ALICE_CSV BOB_CSV TRANSFEREE: an attended
# transfer through TARGET (HOST:PORT): carol's phone on port CAROL answers
# the consultation call bob (BOB_CSV) makes to her line 1003; bob's phone
# on port BOB, in alice's call to him, REFERs her (ALICE_CSV, scenario
# TRANSFEREE) to 1003 with Replaces naming that call. Each side must pass.
sipp_attended() {
	local target=$1 bob=$2 carol=$3 alice_csv=$4 bob_csv=$5 transferee=$6 escaped
	sipp_callee att-target "$carol" "$SIPP_SCEN/att_target.xml"
	sipp_spawn att-consult "$(free_port)" "$SIPP_SCEN/replace_replaced.xml" \
		-trace_logs -inf "$bob_csv" -auth_uri "$(sipp_auth_uri 1003 "$target")" \
		"$target"
	wait_until 10 "bob's call to carol to be logged" sipp_logged att-consult REPLACES
	# Refer-To: <sip:1003@HOST?Replaces=CALL-ID%3Bto-tag%3DT%3Bfrom-tag%3DF>
	escaped=$(sipp_logged att-consult REPLACES | sed 's/@/%40/g; s/;/%3B/g; s/=/%3D/g')
	sipp_callee att-transferor "$bob" "$(sipp_scen att-refer \
		"$SIPP_SCEN/xfer_transferor.xml" "TARGET=1003@127.0.0.1?Replaces=$escaped")"
	sipp_run att-transferee "$(free_port)" "$transferee" -inf "$alice_csv" \
		-auth_uri "$(sipp_auth_uri 1002 "$target")" "$target" ||
		fail "the attended transfer failed: $(grep Refer-To "$CLUSTER_DIR/att-refer.xml") $(sipp_errors att-transferee) / $(sipp_errors att-transferor) / $(sipp_errors att-target)"
	sipp_ok att-transferor
	sipp_ok att-target
	sipp_ok att-consult
}

# sipp_ward_pair NAME: on wardd node NAME, alice's phone SEP000000000001
# (line 1001) and bob's SEP000000000002 (line 1002) on a digest profile
# (dig); their passwords alice-secret-123 and bob-secret-123.
sipp_ward_pair() {
	local u
	for u in alice bob; do
		WARD_NEW_PASSWORD=$u-secret-123 expect_rc 0 ward_ctl "$1" user add $u
	done
	expect_rc 0 ward_ctl "$1" profile add dig --digest-auth yes
	expect_rc 0 ward_ctl "$1" device add SEP000000000001 --model 8841 \
		--profile dig --lines 1001 --digest-user alice
	expect_rc 0 ward_ctl "$1" device add SEP000000000002 --model 8841 \
		--profile dig --lines 1002 --digest-user bob
}

# sipp_trunk_inbound TARGET PASSWORD LOG: alice's phone SEP000000000001
# registers at TARGET (HOST:PORT) with PASSWORD; the trunk's peer (SIPp
# from 127.0.0.2) calls her line 1001; her phone rings and answers, and
# the node's log LOG (under $CLUSTER_DIR) names the call from the trunk
# carrier.
sipp_trunk_inbound() {
	local alice
	alice=$(free_port)
	sipp_register reg-alice "$alice" "$1" SEP000000000001 alice "$2"
	sipp_bg phone "$alice" "$SIPP_SCEN/trunk_call_phone.xml"
	SIPP_IP=127.0.0.2 sipp_run in "$(free_port)" "$SIPP_SCEN/trunk_call_in.xml" \
		-inf "$(sipp_csv in.csv 1001)" "$1" ||
		fail "the trunk's call failed: $(sipp_errors in)"
	[ "$(sipp_rc phone 20)" = 0 ] || fail "alice's phone side failed: $(sipp_errors phone)"
	grep -q "call .* carrier -> SEP000000000001 (1001)" "$CLUSTER_DIR/$3" ||
		fail "the inbound call was not logged"
}
