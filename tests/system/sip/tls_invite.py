#!/usr/bin/env python3
"""tls_invite: a SIP trunk's peer calling in over TLS, for tests.

  tls_invite.py SERVER LOCAL CERT NUMBER RTP OUT [SECONDS]

Connects from LOCAL (an IP) to SERVER (IP:PORT) over TLS presenting CERT
(certificate and key, PEM), sends an INVITE to NUMBER offering PCMU over
RTP/SAVP with an AES_CM_128_HMAC_SHA1_80 key (SDP address 127.0.0.1, RTP
port RTP), and prints each final status. On a 200 it writes the answer's
body to OUT.sdp, acknowledges it, records every datagram reaching the RTP
port for SECONDS (default 3) into OUT.cap (lines "SPORT DPORT 0 HEX", as
test_call_srtp_lib.py's sniff writes them), then sends BYE. Exits 0 when
the call was answered and hung up.
"""
import base64
import os
import random
import re
import socket
import ssl
import sys
import time


def read_msg(s, buf):
    while b"\r\n\r\n" not in buf:
        d = s.recv(65536)
        if not d:
            raise SystemExit("connection closed")
        buf += d
    head, rest = buf.split(b"\r\n\r\n", 1)
    m = re.search(rb"(?im)^content-length: *(\d+)", head)
    n = int(m.group(1)) if m else 0
    while len(rest) < n:
        d = s.recv(65536)
        if not d:
            raise SystemExit("connection closed")
        rest += d
    return head.decode(errors="replace"), rest[:n], rest[n:]


def main():
    server, local, cert, number, rtp, out = sys.argv[1:7]
    secs = float(sys.argv[7]) if len(sys.argv) > 7 else 3
    host, port = server.rsplit(":", 1)
    u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    u.bind(("127.0.0.1", int(rtp)))
    u.settimeout(0.2)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.load_cert_chain(cert)
    raw = socket.create_connection((host, int(port)), timeout=10,
                                   source_address=(local, 0))
    s = ctx.wrap_socket(raw)
    lport = s.getsockname()[1]
    key = base64.b64encode(os.urandom(30)).decode()
    sdp = ("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\n"
           "t=0 0\r\nm=audio %s RTP/SAVP 0\r\na=rtpmap:0 PCMU/8000\r\n"
           "a=crypto:1 AES_CM_128_HMAC_SHA1_80 inline:%s\r\n"
           "a=sendrecv\r\n" % (rtp, key))
    cid = "%x@%s" % (random.getrandbits(64), local)
    tag = "%x" % random.getrandbits(32)
    branch = lambda: "z9hG4bK%x" % random.getrandbits(48)
    frm = "<sip:trunk@%s>;tag=%s" % (local, tag)
    ruri = "sip:%s@%s;transport=tls" % (number, server)
    contact = "<sip:trunk@%s:%d;transport=tls>" % (local, lport)

    def request(method, cseq, to, body="", uri=ruri):
        msg = ("%s %s SIP/2.0\r\nVia: SIP/2.0/TLS %s:%d;branch=%s;rport\r\n"
               "Max-Forwards: 70\r\nFrom: %s\r\nTo: %s\r\nCall-ID: %s\r\n"
               "CSeq: %d %s\r\nContact: %s\r\n" %
               (method, uri, local, lport, branch(), frm, to, cid, cseq,
                method, contact))
        if body:
            msg += "Content-Type: application/sdp\r\n"
        msg += "Content-Length: %d\r\n\r\n%s" % (len(body), body)
        s.sendall(msg.encode())

    request("INVITE", 1, "<sip:%s@%s>" % (number, host), sdp)
    buf = b""
    while True:
        head, body, buf = read_msg(s, buf)
        status = int(head.split(" ", 2)[1])
        if status >= 200:
            print(status)
            break
    if status != 200:
        raise SystemExit(1)
    to = re.search(r"(?im)^(?:to|t): *(.*)$", head).group(1).strip()
    m = re.search(r"(?im)^(?:contact|m): *<([^>]*)>", head)
    target = m.group(1) if m else ruri
    with open(out + ".sdp", "wb") as f:
        f.write(body)
    request("ACK", 1, to, uri=target)
    end = time.time() + secs
    with open(out + ".cap", "w") as f:
        while time.time() < end:
            try:
                d, a = u.recvfrom(65535)
            except socket.timeout:
                continue
            f.write("%d %s 0 %s\n" % (a[1], rtp, d.hex()))
    request("BYE", 2, to, uri=target)
    while True:
        head, body, buf = read_msg(s, buf)
        if head.startswith("SIP/2.0 ") and "BYE" in re.search(
                r"(?im)^cseq: *(.*)$", head).group(1):
            print(head.split(" ", 2)[1])
            break
    s.close()


if __name__ == "__main__":
    main()
