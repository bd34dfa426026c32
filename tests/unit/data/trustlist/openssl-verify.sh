#!/usr/bin/env bash
# Verifies the signature of a CTL, ITL or .sgn file with the openssl command
# line, reading the file with nothing but od and dd — no ward code — as
# docs/ctl.md ("Checking a file with openssl") describes.
#
#   openssl-verify.sh FILE [SIGNER_CERT|-] [OUTDIR]
#
# SIGNER_CERT (PEM or DER) is needed for a .sgn, which carries no
# certificate; for a CTL or ITL, "-" (or nothing) takes the certificate of
# the record whose subject and serial match the header's signer. OUTDIR, if
# given, keeps signed.bin, sig.bin, signer.der and pub.pem. Prints openssl's
# verdict; exit status 0 only for "Verified OK".
set -euo pipefail

file=$1
cert=${2:--}
out=${3:-}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

die() { echo "openssl-verify: $*" >&2; exit 2; }

# The file as an array of byte values.
mapfile -t b < <(od -An -v -tu1 "$file" | tr -s ' ' '\n' | sed '/^$/d')
len=${#b[@]}
u16() { echo $(( b[$1] * 256 + b[$1 + 1] )); }
u32() { echo $(( (b[$1] << 24) + (b[$1 + 1] << 16) + (b[$1 + 2] << 8) + b[$1 + 3] )); }
# Bytes [off, off+n) as one string, for comparing fields.
field() { echo "${b[@]:$1:$2}"; }
# extract OFF COUNT OUT: appends bytes [OFF, OFF+COUNT) of the file to OUT
# (COUNT "-": to the end). No pipes: under pipefail, a reader that stops
# early would fail the script with SIGPIPE.
extract() {
	if [ "$2" = - ]; then
		dd if="$file" bs=4096 iflag=skip_bytes skip="$1" status=none >>"$3"
	else
		dd if="$file" bs=4096 iflag=skip_bytes,count_bytes skip="$1" \
			count="$2" status=none >>"$3"
	fi
}

# Fixed start: version TLV (offset 0, 5 bytes), header length TLV (5, 7).
(( len >= 36 )) || die "too short"
(( b[0] == 1 && b[5] == 2 )) || die "not a trust-list header"
hlen=$(u32 8)
# Signer id (tag 3) at 12: tag 4 name, tag 5 serial (tag 6 CA name after).
(( b[12] == 3 && b[15] == 4 )) || die "no signer id at offset 12"
signer_len=$(u16 13)
name_len=$(u16 16)
name=$(field 18 "$name_len")
serial_at=$(( 18 + name_len ))
serial_len=$(u16 $(( serial_at + 1 )))
serial=$(field $(( serial_at + 3 )) "$serial_len")
# Signature info (tag 7) right after; its digest code (tag 8) is at +6.
info=$(( 15 + signer_len ))
(( b[info] == 7 )) || die "no signature info at offset $info"
case ${b[info + 6]} in
1) md=sha1 ;;
2) md=sha256 ;;
*) die "digest code ${b[info + 6]} unknown" ;;
esac
# The signature (tag 12) follows the 18-byte signature info.
sig=$(( info + 18 ))
(( b[sig] == 12 )) || die "no signature at offset $sig"
sig_len=$(u16 $(( sig + 1 )))
after=$(( sig + 3 + sig_len ))

# What the signature covers: everything but the signature TLV.
: >"$work/signed.bin"
extract 0 "$sig" "$work/signed.bin"
extract "$after" - "$work/signed.bin"
: >"$work/sig.bin"
extract $(( sig + 3 )) "$sig_len" "$work/sig.bin"

if [ "$cert" = - ]; then
	# Records from the header length on: tag 1 (record length) first.
	off=$hlen
	found=
	while (( off + 5 <= len )) && [ -z "$found" ]; do
		(( b[off] == 1 )) || die "no record at offset $off"
		rlen=$(u16 $(( off + 3 )))
		(( rlen >= 5 )) || die "bad record length at offset $off"
		p=$(( off + 5 ))
		subj= rser= cat= clen=
		while (( p + 3 <= off + rlen )); do
			t=${b[p]}
			l=$(u16 $(( p + 1 )))
			case $t in
			3) subj=$(field $(( p + 3 )) "$l") ;;
			6) rser=$(field $(( p + 3 )) "$l") ;;
			9) cat=$(( p + 3 )) clen=$l ;;
			esac
			p=$(( p + 3 + l ))
		done
		if [ "$subj" = "$name" ] && [ "$rser" = "$serial" ] && [ -n "$cat" ]; then
			found=1
			: >"$work/signer.der"
			extract "$cat" "$clen" "$work/signer.der"
		fi
		off=$(( off + rlen ))
	done
	[ -n "$found" ] || die "no record matches the header's signer"
else
	openssl x509 -in "$cert" -outform DER -out "$work/signer.der" 2>/dev/null ||
		openssl x509 -inform DER -in "$cert" -outform DER -out "$work/signer.der"
fi
openssl x509 -inform DER -in "$work/signer.der" -pubkey -noout >"$work/pub.pem"

if [ -n "$out" ]; then
	cp "$work/signed.bin" "$work/sig.bin" "$work/signer.der" "$work/pub.pem" "$out/"
fi
openssl dgst -"$md" -verify "$work/pub.pem" -signature "$work/sig.bin" "$work/signed.bin"
