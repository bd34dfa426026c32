#!/usr/bin/env python3
"""sipclient: a small SIP user agent for ward's tests — what SIPp 3.6 cannot
do: SHA-256 and SHA-512-256 digest (RFC 7616/8760), replaying a nonce
count, reusing a nonce from another node or after it expired, and TLS with a
client certificate. Prints one line per response ("401", "200", ...) and
exits 0 when the last status is the one --expect names.

Examples:
  sipclient.py --server 127.0.0.1:5060 --device SEP1 --user alice \
      --password pw --alg SHA-256 --expect 200
  sipclient.py ... --save-nonce F      # keep the challenge's nonce
  sipclient.py ... --nonce-file F      # answer with that nonce, no challenge
  sipclient.py ... --replay            # send the same nc again: expect 401
"""
import argparse
import hashlib
import os
import random
import re
import socket
import ssl
import sys

import sipstream

HASH = {"MD5": "md5", "SHA-256": "sha256", "SHA-512-256": "sha512_256"}


def H(alg, text):
    return hashlib.new(HASH[alg], text.encode()).hexdigest()


class Transport:
    def __init__(self, args):
        host, port = args.server.rsplit(":", 1)
        self.addr = (host.strip("[]"), int(port))
        self.proto = args.transport
        fam = socket.AF_INET6 if ":" in self.addr[0] else socket.AF_INET
        if self.proto == "udp":
            self.s = socket.socket(fam, socket.SOCK_DGRAM)
            self.s.bind((args.local or self.addr[0], 0))
        else:
            self.s = socket.create_connection(
                self.addr, timeout=args.timeout,
                source_address=(args.local, 0) if args.local else None)
            if self.proto == "tls":
                ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
                ctx.check_hostname = False
                if args.cafile:
                    ctx.load_verify_locations(args.cafile)
                else:
                    ctx.verify_mode = ssl.CERT_NONE
                if args.cert:
                    ctx.load_cert_chain(args.cert, args.key)
                self.s = ctx.wrap_socket(self.s)
        self.s.settimeout(args.timeout)
        self.local = self.s.getsockname()
        self.buf = b""

    def send(self, data):
        if self.proto == "udp":
            self.s.sendto(data, self.addr)
        else:
            self.s.sendall(data)

    def recv(self):
        if self.proto == "udp":
            return self.s.recv(65535).decode(errors="replace")
        # CRLF keepalive pongs between messages are skipped.
        msg, self.buf = sipstream.read_message(self.s, self.buf, "the server")
        return msg


def challenges(resp):
    out = {}
    for m in re.finditer(r"(?im)^(?:WWW|Proxy)-Authenticate:\s*Digest\s+(.*)$",
                         resp):
        p = dict(re.findall(r'(\w+)="?([^",]*)"?', m.group(1)))
        out[p.get("algorithm", "MD5")] = p
    return out


