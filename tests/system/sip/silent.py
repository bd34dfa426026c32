#!/usr/bin/env python3
"""silent: opens --count connections to a SIP server's TCP or TLS port
from --local and never sends a SIP message (with --tls, each completes its
TLS handshake first, when the server lets it), then watches them: prints
one JSON line {"opened", "closed", "open", "seconds"} and
exits 0 if the server closed every one of them within --wait seconds.
Used by test_sip_silent.sh."""
import argparse
import json
import select
import socket
import ssl
import sys
import time


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)  # host:port
    ap.add_argument("--local", default="127.0.0.1")
    ap.add_argument("--count", type=int, default=300)
    ap.add_argument("--tls", action="store_true")
    ap.add_argument("--wait", type=float, default=15.0)
    a = ap.parse_args()
    host, port = a.server.rsplit(":", 1)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    start = time.monotonic()
    live = {}  # socket -> when it was opened
    closed = 0

    def gone(s):
        try:
            return s.recv(4096) == b""
        except (ssl.SSLWantReadError, BlockingIOError):
            return False
        except (OSError, ssl.SSLError):
            return True

    def watch(timeout):
        nonlocal closed
        if not live:
            time.sleep(timeout)
            return
        r, _, _ = select.select(list(live), [], [], timeout)
        for s in r:
            if gone(s):
                # Closed at accept, or by the first-message deadline.
                del live[s]
                closed += 1
                s.close()

    for _ in range(a.count):
        t = time.monotonic()
        s = socket.create_connection((host, int(port)), timeout=5,
                                     source_address=(a.local, 0))
        if a.tls:
            try:
                s = ctx.wrap_socket(s)
            except (OSError, ssl.SSLError):
                closed += 1  # refused at accept: no handshake
                s.close()
                continue
        s.setblocking(False)
        live[s] = t
        watch(0)
    opened = a.count
    deadline = start + a.wait
    while live and time.monotonic() < deadline:
        watch(0.2)
    still = list(live)
    out = {"opened": opened, "closed": closed, "open": len(still),
           "seconds": round(time.monotonic() - start, 1)}
    print(json.dumps(out))
    for s in still:
        s.close()
    sys.exit(0 if not still else 1)


if __name__ == "__main__":
    main()
