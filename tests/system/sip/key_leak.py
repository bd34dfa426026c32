#!/usr/bin/env python3
"""key_leak: no SRTP master key of a call in what a node leaves behind.

For each key (one base64 key+salt a line of KEYS, as srtpcall.py writes
them), the key+salt, the master key alone (its first 16 bytes) and the
salt alone are looked for raw, in hex of either case and as the first 16
characters of their base64, in each PATH: a file, or a directory whose
files are all read (a node's store, Raft log and snapshots). Prints how
much it read; exits 1 naming each file holding one.

usage: key_leak.py KEYS PATH..."""
import base64
import os
import sys


def main():
    with open(sys.argv[1]) as f:
        keys = [base64.b64decode(line.strip()) for line in f if line.strip()]
    needles = []
    for ks in keys:
        key, salt = ks[:16], ks[16:]
        for part in (ks, key, salt):
            needles += [part, part.hex().encode(), part.hex().upper().encode(),
                        base64.b64encode(part).rstrip(b"=")[:16]]
    files = []
    for p in sys.argv[2:]:
        if os.path.isdir(p):
            for root, _, names in os.walk(p):
                files += [os.path.join(root, n) for n in names]
        else:
            files.append(p)
    bad = 0
    for path in files:
        with open(path, "rb") as f:
            data = f.read()
        for n in needles:
            if n in data:
                print("key bytes in", path, file=sys.stderr)
                bad = 1
    print("checked %d files for %d spellings of %d keys" %
          (len(files), len(needles), len(keys)))
    sys.exit(bad)


if __name__ == "__main__":
    main()
