#!/usr/bin/python3
"""An independent writer and checker of CTL, ITL and .sgn files, written
from the list of facts in issue 8 / DESIGN.md section 5 — not from ward's
codec — so that ward's tests meet files made and judged by other code.

  indep.py check FILE CERT|- OUTDIR
      Parses FILE with its own TLV reader, finds the signer (for a list:
      the record whose certificate has the header's serial; for a .sgn:
      CERT), writes OUTDIR/signed.bin, sig.bin, signer.der, pub.pem and
      has `openssl dgst -verify` judge the signature. Exit 0 verified,
      1 not verified, 2 unreadable.

  indep.py build KIND OUT --signer NAME [options]
      KIND ctl|itl|sgn. Certificates and keys are DATA/NAME.crt/.key.
      Writes OUT in a style other builders use, chosen by the options.

  indep.py decrypt FILE KEY OUT
      Decrypts an .enc.sgn with the device's private key (PEM): unwraps
      the AES-128 key (RSA PKCS#1 v1.5), decrypts the body (AES-128-CBC),
      drops the '\r' padding the header counts, checks the plaintext
      digest and writes the plaintext to OUT. Exit 0, or 1 on any fault.

  indep.py fields FILE OUTDIR
      Writes an .enc.sgn's fields for `openssl` to work on: OUTDIR/key.bin
      (the wrapped AES key, tag 25), iv.hex (tag 19), pad (tag 20, a
      decimal count), body.bin (what follows the header) and digest.hex
      with digest.alg (tags 27 and 26, as "sha1" or "sha512"). Exit 0, or
      1 when the header is not a version 2.0 one.

  indep.py gen-rsa DIR NAME BITS
      A self-signed RSA certificate and key of BITS (e.g. 1024, as old
      tokens have) as DIR/NAME.crt, DIR/NAME.key.
"""
import argparse
import datetime
import os
import random
import struct
import subprocess
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.x509.oid import NameOID

DATA = os.path.dirname(os.path.abspath(__file__))

DIGESTS = {1: ("sha1", hashes.SHA1), 2: ("sha256", hashes.SHA256),
           3: ("sha512", hashes.SHA512)}
MODULUS = {512: 0, 1024: 1, 2048: 2, 4096: 3}
FUNCTIONS = {"sast": 0, "ccm": 1, "ccm+tftp": 2, "tftp": 3, "capf": 4,
             "https": 7, "tvs": 21}


# ---- reading -------------------------------------------------------------

class Bad(Exception):
    pass


def tlvs(buf, start, end, header=False):
    """(tag, value offset, length) of each TLV in buf[start:end]; in a
    header a 13 is one padding byte."""
    out, off = [], start
    while off < end:
        tag = buf[off]
        if header and tag == 13:
            off += 1
            continue
        if off + 3 > end:
            raise Bad("truncated TLV at %d" % off)
        (n,) = struct.unpack(">H", buf[off + 1:off + 3])
        if off + 3 + n > end:
            raise Bad("tag %d at %d runs past its container" % (tag, off))
        out.append((tag, off + 3, n))
        off += 3 + n
    return out


def uint(buf, off, n):
    return int.from_bytes(buf[off:off + n], "big")


def parse(buf):
    if buf[0] != 1 or buf[5] != 2 or buf[6:8] != b"\x00\x02":
        raise Bad("no version / 2-byte header length")
    hlen = uint(buf, 8, 2)
    h = {"version": (buf[3], buf[4]), "hlen": hlen}
    for tag, v, n in tlvs(buf, 0, hlen, header=True):
        if tag == 3:
            for t2, v2, n2 in tlvs(buf, v, v + n):
                if t2 == 5:
                    h["serial"] = bytes(buf[v2:v2 + n2])
        elif tag == 7:
            for t2, v2, n2 in tlvs(buf, v, v + n):
                if t2 == 8:
                    h["digest"] = uint(buf, v2, n2)
                elif t2 == 9:
                    for t3, v3, n3 in tlvs(buf, v2, v2 + n2):
                        if t3 == 10:
                            h["alg"] = uint(buf, v3, n3)
                        elif t3 == 11:
                            h["modulus"] = uint(buf, v3, n3)
        elif tag == 12:
            h["sig_at"], h["sig"] = v - 3, bytes(buf[v:v + n])
        elif tag == 14:
            h["filename"] = bytes(buf[v:v + n]).rstrip(b"\0").decode()
    records = []
    off = hlen
    if h["version"][0] == 1 and not h.get("filename", "").endswith(".sgn"):
        while off < len(buf):
            fields = tlvs(buf, off, len(buf))
            if not fields or fields[0][0] != 1:
                raise Bad("record at %d has no length" % off)
            rlen = uint(buf, fields[0][1], fields[0][2])
            rec = {}
            for tag, v, n in tlvs(buf, off + 5, off + rlen):
                rec[tag] = bytes(buf[v:v + n])
            records.append(rec)
            off += rlen
    return h, records


