#!/usr/bin/env python3
"""tls_sink: a TLS server playing a SIP trunk's peer, for tests.

  tls_sink.py ADDR PORT CERT OUT [SECONDS]

Listens on ADDR:PORT with CERT (a PEM holding the certificate and its
key), asks for no client certificate, and appends every byte it receives
on any connection to OUT (flushed as it comes, so that an empty OUT means
nothing arrived). An OPTIONS is answered 200 (its Via, From, To, Call-ID
and CSeq copied), so that a keepalive sees the peer reachable; other
requests get no answer. Writes OUT.ready once listening; ends after
SECONDS (default 20) or when OUT.stop exists.
"""
import os
import re
import selectors
import socket
import ssl
import sys
import time


def answer(msg):
    head = msg.split(b"\r\n\r\n", 1)[0].decode("utf-8", "replace")
    lines = head.split("\r\n")
    if not lines[0].startswith("OPTIONS "):
        return None
    keep = [l for l in lines[1:] if re.match(
        r"(?i)(via|v|from|f|to|t|call-id|i|cseq):", l)]
    return ("SIP/2.0 200 OK\r\n" + "\r\n".join(keep) +
            "\r\nContent-Length: 0\r\n\r\n").encode()


def main():
    addr, port, cert, out = sys.argv[1:5]
    secs = float(sys.argv[5]) if len(sys.argv) > 5 else 20
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert)
    ls = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    ls.bind((addr, int(port)))
    ls.listen(16)
    ls.setblocking(False)
    sel = selectors.DefaultSelector()
    sel.register(ls, selectors.EVENT_READ)
    bufs = {}
    end = time.time() + secs
    with open(out, "ab", buffering=0) as f:
        open(out + ".ready", "w").close()
        while time.time() < end and not os.path.exists(out + ".stop"):
            for key, _ in sel.select(0.2):
                s = key.fileobj
                if s is ls:
                    try:
                        c, _ = ls.accept()
                        c.settimeout(2)
                        c = ctx.wrap_socket(c, server_side=True)
                        c.setblocking(False)
                    except (OSError, ssl.SSLError):
                        continue
                    sel.register(c, selectors.EVENT_READ)
                    bufs[c] = b""
                    continue
                try:
                    d = s.recv(65536)
                except ssl.SSLWantReadError:
                    continue
                except (OSError, ssl.SSLError):
                    d = b""
                if not d:
                    sel.unregister(s)
                    bufs.pop(s, None)
                    s.close()
                    continue
                f.write(d)
                bufs[s] += d
                while b"\r\n\r\n" in bufs[s]:
                    msg, bufs[s] = bufs[s].split(b"\r\n\r\n", 1)
                    m = re.search(rb"(?i)\r\ncontent-length: *(\d+)", msg)
                    n = int(m.group(1)) if m else 0
                    bufs[s] = bufs[s][n:]
                    a = answer(msg + b"\r\n\r\n")
                    if a:
                        s.setblocking(True)
                        s.sendall(a)
                        s.setblocking(False)


if __name__ == "__main__":
    main()
