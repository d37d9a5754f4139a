#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Several delivery channels from the command line, against two real SMTP
servers this test starts on 127.0.0.1 (aiosmtpd, STARTTLS and AUTH, each
with its own login): `send --from` an address of each account arrives at
that account's server, and the log's `account` says which; a limit of 3
per 2 s on one account does not hold up the other; an Office 365 account
refuses another sender before anything is queued; an unknown account
name exits 2 listing the known ones; a duplicate name is refused; deleting
the default says which account is the default now, and removes its
password from the keyring.

Runs under build-aux/test (a real keyring on the session bus)."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CLI = os.environ["MAIL_RELAY_CLI"]
PYTHON = "/usr/bin/python3"
ANN = ("ann@example.org", "ann-pass")
TEAM = ("team@example.com", "team-pass")
results = []


def check(cond, what):
    results.append((bool(cond), what.replace("\n", " | ")))  # one TAP line
    return cond


class Home:
    """A private XDG tree"""
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="channels-")
        self.env = dict(os.environ, HOME=self.dir, LANGUAGE="C",
                        XDG_CONFIG_HOME=os.path.join(self.dir, "config"),
                        XDG_DATA_HOME=os.path.join(self.dir, "data"),
                        MAIL_RELAY_RETRY_BASE_SECONDS="1")

    def cli(self, args, stdin="", timeout=120):
        return subprocess.run([CLI] + args, input=stdin, env=self.env, capture_output=True,
                              text=True, timeout=timeout)

    def log(self, *extra):
        r = self.cli(["log", "--json"] + list(extra))
        return [json.loads(l) for l in r.stdout.splitlines() if l.strip()]

    def accounts(self):
        r = self.cli(["account", "list", "--json"])
        return {a["name"]: a for a in json.loads(r.stdout)} if r.returncode == 0 else {}

    def outbox_files(self):
        d = os.path.join(self.dir, "data", "mail-relay", "outbox")
        return sorted(n for n in os.listdir(d) if n.endswith(".json")) if os.path.isdir(d) else []

    def cleanup(self):
        for name in self.accounts():
            self.cli(["account", "delete", "--account", name])
        shutil.rmtree(self.dir, ignore_errors=True)


def secret(account_id):
    return subprocess.run(["secret-tool", "lookup", "xdg:schema", "io.github.mailrelay.MailRelay",
                           "account", account_id, "kind", "password"],
                          capture_output=True, text=True).stdout


