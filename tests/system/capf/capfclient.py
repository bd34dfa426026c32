#!/usr/bin/env python3
"""capfclient: a phone's side of the CAPF protocol, written for ward's tests
from the public description of the protocol (docs/capf.md) and sharing no
code with the server. Connects over TLS, answers the auth request as the
phone is configured (authentication string, null string, or an existing
LSC/MIC with signed data), generates the key asked for, keeps the LSC it is
given, answers fetch and delete, and reports the end-session reason.

Also misbehaves on request (--abuse): garbage, a truncated or oversized
message, or a stall, to check the server ends such sessions cleanly.

Exit 0 if the session ended with --expect-reason (default 1), else 1.
Prints one JSON line with what happened.
"""
import argparse
import json
import os
import re
import socket
import ssl
import struct
import sys
import time

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

PROTO = 85
CMD = dict(auth_req=1, auth_resp=2, keygen_req=3, keygen_resp=4,
           store_req=9, store_resp=10, fetch_req=11, fetch_resp=12,
           delete_req=13, delete_resp=14, end=15, retry=16, in_progress=17)
T_REASON, T_REASON_INFO, T_CERT_TYPE, T_CERT = 1, 2, 3, 4
T_SIGNED, T_VERSION, T_AUTH_TYPE, T_PUBKEY = 6, 7, 8, 9
T_KEY_SIZE, T_PASSWORD, T_DEVICE, T_KEY_TYPE, T_CURVE, T_SHA2 = \
    10, 11, 13, 17, 18, 20


def tlv(tag, value):
    return struct.pack(">BH", tag, len(value)) + value


def message(cmd, session, elems):
    body = b"".join(tlv(t, v) for t, v in elems)
    return struct.pack(">BBIH", PROTO, cmd, session, len(body)) + body


def cert_element(kind, der):
    # 01, length of DER + 2, 00, the certificate type, the DER
    return struct.pack(">BHBB", 1, len(der) + 2, 0, kind) + der


def read_exact(sock, n):
    out = b""
    while len(out) < n:
        chunk = sock.recv(n - len(out))
        if not chunk:
            raise EOFError("closed after %d of %d bytes" % (len(out), n))
        out += chunk
    return out


def read_message(sock):
    head = read_exact(sock, 8)
    proto, cmd, session, blen = struct.unpack(">BBIH", head)
    if proto != PROTO:
        raise ValueError("protocol id %d" % proto)
    body = read_exact(sock, blen)
    elems, pos = {}, 0
    while pos < len(body):
        tag, ln = struct.unpack(">BH", body[pos:pos + 3])
        elems[tag] = body[pos + 3:pos + 3 + ln]
        if len(elems[tag]) != ln:
            raise ValueError("element %d truncated" % tag)
        pos += 3 + ln
    return cmd, session, elems


def pem_block(path, kind):
    """The first PEM block of PATH whose label ends with KIND."""
    with open(path, "rb") as f:
        text = f.read()
    m = re.search(rb"-----BEGIN ([A-Z ]*" + kind + rb")-----.*?"
                  rb"-----END \1-----", text, re.S)
    if not m:
        raise ValueError("no %s in %s" % (kind.decode(), path))
    return m.group(0)


def load_key(path):
    return serialization.load_pem_private_key(pem_block(path, b"KEY"), None)


def load_cert(path):
    return x509.load_pem_x509_certificate(pem_block(path, b"CERTIFICATE"))


def sign(key, data, algo):
    if isinstance(key, rsa.RSAPrivateKey):
        return key.sign(data, padding.PKCS1v15(), algo)
    return key.sign(data, ec.ECDSA(algo))


def connect(args):
    host, port = args.server.rsplit(":", 1)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    if args.cafile:
        ctx.load_verify_locations(args.cafile)
        ctx.verify_mode = ssl.CERT_REQUIRED
    else:
        ctx.verify_mode = ssl.CERT_NONE
    if args.cert and not args.abuse:
        # a phone with a certificate shows it in the handshake too: the
        # server may then name its operation's auth type at once
        ctx.load_cert_chain(args.cert, args.cert_key or args.cert)
    raw = socket.create_connection((host, int(port)), timeout=args.timeout)
    return ctx.wrap_socket(raw)