def status(resp):
    return resp.split(" ", 2)[1] if resp.startswith("SIP/2.0 ") else "?"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--transport", default="udp",
                    choices=["udp", "tcp", "tls"])
    ap.add_argument("--local")
    ap.add_argument("--method", default="REGISTER")
    ap.add_argument("--device", required=True, help="To/From user")
    ap.add_argument("--user")
    ap.add_argument("--password")
    ap.add_argument("--realm", help="answer for this realm, not the offered")
    ap.add_argument("--alg", default="SHA-256")
    ap.add_argument("--expires", type=int, default=300)
    ap.add_argument("--header", action="append", default=[])
    ap.add_argument("--to-tag", help="in-dialog: put this tag on To")
    ap.add_argument("--replay", action="store_true")
    ap.add_argument("--save-nonce")
    ap.add_argument("--nonce-file")
    ap.add_argument("--cert")
    ap.add_argument("--key")
    ap.add_argument("--cafile")
    ap.add_argument("--timeout", type=float, default=3)
    ap.add_argument("--expect", help="status the last response must have")
    ap.add_argument("--repeat", type=int, default=1,
                    help="challenge and answer this many times; prints "
                         "'fail' per answer refused, stops at a timeout")
    ap.add_argument("--query", action="store_true",
                    help="REGISTER without Contact: ask for the bindings")
    ap.add_argument("--count", type=int, default=1,
                    help="without credentials: send the request this many "
                         "times (a new Call-ID each), stop at the first "
                         "answer that is not --expect")
    ap.add_argument("--expect-contacts", type=int,
                    help="bindings the last response must list")
    a = ap.parse_args()

    try:
        t = Transport(a)
    except (OSError, ssl.SSLError) as e:
        print("connect: %s" % e)
        sys.exit(0 if a.expect == "refused" else 1)
    lh, lp = t.local[0], t.local[1]
    host = t.addr[0] if ":" not in t.addr[0] else "[%s]" % t.addr[0]
    lhost = lh if ":" not in lh else "[%s]" % lh
    callid = "%x@ward-test" % random.getrandbits(64)
    tag = "%x" % random.getrandbits(32)
    uri = "sip:%s:%d" % (host, t.addr[1])
    if a.method != "REGISTER":
        uri = "sip:%s@%s:%d" % (a.device, host, t.addr[1])
    cseq = [0]

    def request(auth=None):
        cseq[0] += 1
        via = "SIP/2.0/%s %s:%d;branch=z9hG4bK%x;rport" % (
            a.transport.upper(), lhost, lp, random.getrandbits(48))
        lines = [
            "%s %s SIP/2.0" % (a.method, uri), "Via: " + via,
            "Max-Forwards: 70",
            "From: <sip:%s@%s>;tag=%s" % (a.device, host, tag),
            "To: <sip:%s@%s>%s" % (a.device, host,
                                    ";tag=" + a.to_tag if a.to_tag else ""),
            "Call-ID: " + callid,
            "CSeq: %d %s" % (cseq[0], a.method),
        ]
        if not a.query:
            lines.append("Contact: <sip:%s@%s:%d;transport=%s>" % (
                a.device, lhost, lp, a.transport))
        if a.method == "REGISTER" and not a.query:
            lines.append("Expires: %d" % a.expires)
        lines += a.header
        if auth:
            lines.append(auth)
        lines += ["Content-Length: 0", "", ""]
        return "\r\n".join(lines).encode()

    def answer(ch, nc):
        realm = a.realm or ch["realm"]
        cnonce = "%x" % random.getrandbits(64)
        ha1 = H(a.alg, "%s:%s:%s" % (a.user, realm, a.password))
        ha2 = H(a.alg, "%s:%s" % (a.method, uri))
        ncs = "%08x" % nc
        resp = H(a.alg, ":".join([ha1, ch["nonce"], ncs, cnonce, "auth",
                                  ha2]))
        name = ("Proxy-Authorization" if ch.get("_proxy") else
                "Authorization")
        return ('%s: Digest username="%s", realm="%s", nonce="%s", '
                'uri="%s", response="%s", algorithm=%s, qop=auth, nc=%s, '
                'cnonce="%s"' % (name, a.user, realm, ch["nonce"], uri, resp,
                                 a.alg, ncs, cnonce))

    def exchange(msg):
        t.send(msg)
        r = t.recv()
        print(status(r) + (" stale" if re.search(r"stale=true", r) else ""))
        return r

    if a.nonce_file:
        ch = {"nonce": open(a.nonce_file).read().strip(),
              "realm": a.realm or "ward"}
        ch["_proxy"] = a.method not in ("REGISTER",)
        r = exchange(request(answer(ch, 1)))
    elif a.repeat > 1:
        for _ in range(a.repeat):
            try:
                r = exchange(request())
                chs = challenges(r)
                if a.alg not in chs:
                    break
                ch = chs[a.alg]
                ch["_proxy"] = status(r) == "407"
                r = exchange(request(answer(ch, 1)))
            except socket.timeout:
                print("timeout")
                break
            if status(r) in ("401", "407", "403"):
                print("fail")
    else:
        r = exchange(request())
        for _ in range(1, a.count):
            if a.expect and status(r) != a.expect:
                break
            callid = "%x@ward-test" % random.getrandbits(64)
            r = exchange(request())
        if status(r) in ("401", "407") and a.user:
            chs = challenges(r)
            if a.alg not in chs:
                print("no %s challenge" % a.alg)
                sys.exit(1)
            ch = chs[a.alg]
            ch["_proxy"] = status(r) == "407"
            if a.save_nonce:
                with open(a.save_nonce, "w") as f:
                    f.write(ch["nonce"])
            auth = answer(ch, 1)
            r = exchange(request(auth))
            if a.replay:
                # The same Authorization on a new request: nc did not rise.
                r = exchange(request(auth))
    if a.expect and status(r) != a.expect:
        print("expected %s, got: %s" % (a.expect, r.splitlines()[0]))
        sys.exit(1)
    if a.expect_contacts is not None:
        uris = [u for v in re.findall(r"(?im)^(?:contact|m)\s*:(.*)$", r)
                for u in re.findall(r"<([^>]*)>", v)]
        n = len(uris)
        for u in uris:
            print("contact %s" % u)
        print("contacts %d" % n)
        if n != a.expect_contacts:
            sys.exit(1)


if __name__ == "__main__":
    main()
