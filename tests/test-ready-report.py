#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The benchmark's ready-report (src/app/relay-ready-report.c), which
bench/startup-vs-adw.py times the app by: MAIL_RELAY_REPORT_READY=frame
prints "ready" once, after the first frame; =rows only once rows of the
Send Log are shown; another value is named on stderr and reports nothing;
without the variable the app prints nothing.

Runs mail-relay itself, under the Xvfb and D-Bus session of
build-aux/test-session, in private XDG directories.
Usage: test-ready-report.py MAIL_RELAY"""
import json
import os
import select
import signal
import subprocess
import sys
import tempfile
import time

APP = sys.argv[1]
READY_TIMEOUT = 60   # s: a loaded machine, and the sanitizer build
results = []


def check(cond, what):
    results.append((bool(cond), what))
    return cond


def environment(home, page, report):
    config = os.path.join(home, "config")
    directory = os.path.join(config, "glib-2.0", "settings")
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "keyfile"), "w") as f:
        f.write("[io/github/mailrelay/MailRelay]\nlast-page='%s'\n" % page)
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=config, XDG_DATA_HOME=os.path.join(home, "data"),
               XDG_CACHE_HOME=os.path.join(home, "cache"), GSETTINGS_BACKEND="keyfile")
    env.pop("MAIL_RELAY_REPORT_READY", None)
    if report is not None:
        env["MAIL_RELAY_REPORT_READY"] = report
    return env


def run(env, seconds):
    """The app's stdout, its stderr and the seconds it took to say
    "ready": after "ready" and a second more, or after @seconds"""
    started = time.monotonic()
    proc = subprocess.Popen([APP], env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    out = b""
    elapsed = None
    try:
        deadline = started + seconds
        while time.monotonic() < deadline and b"ready\n" not in out:
            ready, _, _ = select.select([proc.stdout], [], [], 0.1)
            if ready:
                chunk = os.read(proc.stdout.fileno(), 4096)
                if not chunk:
                    break
                out += chunk
        if b"ready\n" in out:
            elapsed = time.monotonic() - started
            # a second report would come with the next frames
            time.sleep(1)
    finally:
        proc.send_signal(signal.SIGTERM)
        rest, err = proc.communicate(timeout=30)
    return (out + rest).decode(), err.decode(), elapsed


def write_log(home, n):
    directory = os.path.join(home, "data", "mail-relay")
    os.makedirs(directory, mode=0o700, exist_ok=True)
    with open(os.path.join(directory, "send-log.jsonl"), "w") as f:
        for i in range(n):
            f.write(json.dumps({"time": "2026-12-03T09:41:%02d+00:00" % i, "message_id": "%d@example.org" % i,
                                "status": "sent", "recipients": ["a@example.org"], "subject": "S %d" % i,
                                "attempt": 1, "reply": "250 2.0.0 Ok"}) + "\n")


def main():
    root = tempfile.mkdtemp(prefix="ready-report-")

    home = os.path.join(root, "frame")
    out, err, frame = run(environment(home, "setup", "frame"), READY_TIMEOUT)
    check(out == "ready\n", "=frame: \"ready\" once, after the first frame (stdout %r)" % out)

    home = os.path.join(root, "rows")
    write_log(home, 20)
    out, err, rows = run(environment(home, "log", "rows"), READY_TIMEOUT)
    check(out == "ready\n", "=rows on a log of 20 events: \"ready\" once (stdout %r)" % out)

    # where nothing is to be reported: well past the time the app took to
    # show its window and its rows on this machine just now
    quiet = 2 * max(frame, rows) + 2 if frame and rows else 10

    home = os.path.join(root, "no-rows")
    out, err, _ = run(environment(home, "log", "rows"), quiet)
    check(out == "", "=rows on an empty log: nothing, its frames show no rows (stdout %r)" % out)

    home = os.path.join(root, "unset")
    write_log(home, 20)
    out, err, _ = run(environment(home, "log", None), quiet)
    check(out == "", "without the variable: nothing on stdout (stdout %r)" % out)

    home = os.path.join(root, "other")
    out, err, _ = run(environment(home, "setup", "yes"), quiet)
    check(out == "" and "MAIL_RELAY_REPORT_READY" in err and "yes" in err,
          "=yes: named on stderr, nothing reported (stdout %r, stderr %r)" % (out, err[-300:]))

    print("TAP version 13")
    for i, (ok, what) in enumerate(results, 1):
        print("%s %d %s" % ("ok" if ok else "not ok", i, what))
    print("1..%d" % len(results))
    return 0 if all(ok for ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
