#!/usr/bin/env python3
"""udpflood: OPTIONS requests to a UDP SIP listener as fast as one thread
sends them, until STOP_FILE exists or SECONDS pass (then 2 s more with the
socket open, sending nothing) — faster than one signaling
thread reads them, so the listener's socket buffer stays full (the system
tests' way to put a node under overload, docs/sip.md "Overload").

usage: udpflood.py HOST:PORT STOP_FILE SECONDS
"""
import os
import socket
import sys
import time


def main():
    host, port = sys.argv[1].rsplit(":", 1)
    stop, seconds = sys.argv[2], float(sys.argv[3])
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 1 << 20)
    s.bind((host, 0))
    s.setblocking(False)
    # The answers come back here and are never read: once this socket's
    # buffer is full the kernel drops them (no ICMP error for the node).
    msg = ("OPTIONS sip:%s:%s SIP/2.0\r\n"
           "Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-flood\r\n"
           "Max-Forwards: 70\r\nFrom: <sip:flood@%s>;tag=f\r\n"
           "To: <sip:%s>\r\nCall-ID: flood\r\nCSeq: 1 OPTIONS\r\n"
           "Content-Length: 0\r\n\r\n" %
           (host, port, host, s.getsockname()[1], host, host)).encode()
    dest = (host, int(port))
    end = time.monotonic() + seconds
    while not os.path.exists(stop) and time.monotonic() < end:
        for _ in range(2000):
            try:
                s.sendto(msg, dest)
            except OSError:
                pass
    # The node answers what it still holds: the socket stays open meanwhile
    # (a closed port would make each answer an ICMP error in its log).
    time.sleep(2)


if __name__ == "__main__":
    main()
