#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The outbox from the command line, against servers this test starts on
127.0.0.1: throttling across separate runs (a real server, aiosmtpd, with
STARTTLS and AUTH), a 451 deferred and retried, a 550 failed and not
retried, and a sending run killed with SIGKILL then run again.

Runs under build-aux/test (a real keyring on the session bus)."""
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
    results.append((bool(cond), what))
    return cond


class Home:
    """A private XDG tree with an account for the server at port."""
    def __init__(self, port, certs, extra=()):
        self.dir = tempfile.mkdtemp(prefix="outbox-")
        self.env = dict(os.environ, HOME=self.dir, LANGUAGE="C",
                        XDG_CONFIG_HOME=os.path.join(self.dir, "config"),
                        XDG_DATA_HOME=os.path.join(self.dir, "data"),
                        MAIL_RELAY_RETRY_BASE_SECONDS="1")
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
        r = home.cli(["send", "--to", "rcpt@example.org", "--subject", "greylisted", "--body-file", "-"],
                     stdin="Hello.\n")
        check(r.returncode == 0, "a 451 is retried and sent: exit 0 (%s)" % r.stderr[-200:])
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
    """Outbox files with members of the wrong type (a hand edit, a damaged
    disk) are skipped or read with defaults, never a critical warning
    (fatal under the tests' G_DEBUG) and never a crash."""
    proc, port, maildir, logpath = fake("good", certs, work)
    home = Home(port, certs)
    outbox = os.path.join(home.dir, "data", "mail-relay", "outbox")
    damaged = {
        "0000000000000001-recipients-string": {"recipients": "rcpt@example.org"},
        "0000000000000002-recipient-number": {"recipients": [1, "rcpt@example.org"]},
        "0000000000000003-odd-members": {"recipients": ["rcpt@example.org"], "message_id": [],
                                         "from": {}, "subject": 5, "attempt": [1],
                                         "state": {"x": 1}, "next_attempt": "soon"},
    }
    try:
        os.makedirs(outbox, exist_ok=True)
        for name, item in damaged.items():
            with open(os.path.join(outbox, name + ".json"), "w") as f:
                json.dump(item, f)
        r = home.cli(["flush"])
        check(r.returncode in (0, 1), "flush over damaged outbox files exits 0 or 1, not a crash (%d)"
              % r.returncode)
        check("CRITICAL" not in r.stderr and "WARNING" not in r.stderr,
              "no critical or warning for members of the wrong type: %s" % r.stderr[-300:])
        left = sorted(os.listdir(outbox))
        check("0000000000000001-recipients-string.json" in left and
              "0000000000000002-recipient-number.json" in left,
              "items without a list of addresses are left on disk untouched: %r" % left)
    finally:
        proc.terminate()
        home.cleanup()


def main():
    work = tempfile.mkdtemp(prefix="outbox-cli-")
    certs = os.path.join(work, "certs")
    subprocess.run([PYTHON, os.path.join(HERE, "make-certs.py"), certs], check=True, stdout=subprocess.DEVNULL)
    try:
        for test in (test_throttle, test_deferred, test_rejected, test_kill, test_damaged_items):
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
