"""sipstream: one SIP message at a time from a stream (TCP or TLS)
connection, for the test clients (sipclient.py, callpair.py)."""
import re


def read_message(sock, buf, peer):
    """The next message from SOCK, after BUF (bytes already read from it),
    and what it read past that message. CRLF keepalives between messages
    are skipped; ConnectionError, naming PEER, if SOCK closes before a
    message's head."""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65535)
        if not chunk:
            raise ConnectionError("closed by " + peer)
        buf = (buf + chunk).lstrip(b"\r\n")
    head, rest = buf.split(b"\r\n\r\n", 1)
    m = re.search(rb"(?im)^(?:content-length|l)\s*:\s*(\d+)", head)
    n = int(m.group(1)) if m else 0
    while len(rest) < n:
        rest += sock.recv(65535)
    return (head + b"\r\n\r\n" + rest[:n]).decode(errors="replace"), rest[n:]
