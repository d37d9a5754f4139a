#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The outbox from the command line, against servers this test starts on
127.0.0.1: throttling across separate runs (a real server, aiosmtpd, with
STARTTLS and AUTH), a 451 deferred and retried, a 550 failed and not
retried, and a sending run killed with SIGKILL then run again.

Runs under build-aux/test (a real keyring on the session bus)."""
import ctypes
import json
import os
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
USER, PASSWORD = "user@example.org", "right-pass"
results = []


def check(cond, what):
    results.append((bool(cond), what.replace("\n", " | ")))  # one TAP line
    return cond


class Home:
    """A private XDG tree with an account for the server at port."""
    def __init__(self, port, certs, extra=(), retry_base=1):
        self.dir = tempfile.mkdtemp(prefix="outbox-")
        self.env = dict(os.environ, HOME=self.dir, LANGUAGE="C",
                        XDG_CONFIG_HOME=os.path.join(self.dir, "config"),
                        XDG_DATA_HOME=os.path.join(self.dir, "data"),
                        MAIL_RELAY_RETRY_BASE_SECONDS=str(retry_base))
        r = self.cli(["account", "set", "--provider", "custom", "--host", "127.0.0.1",
                      "--port", str(port), "--security", "starttls", "--username", USER,
                      "--password-stdin", "--from", USER, "--ca-file", os.path.join(certs, "ca.pem")]
                     + list(extra), stdin=PASSWORD + "\n")
        assert r.returncode == 0, r.stderr

    def cli(self, args, stdin="", timeout=120):
        return subprocess.run([CLI] + args, input=stdin, env=self.env, capture_output=True,
                              text=True, timeout=timeout)

    def log(self):
        r = self.cli(["log", "--json"])
        return [json.loads(l) for l in r.stdout.splitlines() if l.strip()]

    def cleanup(self):
        self.cli(["account", "delete"])
        shutil.rmtree(self.dir, ignore_errors=True)


def start(argv):
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = int(proc.stdout.readline().split()[1])
    return proc, port


def envelopes(maildir):
    """the recipients of each message the server took, in order"""
    if not os.path.isdir(maildir):
        return []
    names = sorted((n for n in os.listdir(maildir) if n.endswith(".rcpt")),
                   key=lambda n: int(n[4:-5]))
    return [open(os.path.join(maildir, n)).read().split() for n in names]


def received(maildir):
    """message-id -> (count, mtime) of what the server stored"""
    found = {}
    if not os.path.isdir(maildir):
        return found
    for name in os.listdir(maildir):
        if not name.endswith(".eml"):
            continue
        path = os.path.join(maildir, name)
        data = open(path, "rb").read()
        m = re.search(rb"(?im)^Message-ID: <([^>]+)>", data)
        key = m.group(1).decode() if m else name
        count, _ = found.get(key, (0, 0))
        found[key] = (count + 1, os.stat(path).st_mtime)
    return found


def test_throttle(certs, work):
    out = os.path.join(work, "aiosmtpd")
    os.makedirs(out)
    proc, port = start([PYTHON, os.path.join(HERE, "aiosmtpd-server.py"), certs, out])
    home = Home(port, certs, ["--max-messages", "3", "--per", "2"])
    try:
        codes = []
        for i in range(9):
            r = home.cli(["send", "--to", "rcpt@example.org", "--subject", "throttled %d" % i,
                          "--body-file", "-"], stdin="Message %d.\n" % i)
            codes.append(r.returncode)
        check(codes == [0] * 9, "nine sends exit 0: %r" % codes)
        got = received(out)
        check(len(got) == 9 and all(c == 1 for c, _ in got.values()),
              "all nine delivered, each exactly once: %r" % sorted(c for c, _ in got.values()))
        times = sorted(t for _, t in got.values())
        # The server stores a message a few milliseconds after the client's
        # attempt, a little more or less each time: the windows are measured
        # here with 50 ms to spare for that noise.
        worst = max(sum(1 for u in times if t <= u < t + 1.95) for t in times) if times else 0
        check(worst <= 3, "never more than three in any 2 s window (saw %d)" % worst)
        span = times[-1] - times[0] if times else 0
        check(span >= 4.0, "nine messages at three per 2 s take at least 4 s (%.2f s)" % span)
        statuses = [e["status"] for e in home.log()]
        check(statuses.count("sent") == 9, "log: nine sent events")
        check("throttled" in statuses, "log: throttled events")
        check(all(set(e) >= {"time", "message_id", "status", "recipients", "subject", "attempt", "reply"}
                  for e in home.log()), "log entries have the documented fields")
    finally:
        proc.terminate()
        home.cleanup()


def fake(scenario, certs, work):
    maildir = os.path.join(work, scenario + "-mail")
    logpath = os.path.join(work, scenario + ".log")
    proc, port = start([PYTHON, os.path.join(HERE, "fake-smtp-server.py"), "--scenario", scenario,
                        "--tls-cert", os.path.join(certs, "good.pem"), "--tls-key", os.path.join(certs, "good.key"),
                        "--log", logpath, "--maildir", maildir])
    return proc, port, maildir, logpath


def test_deferred(certs, work):
    proc, port, maildir, logpath = fake("451-once", certs, work)
    home = Home(port, certs)
    try:
        r = home.cli(["send", "--wait", "--to", "rcpt@example.org", "--subject", "greylisted",
                      "--body-file", "-"], stdin="Hello.\n")
        check(r.returncode == 0, "a 451 is retried and sent with --wait: exit 0 (%s)" % r.stderr[-200:])
        statuses = [e["status"] for e in home.log()]
        check(statuses == ["queued", "deferred", "sent"], "log: queued, deferred, sent: %r" % statuses)
        check([e["attempt"] for e in home.log()][-1] == 2, "sent on the second attempt")
        check(len(received(maildir)) == 1 and list(received(maildir).values())[0][0] == 1,
              "delivered exactly once")
    finally:
        proc.terminate()
        home.cleanup()


def test_rejected(certs, work):
    proc, port, maildir, logpath = fake("rcpt-550", certs, work)
    home = Home(port, certs)
    try:
        r = home.cli(["send", "--to", "nobody@example.org", "--subject", "rejected", "--body-file", "-"],
                     stdin="Hello.\n")
        check(r.returncode == 1, "a 550 recipient makes send exit 1")
        log = home.log()
        check([e["status"] for e in log] == ["queued", "failed"], "log: queued, failed: %r" % [e["status"] for e in log])
        check(log[-1]["reply"].startswith("550"), "the failure keeps the server's reply")
        with open(logpath) as f:
            rcpts = [l for l in f if l.upper().startswith("RCPT")]
        check(len(rcpts) == 1, "not retried: one RCPT (%d)" % len(rcpts))
        check(home.cli(["flush"]).returncode == 0, "nothing left to flush")
    finally:
        proc.terminate()
        home.cleanup()


def test_kill(certs, work):
    proc, port, maildir, logpath = fake("good", certs, work)
    home = Home(port, certs)
    try:
        for i in range(30):
            home.cli(["send", "--no-wait", "--to", "rcpt@example.org", "--subject", "m%d" % i,
                      "--body-file", "-"], stdin="Message %d\n" % i)
        flush = subprocess.Popen([CLI, "flush"], env=home.env, stdout=subprocess.DEVNULL,
                                 stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and len(received(maildir)) < 8:
            time.sleep(0.01)
        flush.send_signal(signal.SIGKILL)
        flush.wait()
        check(0 < len(received(maildir)) < 30, "killed mid-way (%d delivered)" % len(received(maildir)))
        r = home.cli(["flush"])
        got = received(maildir)
        log = home.log()
        unknown = {e["message_id"] for e in log if e["status"] == "unknown"}
        sent = {e["message_id"] for e in log if e["status"] == "sent"}
        queued = {e["message_id"] for e in log if e["status"] == "queued"}
        check(len(queued) == 30, "thirty queued")
        check(queued == sent | unknown, "every message ends sent or unknown")
        check(all(got.get(m, (0, 0))[0] == 1 for m in sent), "every sent message delivered exactly once")
        check(all(got.get(m, (0, 0))[0] <= 1 for m in unknown), "an unknown message is never sent twice")
        check(all(c == 1 for c, _ in got.values()), "no message delivered twice")
    finally:
        proc.terminate()
        home.cleanup()


def test_damaged_items(certs, work):
    """Damaged outbox files (a hand edit, a damaged disk, another user's
    plant) never crash or warn: each is moved aside into damaged/ with a
    failed event saying why, and a planted link is never followed."""
    proc, port, maildir, logpath = fake("good", certs, work)
    home = Home(port, certs)
    data = os.path.join(home.dir, "data", "mail-relay")
    outbox = os.path.join(data, "outbox")
    good = {"message_id": "m@example.org", "from": USER, "recipients": ["rcpt@example.org"],
            "subject": "s", "attempt": 0, "state": "queued", "next_attempt": 0}
    damaged = {
        "0000000000000001-recipients-string": {"recipients": "rcpt@example.org"},
        "0000000000000002-recipient-number": {"recipients": [1, "rcpt@example.org"]},
        "0000000000000003-odd-members": {"recipients": ["rcpt@example.org"], "message_id": [],
                                         "from": {}, "subject": 5, "attempt": [1],
                                         "state": {"x": 1}, "next_attempt": "soon"},
        "0000000000000004-no-recipients": dict(good, recipients=[]),
        "0000000000000005-header-injection": dict(good, recipients=["a@example.org\r\nBcc: evil@example.net"]),
        "0000000000000006-bad-sender": dict(good, **{"from": "not an address"}),
        "0000000000000007-bad-state": dict(good, state="exploded"),
    }
    raw = {
        "0000000000000008-not-json": "{\"recipients\": [\"rcpt@example.org\"",
        "000000000000000d-empty": "",
        "0000000000000009-deep": "[" * 150000 + "]" * 150000,
        "000000000000000a-deep-object": '{"recipients":' + '{"a":' * 100000 + "1" + "}" * 100000 + "}",
    }
    secret = os.path.join(home.dir, "private.txt")
    try:
        os.makedirs(outbox, exist_ok=True)
        for name, item in damaged.items():
            with open(os.path.join(outbox, name + ".json"), "w") as f:
                json.dump(item, f)
        for name, text in raw.items():
            with open(os.path.join(outbox, name + ".json"), "w") as f:
                f.write(text)
        # a planted link: the envelope is fine, the message is someone's file
        with open(secret, "w") as f:
            f.write("PRIVATE-CONTENT\n")
        with open(os.path.join(outbox, "000000000000000b-linked.json"), "w") as f:
            json.dump(dict(good, message_id="linked@example.org"), f)
        os.symlink(secret, os.path.join(outbox, "000000000000000b-linked.eml"))
        os.symlink(os.path.join(outbox, "000000000000000b-linked.json"),
                   os.path.join(outbox, "000000000000000c-link.json"))

        r = home.cli(["flush"])
        check(r.returncode == 1, "flush over damaged outbox files fails them: exit 1, not a crash (%d: %s)"
              % (r.returncode, r.stderr[-300:]))
        check("CRITICAL" not in r.stderr and "WARNING" not in r.stderr,
              "no critical or warning for damaged files: %s" % r.stderr[-300:])
        left = sorted(n for n in os.listdir(outbox) if not n.startswith("."))
        check(left == [], "nothing damaged stays in the outbox: %r" % left)
        aside = sorted(os.listdir(os.path.join(data, "damaged")))
        check(all(name + ".json" in aside for name in list(damaged) + list(raw) + ["000000000000000c-link"]),
              "each damaged envelope is moved to damaged/: %r" % aside)
        log = home.log()
        failed = [e for e in log if e["status"] == "failed"]
        why = {e["message_id"]: e.get("detail", "") for e in failed}
        check(all(name in why for name in list(damaged) + list(raw)),
              "a failed event for each damaged item: %r" % sorted(why))
        check("nest more than" in why.get("0000000000000009-deep", ""), "the nesting is named: %r"
              % why.get("0000000000000009-deep"))
        check("Bcc" not in "".join(open(p, errors="replace").read() for p in
                                   [os.path.join(maildir, n) for n in (os.listdir(maildir) if os.path.isdir(maildir) else [])]),
              "an address with a line break never reaches the server")
        linked = [e for e in failed if e["message_id"] == "linked@example.org"]
        check(len(linked) == 1 and "symbolic link" in linked[0].get("detail", ""),
              "a message file that is a symbolic link is failed, saying so: %r" % linked)
        check(not any("PRIVATE-CONTENT" in open(os.path.join(maildir, n), errors="replace").read()
                      for n in (os.listdir(maildir) if os.path.isdir(maildir) else [])),
              "the linked private file is never mailed")
        check(open(secret).read() == "PRIVATE-CONTENT\n", "and is left as it was")
    finally:
        proc.terminate()
        home.cleanup()


def test_partial_recipients(certs, work):
    """Three recipients: one taken, one refused for good (550), one put off
    (451 once). Each gets its own outcome; the one put off is retried
    alone and nobody gets the message twice."""
    proc, port, maildir, logpath = fake("rcpt-mixed", certs, work)
    home = Home(port, certs)
    try:
        r = home.cli(["send", "--to", "ok@example.org", "--to", "refused@example.org",
                      "--to", "later@example.org", "--subject", "three", "--body-file", "-"],
                     stdin="Hello.\n")
        check(r.returncode == 1, "a refused recipient makes send exit 1 (%d: %s)" % (r.returncode, r.stdout.strip()))
        check("failed 1" in r.stdout, "the refused recipient is counted as failed: %s" % r.stdout.strip())
        check("later@example.org" in r.stderr and "retried at" in r.stderr,
              "send says who waits for a retry, and when: %s" % r.stderr[-300:])
        check(envelopes(maildir) == [["ok@example.org"]],
              "the message went to the accepted recipient alone: %r" % envelopes(maildir))
        log = home.log()
        by = {(e["status"], tuple(e["recipients"])): e for e in log}
        check(("sent", ("ok@example.org",)) in by, "log: sent to ok@ only: %r"
              % [(e["status"], e["recipients"]) for e in log])
        failed = by.get(("failed", ("refused@example.org",)))
        check(failed is not None and failed["reply"].startswith("550 5.1.1"),
              "log: refused@ failed with its own reply: %r" % (failed and failed["reply"]))
        deferred = by.get(("deferred", ("later@example.org",)))
        check(deferred is not None and deferred["reply"].startswith("451 4.2.0"),
              "log: later@ deferred with its own reply: %r" % (deferred and deferred["reply"]))
        check(not any(e["status"] == "sent" and "refused@example.org" in e["recipients"] for e in log),
              "log: never sent to the refused recipient")

        time.sleep(1.5)  # the retry base is 1 s, with at most 20 % jitter
        r = home.cli(["flush"])
        check(r.returncode == 0, "the put-off recipient is retried and taken: exit 0 (%s)" % r.stderr[-200:])
        check(envelopes(maildir) == [["ok@example.org"], ["later@example.org"]],
              "the retry went to later@ alone: %r" % envelopes(maildir))
        log = home.log()
        check([e["recipients"] for e in log if e["status"] == "sent"]
              == [["ok@example.org"], ["later@example.org"]], "log: two sent events, one recipient each")
        with open(logpath) as f:
            refused_rcpts = [l for l in f if l.upper().startswith("RCPT") and "refused@" in l]
        check(len(refused_rcpts) == 1, "the refused recipient is not tried again (%d)" % len(refused_rcpts))
        check(len({e["message_id"] for e in log}) == 1, "one message id throughout")
        check(home.cli(["flush"]).returncode == 0 and len(envelopes(maildir)) == 2, "nothing left to send")
    finally:
        proc.terminate()
        home.cleanup()


def test_mail_refused(certs, work):
    """With PIPELINING the RCPTs after a refused MAIL get 503: the MAIL
    reply decides. A 451 is put off (and send returns instead of waiting
    for the retry), a 550 fails with the 550."""
    proc, port, maildir, logpath = fake("mail-451-once", certs, work)
    home = Home(port, certs, retry_base=600)
    try:
        r = home.cli(["send", "--to", "rcpt@example.org", "--subject", "sender lookup", "--body-file", "-"],
                     stdin="Hello.\n", timeout=60)
        check(r.returncode == 1, "a message put off makes send exit 1 (%d)" % r.returncode)
        log = home.log()
        check([e["status"] for e in log] == ["queued", "deferred"],
              "log: queued, deferred — a 451 to MAIL is temporary: %r" % [e["status"] for e in log])
        check(log[-1]["reply"].startswith("451 4.3.0"), "the reply to MAIL is recorded: %r" % log[-1]["reply"])
        check("retried at" in r.stderr, "send says when it is retried instead of waiting: %s" % r.stderr[-200:])
        r = home.cli(["flush"], timeout=60)
        check(r.returncode == 1 and received(maildir) == {}, "flush before the retry time sends nothing, exit 1")
    except subprocess.TimeoutExpired:
        check(False, "send and flush return while a message waits for its retry")
    finally:
        home.cleanup()

    home = Home(port, certs)
    try:
        r = home.cli(["send", "--wait", "--to", "rcpt@example.org", "--subject", "wait", "--body-file", "-"],
                     stdin="Hello.\n")
        check(r.returncode == 0 and len(received(maildir)) == 1,
              "send --wait waits for the retry and sends (%d: %s)" % (r.returncode, r.stderr[-200:]))
    finally:
        proc.terminate()
        home.cleanup()

    proc, port, maildir, logpath = fake("mail-550", certs, work)
    home = Home(port, certs)
    try:
        r = home.cli(["send", "--to", "rcpt@example.org", "--subject", "not yours", "--body-file", "-"],
                     stdin="Hello.\n")
        log = home.log()
        check(r.returncode == 1 and [e["status"] for e in log] == ["queued", "failed"],
              "a 550 to MAIL fails the message: %r" % [e["status"] for e in log])
        check(log[-1]["reply"].startswith("550 5.7.1"), "the failure records MAIL's 550, not the 503 after it: %r"
              % log[-1]["reply"])
    finally:
        proc.terminate()
        home.cleanup()


def test_421_reply(certs, work):
    """A 421 at the greeting or after AUTH: the reply is in the log."""
    for scenario in ("greeting-421", "auth-421"):
        proc, port, maildir, logpath = fake(scenario, certs, work)
        home = Home(port, certs, retry_base=600)
        try:
            r = home.cli(["send", "--to", "rcpt@example.org", "--subject", scenario, "--body-file", "-"],
                         stdin="Hello.\n", timeout=60)
            log = home.log()
            check(r.returncode == 1 and log[-1]["status"] == "deferred",
                  "%s: the message is deferred (%r)" % (scenario, [e["status"] for e in log]))
            check(log[-1]["reply"].startswith("421 4."), "%s: the log keeps the 421: %r" % (scenario, log[-1]["reply"]))
        except subprocess.TimeoutExpired:
            check(False, "%s: send returns while the message waits for its retry" % scenario)
        finally:
            proc.terminate()
            home.cleanup()


def test_drip(certs, work):
    """A server that never finishes its greeting, a byte a second, so
    that no single read times out: the exchange's own deadline ends it
    and the message is deferred, instead of holding send (and the
    outbox's lock) for as long as the server likes."""
    proc, port, maildir, logpath = fake("drip", certs, work)
    home = Home(port, certs, retry_base=600)
    home.env["MAIL_RELAY_SEND_DEADLINE_SECONDS"] = "3"
    try:
        r = home.cli(["send", "--to", "rcpt@example.org", "--subject", "drip", "--body-file", "-"],
                     stdin="Hello.\n", timeout=60)
        log = home.log()
        check(r.returncode == 1 and log[-1]["status"] == "deferred",
              "a trickling server: the message is deferred (%r)" % [e["status"] for e in log])
        check("time allowed" in log[-1].get("detail", "") or "in time" in log[-1].get("detail", ""),
              "the log says it took too long: %r" % log[-1].get("detail"))
    except subprocess.TimeoutExpired:
        check(False, "send returns when a server trickles its greeting past the deadline")
    finally:
        proc.terminate()
        home.cleanup()


def test_international_address(certs, work):
    """A server without SMTPUTF8 cannot take an international address:
    that recipient fails, saying why, and it never reaches RCPT TO; the
    others get the message. Look-alike addresses are refused at once."""
    work = os.path.join(work, "international")
    os.makedirs(work)
    proc, port, maildir, logpath = fake("good", certs, work)
    home = Home(port, certs)
    try:
        r = home.cli(["send", "--to", "用户@example.org", "--to", "ok@example.org", "--subject", "intl",
                      "--body-file", "-"], stdin="Hello.\n")
        log = home.log()
        failed = [e for e in log if e["status"] == "failed"]
        check(r.returncode == 1 and len(failed) == 1 and failed[0]["recipients"] == ["用户@example.org"]
              and "SMTPUTF8" in failed[0].get("detail", ""),
              "the international recipient fails, naming SMTPUTF8: %r" % failed)
        check(envelopes(maildir) == [["ok@example.org"]], "the others get it: %r" % envelopes(maildir))
        with open(logpath, encoding="utf-8", errors="replace") as f:
            check(not any(l.upper().startswith("RCPT") and "example.org" in l and "ok@" not in l for l in f),
                  "no RCPT TO for an address the server cannot take")
        r = home.cli(["send", "--to", "ad\u202emin@example.org", "--subject", "look-alike", "--body-file", "-"],
                     stdin="Hello.\n")
        check(r.returncode == 2 and "Recipient:" in r.stderr and "invisible" in r.stderr
              and "Sender address" not in r.stderr,
              "a look-alike recipient is bad input, named once as Recipient: %s" % r.stderr.strip())
    finally:
        proc.terminate()
        home.cleanup()


def test_private_folders(certs, work):
    """The data folder and the outbox are closed to others when they were
    left open (a careless chmod, a restored backup), and a lock file that
    is a planted symbolic link is not followed."""
    work = os.path.join(work, "private")
    os.makedirs(work)
    proc, port, maildir, logpath = fake("good", certs, work)
    home = Home(port, certs)
    data = os.path.join(home.dir, "data", "mail-relay")
    outbox = os.path.join(data, "outbox")
    try:
        os.makedirs(outbox)
        os.chmod(data, 0o755)
        os.chmod(outbox, 0o777)
        r = home.cli(["send", "--no-wait", "--to", "rcpt@example.org", "--subject", "p", "--body-file", "-"],
                     stdin="Hello\n")
        check(r.returncode == 0, "send into an open folder works (%s)" % r.stderr)
        check(os.stat(data).st_mode & 0o777 == 0o700 and os.stat(outbox).st_mode & 0o777 == 0o700,
              "and closes the folders to others: %o %o" % (os.stat(data).st_mode & 0o777,
                                                          os.stat(outbox).st_mode & 0o777))
        target = os.path.join(home.dir, "elsewhere")
        with open(target, "w") as f:
            f.write("keep\n")
        lock = os.path.join(outbox, ".lock")
        if os.path.exists(lock):
            os.unlink(lock)
        os.symlink(target, lock)
        r = home.cli(["flush"])
        check(r.returncode == 1 and ".lock" in r.stderr, "a planted .lock link is refused: %d %s"
              % (r.returncode, r.stderr.strip()))
        check(open(target).read() == "keep\n" and received(maildir) == {}, "nothing is sent, nothing touched")
    finally:
        proc.terminate()
        home.cleanup()


class UnprivilegedHome:
    """A home for an unprivileged user (nobody, when the tests run as root,
    since root ignores file modes), with an account on the server at
    @port."""

    def __init__(self, port, prefix):
        self.dir = tempfile.mkdtemp(prefix=prefix)
        self.prefix = []
        if os.geteuid() == 0:
            os.chown(self.dir, 65534, 65534)
            self.prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]
        self.env = {"HOME": self.dir, "PATH": "/usr/bin:/bin", "LANGUAGE": "C", "LC_ALL": "C.UTF-8",
                    "XDG_CONFIG_HOME": os.path.join(self.dir, "config"),
                    "XDG_DATA_HOME": os.path.join(self.dir, "data")}
        self.log = os.path.join(self.dir, "data", "mail-relay", "send-log.jsonl")
        self.outbox = os.path.join(self.dir, "data", "mail-relay", "outbox")
        r = self.cli(["account", "set", "--provider", "custom", "--host", "127.0.0.1", "--port", str(port),
                      "--security", "none", "--from", "me@example.org"])
        check(r.returncode == 0, "an account without sign-in for the unprivileged user (%s)" % r.stderr)

    def cli(self, args, stdin=""):
        return subprocess.run(self.prefix + [CLI] + args, input=stdin, env=self.env, capture_output=True,
                              text=True, timeout=30)

    def items(self):
        return [n for n in os.listdir(self.outbox) if n.endswith(".json")]

    def events(self):
        return [json.loads(l) for l in open(self.log) if l.strip()]

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def test_open_item_files(certs, work):
    """An outbox file left open to others (a careless chmod, a restored
    backup) is closed to them when the outbox reads it, as the send log
    and accounts.json are (relay_file_open_own())."""
    work = os.path.join(work, "open-items")
    os.makedirs(work)
    proc, port, maildir, logpath = fake("451-once", certs, work)
    home = Home(port, certs)
    outbox = os.path.join(home.dir, "data", "mail-relay", "outbox")
    try:
        r = home.cli(["send", "--no-wait", "--to", "rcpt@example.org", "--subject", "open", "--body-file", "-"],
                     stdin="Hello\n")
        check(r.returncode == 0, "queued (%s)" % r.stderr)
        emls = [os.path.join(outbox, n) for n in os.listdir(outbox) if n.endswith(".eml")]
        check(len(emls) == 1, "one message waits: %r" % emls)
        for path in emls:
            os.chmod(path, 0o644)
        # greylisted once: the message is read, put off, and stays
        r = home.cli(["flush"])
        check([e["status"] for e in home.log()] == ["queued", "deferred"],
              "the message was read and deferred: %r (%s)" % ([e["status"] for e in home.log()], r.stderr[-200:]))
        check(all(os.stat(p).st_mode & 0o777 == 0o600 for p in emls),
              "the message file that others could read is closed to them: %r"
              % ["%o" % (os.stat(p).st_mode & 0o777) for p in emls])
    finally:
        proc.terminate()
        home.cleanup()


