# tokens.sh: SoftHSM2 tokens holding the test keys of
# tests/unit/data/trustlist, in a directory of this test's own; sourced
# after lib.sh. The node reads the PIN from $PIN_FILE.
MODULE=/usr/lib/softhsm/libsofthsm2.so
KEYS=$WARD_SRC/tests/unit/data/trustlist
PIN_FILE=$CLUSTER_DIR/token.pin
export SOFTHSM2_CONF=$CLUSTER_DIR/softhsm2.conf
unset WARD_TOKEN_PIN

# make_token LABEL NAME ID: a token holding test key and certificate NAME.
# (The tools take the PIN on their command line: this is test set-up.)
make_token() {
	local label=$1 name=$2 id=$3 log=$CLUSTER_DIR/tokens.log
	softhsm2-util --init-token --free --label "$label" --pin 1234 \
		--so-pin 5678 >>"$log" 2>&1
	softhsm2-util --import "$KEYS/$name.key" --label k --id "$id" \
		--token "$label" --pin 1234 >>"$log" 2>&1
	openssl x509 -in "$KEYS/$name.crt" -outform DER -out "$CLUSTER_DIR/$name.der"
	pkcs11-tool --module "$MODULE" --login --pin 1234 --write-object \
		"$CLUSTER_DIR/$name.der" --type cert --id "$id" \
		--token-label "$label" >>"$log" 2>&1
}

# tokens_dir: SoftHSM2's token directory and the PIN file (1234).
tokens_dir() {
	mkdir -p "$CLUSTER_DIR/tokens"
	printf 'directories.tokendir = %s\nobjectstore.backend = file\nlog.level = ERROR\n' \
		"$CLUSTER_DIR/tokens" >"$SOFTHSM2_CONF"
	(umask 077 && echo 1234 >"$PIN_FILE")
}

# tokens_mixed NAME: the cluster in mixed mode through node NAME — tokens
# tokA (sast1) and tokB (sast2) registered, the CTL signed with tokA.
tokens_mixed() {
	tokens_dir
	make_token tokA sast1 01
	make_token tokB sast2 02
	expect_rc 0 ward_ctl "$1" token register --module "$MODULE" --token tokA
	expect_rc 0 ward_ctl "$1" token register --module "$MODULE" --token tokB
	expect_rc 0 ward_ctl "$1" ctl sign --module "$MODULE" --token tokA \
		--pin-file "$PIN_FILE"
	expect_rc 0 ward_ctl "$1" security mode mixed
}
