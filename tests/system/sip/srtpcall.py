#!/usr/bin/env python3
"""srtpcall: two encrypted-mode phones over TLS (each with its MIC) make
one call through ward with SDES keys — B registers, A registers, A calls
B's line with RTP/SAVP and an a=crypto of its own, B answers with its own,
ACK, then with --peer each phone's media (srtp_peer: SRTP both ways
through ward's relay, the payload checked), BYE — and every key that
crossed the wire (each phone's own and those ward gave each) is written,
one base64 key+salt a line, to --keys.

With --early, B first answers in a 183 (early media: with --peer, in
same and moved, SRTP both ways through the relay before the 200), then in the 200 with the
same SDP (same), without SDP after a reliable 183 (bare: A's 200 must
repeat ward's answer), the same key at another port (moved: media then
goes there), or another key of its own (rekey: ward must refuse the
call, A gets 488 and B an ACK and a BYE). With --reliable that 183 is sent
reliably (RFC 3262: Require: 100rel, RSeq) and B answers ward's PRACK
before any media.

With --move, once the call is up A re-INVITEs with its key at another
port (a leg that moves: ward must relay it with the keys unchanged, B
answers as before). --peers FILE gets each phone's media address, first
and last ("A 127.0.0.1:P1 127.0.0.1:P2", then B's).

usage: srtpcall.py --server HOST:PORT --a DEV:CERT --b DEV:CERT
                   --number N --keys FILE [--peer SRTP_PEER] [--refused CODE]
                   [--early same|bare|moved|rekey [--reliable]]
                   [--move] [--peers FILE]
exit 0 when the call went through with a key toward each phone, 1 with the
reason on standard error. With --refused, exit 0 when ward answers A's
INVITE with CODE instead (and --keys is not written).
"""
import argparse
import base64
import os
import re
import socket
import ssl
import subprocess
import sys
import uuid


def die(why):
    print("srtpcall: " + why, file=sys.stderr)
    sys.exit(1)


class Phone:
    def __init__(self, server, device, cert):
        host, port = server.rsplit(":", 1)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        ctx.check_hostname = False
        ctx.verify_mode = ssl.CERT_NONE
        ctx.load_cert_chain(cert)
        raw = socket.create_connection((host, int(port)), timeout=5)
        self.s = ctx.wrap_socket(raw)
        self.device = device
        self.server = server
        self.buf = b""
        self.local = "%s:%d" % self.s.getsockname()[:2]
        self.tag = uuid.uuid4().hex[:8]
        self.cseq = 0

    def send(self, text):
        self.s.sendall(text.encode())

    def recv(self):
        while True:
            head, sep, rest = self.buf.partition(b"\r\n\r\n")
            if sep:
                m = re.search(rb"(?im)^content-length:\s*(\d+)", head)
                n = int(m.group(1)) if m else 0
                if len(rest) >= n:
                    self.buf = rest[n:]
                    return head.decode() + "\r\n\r\n" + rest[:n].decode()
            data = self.s.recv(65536)
            if not data:
                die("%s: connection closed" % self.device)
            self.buf += data

    def recv_until(self, pred, what):
        for _ in range(20):
            msg = self.recv()
            if pred(msg):
                return msg
        die("%s: no %s" % (self.device, what))

    def request(self, method, uri, to, call_id, extra="", body="",
                to_tag=""):
        self.cseq += 1
        branch = "z9hG4bK" + uuid.uuid4().hex[:12]
        ctype = "Content-Type: application/sdp\r\n" if body else ""
        self.send(
            "%s %s SIP/2.0\r\n"
            "Via: SIP/2.0/TLS %s;branch=%s;rport\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:%s@%s>;tag=%s\r\n"
            "To: <%s>%s\r\n"
            "Call-ID: %s\r\n"
            "CSeq: %d %s\r\n"
            "Contact: <sip:%s@%s;transport=tls>\r\n"
            "%s%sContent-Length: %d\r\n\r\n%s" %
            (method, uri, self.local, branch, self.device, self.server,
             self.tag, to, (";tag=" + to_tag) if to_tag else "", call_id,
             self.cseq, method, self.device, self.local, extra, ctype,
             len(body), body))

    def register(self):
        cid = uuid.uuid4().hex
        self.request("REGISTER", "sip:" + self.server,
                     "sip:%s@%s" % (self.device, self.server), cid,
                     "Expires: 300\r\n")
        msg = self.recv_until(lambda m: not m.startswith("SIP/2.0 1"),
                              "REGISTER answer")
        if not msg.startswith("SIP/2.0 200"):
            die("%s: REGISTER: %s" % (self.device, msg.splitlines()[0]))


def sdp(port, key):
    return ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\n"
            "c=IN IP4 127.0.0.1\r\nt=0 0\r\n"
            "m=audio %d RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
            "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s\r\n" % (port, key))