def test_unwritable_log(certs, work):
    """The send log cannot be written (read-only; as an unprivileged user,
    since root ignores modes): every message the server accepted is sent
    exactly once — no storm — the drain stops with a clear error, and the
    next run logs them as sent; send does not leave a message queued that
    it said it could not queue."""
    maildir = os.path.join(work, "readonly-mail")
    proc = subprocess.Popen([PYTHON, os.path.join(HERE, "fake-smtp-server.py"), "--scenario", "good",
                             "--maildir", maildir], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = int(proc.stdout.readline().split()[1])
    home = UnprivilegedHome(port, "outbox-readonly-")
    try:
        for i in range(3):
            home.cli(["send", "--no-wait", "--to", "rcpt@example.org", "--subject", "ro %d" % i,
                      "--body-file", "-"], stdin="Message %d\n" % i)
        os.chmod(home.log, 0o444)
        try:
            r = home.cli(["flush"])
            check(r.returncode == 1, "flush with an unwritable log exits 1 (%d)" % r.returncode)
            check("send log could not be written" in r.stderr, "and says why: %s" % r.stderr[-300:])
        except subprocess.TimeoutExpired:
            check(False, "flush with an unwritable log stops instead of sending on")
        got = received(maildir)
        check(0 < len(got) <= 3 and all(c == 1 for c, _ in got.values()),
              "no storm: what the server accepted was sent once: %r" % sorted(c for c, _ in got.values()))

        r = home.cli(["send", "--to", "rcpt@example.org", "--subject", "not queued", "--body-file", "-"],
                     stdin="Hello\n")
        check(r.returncode == 1, "send with an unwritable log exits 1")
        check(len(home.items()) == 3, "the message send could not log is not left in the outbox (%d items)"
              % len(home.items()))

        os.chmod(home.log, 0o644)
        r = home.cli(["flush"])
        check(r.returncode == 0, "once the log is writable, flush exits 0 (%s)" % r.stderr[-200:])
        events = home.events()
        check(sorted(e["subject"] for e in events if e["status"] == "sent") == ["ro 0", "ro 1", "ro 2"],
              "the messages accepted meanwhile are logged as sent: %r"
              % [(e["status"], e["subject"]) for e in events])
        check(not any(e["subject"] == "not queued" for e in events), "the unqueued message never appears")
        got = received(maildir)
        check(len(got) == 3 and all(c == 1 for c, _ in got.values()), "then all three, each exactly once")
        check(home.items() == [], "the outbox is empty")
    finally:
        proc.terminate()
        home.cleanup()


def test_unwritable_log_outcomes(certs, work):
    """A refusal, a deferral or an unanswered end of data that cannot be
    written to the send log leaves the message as it was, stops the drain,
    and is recorded by the next run: no outcome is lost unrecorded. (A
    message is marked "sending" before its envelope goes; when its data
    never went, the mark is released, so that the next run does not take
    it for unknown.)"""
    for scenario, outcome in (("mail-550", "failed"), ("mail-451-once", "sent"), ("rcpt-550", "failed"),
                              ("drop-in-data", "unknown")):
        maildir = os.path.join(work, "outcome-" + scenario)
        proc = subprocess.Popen([PYTHON, os.path.join(HERE, "fake-smtp-server.py"), "--scenario", scenario,
                                 "--maildir", maildir], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
                                text=True)
        port = int(proc.stdout.readline().split()[1])
        home = UnprivilegedHome(port, "outbox-outcome-")
        try:
            r = home.cli(["send", "--no-wait", "--to", "rcpt@example.org", "--subject", scenario,
                          "--body-file", "-"], stdin="Hello\n")
            check(r.returncode == 0, "%s: queued (%s)" % (scenario, r.stderr))
            os.chmod(home.log, 0o444)
            r = home.cli(["flush"])
            check(r.returncode == 1 and "send log could not be written" in r.stderr,
                  "%s: flush with an unwritable log stops, saying why (%d %s)"
                  % (scenario, r.returncode, r.stderr[-200:]))
            check(len(home.items()) == 1, "%s: the message stays in the outbox while its outcome is unrecorded"
                  % scenario)
            os.chmod(home.log, 0o644)
            r = home.cli(["flush"])
            statuses = [e["status"] for e in home.events() if e["subject"] == scenario]
            check(statuses == ["queued", outcome],
                  "%s: the next run records it %s, once: %r" % (scenario, outcome, statuses))
            check(home.items() == [], "%s: and the outbox is empty" % scenario)
            if scenario == "drop-in-data":
                check(len(received(maildir)) == 0, "%s: and it was not sent again" % scenario)
        finally:
            proc.terminate()
            home.cleanup()


def private_mounts():
    """A mount namespace of this test's own (and its children's), so that
    what it mounts is gone with it, even when it dies: None, or why not."""
    libc = ctypes.CDLL(None, use_errno=True)
    CLONE_NEWNS, MS_REC, MS_PRIVATE = 0x00020000, 0x4000, 1 << 18
    if libc.unshare(CLONE_NEWNS) != 0:
        return "unshare(CLONE_NEWNS): %s" % os.strerror(ctypes.get_errno())
    if libc.mount(b"none", b"/", None, MS_REC | MS_PRIVATE, None) != 0:
        return "mount --make-rprivate /: %s" % os.strerror(ctypes.get_errno())
    return None


def test_disk_full(certs, work):
    """The disk fills up while the server takes a message (the data folder
    is a 256 KiB tmpfs this test mounts, which the test's server fills
    after each message and empties at each MAIL: space comes and goes):
    the "sent" event cannot be appended (ENOSPC). That message is sent
    once, never again; flush stops with a clear error and sends nothing
    more; with room again, the next run reports it unknown and sends the
    others, each once. (The code before sent the first message again
    and again.)"""
    home = tempfile.mkdtemp(prefix="outbox-diskfull-")
    data = os.path.join(home, "data", "mail-relay")
    os.makedirs(data, mode=0o700)
    why = private_mounts()
    if why is None:
        r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k,mode=0700", "tmpfs", data],
                           capture_output=True, text=True)
        why = None if r.returncode == 0 else "mount -t tmpfs: %s" % r.stderr.strip()
    if why is not None:
        # the suite runs as root, where this works: a skip here is a failure
        check(False, "disk full: cannot mount a tmpfs (%s)" % why)
        shutil.rmtree(home, ignore_errors=True)
        return
    maildir = os.path.join(work, "diskfull-mail")
    serverlog = os.path.join(work, "diskfull.log")
    filler = os.path.join(data, "filler")
    proc = subprocess.Popen([PYTHON, os.path.join(HERE, "fake-smtp-server.py"), "--scenario", "good",
                             "--maildir", maildir, "--log", serverlog, "--fill-disk", filler],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = int(proc.stdout.readline().split()[1])
    env = dict(os.environ, HOME=home, LANGUAGE="C", XDG_CONFIG_HOME=os.path.join(home, "config"),
               XDG_DATA_HOME=os.path.join(home, "data"))
    log = os.path.join(data, "send-log.jsonl")

    def cli(args, stdin=""):
        return subprocess.run([CLI] + args, input=stdin, env=env, capture_output=True, text=True, timeout=30)

    def data_commands():
        return sum(1 for l in open(serverlog) if l.startswith("* data ")) if os.path.exists(serverlog) else 0
    try:
        r = cli(["account", "set", "--provider", "custom", "--host", "127.0.0.1", "--port", str(port),
                 "--security", "none", "--from", "me@example.org"])
        check(r.returncode == 0, "disk full: an account without sign-in (%s)" % r.stderr)
        for i in range(3):
            r = cli(["send", "--no-wait", "--to", "rcpt@example.org", "--subject", "full %d" % i,
                     "--body-file", "-"], stdin="Message %d\n" % i)
            check(r.returncode == 0, "disk full: message %d queued (%s)" % (i, r.stderr))
        # blank lines (which readers skip) up to a page boundary: the next
        # line needs a new page of the tmpfs, which will not be there
        with open(log, "a") as f:
            f.write("\n" * (-os.path.getsize(log) % 4096))
        open(filler + ".on", "w").close()
        try:
            r = cli(["flush"])
            check(r.returncode == 1, "disk full: flush exits 1 (%d)" % r.returncode)
            check("send log could not be written" in r.stderr and "No space left on device" in r.stderr,
                  "disk full: and says why: %s" % r.stderr.strip()[-300:])
        except subprocess.TimeoutExpired:
            check(False, "disk full: flush stops instead of sending on")
        got = received(maildir)
        first = data_commands()
        check(1 <= first <= 3 and len(got) == first and all(c == 1 for c, _ in got.values()),
              "disk full: what the server took was sent once, nothing again (%d DATA, %r)"
              % (first, sorted(c for c, _ in got.values())))

        os.unlink(filler + ".on")
        if os.path.exists(filler):
            os.unlink(filler)
        r = cli(["flush"])
        check(("unknown %d" % first) in r.stdout and r.returncode == (1 if first else 0),
              "disk full: with room again, flush reports %d unknown: %d %s" % (first, r.returncode, r.stdout.strip()))
        events = [json.loads(l) for l in open(log) if l.strip()]
        outcomes = sorted((e["subject"], e["status"]) for e in events if e["status"] != "queued")
        expected = sorted([("full %d" % i, "unknown") for i in range(min(first, 3))] +
                          [("full %d" % i, "sent") for i in range(first, 3)])
        check(outcomes == expected,
              "disk full: the next run reports what was taken unknown and sends the rest: %r" % outcomes)
        got = received(maildir)
        check(data_commands() == 3 and len(got) == 3 and all(c == 1 for c, _ in got.values()),
              "disk full: three DATA in all, each message once (%d, %r)"
              % (data_commands(), sorted(c for c, _ in got.values())))
        check(os.listdir(os.path.join(data, "outbox")) in ([".lock"], []), "disk full: the outbox is empty")
    finally:
        proc.terminate()
        proc.wait()
        subprocess.run(["umount", data])
        shutil.rmtree(home, ignore_errors=True)


def main():
    work = tempfile.mkdtemp(prefix="outbox-cli-")
    certs = os.path.join(work, "certs")
    subprocess.run([PYTHON, os.path.join(HERE, "make-certs.py"), certs], check=True, stdout=subprocess.DEVNULL)
    try:
        for test in (test_throttle, test_deferred, test_rejected, test_kill, test_damaged_items,
                     test_partial_recipients, test_mail_refused, test_421_reply, test_unwritable_log,
                     test_unwritable_log_outcomes, test_drip, test_international_address, test_private_folders,
                     test_open_item_files, test_disk_full):
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
