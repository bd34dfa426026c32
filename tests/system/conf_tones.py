#!/usr/bin/env python3
"""conf_tones: what a conference party heard — from its recording, or
from the capture of what the node sent it, decrypted with the node's keys
to it (for a phone that does not record its audio after a hold).

usage: conf_tones.py WAV WANT_HZ,WANT_HZ... NOT_HZ
       conf_tones.py --capture CAP KEYFILE LOPORT HIPORT WANT_HZ,... NOT_HZ
Prints "BOTH NOT WINDOWS": the half seconds in which every WANT tone holds
at least 15% of the power, those in which NOT does, and how many half
seconds were not silence (test_call_srtp_lib.py's Goertzel); with
--capture then "N AUTH": the RTP datagrams toward the ports, and how many
of them opened under the keys (all of them: no plain RTP)."""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import test_call_srtp_lib as lib  # noqa: E402


def ulaw_decode(u):
    u = ~u & 0xff
    t = ((u & 0x0f) << 3) + 0x84
    t <<= (u & 0x70) >> 4
    return 0x84 - t if u & 0x80 else t - 0x84


def captured(cap, keyfile, lo, hi):
    """The PCMU audio of every datagram toward ports LO..HI that opens
    under one of the keys, in capture order."""
    with open(keyfile) as f:
        ks = [lib.srtp_keys(line.split()[0]) for line in f
              if line.split()[1:2] == ["AES_CM_128_HMAC_SHA1_80"]]
    x = []
    counts = [0, 0]
    with open(cap) as f:
        for line in f:
            _, dport, _, hexd = line.split()
            if not lo <= int(dport) <= hi or lib.rtcp_or_small(hexd):
                continue
            pkt = bytes.fromhex(hexd)
            counts[0] += 1
            for k in ks:
                pl = lib.srtp_open(k, pkt)
                if pl is not None:
                    counts[1] += 1
                    if pkt[1] & 0x7f == 0:
                        x.extend(ulaw_decode(b) for b in pl)
                    break
    return x, 8000, counts


def main():
    if sys.argv[1] == "--capture":
        a = sys.argv[2:]
        x, rate, counts = captured(a[0], a[1], int(a[2]), int(a[3]))
        want, never = [int(f) for f in a[4].split(",")], int(a[5])
    else:
        x, rate = lib.samples(sys.argv[1])
        counts = []
        want = [int(f) for f in sys.argv[2].split(",")]
        never = int(sys.argv[3])
    step = rate // 2
    both = bad = windows = 0
    for i in range(0, len(x) - step + 1, step):
        w = x[i:i + step]
        mean = sum(w) / len(w)
        w = [v - mean for v in w]
        total = sum(v * v for v in w) * len(w) / 2
        if total < len(w) * 100 ** 2 * len(w) / 2:
            continue  # silence
        windows += 1
        share = lambda f: lib.goertzel(w, rate, f) / total  # noqa: E731
        both += all(share(f) >= 0.15 for f in want)
        bad += share(never) >= 0.15
    print(both, bad, windows, *counts)


if __name__ == "__main__":
    main()
