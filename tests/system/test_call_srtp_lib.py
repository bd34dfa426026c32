#!/usr/bin/env python3
"""test_call_srtp_lib: what test_call_srtp.sh needs around baresip.

  tone FILE HZ SECONDS         a 16-bit mono 8 kHz WAV of a sine
  freq FILE                    the dominant frequency of a WAV (Hz), with
                               the share of the signal's power it holds
  ctl PORT COMMAND [PARAMS]    one command to baresip's ctrl_tcp (netstring
                               JSON), its answer printed
  sniff OUT LO HI SECONDS      record UDP datagrams on loopback with one
                               port in [LO, HI] (the node's media ports) for
                               SECONDS, or until OUT.stop exists; writes one
                               line per datagram: "SPORT DPORT PERIODIC HEX"
  media OUT PORT               from a sniff: for datagrams toward PORT (a
                               phone's RTP port), "N PLAIN" — how many
                               RTP-sized datagrams, how many carry a plain
                               periodic tone payload
  keys TRACE...                every a=crypto inline value in baresip SIP
                               traces, one per line, with the key+salt
                               bytes in hex: "BASE64 HEX"

The tone is periodic in whole samples (8000 / HZ an integer), so a plain
G.711 payload of it repeats every 8000 / HZ bytes: a datagram whose RTP
payload has that period is plain RTP carrying the tone; SRTP never does.
"""
import base64
import json
import math
import os
import re
import socket
import struct
import sys
import time
import wave

RATE = 8000


def tone(path, hz, secs):
    n = int(RATE * secs)
    with wave.open(path, "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(RATE)
        w.writeframes(b"".join(
            struct.pack("<h", int(12000 * math.sin(2 * math.pi * hz * i / RATE)))
            for i in range(n)))


def samples(path):
    with wave.open(path, "rb") as w:
        ch, width, rate = w.getnchannels(), w.getsampwidth(), w.getframerate()
        raw = w.readframes(w.getnframes())
    if width != 2:
        raise SystemExit("%s: %d-byte samples" % (path, width))
    vals = struct.unpack("<%dh" % (len(raw) // 2), raw)
    return list(vals[::ch]), rate


def goertzel(x, rate, f):
    w = 2 * math.pi * f / rate
    c = 2 * math.cos(w)
    s1 = s2 = 0.0
    for v in x:
        s1, s2 = v + c * s1 - s2, s1
    return s1 * s1 + s2 * s2 - c * s1 * s2


def freq(path):
    x, rate = samples(path)
    # Skip the jitter buffer's start and silence: the loudest second.
    if len(x) < rate // 2:
        raise SystemExit("%s: %d samples only" % (path, len(x)))
    best = max(range(0, max(1, len(x) - rate), rate // 4),
               key=lambda i: sum(v * v for v in x[i:i + rate]))
    x = x[best:best + rate]
    mean = sum(x) / len(x)
    x = [v - mean for v in x]
    total = sum(v * v for v in x) * len(x) / 2
    if total == 0:
        print("0 0.00")
        return
    # 10 Hz steps up to 3.5 kHz (the G.711 band), then refined by 1 Hz.
    grid = range(50, 3500, 10)
    f0 = max(grid, key=lambda f: goertzel(x, rate, f))
    f1 = max(range(f0 - 10, f0 + 11), key=lambda f: goertzel(x, rate, f))
    print("%d %.2f" % (f1, goertzel(x, rate, f1) / total))


def netstring(s):
    b = s.encode()
    return b"%d:%s," % (len(b), b)


def ctl(port, command, params=""):
    with socket.create_connection(("127.0.0.1", int(port)), timeout=5) as s:
        s.sendall(netstring(json.dumps(
            {"command": command, "params": params, "token": "t1"})))
        buf = b""
        end = time.time() + 5
        while time.time() < end:
            try:
                d = s.recv(65536)
            except socket.timeout:
                break
            if not d:
                break
            buf += d
            # netstrings: the answer is the one with "response"
            while True:
                m = re.match(rb"(\d+):", buf)
                if not m or len(buf) < m.end() + int(m.group(1)) + 1:
                    break
                body = buf[m.end():m.end() + int(m.group(1))]
                buf = buf[m.end() + int(m.group(1)) + 1:]
                msg = json.loads(body)
                if msg.get("response"):
                    print(json.dumps(msg))
                    sys.exit(0 if msg.get("ok") else 1)
    raise SystemExit("ctrl_tcp: no answer to %s" % command)


def periodic(payload):
    """The payload repeats with the period of one of the test's tones."""
    for p in (8, 16, 20, 40):
        if len(payload) >= 4 * p and all(
                payload[i] == payload[i + p] for i in range(len(payload) - p)):
            return p
    return 0


def sniff(out, lo, hi, secs):
    lo, hi = int(lo), int(hi)
    s = socket.socket(socket.AF_PACKET, socket.SOCK_DGRAM, socket.htons(0x0800))
    s.bind(("lo", 0))
    s.settimeout(0.2)
    end = time.time() + float(secs)
    seen = 0
    with open(out + ".tmp", "w") as f:
        open(out + ".ready", "w").close()
        while time.time() < end and not os.path.exists(out + ".stop"):
            try:
                pkt, addr = s.recvfrom(65535)
            except socket.timeout:
                continue
            # Loopback shows every datagram once as outgoing: skip the
            # copy the kernel hands back as incoming (pkttype 0, host).
            if addr[2] != socket.PACKET_OUTGOING:
                continue
            if len(pkt) < 28 or pkt[9] != 17:
                continue
            ihl = (pkt[0] & 15) * 4
            sport, dport = struct.unpack("!HH", pkt[ihl:ihl + 4])
            if not (lo <= sport <= hi or lo <= dport <= hi):
                continue
            udp = pkt[ihl + 8:]
            per = periodic(udp[12:]) if len(udp) > 12 and udp[0] >> 6 == 2 else 0
            f.write("%d %d %d %s\n" % (sport, dport, per, udp.hex()))
            seen += 1
    os.rename(out + ".tmp", out)


def media(out, port):
    port = int(port)
    n = plain = 0
    with open(out) as f:
        for line in f:
            sport, dport, per, _ = line.split()
            if int(dport) != port:
                continue
            n += 1
            plain += int(per) != 0
    print(n, plain)


def keys(*traces):
    seen = set()
    for t in traces:
        with open(t, errors="replace") as f:
            for m in re.finditer(r"a=crypto:\d+ \S+ inline:([A-Za-z0-9+/=]+)",
                                 f.read()):
                k = m.group(1)
                if k in seen:
                    continue
                seen.add(k)
                raw = base64.b64decode(k + "=" * (-len(k) % 4))
                print(k, raw.hex())


def main():
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "tone":
        tone(args[0], int(args[1]), float(args[2]))
    elif cmd == "freq":
        freq(args[0])
    elif cmd == "ctl":
        ctl(*args)
    elif cmd == "sniff":
        sniff(*args)
    elif cmd == "media":
        media(*args)
    elif cmd == "keys":
        keys(*args)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
