#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""`mail-relay-cli sandbox` as a person uses it: start it, read the
password from the keyring, pass the test against it with a message, stop
it. Runs under build-aux/test (a real keyring on the session bus)."""
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time

CLI = os.environ["MAIL_RELAY_CLI"]
def lookup_argv(port):
    return ["secret-tool", "lookup", "xdg:schema", "io.github.mailrelay.MailRelay",
            "account", "sandbox-%d" % port, "kind", "password"]
results = []


def check(cond, what):
    results.append((bool(cond), what))
    return cond


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main():
    home = tempfile.mkdtemp(prefix="sandbox-cli-")
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, "config"),
               XDG_DATA_HOME=os.path.join(home, "data"), LANGUAGE="C")
    port = free_port()
    out_path = os.path.join(home, "sandbox.out")
    server = subprocess.Popen([CLI, "sandbox", "--port", str(port)], env=env,
                              stdout=open(out_path, "w"), stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 15
        text = ""
        while time.monotonic() < deadline and "Press Ctrl+C" not in text:
            time.sleep(0.1)
            text = open(out_path).read()
        check("Press Ctrl+C" in text, "the server says it is running")
        fields = dict(line.split(None, 1) for line in text.splitlines()
                      if line.startswith("  ") and len(line.split(None, 1)) == 2)
        check(fields.get("STARTTLS") == str(port), "STARTTLS on the asked port")
        check(" ".join(lookup_argv(port)) in text, "the command that reads the password is shown")
        sha = fields.get("SHA-256", "")
        check(len(sha) == 64, "certificate fingerprint printed")

        password = subprocess.run(lookup_argv(port), env=env, capture_output=True, text=True).stdout
        check(len(password) == 24, "the password is in the keyring")
        check(password not in text, "the password is never printed")

        test = subprocess.run([CLI, "test", "--provider", "local", "--port", str(port),
                               "--username", "sandbox", "--password-stdin", "--pin", sha,
                               "--from", "you@example.org", "--send-to", "you@example.org",
                               "--json"], input=password, env=env, capture_output=True,
                              text=True, timeout=30)
        check(test.returncode == 0, "test exits 0 (%d: %s)" % (test.returncode, test.stderr[-300:]))
        result = json.loads(test.stdout or "{}")
        check(result.get("ok") is True, "test ok")
        check([s["step"] for s in result.get("steps", [])] ==
              ["resolve", "connect", "greeting", "ehlo", "starttls", "tls", "ehlo", "auth",
               "mail", "rcpt", "data", "quit"], "every step, STARTTLS included")
        check(result.get("tls", {}).get("pinned") is True, "accepted through the pin")
        check(password not in test.stdout + test.stderr, "no password in the test's output")

        time.sleep(0.3)
        check("Received message 1 from <you@example.org>" in open(out_path).read(),
              "the server reports the message")

        # the saved account, its password read back from the keyring
        saved = subprocess.run([CLI, "account", "set", "--provider", "local", "--port", str(port),
                                "--password-stdin", "--pin", sha, "--from", "you@example.org"],
                               input=password, env=env, capture_output=True, text=True, timeout=30)
        check(saved.returncode == 0, "account set for the test server (%s)" % saved.stderr[-200:])
        again = subprocess.run([CLI, "test", "--json"], env=env, capture_output=True, text=True,
                               timeout=30)
        check(again.returncode == 0 and json.loads(again.stdout or "{}").get("ok") is True,
              "test of the saved account, password from the keyring (%s)" % again.stderr[-200:])
        check(any(s["step"] == "auth" and s["ok"] for s in json.loads(again.stdout or "{}").get("steps", [])),
              "the saved account signs in")
        subprocess.run([CLI, "account", "delete"], env=env, capture_output=True, timeout=30)

        wrong = subprocess.run([CLI, "test", "--provider", "local", "--port", str(port),
                                "--username", "sandbox", "--password-stdin", "--pin", "0" * 64,
                                "--json"], input=password, env=env, capture_output=True,
                               text=True, timeout=30)
        check(wrong.returncode == 1 and json.loads(wrong.stdout)["error"]["kind"] == "tls",
              "a wrong pin fails with kind tls")
    finally:
        server.send_signal(signal.SIGTERM)
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
    check(server.returncode == 0, "stops cleanly on SIGTERM")
    after = subprocess.run(lookup_argv(port), env=env, capture_output=True, text=True)
    check(after.returncode != 0 and after.stdout == "", "the password leaves the keyring with the server")
    subprocess.run(["rm", "-rf", home])

    print("TAP version 13")
    for i, (ok, what) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, what))
    print("1..%d" % len(results))
    return 0 if all(ok for ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
