#!/usr/bin/env python3
"""callpair: two phones in one process for ward's TLS call tests (SIPp 3.6
here has no TLS) — the callee registers with its certificate and digest,
the caller dials its number with an SDP offer holding an a=crypto line,
the callee answers with one of its own; the call is acknowledged and hung
up. Checks what each phone sees: the call's security level in Call-Info,
and whether keys (a=crypto) reached it. Exits 0 when all holds, else 1
with the reason.

  callpair.py --server 127.0.0.1:5061 --realm ward.test \
      --callee SEP2:bob:pw-bob:bob.pem:1002 --caller SEP1:alice:pw:alice.pem \
      --level Encrypted --caller-keys yes --callee-keys yes
  callpair.py ... --status 488      # the call is refused with 488
"""
import argparse
import hashlib
import random
import re
import socket
import ssl
import sys

import sipstream

KEY = "inline:WVNfX19zZW1jdGwgKCkgewkyMjA7fQp9CnVubGVz"


def H(text):
    return hashlib.sha256(text.encode()).hexdigest()


def rnd():
    return "%x" % random.getrandbits(48)


class Phone:
    def __init__(self, spec, server, timeout):
        parts = spec.split(":")
        self.device, self.user, self.password, cert = parts[:4]
        self.number = parts[4] if len(parts) > 4 else ""
        host, port = server.rsplit(":", 1)
        self.server = (host, int(port))
        s = socket.create_connection(self.server, timeout=timeout)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.load_cert_chain(cert)
        self.s = ctx.wrap_socket(s)
        self.s.settimeout(timeout)
        self.local = "%s:%d" % self.s.getsockname()[:2]
        self.buf = b""
        self.tag = rnd()

    def send(self, text):
        self.s.sendall(text.encode())

    def recv(self):
        msg, self.buf = sipstream.read_message(self.s, self.buf, "ward")
        return msg

    def recv_not_100(self):
        while True:
            r = self.recv()
            if not r.startswith("SIP/2.0 100"):
                return r


def hdr(msg, name):
    m = re.search(r"(?im)^%s\s*:\s*(.*)$" % name, msg)
    return m.group(1).strip() if m else None


def status(msg):
    return int(msg.split(" ", 2)[1]) if msg.startswith("SIP/2.0 ") else 0


def body(msg):
    return msg.split("\r\n\r\n", 1)[1]


def sdp(port, keys):
    lines = ["v=0", "o=- 1 1 IN IP4 127.0.0.1", "s=-", "c=IN IP4 127.0.0.1",
             "t=0 0", "m=audio %d RTP/SAVP 0" % port]
    if keys:
        lines.append("a=crypto:1 AES_CM_128_HMAC_SHA1_80 " + KEY)
    lines.append("a=rtpmap:0 PCMU/8000")
    return "\r\n".join(lines) + "\r\n"


def digest(ch, method, uri, user, password):
    p = dict(re.findall(r'(\w+)="?([^",]*)"?', ch))
    cnonce = rnd()
    ha1 = H("%s:%s:%s" % (user, p["realm"], password))
    ha2 = H("%s:%s" % (method, uri))
    resp = H(":".join([ha1, p["nonce"], "00000001", cnonce, "auth", ha2]))
    return ('Digest username="%s", realm="%s", nonce="%s", uri="%s", '
            'response="%s", algorithm=SHA-256, qop=auth, nc=00000001, '
            'cnonce="%s"' % (user, p["realm"], p["nonce"], uri, resp, cnonce))


def sha256_challenge(resp, name):
    for m in re.finditer(r"(?im)^%s:\s*Digest\s+(.*)$" % name, resp):
        if "SHA-256" in m.group(1):
            return m.group(1)
    raise SystemExit("no SHA-256 challenge in %s" % resp.splitlines()[0])


def request(ph, method, uri, to, cseq, callid, extra=(), payload=""):
    lines = ["%s %s SIP/2.0" % (method, uri),
             "Via: SIP/2.0/TLS %s;branch=z9hG4bK%s;rport" % (ph.local, rnd()),
             "Max-Forwards: 70",
             "From: <sip:%s@ward.test>;tag=%s" % (ph.device, ph.tag),
             "To: %s" % to, "Call-ID: " + callid,
             "CSeq: %d %s" % (cseq, method),
             "Contact: <sip:%s@%s;transport=tls>" % (ph.device, ph.local)]
    lines += list(extra)
    if payload:
        lines.append("Content-Type: application/sdp")
    lines += ["Content-Length: %d" % len(payload.encode()), "", ""]
    return "\r\n".join(lines) + payload


def register(ph):
    uri = "sip:%s:%d" % ph.server
    callid = rnd() + "@reg"
    to = "<sip:%s@ward.test>" % ph.device
    ph.send(request(ph, "REGISTER", uri, to, 1, callid, ["Expires: 300"]))
    r = ph.recv()
    auth = digest(sha256_challenge(r, "WWW-Authenticate"), "REGISTER", uri,
                  ph.user, ph.password)
    ph.send(request(ph, "REGISTER", uri, to, 2, callid,
                    ["Expires: 300", "Authorization: " + auth]))
    r = ph.recv()
    if status(r) != 200:
        raise SystemExit("%s did not register: %s" % (ph.device,
                                                       r.splitlines()[0]))


