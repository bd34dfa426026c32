# presence.sh: SIPp helpers of the presence system tests, sourced after
# lib.sh. Needs SCEN (the scenarios' directory) and TARGET (host:port of
# the signaling role).
. "$(dirname "${BASH_SOURCE[0]}")/sipp.sh"

# csv FILE FIELDS...: a SIPp injection file of one row in $CLUSTER_DIR.
csv() { sipp_csv "$@" >/dev/null; }

# presence_run NAME IP SCENARIO ARGS...: one call from IP (sipp_run over
# $SIPP_TP, its messages traced in $CLUSTER_DIR/NAME) to $SIPP_TARGET
# (default $TARGET), with the -auth_uri its requests need; SCENARIO and
# -inf files relative to $CLUSTER_DIR. Its status.
presence_run() {
	local name=$1 ip=$2 scen=$3 target args=()
	shift 3
	target=$(request_user "$@")
	case $scen in /*) ;; *) scen=$CLUSTER_DIR/$scen ;; esac
	while [ $# -gt 0 ]; do
		case $1 in
		-inf)
			case $2 in /*) args+=(-inf "$2") ;; *) args+=(-inf "$CLUSTER_DIR/$2") ;; esac
			shift 2
			;;
		*) args+=("$1") && shift ;;
		esac
	done
	SIPP_IP=$ip SIPP_TIMEOUT=25 sipp_run "$name" "$(free_port)" "$scen" \
		-trace_msg "${args[@]}" \
		${target:+-auth_uri "$(sipp_auth_uri "$target" "${SIPP_TARGET:-$TARGET}")"} \
		"${SIPP_TARGET:-$TARGET}"
}

# request_user ARGS...: the user of the Request-URI a SIPp run's requests
# name — `-key target X`, or the first field of its -inf row after the
# caller's that is not an [authentication] — for its -auth_uri: the
# digest uri must be the Request-URI (RFC 7616), and SIPp 3.6 puts
# sip:HOST:PORT there. Nothing for a REGISTER's row (its URI is that).
request_user() {
	local inf="" f
	while [ $# -gt 0 ]; do
		case $1 in
		-key) [ "$2" = target ] && { echo "$3"; return; }; shift 2 ;;
		-inf) inf=$2; shift ;;
		esac
		shift
	done
	[ -n "$inf" ] || return 0
	case $inf in /*) ;; *) inf=$CLUSTER_DIR/$inf ;; esac
	sed -n 2p "$inf" | tr ';' '\n' | tail -n +2 | while read -r f; do
		case $f in "["*) ;; *) echo "$f"; break ;; esac
	done
}

# watch NAME CSV EVENT ACCEPT FIRST SECOND TRIGGER_CSV: a watcher
# (presence_watch.xml) in the background; once its initial NOTIFY came
# (body matching FIRST), TRIGGER_CSV's phone registers and the watcher
# must get a NOTIFY matching SECOND, then unsubscribe. $WHILE_WATCHING,
# if set, runs between the two; the phone registers at $TRIGGER_TARGET
# (default $TARGET).
watch() {
	local name=$1 csvf=$2 event=$3 accept=$4 first=$5 second=$6 trig=$7
	sed -e "s|@EVENT@|$event|g" -e "s|@ACCEPT@|$accept|g" \
		-e "s|@FIRST@|$first|g" -e "s|@SECOND@|$second|g" \
		"$SCEN/presence_watch.xml" >"$CLUSTER_DIR/$name.xml"
	presence_run "$name" 127.0.0.1 "$name.xml" -inf "$csvf" &
	local pid=$!
	wait_until 10 "$name's initial NOTIFY" sh -c \
		"cat '$CLUSTER_DIR/$name'/*_messages.log 2>/dev/null | grep -q '^NOTIFY '"
	${WHILE_WATCHING:-}
	SIPP_TARGET=${TRIGGER_TARGET:-$TARGET} \
		presence_run "reg-$name" 127.0.0.1 "$SCEN/register.xml" -inf "$trig" ||
		fail "the watched phone did not register"
	wait "$pid" || fail "$name: $(sipp_errors "$name")"
}

# refused NAME CSV EVENT [STATUS]: the watcher's SUBSCRIBE gets STATUS
# (403) after digest.
refused() {
	sed -e "s|@EVENT@|$3|g" -e "s|@STATUS@|${4:-403}|g" \
		"$SCEN/presence_refused.xml" >"$CLUSTER_DIR/$1.xml"
	presence_run "$1" 127.0.0.1 "$1.xml" -inf "$2" ||
		fail "$2 ($3) was not refused with ${4:-403}"
}

PIDF_CLOSED='\&lt;basic\&gt;closed\&lt;/basic\&gt;'
PIDF_OPEN='\&lt;basic\&gt;open\&lt;/basic\&gt;'
