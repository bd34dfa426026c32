#!/usr/bin/env python3
"""dialog_of: the dialog a baresip phone holds with ward for its last
incoming call, from its SIP trace (baresip -s), as a Join or Replaces
header names it: "CALL-ID;to-tag=WARD'S;from-tag=THE PHONE'S".

usage: dialog_of.py TRACE"""
import re
import sys


def main():
    with open(sys.argv[1], errors="replace") as f:
        text = f.read()
    msgs = re.split(r"^(?:TLS|UDP|TCP) \S+ -> \S+$", text, flags=re.M)
    callid = ward = None
    for m in msgs:
        if m.lstrip().startswith("INVITE "):
            cid = re.search(r"(?m)^Call-ID:\s*(\S+)", m)
            tag = re.search(r"(?m)^From:.*;tag=([^;>\s]+)", m)
            if cid and tag and not re.search(r"(?m)^To:.*;tag=", m):
                callid, ward = cid.group(1), tag.group(1)
    if not callid:
        raise SystemExit("no incoming INVITE in the trace")
    own = None
    for m in msgs:
        if (m.lstrip().startswith("SIP/2.0 200")
                and re.search(r"(?m)^Call-ID:\s*%s\s*$" % re.escape(callid), m)
                and re.search(r"(?m)^CSeq:\s*\d+ INVITE", m)):
            tag = re.search(r"(?m)^To:.*;tag=([^;>\s]+)", m)
            if tag:
                own = tag.group(1)
    if not own:
        raise SystemExit("the phone's 200 for %s is not in the trace" % callid)
    print("%s;to-tag=%s;from-tag=%s" % (callid, ward, own))


if __name__ == "__main__":
    main()