def free_udp_port():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def media_port(msg):
    return int(re.search(r"(?m)^m=audio (\d+) ", msg).group(1))


def crypto_keys(msg):
    return re.findall(r"a=crypto:\d+ \S+ inline:([A-Za-z0-9+/=]+)", msg)


def vias(msg):
    return "".join("Via: %s\r\n" % v.strip() for v in
                   re.findall(r"(?im)^via:\s*(.*)$", msg))


def header(msg, name):
    m = re.search(r"(?im)^%s:\s*(.*)$" % name, msg)
    return m.group(1).strip() if m else ""


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)
    ap.add_argument("--a", required=True)
    ap.add_argument("--b", required=True)
    ap.add_argument("--number", required=True)
    ap.add_argument("--keys", required=True)
    ap.add_argument("--peer")
    ap.add_argument("--refused")
    ap.add_argument("--early", choices=("same", "bare", "moved", "rekey"))
    ap.add_argument("--reliable", action="store_true")
    ap.add_argument("--move", action="store_true")
    ap.add_argument("--peers")
    args = ap.parse_args()
    ka = base64.b64encode(os.urandom(30)).decode()
    kb = base64.b64encode(os.urandom(30)).decode()
    b = Phone(args.server, *args.b.split(":", 1))
    b.register()
    a = Phone(args.server, *args.a.split(":", 1))
    a.register()

    cid = uuid.uuid4().hex
    target = "sip:%s@%s" % (args.number, args.server)
    pa, pb = free_udp_port(), free_udp_port()
    first = (pa, pb)
    a.request("INVITE", target, target, cid, body=sdp(pa, ka))
    if args.refused:
        fin = a.recv_until(lambda m: re.match(r"SIP/2\.0 [2-6]", m), "final")
        if not fin.startswith("SIP/2.0 %s " % args.refused):
            die("A's INVITE: " + fin.splitlines()[0])
        return
    inv = b.recv_until(lambda m: m.startswith("INVITE "), "INVITE")
    to_b = crypto_keys(inv)
    if not to_b or ka in inv:
        die("B's INVITE: no key of ward's, or A's own key")
    # B answers: 200 with its own key, on the line ward numbered 1.
    body = sdp(pb, kb)
    if args.early:
        rel = "Require: 100rel\r\nRSeq: 1\r\n" if args.reliable else ""
        b.send("SIP/2.0 183 Session Progress\r\n%sFrom: %s\r\n"
               "To: %s;tag=%s\r\nCall-ID: %s\r\nCSeq: %s\r\n%s"
               "Contact: <sip:%s@%s;transport=tls>\r\n"
               "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s" %
               (vias(inv), header(inv, "From"), header(inv, "To"), b.tag,
                header(inv, "Call-ID"), header(inv, "CSeq"), rel, b.device,
                b.local, len(body), body))
        if args.reliable:
            pr = b.recv_until(lambda m: m.startswith("PRACK "), "PRACK")
            if not re.match(r"1 \d+ INVITE$", header(pr, "RAck")):
                die("ward's PRACK: RAck " + header(pr, "RAck"))
            b.send("SIP/2.0 200 OK\r\n%sFrom: %s\r\nTo: %s\r\n"
                   "Call-ID: %s\r\nCSeq: %s\r\nContent-Length: 0\r\n\r\n" %
                   (vias(pr), header(pr, "From"), header(pr, "To"),
                    header(pr, "Call-ID"), header(pr, "CSeq")))
        prov = a.recv_until(lambda m: m.startswith("SIP/2.0 183"), "183")
        early = crypto_keys(prov)
        if len(early) != 1 or kb in prov:
            die("A's 183: not one key of ward's, or B's own key")
        if args.peer and args.early in ("same", "moved"):
            suite = "AES_CM_128_HMAC_SHA1_80"
            runs = [subprocess.Popen([args.peer, suite, ka, early[0], str(pa),
                                      str(media_port(prov)), "50"]),
                    subprocess.Popen([args.peer, suite, kb, to_b[0], str(pb),
                                      str(media_port(inv)), "50"])]
            if any(r.wait(timeout=30) != 0 for r in runs):
                die("early media through the relay: not intact")
        if args.early == "moved":
            pb = free_udp_port()
        elif args.early == "rekey":
            kb = base64.b64encode(os.urandom(30)).decode()
        body = sdp(pb, kb).replace("o=- 1 1 ", "o=- 1 2 ") \
            if args.early in ("moved", "rekey") else body
        if args.early == "bare":
            body = ""
    b.send("SIP/2.0 200 OK\r\n%sFrom: %s\r\nTo: %s;tag=%s\r\n"
           "Call-ID: %s\r\nCSeq: %s\r\n"
           "Contact: <sip:%s@%s;transport=tls>\r\n"
           "%sContent-Length: %d\r\n\r\n%s" %
           (vias(inv), header(inv, "From"), header(inv, "To"), b.tag,
            header(inv, "Call-ID"), header(inv, "CSeq"), b.device, b.local,
            "Content-Type: application/sdp\r\n" if body else "",
            len(body), body))
    ok = a.recv_until(lambda m: re.match(r"SIP/2\.0 [2-6]", m), "final")
    if args.early == "rekey":
        if not ok.startswith("SIP/2.0 488 "):
            die("A's INVITE after a re-keying 200: " + ok.splitlines()[0])
        b.recv_until(lambda m: m.startswith("ACK "), "ACK")
        bye = b.recv_until(lambda m: m.startswith("BYE "), "BYE")
        b.send("SIP/2.0 200 OK\r\n%sFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\n"
               "CSeq: %s\r\nContent-Length: 0\r\n\r\n" %
               (vias(bye), header(bye, "From"), header(bye, "To"),
                header(bye, "Call-ID"), header(bye, "CSeq")))
        return
    if args.early and crypto_keys(ok) != early:
        die("A's 200: not the answer of its 183")
    if not ok.startswith("SIP/2.0 200"):
        die("A's INVITE: " + ok.splitlines()[0])
    to_a = crypto_keys(ok)
    if len(to_a) != 1 or kb in ok:
        die("A's 200: not one key of ward's, or B's own key")
    rtag = re.search(r";tag=([^;\s]+)", header(ok, "To")).group(1)
    a.cseq -= 1  # the ACK takes the INVITE's number
    a.request("ACK", target, target, cid, to_tag=rtag)
    b.recv_until(lambda m: m.startswith("ACK "), "ACK")
    if args.move:
        pa = free_udp_port()
        a.request("INVITE", target, target, cid, to_tag=rtag,
                  body=sdp(pa, ka).replace("o=- 1 1 ", "o=- 1 2 "))
        re_b = b.recv_until(lambda m: m.startswith("INVITE "), "re-INVITE")
        # ward's key B took (the first line); no new one
        if crypto_keys(re_b)[:1] != to_b[:1] or \
                not set(crypto_keys(re_b)) <= set(to_b) or ka in re_b:
            die("B's re-INVITE after A moved: not ward's key as before")
        body = sdp(pb, kb).replace("o=- 1 1 ", "o=- 1 2 ")
        b.send("SIP/2.0 200 OK\r\n%sFrom: %s\r\nTo: %s\r\n"
               "Call-ID: %s\r\nCSeq: %s\r\n"
               "Contact: <sip:%s@%s;transport=tls>\r\n"
               "Content-Type: application/sdp\r\nContent-Length: %d\r\n"
               "\r\n%s" %
               (vias(re_b), header(re_b, "From"), header(re_b, "To"),
                header(re_b, "Call-ID"), header(re_b, "CSeq"), b.device,
                b.local, len(body), body))
        ok2 = a.recv_until(lambda m: re.match(r"SIP/2\.0 [2-6]", m),
                           "re-INVITE answer")
        if not ok2.startswith("SIP/2.0 200") or crypto_keys(ok2) != to_a:
            die("A's re-INVITE: %s, not ward's key as before" %
                ok2.splitlines()[0])
        a.cseq -= 1
        a.request("ACK", target, target, cid, to_tag=rtag)
        b.recv_until(lambda m: m.startswith("ACK "), "ACK of the re-INVITE")
    if args.peers:
        with open(args.peers, "w") as f:
            f.write("A 127.0.0.1:%d 127.0.0.1:%d\n" % (first[0], pa))
            f.write("B 127.0.0.1:%d 127.0.0.1:%d\n" % (first[1], pb))
    if args.peer:
        suite = "AES_CM_128_HMAC_SHA1_80"
        runs = [subprocess.Popen([args.peer, suite, ka, to_a[0], str(pa),
                                  str(media_port(ok)), "100"]),
                subprocess.Popen([args.peer, suite, kb, to_b[0], str(pb),
                                  str(media_port(inv)), "100"])]
        if any(r.wait(timeout=30) != 0 for r in runs):
            die("media through the relay: not intact")
    a.request("BYE", target, target, cid, to_tag=rtag)
    bye = b.recv_until(lambda m: m.startswith("BYE "), "BYE")
    b.send("SIP/2.0 200 OK\r\n%sFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\n"
           "CSeq: %s\r\nContent-Length: 0\r\n\r\n" %
           (vias(bye), header(bye, "From"), header(bye, "To"), header(bye, "Call-ID"),
            header(bye, "CSeq")))
    a.recv_until(lambda m: m.startswith("SIP/2.0 200") and "BYE" in
                 header(m, "CSeq"), "BYE answer")
    with open(args.keys, "w") as f:
        for k in [ka, kb] + to_a + to_b:
            f.write(k + "\n")


if __name__ == "__main__":
    main()
