#!/usr/bin/env python3
"""tftp_probe: a raw-packet TFTP client for the system test.

Usage: tftp_probe.py HOST PORT NAME SHA256

Sends what real clients do not: write requests, bad modes, path traversal,
truncated, oversized and garbage packets, a flood of requests from one
address, stray ACKs from a foreign port. Checks that each is answered with
the right TFTP ERROR (or dropped) and that NAME (whose SHA-256 is given) is
still served, byte for byte, to another address during the flood. Exits 1
with a message on the first check that fails.
"""
import hashlib
import socket
import struct
import sys
import time

HOST, PORT, NAME, SHA = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]


def fail(msg):
    print("FAIL: " + msg, file=sys.stderr)
    sys.exit(1)


def sock(src="127.0.0.1"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.settimeout(2)
    return s


def rrq(name, mode=b"octet", opts=(), op=1):
    b = struct.pack("!H", op) + name + b"\0" + mode + b"\0"
    for k, v in opts:
        b += k + b"\0" + v + b"\0"
    return b


def expect_error(pkt, code, what):
    s = sock()
    s.sendto(pkt, (HOST, PORT))
    try:
        data, _ = s.recvfrom(70000)
    except socket.timeout:
        fail(what + ": no answer")
    op, got = struct.unpack("!HH", data[:4])
    if op != 5 or got != code:
        fail("%s: got opcode %d code %d, expected ERROR %d" % (what, op, got, code))
    if not data.endswith(b"\0"):
        fail(what + ": ERROR text not terminated")
    s.close()


def expect_silence(pkt, what):
    s = sock()
    s.settimeout(0.3)
    s.sendto(pkt, (HOST, PORT))
    try:
        data, _ = s.recvfrom(70000)
        fail("%s: answered %r" % (what, data[:16]))
    except socket.timeout:
        pass
    s.close()


def fetch(src="127.0.0.1", opts=()):
    """Downloads NAME; returns (bytes, server's transfer port)."""
    s = sock(src)
    s.sendto(rrq(NAME.encode(), opts=opts), (HOST, PORT))
    out, expect, blksize, window, tid = b"", 1, 512, 1, None
    opts = dict(opts)
    blksize = int(opts.get(b"blksize", b"512"))
    window = int(opts.get(b"windowsize", b"1"))
    got_in_window = 0
    while True:
        data, addr = s.recvfrom(70000)
        if tid is None:
            tid = addr
            if addr[1] == PORT:
                fail("the transfer answered from the request port")
        elif addr != tid:
            fail("a packet from a second TID")
        op = struct.unpack("!H", data[:2])[0]
        if op == 6:
            f = data[2:].split(b"\0")
            oack = dict(zip(f[0::2], f[1::2]))
            for k, v in opts.items():
                if k in (b"blksize", b"windowsize", b"timeout") and oack.get(k) != v:
                    fail("OACK %r: %r for %r" % (k, oack.get(k), v))
            if b"tsize" in opts:
                tsize = int(oack[b"tsize"])
            if b"x-unknown" in oack:
                fail("an unknown option was acknowledged")
            s.sendto(struct.pack("!HH", 4, 0), tid)
            continue
        if op != 3:
            fail("fetch: opcode %d %r" % (op, data[:40]))
        blk = struct.unpack("!H", data[2:4])[0]
        if blk != expect & 0xFFFF:
            continue
        out += data[4:]
        expect += 1
        got_in_window += 1
        last = len(data) - 4 < blksize
        if last or got_in_window == window:
            s.sendto(struct.pack("!HH", 4, blk), tid)
            got_in_window = 0
        if last:
            if b"tsize" in opts and tsize != len(out):
                fail("tsize %d for %d bytes" % (tsize, len(out)))
            s.close()
            return out, tid


def check_bytes(data, what):
    if hashlib.sha256(data).hexdigest() != SHA:
        fail(what + ": bytes differ from what the admin API reports")


# ---- refusals -------------------------------------------------------------
expect_error(rrq(b"x", op=2), 2, "write request")
expect_error(rrq(NAME.encode(), mode=b"mail"), 4, "mode mail")
expect_error(rrq(NAME.encode(), mode=b"binary!"), 4, "bad mode")
expect_error(rrq(b"../" + NAME.encode()), 1, "../ name")
expect_error(rrq(b"../../../../etc/passwd"), 1, "../../etc/passwd")
expect_error(rrq(b"/etc/passwd"), 1, "absolute path")
expect_error(rrq(b"a/../" + NAME.encode()), 1, "a/../NAME")
expect_error(rrq(b"no-such-file.bin"), 1, "unknown file")
expect_error(b"\0\1" + NAME.encode(), 4, "name without NUL")
expect_error(b"\0\1" + NAME.encode() + b"\0", 4, "no mode")
expect_error(rrq(NAME.encode(), opts=[(b"blksize", b"1024")])[:-1], 4,
             "dangling option")
expect_error(b"\0\1" + b"A" * 2000 + b"\0octet\0", 4, "oversized request")
expect_error(b"\0\1" + b"A" * 300 + b"\0octet\0", 1, "name over 255 bytes")
expect_silence(b"", "empty datagram")
expect_silence(b"\0", "one byte")
expect_silence(b"\0\4\0\1", "ACK to the request port")
expect_silence(b"\0\3\0\1hello", "DATA to the request port")
expect_silence(b"\0\5\0\0x\0", "ERROR to the request port")
expect_silence(b"\xff\xff" + b"\0" * 100, "unknown opcode")

# ---- a normal fetch, with and without options -------------------------------
data, _ = fetch()
check_bytes(data, "plain fetch")
data, _ = fetch(opts=[(b"blksize", b"100"), (b"tsize", b"0"),
                      (b"windowsize", b"4"), (b"timeout", b"2"),
                      (b"x-unknown", b"1")])
check_bytes(data, "fetch with options")

# ---- a stray ACK from a foreign port does not disturb a transfer -----------
s = sock()
s.sendto(rrq(NAME.encode()), (HOST, PORT))
first, tid = s.recvfrom(70000)
stray = sock()
stray.sendto(b"\0\5\0\0stop\0", tid)      # an ERROR from another TID
stray.sendto(b"\0\4\0\1", tid)
s.sendto(struct.pack("!HH", 4, 1), tid)   # the real client goes on
nxt, addr = s.recvfrom(70000)
if addr != tid or first[:4] != b"\0\3\0\1" or nxt[:4] != b"\0\3\0\2":
    fail("a foreign ERROR ended someone else's transfer")
s.close()
stray.close()

# ---- a flood from one address ------------------------------------------------
flood = [sock() for _ in range(50)]
for i in range(2000):
    flood[i % 50].sendto(rrq(NAME.encode()), (HOST, PORT))
    if i % 100 == 0:
        flood[i % 50].sendto(b"\0\1" + b"\xff" * 1500, (HOST, PORT))
time.sleep(0.5)
busy = 0
for f in flood:
    f.setblocking(False)
    try:
        while True:
            d, a = f.recvfrom(70000)
            if d[:2] == b"\0\5" and a[1] == PORT:
                busy += 1
    except BlockingIOError:
        pass
if busy < 200:
    fail("the flood was not refused (%d ERRORs for 2000 requests)" % busy)
t0 = time.time()
data, _ = fetch(src="127.0.0.2")
check_bytes(data, "fetch from another address during the flood")
data, _ = fetch(src="127.0.0.3", opts=[(b"blksize", b"1428")])
check_bytes(data, "second fetch during the flood")
if time.time() - t0 > 3:
    fail("other clients slowed down by the flood: %.1fs" % (time.time() - t0))
for f in flood:
    f.close()
print("tftp_probe: %d refusals and silences as expected; flood refused "
      "(%d busy) while others were served" % (19, busy))