def check(path, cert_arg, outdir):
    buf = open(path, "rb").read()
    try:
        h, records = parse(buf)
    except (Bad, IndexError, KeyError) as e:
        print("unreadable: %s" % e)
        return 2
    if h.get("alg") not in (0, 1):
        print("signature algorithm %s is not RSA" % h.get("alg"))
        return 1
    signer = None
    if cert_arg != "-":
        data = open(cert_arg, "rb").read()
        signer = (x509.load_pem_x509_certificate(data)
                  if data.startswith(b"-----") else
                  x509.load_der_x509_certificate(data))
    else:
        # By the certificate: its serial is the header's.
        serial = int.from_bytes(h["serial"], "big")
        for rec in records:
            if 9 in rec and FUNCTIONS_SIGNING(rec):
                c = x509.load_der_x509_certificate(rec[9])
                if c.serial_number == serial:
                    signer = c
                    break
        if signer is None:
            print("no record has the signer's certificate")
            return 1
    s = h["sig_at"]
    n = len(h["sig"])
    with open(os.path.join(outdir, "signed.bin"), "wb") as f:
        f.write(buf[:s] + buf[s + 3 + n:])
    with open(os.path.join(outdir, "sig.bin"), "wb") as f:
        f.write(h["sig"])
    with open(os.path.join(outdir, "signer.der"), "wb") as f:
        f.write(signer.public_bytes(serialization.Encoding.DER))
    with open(os.path.join(outdir, "pub.pem"), "wb") as f:
        f.write(signer.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo))
    md = DIGESTS[h["digest"]][0]
    r = subprocess.run(["openssl", "dgst", "-" + md, "-verify",
                        os.path.join(outdir, "pub.pem"), "-signature",
                        os.path.join(outdir, "sig.bin"),
                        os.path.join(outdir, "signed.bin")],
                       capture_output=True, text=True)
    print(r.stdout.strip() or r.stderr.strip())
    return 0 if r.returncode == 0 and "Verified OK" in r.stdout else 1


def FUNCTIONS_SIGNING(rec):
    fn = uint(rec[4], 0, len(rec[4])) if 4 in rec else -1
    return fn in (0, 2, 3)


# ---- writing -------------------------------------------------------------

def tlv(tag, value):
    return bytes([tag]) + struct.pack(">H", len(value)) + value


NUL = b"\0"


def text(s):
    return s.encode() + NUL


def name_text(name, sep, reverse):
    """Names as other builders print them: ',' or ';' between RDNs, in
    either order."""
    parts = [a.rfc4514_attribute_name + "=" + a.value
             for rdn in name.rdns for a in rdn]
    if reverse:
        parts.reverse()
    return sep.join(parts)