def abuse(args, sock):
    """Misbehaves, then reports how the server ended it."""
    cmd, session, _ = read_message(sock)
    if args.abuse == "garbage":
        sock.sendall(b"\x16\x03\x01garbage that is not CAPF at all")
    elif args.abuse == "truncated":
        # an element that claims more than the body holds
        body = tlv(T_DEVICE, args.device.encode() + b"\0")[:-4]
        sock.sendall(struct.pack(">BBIH", PROTO, CMD["auth_resp"], session,
                                 len(body) + 4) + body + b"\x0d\x00\x40\x00")
    elif args.abuse == "oversized":
        sock.sendall(struct.pack(">BBIH", PROTO, CMD["auth_resp"], session,
                                 0xffff) + b"\0" * 64)
    elif args.abuse == "unknown-tag":
        sock.sendall(message(CMD["auth_resp"], session,
                             [(T_VERSION, b"\x03"), (99, b"x")]))
    elif args.abuse == "stall":
        start = time.time()
        try:
            while sock.recv(1024):
                pass
        except (ConnectionError, ssl.SSLError, socket.timeout):
            pass
        return {"closed_after_s": round(time.time() - start, 1)}
    cmd, _, el = read_message(sock)
    return {"cmd": cmd, "reason": el.get(T_REASON, b"\xff")[0]}


