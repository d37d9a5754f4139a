#!/usr/bin/python3
# make-certs.py - generate the X.509 test certificates of the SMTP test rig
#
# Copyright 2026 The Mail Relay developers
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Usage: make-certs.py DIR
#
# Writes into DIR (EC P-256 keys, generated afresh at every run):
#   ca.pem                         the test CA, given to the client with --ca-file
#   good.pem / good.key            127.0.0.1 (IP SAN) + localhost, signed by the CA
#   expired.pem / expired.key      same names, valid 2020-01-01..2021-01-01, signed by the CA
#   future.pem / future.key        same names, valid 2090-01-01..2091-01-01 (not yet valid)
#   wrong-name.pem / wrong-name.key  SAN wrong.example only, signed by the CA
#   self-signed.pem / self-signed.key  127.0.0.1 + localhost, self-signed
#   other.pem / other.key          127.0.0.1 + localhost, signed by another CA
#   other-ca.pem                   that other CA (never given to the client)
# and fingerprints.txt: "NAME SHA256HEX" for every server certificate (DER).

import datetime
import ipaddress
import os
import sys

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

UTC = datetime.timezone.utc


def new_key():
    return ec.generate_private_key(ec.SECP256R1())


def name(cn):
    return x509.Name([
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Mail Relay tests"),
        x509.NameAttribute(NameOID.COMMON_NAME, cn),
    ])


def make_ca(cn):
    key = new_key()
    subject = name(cn)
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(datetime.datetime(2019, 1, 1, tzinfo=UTC))
        .not_valid_after(datetime.datetime(2099, 12, 31, tzinfo=UTC))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=True,
            crl_sign=True, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def make_leaf(cn, dns_names, ips, issuer_cert, issuer_key,
              not_before=None, not_after=None):
    key = new_key()
    now = datetime.datetime.now(UTC)
    not_before = not_before or now - datetime.timedelta(days=1)
    not_after = not_after or now + datetime.timedelta(days=30)
    sans = [x509.DNSName(d) for d in dns_names]
    sans += [x509.IPAddress(ipaddress.ip_address(i)) for i in ips]
    self_signed = issuer_cert is None
    issuer_name = name(cn) if self_signed else issuer_cert.subject
    signing_key = key if self_signed else issuer_key
    builder = (
        x509.CertificateBuilder()
        .subject_name(name(cn))
        .issuer_name(issuer_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectAlternativeName(sans), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, content_commitment=False, key_encipherment=False,
            data_encipherment=False, key_agreement=False, key_cert_sign=False,
            crl_sign=False, encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]),
                       critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                       critical=False)
    )
    if not self_signed:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False)
    return builder.sign(signing_key, hashes.SHA256()), key


def write_cert(path, cert):
    with open(path, "wb") as f:
        f.write(cert.public_bytes(serialization.Encoding.PEM))


def write_key(path, key):
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(key.private_bytes(serialization.Encoding.PEM,
                                  serialization.PrivateFormat.PKCS8,
                                  serialization.NoEncryption()))


def main():
    if len(sys.argv) != 2:
        print("usage: make-certs.py DIR", file=sys.stderr)
        return 2
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)

    ca, ca_key = make_ca("Mail Relay Test CA")
    other_ca, other_ca_key = make_ca("Mail Relay Other CA")
    write_cert(os.path.join(out, "ca.pem"), ca)
    write_cert(os.path.join(out, "other-ca.pem"), other_ca)

    good_names = (["localhost"], ["127.0.0.1"])
    leaves = {
        "good": make_leaf("localhost", *good_names, ca, ca_key),
        "expired": make_leaf("localhost", *good_names, ca, ca_key,
                             datetime.datetime(2020, 1, 1, tzinfo=UTC),
                             datetime.datetime(2021, 1, 1, tzinfo=UTC)),
        "future": make_leaf("localhost", *good_names, ca, ca_key,
                            datetime.datetime(2090, 1, 1, tzinfo=UTC),
                            datetime.datetime(2091, 1, 1, tzinfo=UTC)),
        "wrong-name": make_leaf("wrong.example", ["wrong.example"], [], ca, ca_key),
        "self-signed": make_leaf("localhost", *good_names, None, None),
        "other": make_leaf("localhost", *good_names, other_ca, other_ca_key),
    }
    lines = []
    for leaf, (cert, key) in leaves.items():
        write_cert(os.path.join(out, leaf + ".pem"), cert)
        write_key(os.path.join(out, leaf + ".key"), key)
        lines.append("%s %s\n" % (leaf, cert.fingerprint(hashes.SHA256()).hex()))
    with open(os.path.join(out, "fingerprints.txt"), "w") as f:
        f.writelines(lines)
    return 0


if __name__ == "__main__":
    sys.exit(main())