def serial_bytes(cert):
    n = cert.serial_number
    return n.to_bytes(max(1, (n.bit_length() + 7) // 8), "big")


def load(name, where=DATA):
    with open(os.path.join(where, name + ".crt"), "rb") as f:
        cert = x509.load_pem_x509_certificate(f.read())
    key = None
    kp = os.path.join(where, name + ".key")
    if os.path.exists(kp):
        with open(kp, "rb") as f:
            key = serialization.load_pem_private_key(f.read(), None)
    return cert, key


def record(fn, cert, o, dns=None, ip=None):
    body = b""
    if dns:
        body += tlv(2, text(dns))
    if cert is not None:
        body += tlv(3, text(name_text(cert.subject, o.sep, o.reverse)))
    body += tlv(4, struct.pack(">H", fn))
    if cert is not None:
        der = cert.public_bytes(serialization.Encoding.DER)
        pk = cert.public_key()
        if isinstance(pk, rsa.RSAPublicKey):
            pkb = pk.public_bytes(serialization.Encoding.DER,
                                  serialization.PublicFormat.PKCS1)
        else:
            pkb = pk.public_bytes(serialization.Encoding.X962,
                                  serialization.PublicFormat.UncompressedPoint)
        body += tlv(5, text(name_text(cert.issuer, o.sep, o.reverse)))
        body += tlv(6, serial_bytes(cert))
        body += tlv(7, pkb)
        body += tlv(8, cert.signature)
        body += tlv(9, der)
    if ip:
        body += tlv(10, bytes(int(x) for x in ip.split(".")))
    if cert is not None and o.hash:
        h = hashes.Hash(DIGESTS[o.digest][1]())
        h.update(der)
        body += tlv(11, h.finalize()) + tlv(12, bytes([o.digest]))
    if o.unknown_tag:
        body += tlv(99, b"kept for later")
    return tlv(1, struct.pack(">H", len(body) + 5)) + body


def build(kind, o):
    cert, key = load(o.signer, o.dir)
    bits = key.key_size
    signer_id = [tlv(4, text(name_text(cert.subject, o.sep, o.reverse))),
                 tlv(5, serial_bytes(cert)),
                 tlv(6, text(name_text(cert.issuer, o.sep, o.reverse)))]
    if o.shuffle:
        signer_id = [signer_id[2], signer_id[0], signer_id[1]]
    siginfo = tlv(7, tlv(8, bytes([o.digest])) +
                  tlv(9, tlv(10, bytes([o.alg])) +
                      tlv(11, bytes([MODULUS[bits]]))))
    if kind == "sgn":
        version, filename = b"\x01\x00", o.name + ".sgn"
    else:
        version = b"\x01\x02"
        filename = "CTLFile.tlv" if kind == "ctl" else "ITLFile.tlv"
    sigver = tlv(28, bytes(o.signer_version)) if o.signer_version else b""
    sig_len = bits // 8
    tail = tlv(14, text(filename)) + tlv(15, struct.pack(">I", o.time))
    head_wo_len = (tlv(3, b"".join(signer_id)) + siginfo)
    size = 5 + 5 + len(sigver) + len(head_wo_len) + 3 + sig_len + len(tail)
    pad = (4 - size % 4) % 4
    hlen = size + pad
    before = (tlv(1, version) + tlv(2, struct.pack(">H", hlen)) + sigver +
              head_wo_len)
    after = tail + b"\x0d" * pad
    if kind == "sgn":
        after += open(o.content, "rb").read()
    else:
        for spec in o.record:
            # FUNCTION:CERT[:DNS[:IP]]; CERT "-" for a record without one.
            f = spec.split(":")
            where = (o.dir if os.path.exists(os.path.join(o.dir, f[1] + ".crt"))
                     else DATA)
            c = load(f[1], where)[0] if f[1] != "-" else None
            after += record(FUNCTIONS[f[0]], c, o,
                            f[2] if len(f) > 2 and f[2] else None,
                            f[3] if len(f) > 3 else None)
    sig = key.sign(before + after, padding.PKCS1v15(),
                   DIGESTS[o.digest][1]())
    assert len(sig) == sig_len
    with open(o.out, "wb") as f:
        f.write(before + tlv(12, sig) + after)
    return 0


def enc_fields(buf):
    """(header length, {tag: value}) of a version 2.0 header's encryption
    fields (17's and 21's children, 26, 27); None if not version 2.0."""
    if buf[0:5] != b"\x01\x00\x02\x02\x00" or buf[5:8] != b"\x02\x00\x02":
        return None
    hlen = uint(buf, 8, 2)
    enc = {}
    for tag, v, n in tlvs(buf, 0, hlen, header=True):
        if tag == 16:
            for t2, v2, n2 in tlvs(buf, v, v + n):
                for t3, v3, n3 in tlvs(buf, v2, v2 + n2):
                    enc[t3] = bytes(buf[v3:v3 + n3])
        elif tag in (26, 27):
            enc[tag] = bytes(buf[v:v + n])
    return hlen, enc


def fields(path, outdir):
    buf = open(path, "rb").read()
    got = enc_fields(buf)
    if got is None:
        print("not a version 2.0 header")
        return 1
    hlen, enc = got

    def put(name, data):
        with open(os.path.join(outdir, name), "wb") as f:
            f.write(data)
    put("key.bin", enc[25])
    put("iv.hex", enc[19].hex().encode())
    put("pad", b"%d" % uint(enc[20], 0, len(enc[20])))
    put("body.bin", buf[hlen:])
    put("digest.hex", enc[27].hex().encode())
    put("digest.alg", DIGESTS[uint(enc[26], 0, len(enc[26]))][0].encode())
    return 0


def decrypt(path, key_path, out):
    buf = open(path, "rb").read()
    got = enc_fields(buf)
    if got is None:
        print("not a version 2.0 header")
        return 1
    hlen, enc = got
    key = serialization.load_pem_private_key(open(key_path, "rb").read(),
                                             None)
    try:
        aes = key.decrypt(enc[25], padding.PKCS1v15())
    except ValueError:
        print("the key does not unwrap the file key")
        return 1
    if len(aes) != 16 or uint(enc[23], 0, len(enc[23])) != len(enc[25]) * 8:
        print("bad wrapped key")
        return 1
    d = Cipher(algorithms.AES(aes), modes.CBC(enc[19])).decryptor()
    plain = d.update(buf[hlen:]) + d.finalize()
    pad = uint(enc[20], 0, len(enc[20]))
    if pad and plain[-pad:] != b"\r" * pad:
        print("padding is not \\r")
        return 1
    plain = plain[:len(plain) - pad]
    h = hashes.Hash(DIGESTS[uint(enc[26], 0, len(enc[26]))][1]())
    h.update(plain)
    if h.finalize() != enc[27]:
        print("plaintext digest differs")
        return 1
    with open(out, "wb") as f:
        f.write(plain)
    return 0


def gen_rsa(where, name, bits):
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    subject = x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "independent test"),
        x509.NameAttribute(NameOID.COMMON_NAME, "old token %d" % bits)])
    now = datetime.datetime(2024, 1, 1, tzinfo=datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(subject)
            .issuer_name(subject).public_key(key.public_key())
            .serial_number(random.randrange(1, 1 << 62))
            .not_valid_before(now)
            .not_valid_after(now + datetime.timedelta(days=3650))
            .sign(key, hashes.SHA256()))
    with open(os.path.join(where, name + ".crt"), "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))
    with open(os.path.join(where, name + ".key"), "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))
    return 0


def main(argv):
    if len(argv) >= 2 and argv[1] == "check" and len(argv) == 5:
        return check(argv[2], argv[3], argv[4])
    if len(argv) == 5 and argv[1] == "decrypt":
        return decrypt(argv[2], argv[3], argv[4])
    if len(argv) == 4 and argv[1] == "fields":
        return fields(argv[2], argv[3])
    if len(argv) == 5 and argv[1] == "gen-rsa":
        return gen_rsa(argv[2], argv[3], int(argv[4]))
    p = argparse.ArgumentParser(prog="indep.py build")
    p.add_argument("kind", choices=["ctl", "itl", "sgn"])
    p.add_argument("out")
    p.add_argument("--signer", required=True)
    p.add_argument("--dir", default=DATA, help="where the signer's files are")
    p.add_argument("--record", action="append", default=[])
    p.add_argument("--digest", type=int, default=1, choices=[1, 2, 3])
    p.add_argument("--alg", type=int, default=0, choices=[0, 1])
    p.add_argument("--sep", default=";")
    p.add_argument("--reverse", action="store_true")
    p.add_argument("--shuffle", action="store_true")
    p.add_argument("--no-hash", dest="hash", action="store_false")
    p.add_argument("--unknown-tag", action="store_true")
    p.add_argument("--no-nul", action="store_true",
                   help="strings without a terminating NUL")
    p.add_argument("--signer-version", type=lambda s: [int(x) for x in
                                                       s.split(".")])
    p.add_argument("--name", default="SEP001122334455.cnf.xml")
    p.add_argument("--content")
    p.add_argument("--time", type=int, default=1700000000)
    if len(argv) < 2 or argv[1] != "build":
        p.print_usage()
        return 2
    o = p.parse_args(argv[2:])
    if o.no_nul:
        global NUL
        NUL = b""
    return build(argv[2], o)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
