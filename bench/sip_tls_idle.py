#!/usr/bin/env python3
"""sip_tls_idle: opens N mutual-TLS connections to a SIP TLS port, PER of
them from each loopback source address (127.1.x.y), sends one OPTIONS on
each and reads its answer, holds them all for a moment, then prints one
line: "RSS_KB OPEN ANSWERED SECONDS" — the server process's RSS (from
/proc/PID/status) while they are held, how many are still open (the server
closed none of them), how many got a 200, and how long opening took.

usage: sip_tls_idle.py HOST PORT N PER CERT_PEM SERVER_PID"""
import selectors
import socket
import ssl
import sys
import time


def options(i, local):
    return ("OPTIONS sip:ward.bench SIP/2.0\r\n"
            "Via: SIP/2.0/TLS %s:%d;branch=z9hG4bKidle%d\r\n"
            "From: <sip:idle%d@ward.bench>;tag=%d\r\n"
            "To: <sip:ward.bench>\r\n"
            "Call-ID: idle%d\r\n"
            "CSeq: 1 OPTIONS\r\n"
            "Max-Forwards: 70\r\n"
            "Content-Length: 0\r\n\r\n"
            % (local[0], local[1], i, i, i, i)).encode()


def source(i, per):
    g = i // per
    return "127.1.%d.%d" % (g // 250, g % 250 + 1)


def main():
    host, port, n, per, cert, pid = sys.argv[1:7]
    port, n, per = int(port), int(n), int(per)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    ctx.load_cert_chain(cert)
    held, answered = [], 0
    t0 = last_ping = time.monotonic()
    for i in range(n):
        # RFC 5626 keepalives on what is held, as phones send them: the
        # node reaps connections idle for 120 s.
        if time.monotonic() - last_ping > 20:
            for h in held:
                h.sendall(b"\r\n\r\n")
            last_ping = time.monotonic()
        s = socket.create_connection((host, port), timeout=10,
                                     source_address=(source(i, per), 0))
        s = ctx.wrap_socket(s)
        s.sendall(options(i, s.getsockname()))
        buf = b""
        try:
            while b"\r\n\r\n" not in buf:
                d = s.recv(4096)
                if not d:
                    break
                buf += d
        except OSError:
            pass
        answered += buf.startswith(b"SIP/2.0 200")
        held.append(s)
    opened = time.monotonic() - t0
    time.sleep(2)
    rss = [l for l in open("/proc/%s/status" % pid)
           if l.startswith("VmRSS")][0].split()[1]
    # Closed by the server: readable with nothing to read (keepalive
    # CRLFs are data, not a close).
    sel = selectors.DefaultSelector()
    for s in held:
        s.setblocking(False)
        sel.register(s, selectors.EVENT_READ)
    closed = 0
    for key, _ in sel.select(timeout=0.5):
        s = key.fileobj
        try:
            while True:
                if not s.recv(4096):
                    closed += 1
                    break
        except ssl.SSLWantReadError:
            pass
        except OSError:
            closed += 1
    print(rss, len(held) - closed, answered, "%.0f" % opened)
    for s in held:
        s.close()


if __name__ == "__main__":
    main()
