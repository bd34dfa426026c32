#!/usr/bin/env python3
"""Expands messages.txt (the messages of RFC 4475 section 3 in the RFC's
notation) into the sip_ingress fuzz seeds rfc4475_NAME: one peer byte
(0x00: a phone at 192.0.2.1 over UDP, see fuzz_sip_ingress.c) and the
message's exact bytes.

Notation (RFC 4475 section 2): a message starts at a line "=== NAME" and
ends at a line "=== ."; its lines are joined with CRLF (a message ending in
CRLF has an empty last line); the lines between <allOneLine> and
</allOneLine> make one line; <hex>..</hex> stands for the bytes its hex
digits name.

  expand.py [--check] MESSAGES CORPUS_DIR
--check compares instead of writing and exits 1 on any difference."""
import os
import re
import sys

TOKEN = re.compile(r"<hex>([0-9A-Fa-f]*)</hex>")


def unhex(line):
    out = bytearray()
    pos = 0
    for m in TOKEN.finditer(line):
        out += line[pos:m.start()].encode("ascii")
        out += bytes.fromhex(m.group(1))
        pos = m.end()
    out += line[pos:].encode("ascii")
    return bytes(out)


def parse(path):
    msgs = {}
    name = None
    lines = []
    joined = None
    with open(path, encoding="ascii") as f:
        for raw in f.read().split("\n"):
            if name is None:
                if raw.startswith("=== "):
                    name, lines = raw[4:].strip(), []
                continue
            if raw == "=== .":
                if joined is not None:
                    raise SystemExit("%s: unclosed <allOneLine>" % name)
                msgs[name] = b"\r\n".join(lines)
                name = None
            elif raw == "<allOneLine>":
                joined = b""
            elif raw == "</allOneLine>":
                lines.append(joined)
                joined = None
            elif joined is not None:
                joined += unhex(raw)
            else:
                lines.append(unhex(raw))
    if name is not None:
        raise SystemExit("%s: no closing '=== .'" % name)
    return msgs


def main(argv):
    check = "--check" in argv
    args = [a for a in argv if a != "--check"]
    msgs = parse(args[0])
    bad = 0
    for name, body in sorted(msgs.items()):
        path = os.path.join(args[1], "rfc4475_" + name)
        data = b"\x00" + body
        if check:
            try:
                with open(path, "rb") as f:
                    same = f.read() == data
            except OSError:
                same = False
            if not same:
                print("%s: differs from messages.txt" % path)
                bad = 1
        else:
            with open(path, "wb") as f:
                f.write(data)
    print("%d messages" % len(msgs))
    return bad


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
