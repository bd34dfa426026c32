#!/usr/bin/env python3
"""test_call_srtp_lib: what the SRTP system tests need around baresip and
srtpcall.py.

  tone FILE HZ SECONDS         a 16-bit mono 8 kHz WAV of a sine
  freq FILE                    the dominant frequency (Hz) of each half
                               second of a WAV, with the share of the
                               power it holds ("0 0.00": silence)
  ctl PORT COMMAND [PARAMS]    one command to baresip's ctrl_tcp (netstring
                               JSON), its answer printed
  sniff OUT LO HI SECONDS      record UDP datagrams on loopback with one
                               port in [LO, HI] (the node's media ports) for
                               SECONDS, or until OUT.stop exists; writes one
                               line per datagram: "SPORT DPORT PERIODIC HEX"
  ulaw FILE HZ SECONDS         raw 8 kHz G.711 u-law of a sine (hold music)
  media OUT PORT               from a sniff: "TO PLAIN_TO FROM PLAIN_FROM",
                               the RTP datagrams (100 bytes or more, not
                               RTCP by its packet type) toward PORT (a phone's RTP port)
                               and from it, and how many of each carry a
                               plain tone payload
  hygiene KEYS PATH...         looks for every key of KEYS (lines of the
                               keys command) in the files under each PATH:
                               the key+salt and the master key alone, raw,
                               in hex of either case and in base64; prints
                               "FILE BASE64 FORM" per find
  leaks KEYS PATH...           the same for the keys srtpcall.py writes
                               (one base64 key+salt a line): key+salt,
                               master key and salt alone, raw, in hex of
                               either case and as the first 16 characters
                               of their base64; exits 1 naming each file
                               holding one
  keys TRACE [FROM]            every a=crypto inline value in a baresip SIP
                               trace (-s), one per line: "BASE64 SUITE";
                               with FROM, only in messages from that port
  srtp CAPTURE KEYS PORT       datagrams of a sniff toward PORT, decrypted
                               with each key of KEYS (lines of the keys
                               command; AES_CM_128_HMAC_SHA1_80 and the
                               GCM suites) whose tag authenticates it: "N AUTH SSRCS P4 P8 P16
                               P20" — datagrams, how many authenticate
                               under some key, their SSRCs, and how many
                               decrypt to a tone of each period
  plain CAPTURE [LO HI LO2 HI2]
                               RTP datagrams of a sniff (100 bytes or
                               more, not RTCP) and how many carry a plain tone
                               payload: "N PLAIN"; with the ranges, only
                               those between a port in [LO, HI] and one in
                               [LO2, HI2] (two nodes' media ports)
  keylog CAPTURE KEYS_JSON     each entry of a key log (wardctl --json
                               capture keys) and the flow it names in a
                               sniff — its sender's packets on that leg:
                               the phone's to ward_port, ward's from it —
                               decrypted with the entry's key alone:
                               "NODE LEG SENDER DIRECTION N AUTH P4 P8 P16
                               P20 P40 SUITE" per entry (AES_CM_128_HMAC_
                               SHA1_80 and the GCM suites)

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


def ulaw_byte(v):
    """G.711 u-law of one 16-bit sample (ITU-T G.711, as libre's table)."""
    sign = 0x80 if v < 0 else 0
    v = min(abs(v), 32635) + 0x84
    exp = 7
    while exp > 0 and not v & (0x4000 >> (7 - exp)):
        exp -= 1
    return ~(sign | exp << 4 | (v >> (exp + 3)) & 15) & 0xff


def ulaw(path, hz, secs):
    n = int(RATE * secs)
    with open(path, "wb") as f:
        f.write(bytes(ulaw_byte(int(12000 * math.sin(2 * math.pi * hz * i / RATE)))
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


def dominant(x, rate):
    """(Hz, share of the power) of the strongest tone in X."""
    mean = sum(x) / len(x)
    x = [v - mean for v in x]
    total = sum(v * v for v in x) * len(x) / 2
    if total < len(x) * 100 ** 2 * len(x) / 2:
        return 0, 0.0  # silence (below an RMS of 100)
    # 10 Hz steps up to 3.5 kHz (the G.711 band), then refined by 1 Hz.
    f0 = max(range(50, 3500, 10), key=lambda f: goertzel(x, rate, f))
    f1 = max(range(f0 - 10, f0 + 11), key=lambda f: goertzel(x, rate, f))
    return f1, goertzel(x, rate, f1) / total


def freq(path):
    """One line per half second of the recording: "HZ SHARE"."""
    x, rate = samples(path)
    step = rate // 2
    for i in range(0, len(x) - step + 1, step):
        print("%d %.2f" % dominant(x[i:i + step], rate))


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
    for p in (4, 8, 16, 20, 40):
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
    with open(out + ".tmp", "w") as f:
        open(out + ".ready", "w").close()
        while time.time() < end and not os.path.exists(out + ".stop"):
            try:
                pkt, addr = s.recvfrom(65535)
            except socket.timeout:
                continue
            # An ETH_P_IP socket gets each loopback datagram once, as
            # it comes in (the outgoing copy goes to ETH_P_ALL taps only).
            if len(pkt) < 28 or pkt[9] != 17:
                continue
            ihl = (pkt[0] & 15) * 4
            sport, dport = struct.unpack("!HH", pkt[ihl:ihl + 4])
            if not (lo <= sport <= hi or lo <= dport <= hi):
                continue
            udp = pkt[ihl + 8:]
            per = periodic(udp[12:]) if len(udp) > 12 and udp[0] >> 6 == 2 else 0
            f.write("%d %d %d %s\n" % (sport, dport, per, udp.hex()))
    os.rename(out + ".tmp", out)


def rtcp_or_small(hexd):
    """A datagram that is not 20 ms of G.711 RTP: RTCP by its packet type
    (192..223 in the second byte, RFC 5761 4; a compound SRTCP report can
    be 100 bytes), or under 100 bytes."""
    return len(hexd) < 200 or 192 <= int(hexd[2:4], 16) <= 223


def media(out, port):
    port = int(port)
    c = [0, 0, 0, 0]
    with open(out) as f:
        for line in f:
            sport, dport, per, hexd = line.split()
            if rtcp_or_small(hexd):
                continue  # RTCP: only RTP of 20 ms G.711 counts
            for i, p in ((0, dport), (2, sport)):
                if int(p) == port:
                    c[i] += 1
                    c[i + 1] += int(per) != 0
    print(*c)


def forms(b64):
    raw = base64.b64decode(b64 + "=" * (-len(b64) % 4))
    # The master key alone: 16 or 32 bytes before a 14- or 12-byte salt.
    key = raw[:len(raw) - (14 if len(raw) in (30, 46) else 12)]
    out = []
    for name, b in (("key+salt", raw), ("key", key)):
        out += [(name + " raw", b), (name + " hex", b.hex().encode()),
                (name + " HEX", b.hex().upper().encode()),
                (name + " base64", base64.b64encode(b).rstrip(b"="))]
    return out


def files_under(paths):
    """Each PATH that is a file, and the files below each directory."""
    files = []
    for p in paths:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                files += [os.path.join(root, n) for n in names]
        else:
            files.append(p)
    return files


def hygiene(keyfile, *paths):
    with open(keyfile) as f:
        keyl = [line.split()[0] for line in f if line.strip()]
    files = files_under(paths)
    found = 0
    for fn in files:
        if not os.path.isfile(fn):
            continue
        with open(fn, "rb") as f:
            data = f.read()
        for k in keyl:
            for name, b in forms(k):
                if b in data:
                    print(fn, k, name)
                    found += 1
    print("%d keys, %d files searched, %d found" % (len(keyl), len(files), found),
          file=sys.stderr)


def leaks(keyfile, *paths):
    with open(keyfile) as f:
        keyl = [base64.b64decode(line.strip()) for line in f if line.strip()]
    needles = []
    for ks in keyl:
        key, salt = ks[:16], ks[16:]
        for part in (ks, key, salt):
            needles += [part, part.hex().encode(), part.hex().upper().encode(),
                        base64.b64encode(part).rstrip(b"=")[:16]]
    files = files_under(paths)
    bad = 0
    for path in files:
        with open(path, "rb") as f:
            data = f.read()
        for n in needles:
            if n in data:
                print("key bytes in", path, file=sys.stderr)
                bad = 1
    print("checked %d files for %d spellings of %d keys" %
          (len(files), len(needles), len(keyl)))
    sys.exit(bad)


def keys(trace, sender=None):
    seen = set()
    with open(trace, errors="replace") as f:
        text = f.read()
    # The trace prints "TLS SRC -> DST" (or UDP, TCP) before each message.
    parts = re.split(r"^(?:TLS|UDP|TCP) (\S+) -> \S+$", text, flags=re.M)
    for src, msg in zip(parts[1::2], parts[2::2]):
        if sender and not src.endswith(":" + sender):
            continue
        for m in re.finditer(r"a=crypto:\d+ (\S+) inline:([A-Za-z0-9+/=]+)", msg):
            if m.group(2) not in seen:
                seen.add(m.group(2))
                print(m.group(2), m.group(1))


def aes_ctr(key, iv, data):
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    e = Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()
    return e.update(data) + e.finalize()


def srtp_keys(b64):
    """RFC 3711 4.3.1 (key derivation rate 0): session key, auth key, salt."""
    raw = base64.b64decode(b64 + "=" * (-len(b64) % 4))
    mkey, msalt = raw[:16], raw[16:30]

    def derive(label, n):
        x = bytearray(msalt)
        x[7] ^= label
        return aes_ctr(mkey, bytes(x) + b"\0\0", b"\0" * n)
    return derive(0, 16), derive(1, 20), derive(2, 14)


def srtp_open(k, pkt):
    """The payload of an AES_CM_128_HMAC_SHA1_80 packet, None unless its
    tag verifies (rollover counter 0 or 1: calls here are short)."""
    import hmac
    ek, ak, salt = k
    if len(pkt) < 12 + 10 or pkt[0] >> 6 != 2:
        return None
    hl = 12 + 4 * (pkt[0] & 15)
    if pkt[0] & 0x10:
        hl += 4 + 4 * struct.unpack("!H", pkt[hl + 2:hl + 4])[0]
    body, tag = pkt[:-10], pkt[-10:]
    seq, ssrc = struct.unpack("!H", pkt[2:4])[0], pkt[8:12]
    for roc in (0, 1):
        mac = hmac.new(ak, body + struct.pack("!I", roc), "sha1").digest()[:10]
        if hmac.compare_digest(mac, tag):
            idx = (roc << 16 | seq).to_bytes(6, "big")
            iv = bytearray(salt + b"\0\0")
            for i in range(4):
                iv[4 + i] ^= ssrc[i]
            for i in range(6):
                iv[8 + i] ^= idx[i]
            return aes_ctr(ek, bytes(iv), body[hl:])
    return None


GCM_KEY_LEN = {"AEAD_AES_128_GCM": 16, "AEAD_AES_256_GCM": 32}


def gcm_keys(b64, suite):
    """RFC 7714 11 (libsrtp's KDF: the AES-CM PRF of RFC 3711 4.3.3 keyed
    with the master key, the 12-byte salt zero-padded): session key,
    session salt."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
    raw = base64.b64decode(b64 + "=" * (-len(b64) % 4))
    kl = GCM_KEY_LEN[suite]
    mkey, msalt = raw[:kl], raw[kl:kl + 12] + b"\0\0"

    def derive(label, n):
        x = bytearray(msalt)
        x[7] ^= label
        e = Cipher(algorithms.AES(mkey), modes.CTR(bytes(x) + b"\0\0")).encryptor()
        return e.update(b"\0" * n) + e.finalize()
    return ("gcm", derive(0, kl), derive(2, 12))


def session_keys(b64, suite):
    if suite in GCM_KEY_LEN:
        return gcm_keys(b64, suite)
    if suite == "AES_CM_128_HMAC_SHA1_80":
        return srtp_keys(b64)
    raise SystemExit("suite %s not handled" % suite)


def gcm_open(k, pkt):
    """The payload of an AEAD_AES_*_GCM packet (RFC 7714), None unless it
    authenticates (rollover counter 0 or 1)."""
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM
    _, key, salt = k
    if len(pkt) < 12 + 16 or pkt[0] >> 6 != 2:
        return None
    hl = 12 + 4 * (pkt[0] & 15)
    if pkt[0] & 0x10:
        hl += 4 + 4 * struct.unpack("!H", pkt[hl + 2:hl + 4])[0]
    for roc in (0, 1):
        iv = b"\0\0" + pkt[8:12] + struct.pack("!I", roc) + pkt[2:4]
        iv = bytes(a ^ b for a, b in zip(iv, salt))
        try:
            return AESGCM(key).decrypt(iv, pkt[hl:], pkt[:hl])
        except InvalidTag:
            continue
    return None


def open_any(k, pkt):
    return gcm_open(k, pkt) if k[0] == "gcm" else srtp_open(k, pkt)


def srtp(cap, keyfile, port):
    port = int(port)
    with open(keyfile) as f:
        ks = [session_keys(*line.split()[:2]) for line in f]
    n = auth = 0
    ssrcs = set()
    per = {4: 0, 8: 0, 16: 0, 20: 0}
    with open(cap) as f:
        for line in f:
            _, dport, _, hexd = line.split()
            if int(dport) != port:
                continue
            pkt = bytes.fromhex(hexd)
            if rtcp_or_small(hexd):
                continue  # RTCP and the like
            n += 1
            for k in ks:
                pl = open_any(k, pkt)
                if pl is not None:
                    auth += 1
                    ssrcs.add(pkt[8:12].hex())
                    p = periodic(pl)
                    if p in per:
                        per[p] += 1
                    break
    print(n, auth, len(ssrcs), *per.values())


def plain(cap, *ranges):
    r = [int(x) for x in ranges]

    def inr(p, lo, hi):
        return lo <= p <= hi
    n = pl = 0
    with open(cap) as f:
        for line in f:
            sport, dport, per, hexd = line.split()
            sport, dport = int(sport), int(dport)
            if rtcp_or_small(hexd):
                continue  # RTCP and the like
            if r and not ((inr(sport, r[0], r[1]) and inr(dport, r[2], r[3])) or
                          (inr(sport, r[2], r[3]) and inr(dport, r[0], r[1]))):
                continue
            n += 1
            pl += int(per) != 0
    print(n, pl)


def keylog(cap, keyjson):
    with open(keyjson) as f:
        doc = json.load(f)
    with open(cap) as f:
        lines = [line.split() for line in f]
    for e in doc["entries"]:
        k = session_keys(e["inline"], e["suite"])
        ward = int(e["ward_port"])
        peer = int(e["peer"].rsplit(":", 1)[1])
        src, dst = (ward, peer) if e["sender"] == "ward" else (peer, ward)
        n = auth = 0
        per = {4: 0, 8: 0, 16: 0, 20: 0, 40: 0}
        for sport, dport, _, hexd in lines:
            if int(sport) != src or int(dport) != dst or rtcp_or_small(hexd):
                continue
            n += 1
            pl = open_any(k, bytes.fromhex(hexd))
            if pl is not None:
                auth += 1
                p = periodic(pl)
                if p in per:
                    per[p] += 1
        print(doc.get("node", "?"), e["leg"], e["sender"], e["direction"],
              n, auth, *per.values(), e["suite"])


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
    elif cmd == "ulaw":
        ulaw(args[0], int(args[1]), float(args[2]))
    elif cmd == "hygiene":
        hygiene(*args)
    elif cmd == "leaks":
        leaks(*args)
    elif cmd == "keys":
        keys(*args)
    elif cmd == "srtp":
        srtp(*args)
    elif cmd == "plain":
        plain(*args)
    elif cmd == "keylog":
        keylog(*args)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main()
