#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Text from a server never reaches the terminal raw: a greeting and a
reply full of escape sequences (a new terminal title, an erased line, a
forged "✓ auth ok"), backspaces and a right-to-left override are shown
with those characters replaced, by `test` and by `log`; `log --json`
keeps the reply as the server sent it, escaped as JSON. GLib's own
messages go to stderr, so that link-gmail's URL stays alone on stdout.

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
BAD = ["\x1b", "\x07", "\x08", "\r", "\u202e"]
results = []


def check(cond, what):
    results.append((bool(cond), what))
    return cond


def main():
    work = tempfile.mkdtemp(prefix="terminal-safety-")
    env = dict(os.environ, HOME=work, LANGUAGE="C",
               XDG_CONFIG_HOME=os.path.join(work, "config"), XDG_DATA_HOME=os.path.join(work, "data"),
               MAIL_RELAY_RETRY_BASE_SECONDS="600")
    proc = subprocess.Popen([PYTHON, os.path.join(HERE, "fake-smtp-server.py"), "--scenario", "escape-text"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = int(proc.stdout.readline().split()[1])

    def cli(args, stdin=""):
        return subprocess.run([CLI] + args, input=stdin, env=env, capture_output=True, timeout=60)

    try:
        account = ["--provider", "custom", "--host", "127.0.0.1", "--port", str(port),
                   "--security", "none", "--from", "me@example.org"]
        r = cli(["test"] + account)
        out = r.stdout.decode("utf-8", "replace") + r.stderr.decode("utf-8", "replace")
        check("ESMTP" in out, "test shows the greeting: %r" % out[:300])
        check(not any(c in out.replace("\r\n", "\n") for c in BAD),
              "test prints no control or bidirectional character from the server: %r" % out[:400])

        check(cli(["account", "set"] + account).returncode == 0, "an account for the server")
        cli(["send", "--to", "rcpt@example.org", "--subject", "s", "--body-file", "-"], stdin=b"Hello\n")
        r = cli(["log"])
        out = r.stdout.decode("utf-8", "replace")
        check("such user" in out, "log shows the reply: %r" % out[-300:])
        check(not any(c in out for c in BAD), "log prints no control or bidirectional character: %r" % out[-300:])
        r = cli(["log", "--json"])
        events = [json.loads(l) for l in r.stdout.decode().splitlines() if l.strip()]
        check(events and "\x1b[31m" in events[-1]["reply"],
              "log --json keeps the server's reply as it was (JSON escapes it)")

        # GLib's debug messages go to stderr: stdout stays the result alone
        debug = dict(env, G_MESSAGES_DEBUG="all", MAIL_RELAY_GOOGLE_CLIENT_ID="test-client",
                     MAIL_RELAY_GOOGLE_AUTH_URL="http://127.0.0.1:9/auth",
                     MAIL_RELAY_GOOGLE_TOKEN_URL="http://127.0.0.1:9/token")
        r = subprocess.run([CLI, "link-gmail", "--no-browser", "--timeout", "1"], env=debug,
                           capture_output=True, timeout=60)
        lines = r.stdout.decode("utf-8", "replace").splitlines()
        check(lines and lines[0].startswith("http://127.0.0.1:9/auth?"),
              "with G_MESSAGES_DEBUG=all, link-gmail's first line is still the URL alone: %r" % lines[:2])
        check(not any("Waiting for the browser" in l for l in lines),
              "and GLib's debug lines are on stderr, not stdout")
    finally:
        proc.terminate()
        shutil.rmtree(work, ignore_errors=True)

    print("TAP version 13")
    for i, (ok, what) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, what.replace("\n", " ")))
    print("1..%d" % len(results))
    return 0 if all(ok for ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