def start(certs, out, login):
    os.makedirs(out)
    proc = subprocess.Popen([PYTHON, os.path.join(HERE, "aiosmtpd-server.py"), certs, out,
                             "--login", "%s:%s" % login],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = int(proc.stdout.readline().split()[1])
    return proc, port


def envelopes(maildir):
    """(sender, recipients) of each message the server took"""
    found = []
    for name in sorted(os.listdir(maildir)):
        if name.startswith("env-"):
            sender, rcpts = open(os.path.join(maildir, name)).read().split("\n")[:2]
            found.append((sender, rcpts))
    return found


def add(home, name, port, login, certs, extra=()):
    return home.cli(["account", "add", "--name", name, "--provider", "custom", "--host", "127.0.0.1",
                     "--port", str(port), "--security", "starttls", "--username", login[0],
                     "--password-stdin", "--from", login[0], "--ca-file", os.path.join(certs, "ca.pem")]
                    + list(extra), stdin=login[1] + "\n")


def test_channels(certs, work):
    a_out, b_out = os.path.join(work, "ann"), os.path.join(work, "team")
    a_proc, a_port = start(certs, a_out, ANN)
    b_proc, b_port = start(certs, b_out, TEAM)
    home = Home()
    try:
        r = add(home, "Ann", a_port, ANN, certs, ["--max-messages", "3", "--per", "2"])
        check(r.returncode == 0, "account add Ann (%s)" % r.stderr.strip())
        r = add(home, "Team", b_port, TEAM, certs, ["--sender", "*@example.com", "--sender", "sales@example.net"])
        check(r.returncode == 0, "account add Team (%s)" % r.stderr.strip())

        accounts = home.accounts()
        check(sorted(accounts) == ["Ann", "Team"], "account list --json names both: %r" % sorted(accounts))
        check(all(set(a) == {"id", "name", "default", "provider", "host", "port", "security", "username",
                             "from", "senders", "limits"} for a in accounts.values()),
              "account list --json: each account has the documented members")
        check(accounts["Ann"]["default"] and not accounts["Team"]["default"], "the first account is the default")
        check(accounts["Ann"]["limits"] == {"max_messages": 3, "max_recipients": 0, "per": 2},
              "Ann's limits: %r" % accounts["Ann"]["limits"])
        check(accounts["Team"]["senders"] == ["*@example.com", "sales@example.net"],
              "Team's senders: %r" % accounts["Team"]["senders"])
        ann_id, team_id = accounts["Ann"]["id"], accounts["Team"]["id"]

        # a duplicate name, whatever its case, is refused and nothing is added
        r = add(home, "team", b_port, TEAM, certs)
        check(r.returncode == 2 and "already called" in r.stderr and "--name" in r.stderr,
              "a duplicate name is refused, exit 2 (%d: %s)" % (r.returncode, r.stderr.strip()))
        check(len(home.accounts()) == 2, "the duplicate added nothing")
        r = home.cli(["account", "add", "--provider", "custom", "--host", "127.0.0.1"])
        check(r.returncode == 2 and "--name" in r.stderr, "account add without --name: exit 2 (%s)" % r.stderr.strip())

        # an unknown account lists the known ones, exit 2
        for args in (["account", "show", "--account", "Nobody"], ["flush", "--account", "Nobody"],
                     ["log", "--account", "Nobody"], ["account", "default", "Nobody"],
                     ["send", "--account", "Nobody", "--to", "x@example.org", "--subject", "s", "--no-wait"]):
            r = home.cli(args)
            check(r.returncode == 2 and "“Nobody”" in r.stderr and "“Ann”" in r.stderr and "“Team”" in r.stderr,
                  "%s: exit 2 listing the accounts (%d: %s)" % (" ".join(args[:2]), r.returncode, r.stderr.strip()))
        check(home.outbox_files() == [], "nothing queued for an unknown account")

        # queued first, then sent by one flush: six from Ann (3 per 2 s), four
        # through Team (its own address, its pattern, its alias)
        senders = [ANN[0]] * 6 + ["team@example.com", "anyone@example.com", "sales@EXAMPLE.net", "x@Example.COM"]
        order = [0, 6, 1, 7, 2, 8, 3, 9, 4, 5]
        for n, i in enumerate(order):
            r = home.cli(["send", "--from", senders[i], "--to", "rcpt%d@example.org" % i,
                          "--subject", "m%d" % i, "--body-file", "-", "--no-wait"], stdin="Message %d.\n" % i)
            check(r.returncode == 0, "send --from %s --no-wait queues (%s)" % (senders[i], r.stderr.strip()))
        r = home.cli(["flush"])
        check(r.returncode == 0, "flush sends everything (%d: %s %s)" % (r.returncode, r.stdout.strip(), r.stderr.strip()))
        check("Sent 10, failed 0, unknown 0, still queued 0" in r.stdout, "flush: totals (%s)" % r.stdout.strip())
        check("“Ann”: sent 6" in r.stdout and "“Team”: sent 4" in r.stdout, "flush: each account's count")

        a_env, b_env = envelopes(a_out), envelopes(b_out)
        check(sorted(e[0] for e in a_env) == [ANN[0]] * 6, "Ann's server got Ann's six: %r" % a_env)
        check(sorted(e[0] for e in b_env) == sorted(["team@example.com", "anyone@example.com",
                                                      "sales@example.net", "x@example.com"]),
              "Team's server got the four from its addresses: %r" % b_env)

        log = home.log()
        sent = [e for e in log if e["status"] == "sent"]
        by_subject = {e["subject"]: e.get("account") for e in sent}
        check(all(by_subject.get("m%d" % i) == ann_id for i in range(6)) and
              all(by_subject.get("m%d" % i) == team_id for i in range(6, 10)),
              "the log's account says which account each went through: %r" % by_subject)
        queued = {e["subject"]: e.get("account") for e in log if e["status"] == "queued"}
        check(queued == by_subject, "queued events name the same accounts")

        # Ann was held back by her window; Team was not, and all of Team's
        # went while Ann's fourth waited
        throttled = [i for i, e in enumerate(log) if e["status"] == "throttled"]
        check(throttled and all(log[i].get("account") == ann_id for i in throttled),
              "only Ann's messages were throttled: %r" % [log[i].get("account") for i in throttled])
        ann_sent = [i for i, e in enumerate(log) if e["status"] == "sent" and e.get("account") == ann_id]
        team_sent = [i for i, e in enumerate(log) if e["status"] == "sent" and e.get("account") == team_id]
        check(len(ann_sent) == 6 and len(team_sent) == 4 and throttled and
              all(throttled[0] < i < ann_sent[3] for i in team_sent),
              "Team's four were sent after Ann was throttled and before Ann's fourth (%r, %r, %r)"
              % (throttled[:1], team_sent, ann_sent))

        # log --account: that account's events alone
        team_log = home.log("--account", "Team")
        check(team_log and all(e.get("account") == team_id for e in team_log) and
              sum(e["status"] == "sent" for e in team_log) == 4,
              "log --account Team: Team's events alone (%d)" % len(team_log))
        check(len(home.log("--account", ann_id, "--limit", "2")) == 2, "log --account ID --limit 2")

        # Office 365 sends only as the signed-in mailbox
        r = home.cli(["account", "add", "--name", "Bob 365", "--provider", "office365",
                      "--username", "bob@example.net", "--from", "bob@example.net"])
        check(r.returncode == 0, "account add an Office 365 account (%s)" % r.stderr.strip())
        before_files, before_log = home.outbox_files(), len(home.log())
        r = home.cli(["send", "--account", "Bob 365", "--from", "someone-else@example.net", "--to",
                      "x@example.org", "--subject", "refused", "--no-wait"])
        check(r.returncode == 2 and "“Bob 365”" in r.stderr and "someone-else@example.net" in r.stderr,
              "Office 365 refuses another sender, naming account and sender (%d: %s)" % (r.returncode, r.stderr.strip()))
        r2 = home.cli(["account", "default", "Bob 365"])
        check(r2.returncode == 0 and "“Bob 365” is now the default account" in r2.stdout,
              "account default NAME (%s)" % (r2.stdout + r2.stderr).strip())
        r = home.cli(["send", "--from", "someone-else@example.org", "--to", "x@example.org",
                      "--subject", "refused", "--no-wait"])
        check(r.returncode == 2 and "“Bob 365”" in r.stderr and "someone-else@example.org" in r.stderr,
              "routed to the Office 365 default, another sender is refused (%d: %s)" % (r.returncode, r.stderr.strip()))
        check(home.outbox_files() == before_files and len(home.log()) == before_log,
              "nothing was queued or logged for a refused sender")
        home.cli(["account", "default", "Ann"])

        # deleting the default says which one is the default now; its password goes
        check(secret(ann_id) == ANN[1], "Ann's password is in the keyring")
        r = home.cli(["account", "delete"])
        check(r.returncode == 0 and "“Ann”" in r.stdout and "“Team” is now the default account" in r.stdout,
              "deleting the default names the new default (%s)" % (r.stdout + r.stderr).strip())
        check(secret(ann_id) == "", "Ann's password left the keyring")
        accounts = home.accounts()
        check(sorted(accounts) == ["Bob 365", "Team"] and accounts["Team"]["default"],
              "Team is the default in account list: %r" % {n: a["default"] for n, a in accounts.items()})
        r = home.cli(["account", "show", "--account", "Team", "--json"])
        shown = json.loads(r.stdout) if r.returncode == 0 else {}
        check(shown.get("name") == "Team" and shown.get("default") is True and shown.get("password") == "stored",
              "account show --account Team --json: %r" % {k: shown.get(k) for k in ("name", "default", "password")})
        # the last one deleted: none is left, and it says so
        home.cli(["account", "delete", "--account", "Bob 365"])
        r = home.cli(["account", "delete", "--account", team_id])
        check(r.returncode == 0 and "No account is left" in r.stdout, "deleting the last account says none is left (%s)" % r.stdout.strip())
        check(secret(team_id) == "", "Team's password left the keyring")
    finally:
        a_proc.terminate()
        b_proc.terminate()
        home.cleanup()


def test_set_without_account(certs, work):
    """`account set` updates the default (creating it when there is none);
    `--account` updates another and `--name` renames it"""
    home = Home()
    try:
        r = home.cli(["account", "set", "--provider", "custom", "--host", "127.0.0.1", "--from", "a@example.org"])
        check(r.returncode == 0 and "it is the default account" in r.stdout,
              "account set with none creates the default (%s)" % r.stdout.strip())
        r = home.cli(["account", "add", "--name", "Second", "--provider", "custom", "--host", "localhost",
                      "--from", "b@example.org"])
        check(r.returncode == 0, "account add Second (%s)" % r.stderr.strip())
        r = home.cli(["account", "set", "--port", "2525"])
        accounts = home.accounts()
        check(r.returncode == 0 and accounts.get("a@example.org", {}).get("port") == 2525 and
              accounts.get("Second", {}).get("port") == 587,
              "account set without --account updates the default: %r" % {n: a["port"] for n, a in accounts.items()})
        r = home.cli(["account", "set", "--account", "second", "--name", "Renamed", "--sender", "*@b.example"])
        accounts = home.accounts()
        check(r.returncode == 0 and "Renamed" in accounts and accounts["Renamed"]["senders"] == ["*@b.example"],
              "account set --account renames and sets senders (%s)" % r.stderr.strip())
        r = home.cli(["account", "set", "--account", "Renamed", "--sender", "*@"])
        check(r.returncode == 2 and r.stderr.startswith("mail-relay-cli: --sender: Sender:"),
              "a bad --sender is named, exit 2 (%s)" % r.stderr.strip())
        r = home.cli(["account", "set", "--account", "Renamed", "--name", "A@EXAMPLE.ORG"])
        check(r.returncode == 2 and "already called" in r.stderr, "renaming onto another's name: exit 2")
    finally:
        home.cleanup()


def main():
    work = tempfile.mkdtemp(prefix="channels-cli-")
    certs = os.path.join(work, "certs")
    subprocess.run([PYTHON, os.path.join(HERE, "make-certs.py"), certs], check=True, stdout=subprocess.DEVNULL)
    try:
        for test in (test_channels, test_set_without_account):
            try:
                test(certs, work)
            except Exception as e:  # a crash in one part is a failure, not a hang
                check(False, "%s raised %r" % (test.__name__, e))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print("TAP version 13")
    for i, (ok, what) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, what))
    print("1..%d" % len(results))
    return 0 if all(ok for ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
