#!/usr/bin/env python3
"""Checks the Proxy-Authorization (or Authorization) digest answers of
INVITEs in a SIPp message trace: digest_check.py TRACE USER PASSWORD.
Exit 0 when at least one answer is there and every one is right for USER
and PASSWORD (RFC 7616, MD5, qop=auth or none), 1 otherwise."""
import hashlib
import re
import sys


def md5(s):
    return hashlib.md5(s.encode()).hexdigest()


def params(v):
    return {k.lower(): (q if q else t) for k, q, t in
            re.findall(r'([A-Za-z-]+)=(?:"([^"]*)"|([^,\s]+))', v)}


def main():
    trace, user, password = sys.argv[1:4]
    text = open(trace, errors="replace").read()
    answers = re.findall(r'^(?:Proxy-)?Authorization:\s*Digest\s+(.*)$',
                         text, re.M | re.I)
    if not answers:
        print("no digest answer in the trace")
        return 1
    for a in answers:
        p = params(a)
        if p.get("username") != user:
            print("username", p.get("username"))
            return 1
        ha1 = md5(f"{user}:{p['realm']}:{password}")
        ha2 = md5(f"INVITE:{p['uri']}")
        if p.get("qop"):
            want = md5(f"{ha1}:{p['nonce']}:{p['nc']}:{p['cnonce']}:"
                       f"{p['qop']}:{ha2}")
        else:
            want = md5(f"{ha1}:{p['nonce']}:{ha2}")
        if p.get("response") != want:
            print("wrong response for", p.get("uri"))
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