def run(args):
    sock = connect(args)
    if args.abuse:
        return abuse(args, sock)
    out = {"device": args.device, "steps": []}
    cmd, session, el = read_message(sock)
    if cmd != CMD["auth_req"] or el.get(T_VERSION) != b"\x03":
        raise ValueError("no auth request v3 first")
    out["auth_types"] = [el.get(T_AUTH_TYPE, b"\xff")[0]]
    elems = [(T_REASON, b"\0"), (T_VERSION, b"\x03"),
             (T_DEVICE, args.device.encode() + b"\0")]
    if args.password is not None:
        elems += [(T_AUTH_TYPE, b"\x01"),
                  (T_PASSWORD, args.password.encode() + b"\0")]
    elif args.cert:
        cert = load_cert(args.cert)
        key = load_key(args.cert_key or args.cert)
        der = cert.public_bytes(serialization.Encoding.DER)
        kind = 1 if args.cert_type == "lsc" else 2
        data = args.device.encode() + b"\0" + der
        sha2 = sign(key, data, hashes.SHA512())
        elems += [(T_AUTH_TYPE, b"\x03" if kind == 1 else b"\x04"),
                  (T_CERT_TYPE, bytes([kind])),
                  (T_CERT, cert_element(kind, der)),
                  (T_SIGNED, sign(key, data, hashes.SHA1())),
                  (T_SHA2, struct.pack(">BH", 3, len(sha2)) + sha2)]
    else:
        elems += [(T_AUTH_TYPE, b"\x02")]
    sock.sendall(message(CMD["auth_resp"], session, elems))
    newkey = None
    while True:
        cmd, s2, el = read_message(sock)
        if s2 != session:
            raise ValueError("session id changed")
        out["steps"].append(cmd)
        if cmd == CMD["end"]:
            out["reason"] = el.get(T_REASON, b"\xff")[0]
            out["info"] = el.get(T_REASON_INFO, b"").rstrip(b"\0").decode()
            break
        if cmd == CMD["retry"]:
            out["reason"] = "retry"
            break
        if cmd == CMD["in_progress"]:
            continue  # the server is still at it: wait for the next step
        if cmd == CMD["auth_req"]:
            # asked again, now with the operation's auth type: answer
            # again with what this phone is configured for
            out["auth_types"].append(el.get(T_AUTH_TYPE, b"\xff")[0])
            sock.sendall(message(CMD["auth_resp"], session, elems))
            continue
        if cmd == CMD["keygen_req"]:
            if el[T_KEY_TYPE] == b"\x01":
                curve = {0: ec.SECP256R1(), 1: ec.SECP384R1()}[el[T_CURVE][0]]
                newkey = ec.generate_private_key(curve)
                out["key"] = "ec-" + curve.name
            else:
                bits = struct.unpack(">H", el[T_KEY_SIZE])[0]
                newkey = rsa.generate_private_key(65537, bits)
                out["key"] = "rsa-%d" % bits
            if args.in_progress:
                sock.sendall(message(CMD["in_progress"], session, []))
            spki = newkey.public_key().public_bytes(
                serialization.Encoding.DER,
                serialization.PublicFormat.SubjectPublicKeyInfo)
            sock.sendall(message(CMD["keygen_resp"], session,
                                 [(T_REASON, b"\0"), (T_PUBKEY, spki)]))
        elif cmd == CMD["store_req"]:
            v = el[T_CERT]
            one, ln, zero, kind = struct.unpack(">BHBB", v[:5])
            if one != 1 or zero != 0 or ln != len(v) - 3 or kind != 1:
                raise ValueError("bad certificate element prefix")
            lsc = x509.load_der_x509_certificate(v[5:])
            out["lsc_serial"] = "%X" % lsc.serial_number
            out["lsc_cn"] = lsc.subject.get_attributes_for_oid(
                x509.NameOID.COMMON_NAME)[0].value
            out["lsc_issuer"] = lsc.issuer.rfc4514_string()
            if args.lsc_out:
                with open(args.lsc_out, "wb") as f:
                    f.write(lsc.public_bytes(serialization.Encoding.PEM))
                with open(args.lsc_out + ".key", "wb") as f:
                    f.write(newkey.private_bytes(
                        serialization.Encoding.PEM,
                        serialization.PrivateFormat.PKCS8,
                        serialization.NoEncryption()))
                os.chmod(args.lsc_out + ".key", 0o600)
            if args.pause_before_store:
                time.sleep(args.pause_before_store)
            sock.sendall(message(CMD["store_resp"], session,
                                 [(T_REASON, b"\x01")]))
        elif cmd == CMD["fetch_req"]:
            kind = el.get(T_CERT_TYPE, b"\x01")[0]
            path = args.have_lsc if kind == 1 else args.have_mic
            elems = [(T_REASON, b"\0")]
            if path:
                der = load_cert(path).public_bytes(serialization.Encoding.DER)
                elems.append((T_CERT, cert_element(kind, der)))
            sock.sendall(message(CMD["fetch_resp"], session, elems))
        elif cmd == CMD["delete_req"]:
            sock.sendall(message(CMD["delete_resp"], session,
                                 [(T_REASON, b"\x01")]))
        else:
            raise ValueError("unexpected command %d" % cmd)
    sock.close()
    return out


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--server", required=True)
    p.add_argument("--cafile")
    p.add_argument("--device", required=True)
    p.add_argument("--password")
    p.add_argument("--cert")
    p.add_argument("--cert-key")
    p.add_argument("--cert-type", choices=["lsc", "mic"], default="lsc")
    p.add_argument("--lsc-out")
    p.add_argument("--have-lsc")
    p.add_argument("--have-mic")
    p.add_argument("--in-progress", action="store_true")
    p.add_argument("--pause-before-store", type=float, default=0,
                   help="seconds to wait with the LSC before saying stored")
    p.add_argument("--abuse", choices=["garbage", "truncated", "oversized",
                                       "unknown-tag", "stall"])
    p.add_argument("--timeout", type=float, default=60)
    p.add_argument("--expect-reason", default="1")
    args = p.parse_args()
    try:
        out = run(args)
    except Exception as e:  # reported, not raised: the test reads it
        out = {"error": "%s: %s" % (type(e).__name__, e)}
    print(json.dumps(out))
    if args.abuse:
        return 0
    return 0 if str(out.get("reason")) == args.expect_reason else 1


if __name__ == "__main__":
    sys.exit(main())
