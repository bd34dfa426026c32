#!/usr/bin/env python3
"""mkpki: the certificates the SIP TLS tests need, in DIR:

  cluster-ca.pem      the cluster CA (issues the server cert and LSCs)
  mic-ca.pem          a test manufacturer CA (the trust store's mic-root)
  rogue-ca.pem        a CA nobody trusts
  tls/agent.pem       server chain + key (sofia's TLS directory)
  tls/cafile.pem      cluster CA + MIC CA (what TLS clients may chain to)
  DEVICE-mic.pem      MIC for each device (cert + key in one file)
  DEVICE-lsc.pem      LSC for each device
  DEVICE-rogue.pem    a certificate for DEVICE from the rogue CA
  DEVICE-expired.pem  a MIC that expired yesterday
  fp.txt              "NAME HEX" SHA-256 fingerprints of every certificate

  trunk.pem           with --trunk: a trunk peer's certificate from the
                      cluster CA, subject C=US,O=Example,CN=trunk.example.com,
                      DNS name sip.example.com
  trunk-other.pem     the same CN under O=Other
  trunk-rogue.pem     trunk.pem's names from the rogue CA
  trunk-self.pem      a self-signed trunk certificate, C=US,O=Self,
                      CN=self.example.com (in tls/cafile.pem with --trunk,
                      as a trunk-peer trust entry)

usage: mkpki.py DIR [--rsa] [--server-name NAME] [--trunk] DEVICE...
  --server-name   the server certificate's CN and DNS name (ward-node1;
                  linphone matches DNS names only: use localhost)
"""
import datetime
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import NameOID

NOW = datetime.datetime.now(datetime.timezone.utc)
DAY = datetime.timedelta(days=1)


def key(use_rsa=False):
    if use_rsa:
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return ec.generate_private_key(ec.SECP256R1())


def cert(cn, k, issuer=None, ikey=None, ca=False, start=None, end=None,
         dns=None, org=None):
    name = x509.Name(
        ([x509.NameAttribute(NameOID.COUNTRY_NAME, "US"),
          x509.NameAttribute(NameOID.ORGANIZATION_NAME, org)] if org else [])
        + [x509.NameAttribute(NameOID.COMMON_NAME, cn)])
    b = (x509.CertificateBuilder().subject_name(name)
         .issuer_name(issuer.subject if issuer else name)
         .public_key(k.public_key())
         .serial_number(x509.random_serial_number())
         .not_valid_before(start or NOW - DAY)
         .not_valid_after(end or NOW + 365 * DAY)
         .add_extension(x509.BasicConstraints(ca=ca, path_length=None),
                        critical=True))
    if dns:
        b = b.add_extension(x509.SubjectAlternativeName(
            [x509.DNSName(dns)]), critical=False)
    return b.sign(ikey or k, hashes.SHA256())


def pem(c):
    return c.public_bytes(serialization.Encoding.PEM)


def keypem(k):
    return k.private_bytes(serialization.Encoding.PEM,
                           serialization.PrivateFormat.PKCS8,
                           serialization.NoEncryption())


def main():
    out = sys.argv[1]
    args = sys.argv[2:]
    use_rsa = "--rsa" in args
    server = "ward-node1"
    if "--server-name" in args:
        i = args.index("--server-name")
        server = args[i + 1]
        del args[i:i + 2]
    trunk = "--trunk" in args
    devices = [a for a in args if a not in ("--rsa", "--trunk")]
    os.makedirs(os.path.join(out, "tls"), exist_ok=True)
    fps = []

    def save(name, data, c):
        with open(os.path.join(out, name), "wb") as f:
            f.write(data)
        fps.append("%s %s" % (name, c.fingerprint(hashes.SHA256()).hex()))

    cak = key()
    ca = cert("ward test cluster CA", cak, ca=True)
    mick = key()
    mic = cert("test manufacturer CA", mick, ca=True)
    roguek = key()
    rogue = cert("rogue CA", roguek, ca=True)
    save("cluster-ca.pem", pem(ca), ca)
    save("mic-ca.pem", pem(mic), mic)
    save("rogue-ca.pem", pem(rogue), rogue)
    sk = key(use_rsa)
    srv = cert(server, sk, ca, cak, dns=server)
    save("tls/agent.pem", pem(srv) + pem(ca) + keypem(sk), srv)
    extra = b""
    if trunk:
        sk2 = key()
        selfc = cert("self.example.com", sk2, dns="self.example.com",
                     org="Self")
        save("trunk-self.pem", pem(selfc) + keypem(sk2), selfc)
        extra = pem(selfc)
    with open(os.path.join(out, "tls/cafile.pem"), "wb") as f:
        f.write(pem(ca) + pem(mic) + extra)
    for d in devices:
        for kind, ik, ic, start, end in (
                ("mic", mick, mic, None, None),
                ("lsc", cak, ca, None, None),
                ("rogue", roguek, rogue, None, None),
                ("expired", mick, mic, NOW - 30 * DAY, NOW - DAY)):
            k = key()
            c = cert(d, k, ic, ik, start=start, end=end)
            save("%s-%s.pem" % (d, kind), pem(c) + keypem(k), c)
    if trunk:
        for name, org, ik, ic in (("trunk", "Example", cak, ca),
                                  ("trunk-other", "Other", cak, ca),
                                  ("trunk-rogue", "Example", roguek, rogue)):
            k = key()
            c = cert("trunk.example.com", k, ic, ik, dns="sip.example.com",
                     org=org)
            save(name + ".pem", pem(c) + keypem(k), c)
    with open(os.path.join(out, "fp.txt"), "w") as f:
        f.write("\n".join(fps) + "\n")


if __name__ == "__main__":
    main()
