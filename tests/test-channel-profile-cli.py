#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Channel profiles from the command line (docs/channel-profiles.md):
`account export` then `account import` on another HOME yields the same
account, whose pins and CA certificate came along and are checked by its
first `test` (against python3-aiosmtpd on 127.0.0.1); neither the profile
nor any file under either HOME holds a password, its base64 or its hex; a
SparkPost profile with --include-secret imports only with the right
passphrase; Office 365 refuses --include-secret; a damaged profile is
refused with the member named and nothing written (no account, no
keyring item, no certificate file); the autoconfig file.

Runs under build-aux/test (a real keyring on the session bus)."""
import base64
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET

CLI = os.environ["MAIL_RELAY_CLI"]
HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
SCHEMA = "io.github.mailrelay.MailRelay"
# unique to this test, so that the shared keyring can be searched for them
SPARK_SECRET = "sp-7d41c2e9-profile-test-key"
OFFICE_SECRET = "O365-f39a-profile-test-pass"
SMTP_PASSWORD = "right-pass"
PASSPHRASE = "a long team passphrase 42"
results = []
WORK = tempfile.mkdtemp(prefix="channel-profile-")


def check(cond, what):
    results.append((bool(cond), what.replace("\n", " | ")))
    return cond


class Home:
    def __init__(self, name):
        self.dir = os.path.join(WORK, name)
        os.makedirs(self.dir)
        self.env = dict(os.environ, HOME=self.dir, LANGUAGE="C",
                        XDG_CONFIG_HOME=os.path.join(self.dir, "config"),
                        XDG_DATA_HOME=os.path.join(self.dir, "data"))
        self.accounts = os.path.join(self.dir, "config", "mail-relay", "accounts.json")

    def cli(self, *args, stdin=""):
        return subprocess.run([CLI] + list(args), input=stdin, env=self.env, capture_output=True,
                              text=True, timeout=120)

    def show(self):
        r = self.cli("account", "show", "--json")
        return json.loads(r.stdout) if r.returncode == 0 else None

    def state(self):
        """accounts.json and the certificates folder, to tell that nothing was written"""
        certs = os.path.join(self.dir, "config", "mail-relay", "certificates")
        text = open(self.accounts).read() if os.path.exists(self.accounts) else None
        return text, sorted(os.listdir(certs)) if os.path.isdir(certs) else []

    def files(self):
        for dirpath, _, names in os.walk(self.dir):
            for name in names:
                yield os.path.join(dirpath, name)


def keyring_items():
    """{account id: secret} of every password item of Mail Relay's schema.
    Other tests share the keyring and delete their items while this one
    lists: an item gone between the search and the reading of its secret
    ends secret-tool's listing with an error, so the listing is read again
    until it is whole."""
    for _ in range(10):
        r = subprocess.run(["secret-tool", "search", "--all", "xdg:schema", SCHEMA],
                           capture_output=True, text=True)
        if r.returncode == 0 and "secret-tool:" not in r.stderr:
            break
        time.sleep(0.2)
    items, current = [], {}
    for line in (r.stdout + r.stderr).splitlines():
        if line.startswith("["):
            current = {}
            items.append(current)
        elif " = " in line:
            key, _, value = line.partition(" = ")
            current[key.strip()] = value
    return items


def holding(secret):
    """how many items hold @secret (secret-tool does not always print the
    attributes of an item just made)"""
    return len([i for i in keyring_items() if i.get("secret") == secret])


def lookup(account_id):
    return subprocess.run(["secret-tool", "lookup", "xdg:schema", SCHEMA, "account", account_id, "kind", "password"],
                          capture_output=True, text=True).stdout


def forms(secret):
    raw = secret.encode()
    return [secret, base64.b64encode(raw).decode().rstrip("="), raw.hex(), raw.hex().upper(),
            base64.b64encode(b"\0" + b"SMTP_Injection\0" + raw).decode().rstrip("=")]


def no_secret_in(paths, secret, what):
    found = []
    for path in paths:
        with open(path, "rb") as f:
            data = f.read()
        found += ["%s (%s)" % (path, form) for form in forms(secret) if form.encode() in data]
    check(not found, "no %s holds the password, its base64 or its hex (%s)" % (what, ", ".join(found[:3])))


def same_account(a, b, what, ignore=("id", "ca_file")):
    if a is None or b is None:
        return check(False, "%s: both accounts show (%r, %r)" % (what, a, b))
    a = {k: v for k, v in a.items() if k not in ignore}
    b = {k: v for k, v in b.items() if k not in ignore}
    return check(a == b, "%s: the same account (%s / %s)" % (what, json.dumps(a, sort_keys=True),
                                                              json.dumps(b, sort_keys=True)))


def start_smtp_server(certs):
    outdir = os.path.join(WORK, "smtp-out")
    os.makedirs(outdir)
    proc = subprocess.Popen([PYTHON, os.path.join(HERE, "aiosmtpd-server.py"), certs, outdir],
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=open(os.path.join(WORK, "smtp.err"), "w"), start_new_session=True)
    line = proc.stdout.readline().decode()
    match = re.match(r"PORT (\d+)$", line.strip())
    if not match:
        raise RuntimeError("aiosmtpd-server.py printed %r" % line)
    return proc, int(match.group(1))


def stop(proc):
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    proc.wait(10)
    proc.stdout.close()


def test_round_trip_and_pins():
    """a custom server with its CA and a pin: exported, imported on another
    HOME (the user name and password are each person's), the same account;
    the first test there checks the pin, and a profile with another pin
    fails it"""
    certs = os.path.join(WORK, "certs")
    subprocess.run([PYTHON, os.path.join(HERE, "make-certs.py"), certs], check=True, capture_output=True)
    fingerprints = dict(line.split() for line in open(os.path.join(certs, "fingerprints.txt")))
    server, port = start_smtp_server(certs)
    a, b, c = Home("pins-a"), Home("pins-b"), Home("pins-c")
    profile = os.path.join(WORK, "custom.json")
    try:
        r = a.cli("account", "set", "--provider", "custom", "--host", "127.0.0.1", "--port", str(port),
                  "--security", "starttls", "--username", "user@example.org", "--password-stdin",
                  "--from", "user@example.org", "--ca-file", os.path.join(certs, "ca.pem"),
                  "--pin", fingerprints["good"], "--max-messages", "30", "--per", "60",
                  stdin=SMTP_PASSWORD + "\n")
        if not check(r.returncode == 0, "an account with a CA file and a pin (%s)" % r.stderr):
            return
        r = a.cli("account", "export", "--output", profile)
        check(r.returncode == 0 and "no password" in r.stdout, "export --output writes it (%s %s)"
              % (r.stdout, r.stderr))
        text = open(profile).read()
        document = json.loads(text)
        check(document.get("format") == "io.github.mailrelay.ChannelProfile" and document.get("version") == 1,
              "the profile names its format and version")
        check("BEGIN CERTIFICATE" in document.get("ca_certificate", "") and certs not in text,
              "the profile carries the CA certificate itself, never its path")
        check(document.get("pins") == {"host": "127.0.0.1", "port": port, "sha256": [fingerprints["good"]]},
              "the pin, with the server it is for: %r" % document.get("pins"))
        check(document.get("username") == "" and "secret" not in document,
              "a custom server's user name and password stay out of it")
        r = a.cli("account", "export")
        check(r.returncode == 0 and r.stdout == text, "without --output it is written to standard output")

        r = b.cli("account", "import", profile, "--username", "user@example.org", "--password-stdin",
                  stdin=SMTP_PASSWORD + "\n")
        check(r.returncode == 0 and "Created account" in r.stdout and "pinned" in r.stdout,
              "import with the person's own user name and password (%s %s)" % (r.stdout, r.stderr))
        shown_a, shown_b = a.show(), b.show()
        same_account(shown_a, shown_b, "export → import on another HOME")
        check(shown_b and shown_b["id"] != shown_a["id"] and shown_b["password"] == "stored",
              "the new account has a new id and its password in the keyring")
        ca_b = shown_b and shown_b.get("ca_file", "")
        check(ca_b and ca_b.startswith(b.dir) and open(ca_b).read() == open(os.path.join(certs, "ca.pem")).read(),
              "its CA file is the profile's certificate, in its own config folder (%s)" % ca_b)

        r = b.cli("test", "--json", "--timeout", "20")
        result = json.loads(r.stdout) if r.stdout.strip() else {}
        check(r.returncode == 0 and result.get("ok") is True and
              result.get("tls", {}).get("certificate", {}).get("sha256") == fingerprints["good"],
              "the imported account's first test connects to the pinned server (%d %s)"
              % (r.returncode, r.stderr or r.stdout[-300:]))

        document["pins"]["sha256"] = [fingerprints["other"]]
        other = os.path.join(WORK, "custom-other-pin.json")
        with open(other, "w") as f:
            json.dump(document, f)
        r = c.cli("account", "import", other, "--username", "user@example.org", "--password-stdin",
                  stdin=SMTP_PASSWORD + "\n")
        check(r.returncode == 0, "a profile pinning another certificate imports (%s)" % r.stderr)
        r = c.cli("test", "--json", "--timeout", "20")
        result = json.loads(r.stdout) if r.stdout.strip() else {}
        check(r.returncode == 1 and result.get("ok") is False and result.get("error", {}).get("kind") == "tls",
              "its first test refuses the server's certificate, which is not the pinned one (%d %s)"
              % (r.returncode, json.dumps(result.get("error"))))
        check(not os.path.exists(os.path.join(WORK, "smtp-out", "msg-0.eml")), "nothing was sent")
    finally:
        stop(server)
        for home in (a, b, c):
            home.cli("account", "delete")


def test_office365():
    """Office 365: no user name and no password in the profile, and
    --include-secret refused with the provider's reason; import needs the
    person's own user name"""
    a, b = Home("o365-a"), Home("o365-b")
    profile = os.path.join(WORK, "office365.json")
    try:
        r = a.cli("account", "set", "--provider", "office365", "--username", "alice@example.org",
                  "--password-stdin", "--from", "alice@example.org", stdin=OFFICE_SECRET + "\n")
        if not check(r.returncode == 0, "an Office 365 account (%s)" % r.stderr):
            return
        r = a.cli("account", "export", "--include-secret", "--passphrase-stdin", "--output", profile,
                  stdin=PASSPHRASE + "\n")
        check(r.returncode == 2 and "--include-secret" in r.stderr and "belong to one mailbox" in r.stderr
              and not os.path.exists(profile),
              "Office 365 refuses --include-secret, saying why, and writes nothing: %d %s"
              % (r.returncode, r.stderr.strip()))

        r = a.cli("account", "export", "--output", profile)
        check(r.returncode == 0, "Office 365 exports without its secret (%s)" % r.stderr)
        text = open(profile).read()
        check(json.loads(text).get("username") == "", "the mailbox's user name stays out of the profile")

        before = b.state()
        r = b.cli("account", "import", profile)
        check(r.returncode == 2 and "--username" in r.stderr and b.state() == before,
              "without --username the import asks for it and saves nothing: %d %s" % (r.returncode, r.stderr))
        r = b.cli("account", "import", profile, "--username", "alice@example.org")
        check(r.returncode == 0 and "--password-stdin" in r.stdout,
              "with it, the account is made, and it says the password is still to give: %s" % r.stdout)
        shown = b.show()
        check(shown and shown["password"] == "none", "no password is stored for it yet")
        same_account(dict(a.show() or {}, password="none"), shown, "Office 365 export → import")

        no_secret_in([profile], OFFICE_SECRET, "Office 365 profile")
        no_secret_in(list(a.files()) + list(b.files()), OFFICE_SECRET, "file under either HOME")
    finally:
        a.cli("account", "delete")
        b.cli("account", "delete")


def test_gmail():
    """Gmail: nothing to share (--include-secret refused with Google's
    reason), and the import says to sign in"""
    a, b = Home("gmail-a"), Home("gmail-b")
    profile = os.path.join(WORK, "gmail.json")
    try:
        r = a.cli("account", "set", "--provider", "gmail", "--username", "alice@gmail.com",
                  "--from", "alice@gmail.com")
        if not check(r.returncode == 0, "a Gmail account (%s)" % r.stderr):
            return
        r = a.cli("account", "export", "--include-secret", "--passphrase-stdin", stdin=PASSPHRASE + "\n")
        check(r.returncode == 2 and "links their own Google account" in r.stderr and r.stdout == "",
              "Gmail refuses --include-secret with the provider's reason (%s)" % r.stderr.strip())
        r = a.cli("account", "export", "--output", profile)
        check(r.returncode == 0 and "alice@" not in json.loads(open(profile).read()).get("username", "?"),
              "Gmail exports without the person's address as user name")
        r = b.cli("account", "import", profile)
        check(r.returncode == 0 and "link-gmail" in r.stdout,
              "its import says to sign in with Google (%s %s)" % (r.stdout, r.stderr))
    finally:
        a.cli("account", "delete")
        b.cli("account", "delete")


def test_sparkpost_secret():
    """SparkPost with --include-secret: encrypted in the file; import
    refuses to guess, refuses a wrong passphrase (nothing saved), and with
    the right one the keyring holds the password"""
    a, b = Home("spark-a"), Home("spark-b")
    profile = os.path.join(WORK, "sparkpost.json")
    try:
        r = a.cli("account", "set", "--provider", "sparkpost", "--password-stdin", "--from",
                  "news@example.org", "--name", "Team SparkPost", "--sender", "*@example.org",
                  "--sender", "sales@example.com", stdin=SPARK_SECRET + "\n")
        if not check(r.returncode == 0, "a SparkPost account (%s)" % r.stderr):
            return
        r = a.cli("account", "export", "--include-secret", "--output", profile)
        check(r.returncode == 2 and "--passphrase-stdin" in r.stderr,
              "--include-secret without --passphrase-stdin is refused (%s)" % r.stderr.strip())
        r = a.cli("account", "export", "--include-secret", "--passphrase-stdin", "--output", profile,
                  stdin="short\n")
        check(r.returncode == 2 and "Passphrase" in r.stderr and not os.path.exists(profile),
              "a short passphrase is refused (%s)" % r.stderr.strip())
        r = a.cli("account", "export", "--include-secret", "--passphrase-stdin", "--output", profile,
                  stdin=PASSPHRASE + "\n")
        check(r.returncode == 0 and "encrypted" in r.stdout, "export --include-secret (%s %s)"
              % (r.stdout, r.stderr))
        document = json.loads(open(profile).read())
        secret = document.get("secret", {})
        check(secret.get("kdf") == "pbkdf2-hmac-sha256" and secret.get("iterations", 0) >= 600000 and
              secret.get("cipher") == "aes-256-gcm" and document.get("username") == "SMTP_Injection",
              "the secret's parameters are recorded, with the shared user name: %r" % secret)
        check(os.stat(profile).st_mode & 0o777 == 0o600, "the file is the user's alone")
        no_secret_in([profile], SPARK_SECRET, "SparkPost profile")
        owner = holding(SPARK_SECRET)

        before = b.state()
        for args, stdin, what in (([], "", "without a passphrase"),
                                  (["--passphrase-stdin"], "a long wrong passphrase\n", "with a wrong passphrase")):
            r = b.cli("account", "import", profile, *args, stdin=stdin)
            check(r.returncode == 2 and "--passphrase-stdin" in r.stderr,
                  "import %s is refused, naming the passphrase: %d %s" % (what, r.returncode, r.stderr.strip()))
            check(b.state() == before and holding(SPARK_SECRET) == owner,
                  "import %s writes nothing: no account, no keyring item" % what)

        r = b.cli("account", "import", profile, "--passphrase-stdin", stdin=PASSPHRASE + "\n")
        check(r.returncode == 0 and "profile’s password is in the keyring" in r.stdout,
              "import with the right passphrase (%s %s)" % (r.stdout, r.stderr))
        shown_a, shown_b = a.show(), b.show()
        same_account(shown_a, shown_b, "SparkPost export → import")
        check(shown_b and holding(SPARK_SECRET) == owner + 1 and lookup(shown_b["id"]) == SPARK_SECRET,
              "the keyring holds the password for the new account too")
        check(shown_b and shown_b.get("name") == "Team SparkPost" and
              shown_b.get("senders") == ["*@example.org", "sales@example.com"],
              "the name and the sender patterns came along: %r" % shown_b)
        r = b.cli("account", "import", profile, "--passphrase-stdin", "--name", "Team SparkPost",
                  stdin=PASSPHRASE + "\n")
        check(r.returncode == 2 and "--name" in r.stderr, "--name of another account is refused (%s)"
              % r.stderr.strip())
        r = b.cli("account", "import", profile, "--passphrase-stdin", "--name", "Second copy",
                  stdin=PASSPHRASE + "\n")
        listed = json.loads(b.cli("account", "list", "--json").stdout or "[]")
        check(r.returncode == 0 and sorted(x["name"] for x in listed) == ["Second copy", "Team SparkPost"] and
              "The default account is still “Team SparkPost”" in r.stdout,
              "--name names the new account, and the default stays (%s)" % r.stdout)
        no_secret_in(list(a.files()) + list(b.files()), SPARK_SECRET, "file under either HOME")

        r = b.cli("account", "export", "--account", "no-such-account")
        check(r.returncode == 2 and "Team SparkPost" in r.stderr,
              "an unknown --account exits 2 and lists the known ones (%s)" % r.stderr.strip())
        r = b.cli("account", "export", "--account", "Second copy")
        check(r.returncode == 0 and json.loads(r.stdout or "{}").get("name") == "Second copy",
              "--account NAME exports that account")

        r = a.cli("account", "export", "--format", "autoconfig")
        config = ET.fromstring(r.stdout) if r.returncode == 0 else None
        server = config.find("emailProvider/outgoingServer") if config is not None else None
        check(config is not None and config.get("version") == "1.1" and
              config.find("emailProvider").get("id") == "example.org" and
              config.find("emailProvider/domain").text == "example.org" and
              server is not None and server.get("type") == "smtp" and
              server.find("hostname").text == "smtp.sparkpostmail.com" and server.find("port").text == "587" and
              server.find("socketType").text == "STARTTLS" and
              server.find("authentication").text == "password-cleartext" and
              server.find("username").text == "SMTP_Injection",
              "--format autoconfig writes the outgoing server as config-v1.1.xml (%s)" % r.stdout[:400])
        no_secret_in([profile], SPARK_SECRET, "autoconfig file")
    finally:
        a.cli("account", "delete")
        b.cli("account", "delete")
        b.cli("account", "delete")


def test_damaged():
    """each member wrong in turn, a truncated file, a future version: exit
    2, the member named, and nothing written"""
    a, b = Home("damaged-a"), Home("damaged-b")
    profile = os.path.join(WORK, "good.json")
    try:
        r = a.cli("account", "set", "--provider", "sparkpost", "--password-stdin", "--from", "news@example.org",
                  "--pin", "ab" * 32, stdin=SPARK_SECRET + "\n")
        r = a.cli("account", "export", "--include-secret", "--passphrase-stdin", "--output", profile,
                  stdin=PASSPHRASE + "\n")
        if not check(r.returncode == 0, "a profile to damage (%s)" % r.stderr):
            return
        good = open(profile).read()
        document = json.loads(good)
        # an account already there: it must stay as it is
        r = b.cli("account", "set", "--provider", "custom", "--host", "smtp.example.net", "--from", "x@example.net")
        before = b.state()
        owner = holding(SPARK_SECRET)

        def damaged(path, value):
            copy = json.loads(good)
            target = copy
            for key in path[:-1]:
                target = target[key]
            if value is KeyError:
                del target[path[-1]]
            else:
                target[path[-1]] = value
            return json.dumps(copy, indent=2)

        cases = [
            ("format", damaged(["format"], "io.example.Other")),
            ("version", damaged(["version"], "1")),
            ("version", damaged(["version"], 2)),
            ("provider", damaged(["provider"], "nobody")),
            ("host", damaged(["host"], "smtp.example.org\r\nRCPT TO:<x@example.net>")),
            ("host", damaged(["host"], KeyError)),
            ("port", damaged(["port"], "587")),
            ("port", damaged(["port"], 70000)),
            ("security", damaged(["security"], "ssl")),
            ("auth", damaged(["auth"], ["login"])),
            ("username", damaged(["username"], 5)),
            ("from", damaged(["from"], "not an address")),
            ("senders", damaged(["senders"], ["*@"])),
            ("limits.max_messages", damaged(["limits", "max_messages"], -1)),
            ("allow_insecure", damaged(["allow_insecure"], "no")),
            ("pins.sha256", damaged(["pins", "sha256"], ["abc"])),
            ("pins.host", damaged(["pins", "host"], "elsewhere.example.org")),
            ("ca_certificate", damaged(["ca_certificate"], "/etc/ssl/certs/ca-certificates.crt")),
            ("secret.kdf", damaged(["secret", "kdf"], "md5")),
            ("secret.iterations", damaged(["secret", "iterations"], 1)),
            ("secret.salt", damaged(["secret", "salt"], "***")),
            ("secret.nonce", damaged(["secret", "nonce"], "AAAA")),
            ("secret.ciphertext", damaged(["secret", "ciphertext"], 7)),
            ("ca_file", damaged(["ca_file"], "/tmp/ca.pem")),
            ("cut short", good[:len(good) // 2]),
            ("cut short", ""),
        ]
        for named, text in cases:
            path = os.path.join(WORK, "damaged.json")
            with open(path, "w") as f:
                f.write(text)
            r = b.cli("account", "import", path, "--passphrase-stdin", stdin=PASSPHRASE + "\n")
            name_ok = ("“%s”" % named in r.stderr) if named != "cut short" else ("cut short" in r.stderr)
            check(r.returncode == 2 and name_ok and path in r.stderr,
                  "damaged %s: refused, naming it: %d %s" % (named, r.returncode, r.stderr.strip()))
            check(b.state() == before and holding(SPARK_SECRET) == owner,
                  "damaged %s: nothing written (accounts.json, certificates, keyring)" % named)

        # a flipped byte of the ciphertext: the passphrase no longer opens it
        raw = bytearray(base64.b64decode(document["secret"]["ciphertext"]))
        raw[0] ^= 1
        tampered = damaged(["secret", "ciphertext"], base64.b64encode(bytes(raw)).decode())
        path = os.path.join(WORK, "tampered.json")
        with open(path, "w") as f:
            f.write(tampered)
        r = b.cli("account", "import", path, "--passphrase-stdin", stdin=PASSPHRASE + "\n")
        check(r.returncode == 2 and "--passphrase-stdin" in r.stderr and b.state() == before
              and holding(SPARK_SECRET) == owner,
              "a tampered secret is refused like a wrong passphrase, nothing written (%s)" % r.stderr.strip())
        # the secret moved to another server
        moved = json.loads(damaged(["host"], "smtp.attacker.example"))
        moved["pins"]["host"] = "smtp.attacker.example"
        with open(path, "w") as f:
            json.dump(moved, f)
        r = b.cli("account", "import", path, "--passphrase-stdin", stdin=PASSPHRASE + "\n")
        check(r.returncode == 2 and b.state() == before and holding(SPARK_SECRET) == owner,
              "the secret does not open for another server than the one it was exported for (%s)"
              % r.stderr.strip())
    finally:
        a.cli("account", "delete")
        b.cli("account", "delete")


def main():
    try:
        for test in (test_round_trip_and_pins, test_office365, test_gmail, test_sparkpost_secret, test_damaged):
            try:
                test()
            except Exception as e:  # a crash in one part is a failure, not a hang
                check(False, "%s raised %r" % (test.__name__, e))
    finally:
        shutil.rmtree(WORK, ignore_errors=True)

    print("TAP version 13")
    for i, (ok, what) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, what))
    print("1..%d" % len(results))
    return 0 if all(ok for ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
