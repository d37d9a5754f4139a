#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""accounts.json damaged, planted or from a newer version, from the
command line: no command crashes on 100,000 nested brackets, a damaged
file is moved aside and said so while the keyring keeps its password (put
back, it works again; `account delete --id` removes what the keyring
kept), a newer version's file is left where it is, a planted link is
refused and not followed, and folders open to others are closed.

Runs under build-aux/test (a real keyring on the session bus)."""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

CLI = os.environ["MAIL_RELAY_CLI"]
ACCOUNT_ID = "9b2f6f8e-2a9e-4d55-9d5c-3c1f0a9e4b11"
results = []


def check(cond, what):
    results.append((bool(cond), what.replace("\n", " | ")))
    return cond


class Home:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="accounts-file-")
        self.env = dict(os.environ, HOME=self.dir, LANGUAGE="C",
                        XDG_CONFIG_HOME=os.path.join(self.dir, "config"),
                        XDG_DATA_HOME=os.path.join(self.dir, "data"))
        self.config = os.path.join(self.dir, "config", "mail-relay")
        self.path = os.path.join(self.config, "accounts.json")

    def cli(self, *args, stdin=""):
        return subprocess.run([CLI] + list(args), input=stdin, env=self.env, capture_output=True,
                              text=True, timeout=60)

    def write(self, data):
        os.makedirs(self.config, mode=0o700, exist_ok=True)
        with open(self.path, "w") as f:
            f.write(data)

    def moved(self):
        return sorted(glob.glob(self.path + ".corrupt-*"))

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def secret(account_id):
    return subprocess.run(["secret-tool", "lookup", "xdg:schema", "io.github.mailrelay.MailRelay",
                           "account", account_id, "kind", "password"],
                          capture_output=True, text=True).stdout


def test_deep_nesting():
    """a 200 KB file of 100,000 nested brackets: json-glib's recursion
    overflowed the stack (SIGSEGV) in every command"""
    home = Home()
    deep = "[" * 100000 + "]" * 100000
    try:
        for args in (["account", "show"], ["test"], ["send", "--to", "a@example.org", "--subject", "s",
                                                     "--body-file", "-"], ["flush"]):
            home.write(deep)
            r = home.cli(*args, stdin="Hello\n")
            check(r.returncode in (1, 2), "%s on a deeply nested accounts.json exits 1, no crash (%d)"
                  % (" ".join(args[:2]), r.returncode))
            moved = home.moved()
            check(len(moved) == 1 and "nest" in r.stderr and moved[0] in r.stderr,
                  "%s says the file was moved aside, where, and why: %s" % (args[0], r.stderr.strip()[:300]))
            check(moved and open(moved[-1]).read() == deep, "%s keeps the damaged bytes" % args[0])
            for m in moved:
                os.unlink(m)
    finally:
        home.cleanup()


def test_secret_kept():
    """a damaged file moved aside does not orphan its password: the
    keyring keeps it, the warning names the account and how to remove
    it, the file put back works again, and delete --id removes it"""
    home = Home()
    try:
        r = home.cli("account", "set", "--provider", "custom", "--host", "smtp.example.org", "--port", "587",
                     "--username", "me@example.org", "--password-stdin", "--from", "me@example.org",
                     stdin="kept-pass\n")
        if not check(r.returncode == 0, "an account with a password in the keyring (%s)" % r.stderr):
            return
        account_id = json.loads(home.cli("account", "show", "--json").stdout)["id"]
        good = open(home.path).read()
        check(secret(account_id) == "kept-pass", "the password is in the keyring")

        # a hand edit that puts a command into the host name
        home.write(good.replace('"smtp.example.org"', '"smtp.example.org\\r\\nRCPT TO:<evil@example.net>"'))
        r = home.cli("account", "show")
        moved = home.moved()
        check(len(moved) == 1 and "host" in r.stderr, "a host with CR/LF read back is damage: moved aside (%s)"
              % r.stderr.strip()[:300])
        check(account_id in r.stderr and "account delete --id " + account_id in r.stderr,
              "the warning names the account whose password the keyring keeps: %s" % r.stderr.strip()[-300:])
        check(secret(account_id) == "kept-pass", "the keyring keeps the password of the moved file")

        os.rename(moved[0], home.path)
        with open(home.path, "w") as f:
            f.write(good)
        r = home.cli("account", "show", "--json")
        check(r.returncode == 0 and json.loads(r.stdout or "{}").get("password") not in (None, "none", "missing"),
              "put back, the account and its password work again (%s %s)" % (r.stdout.strip()[-80:], r.stderr))

        home.write("not json")
        home.cli("account", "show")
        r = home.cli("account", "delete", "--id", account_id)
        check(r.returncode == 0 and secret(account_id) == "",
              "account delete --id removes what the keyring kept for the moved file's account (%s)" % r.stderr)
        r = home.cli("account", "delete", "--id", "nonsense")
        check(r.returncode == 2, "delete --id refuses what is not an account id (%d)" % r.returncode)
    finally:
        home.cli("account", "delete", "--id", ACCOUNT_ID)
        home.cleanup()


def test_newer_version():
    """a file from a newer Mail Relay is left where it is by every command,
    read-only or not: they say so and stop"""
    home = Home()
    text = json.dumps({"version": 2, "accounts": [{"id": ACCOUNT_ID, "host": "smtp.example.org",
                                                   "future": {"thing": [1, 2]}}]})
    try:
        for args in (["account", "show"], ["test"], ["account", "set", "--host", "other.example.org"]):
            home.write(text)
            r = home.cli(*args)
            check(r.returncode == 1 and "newer version" in r.stderr and home.path in r.stderr,
                  "%s on a newer file exits 1 and says so: %d %s" % (" ".join(args[:2]), r.returncode,
                                                                     r.stderr.strip()[:300]))
            check(open(home.path).read() == text and home.moved() == [],
                  "%s leaves the newer file as it is" % " ".join(args[:2]))
    finally:
        home.cleanup()


def test_planted_link():
    """accounts.json as a link to another file: refused, named, and what it
    points to is neither read nor changed"""
    home = Home()
    theirs = os.path.join(home.dir, "theirs.json")
    text = json.dumps({"version": 1, "accounts": [{"id": ACCOUNT_ID, "host": "smtp.attacker.example",
                                                   "from": "me@example.org"}]})
    try:
        with open(theirs, "w") as f:
            f.write(text)
        os.makedirs(home.config, mode=0o700)
        os.symlink(theirs, home.path)
        r = home.cli("account", "show")
        check(r.returncode == 1 and "symbolic link" in r.stderr and home.path in r.stderr
              and "attacker" not in r.stdout,
              "a planted accounts.json link is refused, named, not read: %d %s" % (r.returncode, r.stderr.strip()))
        check(os.path.islink(home.path) and open(theirs).read() == text and home.moved() == [],
              "and nothing is moved or changed")
    finally:
        home.cleanup()


def test_open_folders():
    """folders left open to others (0755, 0777) and a 0644 accounts.json
    are closed by the next command; a folder of another user's is refused"""
    home = Home()
    try:
        r = home.cli("account", "set", "--provider", "custom", "--host", "smtp.example.org", "--port", "587",
                     "--security", "none", "--from", "me@example.org")
        check(r.returncode == 0, "an account without a password (%s)" % r.stderr)
        os.chmod(home.config, 0o755)
        os.chmod(home.path, 0o644)
        data = os.path.join(home.dir, "data", "mail-relay")
        os.makedirs(data, exist_ok=True)
        os.chmod(data, 0o777)
        r = home.cli("account", "show")
        check(r.returncode == 0, "account show works (%s)" % r.stderr)
        modes = (os.stat(home.config).st_mode & 0o777, os.stat(home.path).st_mode & 0o777)
        check(modes == (0o700, 0o600), "the config folder and accounts.json are closed to others: %o %o" % modes)
        r = home.cli("send", "--no-wait", "--to", "a@example.org", "--subject", "s", "--body-file", "-",
                     stdin="Hello\n")
        log = os.path.join(data, "send-log.jsonl")
        check(r.returncode == 0 and os.stat(data).st_mode & 0o777 == 0o700
              and os.stat(log).st_mode & 0o777 == 0o600,
              "the data folder is closed to others and the log is private (%s)" % r.stderr)
        if os.geteuid() == 0:
            os.chown(home.config, 65534, 65534)
            r = home.cli("account", "show")
            check(r.returncode == 1 and "belongs to another user" in r.stderr and home.config in r.stderr,
                  "a config folder of another user's is refused, saying why: %s" % r.stderr.strip())
            os.chown(home.config, 0, 0)
    finally:
        home.cleanup()


def main():
    for test in (test_deep_nesting, test_secret_kept, test_newer_version, test_planted_link,
                 test_open_folders):
        try:
            test()
        except Exception as e:  # a crash in one part is a failure, not a hang
            check(False, "%s raised %r" % (test.__name__, e))

    print("TAP version 13")
    for i, (ok, what) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, what))
    print("1..%d" % len(results))
    return 0 if all(ok for ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
