#!/usr/bin/env python3
"""Floods a SIP server over one TCP connection and says whether the server
closed it: exit 0 if it did within --wait seconds, 1 if the connection
stayed open. Used by test_sip_digest.sh."""
import argparse
import socket
import sys
import time


def options(i, host, port, lport):
    return (f"OPTIONS sip:{host}:{port} SIP/2.0\r\n"
            f"Via: SIP/2.0/TCP 127.0.0.1:{lport};branch=z9hG4bK-fl{i}\r\n"
            f"From: <sip:flood@ward.test>;tag=f{i}\r\n"
            f"To: <sip:{host}>\r\n"
            f"Call-ID: flood-{i}@127.0.0.1\r\n"
            f"CSeq: {i + 1} OPTIONS\r\n"
            "Max-Forwards: 70\r\nContent-Length: 0\r\n\r\n").encode()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--server", required=True)  # host:port
    ap.add_argument("--count", type=int, default=200)
    ap.add_argument("--wait", type=float, default=3.0)
    a = ap.parse_args()
    host, port = a.server.rsplit(":", 1)
    s = socket.create_connection((host, int(port)), timeout=a.wait)
    lport = s.getsockname()[1]
    try:
        for i in range(a.count):
            s.sendall(options(i, host, port, lport))
    except OSError:
        print("closed while sending")
        return 0
    end = time.time() + a.wait
    while time.time() < end:
        try:
            b = s.recv(65536)
        except socket.timeout:
            break
        except OSError:
            print("closed (reset)")
            return 0
        if not b:
            print("closed")
            return 0
    print("still open")
    return 1


if __name__ == "__main__":
    sys.exit(main())
