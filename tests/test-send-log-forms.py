#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The send log as other tools write it, from the command line
(docs/send-log.md): lines written by Python's json.dumps, by jq, with the
members in another order, are events for `log`, `log --json`,
`log --status` and `log --limit`; a line that is not an event is counted
in a warning on stderr, never dropped in silence. And a log whose last
line a crash tore: the next `send` (to an aiosmtpd server this test starts
on 127.0.0.1) moves the torn piece aside before it appends, so every line
of the file is JSON.

Runs under build-aux/test (a real keyring on the session bus)."""
import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CLI = os.environ["MAIL_RELAY_CLI"]
PYTHON = "/usr/bin/python3"
USER, PASSWORD = "user@example.org", "right-pass"
MEMBERS = ("time", "message_id", "status", "recipients", "subject", "attempt", "reply")
results = []


def check(cond, what):
    results.append((bool(cond), what))
    return cond


class Home:
    """A private XDG tree"""
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="send-log-forms-")
        self.env = dict(os.environ, HOME=self.dir, LANGUAGE="C", LC_ALL="C.UTF-8",
                        XDG_CONFIG_HOME=os.path.join(self.dir, "config"),
                        XDG_DATA_HOME=os.path.join(self.dir, "data"))
        self.log_path = os.path.join(self.dir, "data", "mail-relay", "send-log.jsonl")
        os.makedirs(os.path.dirname(self.log_path), mode=0o700)

    def cli(self, args, stdin="", timeout=120):
        return subprocess.run([CLI] + args, input=stdin, env=self.env, capture_output=True,
                              text=True, timeout=timeout)

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


def event(n, status, subject):
    return {"time": "2026-11-28T03:00:%02d.000+00:00" % n, "message_id": "<%d@example.org>" % n,
            "status": status, "recipients": ["rcpt%d@example.org" % n], "subject": subject,
            "attempt": 1, "reply": "550 5.1.1 No such user" if status == "failed" else "250 2.0.0 Ok"}


def own_form(obj):
    # the app's writer: json-glib, compact, members in the header's order
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def jq_form(obj):
    # jq -c -S, or what it prints when jq is not installed
    if shutil.which("jq"):
        r = subprocess.run(["jq", "-c", "-S", "."], input=json.dumps(obj), capture_output=True,
                           text=True, check=True)
        return r.stdout.strip()
    return json.dumps(obj, separators=(",", ":"), sort_keys=True)


def is_event(line):
    try:
        obj = json.loads(line)
    except ValueError:
        return False
    return isinstance(obj, dict) and all(m in obj for m in MEMBERS)


def test_forms():
    home = Home()
    try:
        reordered = event(4, "failed", "reordered")
        reordered = {k: reordered[k] for k in reversed(list(reordered))}
        lines = [
            own_form(event(1, "sent", "own form")),
            json.dumps(event(2, "failed", "python json.dumps")),        # ", " and ": "
            "this line is not JSON",
            jq_form(event(3, "sent", "jq -c -S")),
            own_form(reordered),                                        # compact, other order
            json.dumps(event(5, "failed", "中文 ensure_ascii")),          # \u escapes
            json.dumps({k: v for k, v in event(6, "failed", "no reply").items() if k != "reply"}),
            own_form(event(7, "deferred", "own again")),
        ]
        with open(home.log_path, "w", encoding="utf-8") as f:
            f.write("\n".join(lines) + "\n")
        events = [l for l in lines if is_event(l)]
        failed = [l for l in events if json.loads(l)["status"] == "failed"]
        check(len(events) == 6 and len(failed) == 3, "the test log: 6 events, 3 failed, 2 lines that are not")
        warning = "warning: 2 lines of %s are not send log events" % home.log_path

        r = home.cli(["log", "--json"])
        check(r.returncode == 0, "log --json exits 0: %d %s" % (r.returncode, r.stderr))
        check(r.stdout.splitlines() == events,
              "log --json lists every event in any form, as stored: %r" % r.stdout.splitlines())
        check(all(json.loads(l) for l in r.stdout.splitlines()), "log --json prints JSON Lines")
        check(warning in r.stderr, "log --json warns with the file and the count: %r" % r.stderr)

        r = home.cli(["log", "--json", "--status", "failed"])
        check(r.stdout.splitlines() == failed,
              "log --json --status failed matches json.dumps and reordered lines: %r" % r.stdout.splitlines())
        check(warning in r.stderr, "log --status warns too: %r" % r.stderr)

        r = home.cli(["log"])
        check(r.returncode == 0, "log exits 0")
        for subject in ("own form", "python json.dumps", "jq -c -S", "reordered", "中文 ensure_ascii", "own again"):
            check(subject in r.stdout, "log lists “%s”" % subject)
        check("no reply" not in r.stdout, "log does not list the object without a reply")
        check(warning in r.stderr, "log warns with the file and the count: %r" % r.stderr)

        r = home.cli(["log", "--status", "failed"])
        rows = [l for l in r.stdout.splitlines()[1:] if l.strip()]
        check(len(rows) == 3 and all("failed" in l for l in rows), "log --status failed: 3 rows: %r" % rows)

        r = home.cli(["log", "--json", "--limit", "100"])
        check(r.stdout.splitlines() == events, "log --json --limit 100 lists every event")
        check(warning in r.stderr, "log --limit warns with the count of what it read: %r" % r.stderr)
        r = home.cli(["log", "--json", "--limit", "3"])
        check(r.stdout.splitlines() == events[-3:], "log --json --limit 3: the newest three events")
        r = home.cli(["log", "--json", "--limit", "2", "--status", "failed"])
        check(r.stdout.splitlines() == failed[-2:], "log --json --limit 2 --status failed")

        # nothing to say when every line is an event
        with open(home.log_path, "w", encoding="utf-8") as f:
            f.write("\n".join(events) + "\n\n")
        r = home.cli(["log", "--json"])
        check(r.stdout.splitlines() == events and r.stderr == "",
              "no warning for a log of events (a blank line is nothing): %r" % r.stderr)
    finally:
        home.cleanup()


def test_torn_tail(certs, work):
    out = os.path.join(work, "aiosmtpd")
    os.makedirs(out)
    proc = subprocess.Popen([PYTHON, os.path.join(HERE, "aiosmtpd-server.py"), certs, out],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = int(proc.stdout.readline().split()[1])
    home = Home()
    try:
        r = home.cli(["account", "set", "--provider", "custom", "--host", "127.0.0.1",
                      "--port", str(port), "--security", "starttls", "--username", USER,
                      "--password-stdin", "--from", USER, "--ca-file", os.path.join(certs, "ca.pem")],
                     stdin=PASSWORD + "\n")
        check(r.returncode == 0, "account set: %s" % r.stderr)

        first = own_form(event(1, "sent", "before the crash"))
        torn = '{"time":"2026-11-28T03:00:02.000+00:00","status":"se'
        with open(home.log_path, "w", encoding="utf-8") as f:
            f.write(first + "\n" + torn)

        r = home.cli(["send", "--to", "rcpt@example.org", "--subject", "after the crash",
                      "--body-file", "-"], stdin="Hello.\n")
        check(r.returncode == 0, "send exits 0: %s" % r.stderr)

        data = open(home.log_path, "rb").read()
        check(data.endswith(b"\n"), "the log ends with a newline")
        lines = data.decode("utf-8").splitlines()
        parsed = []
        for line in lines:
            try:
                parsed.append(json.loads(line))
            except ValueError:
                check(False, "a line of the log is not JSON: %r" % line)
        check(len(parsed) == len(lines), "every line of the log parses with Python's json (%d lines)" % len(lines))
        check(lines[0] == first, "the line before the tear is kept")
        check(torn not in data.decode("utf-8"), "the torn piece is no longer in the log")
        check(any(p.get("subject") == "after the crash" and p.get("status") == "sent" for p in parsed),
              "the new message's events are whole lines")

        moved = glob.glob(home.log_path + ".torn-*")
        check(len(moved) == 1, "the torn piece is moved beside the log, as the loader moves it: %r" % moved)
        if moved:
            check(open(moved[0]).read() == torn, "the moved file holds the torn piece, exactly")

        r = home.cli(["log", "--json"])
        check(r.stderr == "" and len(r.stdout.splitlines()) == len(lines),
              "log --json afterwards: every line, no warning: %r" % r.stderr)
    finally:
        proc.terminate()
        proc.wait()
        home.cli(["account", "delete"])
        home.cleanup()


def main():
    work = tempfile.mkdtemp(prefix="send-log-forms-")
    certs = os.path.join(work, "certs")
    subprocess.run([PYTHON, os.path.join(HERE, "make-certs.py"), certs], check=True, stdout=subprocess.DEVNULL)
    try:
        for test in (test_forms, lambda: test_torn_tail(certs, work)):
            try:
                test()
            except Exception as e:  # a crash in one part is a failure, not a hang
                check(False, "%s raised %r" % (getattr(test, "__name__", "test"), e))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print("TAP version 13")
    for i, (ok, what) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, what))
    print("1..%d" % len(results))
    return 0 if all(ok for ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