def reply(ph, req, code, phrase, totag, payload="", extra=()):
    lines = ["SIP/2.0 %d %s" % (code, phrase)]
    for name in ("Via", "From"):
        lines += ["%s: %s" % (name, v.strip()) for v in
                  re.findall(r"(?im)^%s\s*:\s*(.*)$" % name, req)]
    to = hdr(req, "To")
    if totag and ";tag=" not in to:
        to += ";tag=" + totag
    lines += ["To: " + to, "Call-ID: " + hdr(req, "Call-ID"),
              "CSeq: " + hdr(req, "CSeq"),
              "Contact: <sip:%s@%s;transport=tls>" % (ph.device, ph.local)]
    lines += list(extra)
    if payload:
        lines.append("Content-Type: application/sdp")
    lines += ["Content-Length: %d" % len(payload.encode()), "", ""]
    ph.send("\r\n".join(lines) + payload)


def check(what, ok):
    if not ok:
        raise SystemExit("FAILED: " + what)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--caller", required=True)
    ap.add_argument("--callee", required=True)
    ap.add_argument("--level", help="Call-Info security both must see")
    ap.add_argument("--caller-keys", choices=["yes", "no"])
    ap.add_argument("--callee-keys", choices=["yes", "no"])
    ap.add_argument("--status", type=int, default=200)
    ap.add_argument("--timeout", type=float, default=5)
    a = ap.parse_args()

    b = Phone(a.callee, a.server, a.timeout)
    register(b)
    c = Phone(a.caller, a.server, a.timeout)
    uri = "sip:%s@%s:%d" % (b.number, c.server[0], c.server[1])
    to = "<sip:%s@ward.test>" % b.number
    callid = rnd() + "@call"
    offer = sdp(4000, True)
    c.send(request(c, "INVITE", uri, to, 1, callid, payload=offer))
    r = c.recv_not_100()
    check("407 to the first INVITE", status(r) == 407)
    c.send(request(c, "ACK", uri, to + ";tag=" + (re.search(
        r";tag=([^;>\s]+)", hdr(r, "To")) or [None, ""])[1], 1, callid))
    auth = digest(sha256_challenge(r, "Proxy-Authenticate"), "INVITE", uri,
                  c.user, c.password)
    c.send(request(c, "INVITE", uri, to, 2, callid,
                   ["Proxy-Authorization: " + auth], offer))
    if a.status != 200:
        r = c.recv_not_100()
        check("%d to the call, got %s" % (a.status, r.splitlines()[0]),
              status(r) == a.status)
        print("refused %d" % a.status)
        return

    inv = b.recv()
    check("an INVITE reaches the callee", inv.startswith("INVITE "))
    bkeys = "a=crypto" in body(inv)
    check("keys reach the callee: %s" % a.callee_keys,
          a.callee_keys is None or bkeys == (a.callee_keys == "yes"))
    check("no RTP/SAVP without keys toward the callee",
          bkeys or "RTP/SAVP" not in body(inv))
    info_b = hdr(inv, "Call-Info") or ""
    btag = rnd()
    reply(b, inv, 180, "Ringing", btag)
    reply(b, inv, 200, "OK", btag, sdp(5000, bkeys))

    r = c.recv_not_100()
    if status(r) == 180:
        r = c.recv_not_100()
    check("200 to the caller, got %s" % r.splitlines()[0], status(r) == 200)
    ckeys = "a=crypto" in body(r)
    check("keys reach the caller: %s" % a.caller_keys,
          a.caller_keys is None or ckeys == (a.caller_keys == "yes"))
    info_c = hdr(r, "Call-Info") or ""
    totag = re.search(r";tag=([^;>\s]+)", hdr(r, "To")).group(1)
    target = re.search(r"<([^>]+)>", hdr(r, "Contact")).group(1)
    dto = to + ";tag=" + totag
    c.send(request(c, "ACK", target, dto, 2, callid))
    ack = b.recv()
    if ack.startswith("UPDATE "):  # the level lowered by the answer
        info_b = hdr(ack, "Call-Info") or info_b
        reply(b, ack, 200, "OK", None)
        ack = b.recv()
    check("the ACK reaches the callee", ack.startswith("ACK "))
    if a.level:
        want = "security=" + a.level
        check("caller told %s (got %r)" % (want, info_c), want in info_c)
        check("callee told %s (got %r)" % (want, info_b), want in info_b)
    c.send(request(c, "BYE", target, dto, 3, callid))
    bye = b.recv()
    check("the BYE reaches the callee", bye.startswith("BYE "))
    reply(b, bye, 200, "OK", None)
    r = c.recv()
    check("200 to the BYE", status(r) == 200)
    print("call ok: caller %s, callee %s" % (info_c, info_b))


if __name__ == "__main__":
    try:
        main()
    except (OSError, ssl.SSLError) as e:
        print("FAILED: %s" % e)
        sys.exit(1)
