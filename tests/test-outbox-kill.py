#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fault injection: `mail-relay-cli flush` killed with SIGKILL at random
moments while it sends to a recording server (tests/fake-smtp-server.py,
which stores every message before it answers the end of data), then run
again until the outbox is empty. Across all runs: no message delivered
twice, none lost (each queued message is logged sent, unknown or
failed), and each one the server took is logged sent or unknown, once
it has been sent. Then the journal's hardening: damaged and torn lines
and a planted symbolic link.

Usage: tests/test-outbox-kill.py [--kills N] [--seed S]
(build-aux/test runs 10 kills; docs/outbox.md: the longer run, 50.)
MAIL_RELAY_CLI names the mail-relay-cli to test."""
import argparse
import hashlib
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CLI = os.environ["MAIL_RELAY_CLI"]
PYTHON = "/usr/bin/python3"
results = []
notes = []


def check(cond, what):
    results.append((bool(cond), what.replace("\n", " | ")))  # one TAP line
    return cond


class Home:
    """A private XDG tree with an account (no sign-in) for the server at port."""
    def __init__(self, port, prefix):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self.env = dict(os.environ, HOME=self.dir, LANGUAGE="C",
                        XDG_CONFIG_HOME=os.path.join(self.dir, "config"),
                        XDG_DATA_HOME=os.path.join(self.dir, "data"))
        self.data = os.path.join(self.dir, "data", "mail-relay")
        self.outbox = os.path.join(self.data, "outbox")
        self.journal = os.path.join(self.outbox, ".journal")
        r = self.cli(["account", "set", "--provider", "custom", "--host", "127.0.0.1", "--port", str(port),
                      "--security", "none", "--from", "me@example.org"])
        assert r.returncode == 0, r.stderr

    def cli(self, args, stdin="", timeout=60):
        return subprocess.run([CLI] + args, input=stdin, env=self.env, capture_output=True,
                              text=True, timeout=timeout)

    def queue(self, subject, recipients=("rcpt@example.org",)):
        args = ["send", "--no-wait", "--subject", subject, "--body-file", "-"]
        for r in recipients:
            args += ["--to", r]
        r = self.cli(args, stdin="Message %s\n" % subject)
        m = re.search(r"<([^>]+)>", r.stdout)
        assert r.returncode == 0 and m, r.stderr
        return m.group(1)

    def events(self):
        path = os.path.join(self.data, "send-log.jsonl")
        return [json.loads(l) for l in open(path) if l.strip()] if os.path.exists(path) else []

    def items(self):
        return [n for n in os.listdir(self.outbox) if n.endswith(".json")] if os.path.isdir(self.outbox) else []

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def start_server(maildir, scenario="good"):
    proc = subprocess.Popen([PYTHON, os.path.join(HERE, "fake-smtp-server.py"), "--scenario", scenario,
                             "--maildir", maildir], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    return proc, int(proc.stdout.readline().split()[1])


def received(maildir):
    """Message-ID -> how many times the server took it"""
    found = {}
    if not os.path.isdir(maildir):
        return found
    for name in os.listdir(maildir):
        if name.endswith(".eml"):
            data = open(os.path.join(maildir, name), "rb").read()
            m = re.search(rb"(?im)^Message-ID: <([^>]+)>", data)
            key = m.group(1).decode() if m else name
            found[key] = found.get(key, 0) + 1
    return found


class Killer:
    """Kills a flush at a random moment: a third of the time at a random
    time after its start, up to about when it takes its first message
    (perhaps in its recovery, or its sign-in), the others right after the
    server took a random number of this run's messages (perhaps between
    its end of data and its "sent" event)"""
    def __init__(self, rng):
        self.rng = rng
        self.startup = 0.05  # s from the start to the first message taken, as last seen

    def kill(self, home, maildir, n):
        before = sum(received(maildir).values())
        start = time.monotonic()
        flush = subprocess.Popen([CLI, "flush"], env=home.env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        if self.rng.random() < 1 / 3:
            time.sleep(self.rng.uniform(0.0, self.startup * 1.2))
        else:
            k = self.rng.randint(1, n - 1)
            deadline = start + 30
            first = True
            while time.monotonic() < deadline and flush.poll() is None:
                taken = sum(received(maildir).values()) - before
                if taken >= 1 and first:
                    self.startup = max(0.01, time.monotonic() - start)
                    first = False
                if taken >= k:
                    break
                time.sleep(0.0005)
        flush.send_signal(signal.SIGKILL)
        flush.wait()
        return flush.returncode == -signal.SIGKILL


def taken(maildir):
    """(Message-ID, recipient) -> how many times the server took the
    message for that recipient"""
    found = {}
    if not os.path.isdir(maildir):
        return found
    for name in os.listdir(maildir):
        if name.endswith(".eml"):
            data = open(os.path.join(maildir, name), "rb").read()
            m = re.search(rb"(?im)^Message-ID: <([^>]+)>", data)
            key = m.group(1).decode() if m else name
            for rcpt in open(os.path.join(maildir, name[:-4] + ".rcpt")).read().split():
                found[(key, rcpt)] = found.get((key, rcpt), 0) + 1
    return found


def test_kills(work, kills, rng):
    """Each round queues eight messages, one of them to a second recipient
    whom the server puts off once (a 451 to its RCPT: the message goes to
    the first one at once, to the second one at its retry); outcomes are
    checked recipient by recipient"""
    maildir = os.path.join(work, "kill-mail")
    proc, port = start_server(maildir, "rcpt-mixed")
    home = Home(port, "outbox-kill-")
    home.env["MAIL_RELAY_RETRY_BASE_SECONDS"] = "0.2"
    queued = {}
    try:
        killed = 0
        killer = Killer(rng)
        for round in range(kills):
            for i in range(8):
                recipients = ("rcpt@example.org", "later-%d@example.org" % round) if i == 0 else ("rcpt@example.org",)
                queued[home.queue("r%d m%d" % (round, i), recipients)] = recipients
            killed += killer.kill(home, maildir, 8)
        check(killed >= kills // 2, "flush killed mid-way in %d of %d rounds" % (killed, kills))

        for _ in range(5):
            if not home.items():
                break
            home.cli(["flush", "--wait"])
        check(home.items() == [], "the outbox is empty after the last flush (%d left)" % len(home.items()))

        got = taken(maildir)
        outcomes = {}
        for e in home.events():
            for rcpt in e["recipients"]:
                outcomes.setdefault((e["message_id"], rcpt), set()).add(e["status"])
        pairs = [(m, r) for m, rs in queued.items() for r in rs]

        twice = sorted(p for p, n in got.items() if n > 1)
        check(not twice, "no message delivered twice to anyone (%d of %d: %r)" % (len(twice), len(got), twice[:3]))
        lost = [p for p in pairs if not outcomes.get(p, set()) & {"sent", "unknown", "failed"}]
        check(not lost, "none lost: for each of %d queued messages' %d recipients, it is logged sent, unknown or "
              "failed (%d not: %r)" % (len(queued), len(pairs), len(lost), lost[:3]))
        check(all("queued" in outcomes.get(p, set()) for p in pairs), "each one logged queued")
        unlogged = sorted(p for p in got if not outcomes.get(p, set()) & {"sent", "unknown"})
        check(not unlogged, "each message the server took is logged sent or unknown for that recipient "
              "(%d not: %r)" % (len(unlogged), unlogged[:3]))
        sent_not_taken = sorted(p for p in pairs if "sent" in outcomes.get(p, set()) and p not in got)
        check(not sent_not_taken, "each message logged sent was taken by the server for that recipient "
              "(%d not: %r)" % (len(sent_not_taken), sent_not_taken[:3]))
        later = [(m, rs[1]) for m, rs in queued.items() if len(rs) > 1]
        check(any("deferred" in outcomes.get(p, set()) for p in later) and
              sum(1 for p in later if p in got) >= len(later) // 2,
              "the recipients put off by a 451 wait for their retry, across the kills, and get the message "
              "then (%d of %d)" % (sum(1 for p in later if p in got), len(later)))
        check(not os.path.exists(home.journal), "the journal is gone once the outbox is empty")
        statuses = [s for p in pairs for s in outcomes.get(p, set()) if s != "queued"]
        notes.append("%d messages queued to %d recipients; the server took %d; %d sent, %d unknown, %d failed "
                     "(per recipient); %d flush runs killed"
                     % (len(queued), len(pairs), len(got), statuses.count("sent"), statuses.count("unknown"),
                        statuses.count("failed"), killed))
    finally:
        proc.terminate()
        proc.wait()
        home.cleanup()


def test_damaged_journal(work):
    """Torn and damaged lines are skipped, never crash a run, and a mark
    that holds still holds among them; a mark released (its data never
    went) no longer holds, and a release naming another envelope does not
    end a mark"""
    maildir = os.path.join(work, "damaged-journal-mail")
    proc, port = start_server(maildir)
    home = Home(port, "outbox-journal-")
    try:
        ids = [home.queue("j%d" % i) for i in range(3)]
        items = sorted(home.items())
        item = items[0][:-len(".json")]
        digest = hashlib.sha256(open(os.path.join(home.outbox, item + ".json"), "rb").read()).hexdigest()
        # which message each file holds
        by_item = {}
        for name in items:
            with open(os.path.join(home.outbox, name)) as f:
                by_item[name[:-len(".json")]] = json.load(f)["message_id"]
        other = items[1][:-len(".json")]
        other_digest = hashlib.sha256(open(os.path.join(home.outbox, other + ".json"), "rb").read()).hexdigest()
        with open(home.journal, "w") as f:
            # marked, then released: queued as before
            f.write('{"id":"%s","envelope":"%s","attempt":1,"recipients":["rcpt@example.org"],"next_attempt":0}\n'
                    % (other, other_digest))
            f.write('{"id":"%s","envelope":"%s","released":true}\n' % (other, other_digest))
            # a release of another envelope, and a damaged one: the mark below holds
            f.write('{"id":"%s","envelope":"%s","attempt":1,"recipients":["rcpt@example.org"],"next_attempt":0}\n'
                    % (item, digest))
            f.write('{"id":"%s","envelope":"%s","released":true}\n' % (item, "0" * 64))
            f.write('{"id":"%s","envelope":"not a digest","released":true}\n' % item)
            f.write("not json\n")
            f.write('{"id":"../../escape","envelope":"%s","attempt":1,"recipients":["a@example.org"]}\n' % digest)
            f.write('{"id":"%s","envelope":"%s","attempt":1,"recipients":["not an address"]}\n' % (item, digest))
            f.write('{"id":"%s","envelope":"%s","attempt":1,"recipients":["rcpt@example.org"],"next_attempt":0}\n'
                    % (item, digest))
            f.write("[" * 100000 + "\n")
            f.write('{"id":"' + "x" * (3 << 20) + '"}\n')
            # torn, in the room a drain had made for its marks
            f.write('{"id":"%s","envelope":"%s","att' % (item, "0" * 64) + "\0" * 8192)
        os.chmod(home.journal, 0o600)
        r = home.cli(["flush"])
        check(r.returncode in (0, 1) and "Traceback" not in r.stderr and r.returncode >= 0,
              "a damaged journal does not crash flush (%d %s)" % (r.returncode, r.stderr[-200:]))
        events = home.events()
        marked_id = by_item[item]
        marked = [e["status"] for e in events if e["message_id"] == marked_id and e["status"] != "queued"]
        check(marked == ["unknown"], "the one valid mark among damaged lines holds: unknown, not sent (%r)" % marked)
        released = [e["status"] for e in events if e["message_id"] == by_item[other] and e["status"] != "queued"]
        check(released == ["sent"], "a released mark no longer holds: sent (%r)" % released)
        got = received(maildir)
        check(marked_id not in got and all(got.get(m) == 1 for m in ids if m != marked_id),
              "the marked message is not sent; the others are, once (%r)" % got)
        check(home.items() == [] and not os.path.exists(home.journal), "and the outbox and its journal are empty")
    finally:
        proc.terminate()
        proc.wait()
        home.cleanup()


def test_journal_link(work):
    """A symbolic link planted as the journal is never followed: nothing
    is sent through it, and what it points to is untouched"""
    maildir = os.path.join(work, "link-journal-mail")
    proc, port = start_server(maildir)
    home = Home(port, "outbox-link-")
    try:
        home.queue("linked")
        target = os.path.join(home.dir, "target")
        with open(target, "w") as f:
            f.write("precious\n")
        os.symlink(target, home.journal)
        r = home.cli(["flush"])
        check(r.returncode != 0 and "symbolic link" in r.stderr,
              "flush refuses a journal that is a symbolic link (%d %s)" % (r.returncode, r.stderr.strip()[-200:]))
        check(open(target).read() == "precious\n", "what the link points to is untouched")
        check(received(maildir) == {}, "and nothing was sent")
        check(os.path.islink(home.journal), "the link is left for a person to look at")
        os.unlink(home.journal)
        r = home.cli(["flush"])
        check(r.returncode == 0 and len(received(maildir)) == 1, "without it, flush sends (%d)" % r.returncode)
    finally:
        proc.terminate()
        proc.wait()
        home.cleanup()


def test_odd_item_name(work):
    """An item whose file name a journal's mark could not name (a line
    break in it) is moved aside as damaged, never sent without a mark"""
    maildir = os.path.join(work, "odd-name-mail")
    proc, port = start_server(maildir)
    home = Home(port, "outbox-odd-name-")
    try:
        home.queue("good")
        name = sorted(home.items())[0][:-len(".json")]
        odd = "0000000000000001-odd\nname"
        for suffix in (".json", ".eml"):
            shutil.copy(os.path.join(home.outbox, name + suffix), os.path.join(home.outbox, odd + suffix))
        # a message of its own, as a planted copy would be
        with open(os.path.join(home.outbox, odd + ".json")) as f:
            envelope = json.load(f)
        envelope["message_id"] = "odd@example.org"
        with open(os.path.join(home.outbox, odd + ".json"), "w") as f:
            json.dump(envelope, f)
        r = home.cli(["flush"])
        got = received(maildir)
        check(list(got.values()) == [1] and "odd@example.org" not in got,
              "odd name: only the good message is sent (%d %r %s)" % (r.returncode, got, r.stderr.strip()[-200:]))
        aside = os.listdir(os.path.join(home.data, "damaged")) if os.path.isdir(os.path.join(home.data, "damaged")) else []
        check(odd + ".json" in aside and home.items() == [], "odd name: moved aside as damaged (%r)" % aside)
        check(any(e["status"] == "failed" and e["message_id"] == odd for e in home.events()),
              "odd name: and logged failed")
    finally:
        proc.terminate()
        proc.wait()
        home.cleanup()


def test_queued_meanwhile(work):
    """A message queued by another process while a drain runs (here,
    waits for the account's window) is sent by that same drain"""
    maildir = os.path.join(work, "meanwhile-mail")
    proc, port = start_server(maildir)
    home = Home(port, "outbox-meanwhile-")
    try:
        r = home.cli(["account", "set", "--max-messages", "2", "--per", "3"])
        check(r.returncode == 0, "meanwhile: a limit of 2 messages in 3 s (%s)" % r.stderr.strip())
        ids = [home.queue("w%d" % i) for i in range(3)]
        flush = subprocess.Popen([CLI, "flush"], env=home.env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                 text=True)
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and len(received(maildir)) < 2:
            time.sleep(0.01)
        ids.append(home.queue("w3"))
        out, _ = flush.communicate(timeout=60)
        got = received(maildir)
        check(flush.returncode == 0 and all(got.get(m) == 1 for m in ids),
              "meanwhile: the drain under way sends the message queued meanwhile too (%d, %r, %s)"
              % (flush.returncode, sorted(got.values()), out.strip()))
        check(home.items() == [], "meanwhile: and the outbox is empty")
    finally:
        proc.terminate()
        proc.wait()
        home.cleanup()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--kills", type=int, default=10)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(1 << 30)
    rng = random.Random(seed)
    notes.append("seed %d (--seed %d repeats this run's moments)" % (seed, seed))
    work = tempfile.mkdtemp(prefix="outbox-kill-")
    try:
        for test in (lambda: test_kills(work, args.kills, rng), lambda: test_damaged_journal(work),
                     lambda: test_journal_link(work), lambda: test_odd_item_name(work),
                     lambda: test_queued_meanwhile(work)):
            try:
                test()
            except Exception as e:  # a crash in one part is a failure, not a hang
                check(False, "raised %r" % e)
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print("TAP version 13")
    for note in notes:
        print("# " + note)
    for i, (ok, what) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, what))
    print("1..%d" % len(results))
    return 0 if all(ok for ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
