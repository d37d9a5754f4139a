#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""P2: 1,000 queued messages flushed through the outbox against a Python
smtplib loop sending the same messages over one connection, both with
STARTTLS and AUTH to the same local aiosmtpd server, measured in the same
run. The outbox keeps its log durable (fsync) all along; smtplib writes
nothing. Target: at most 1.2x. The same against Postfix's smtp-sink and
a real Postfix, in alternating rounds, are F1 and F2
(bench/flush-vs-smtplib.py).

Usage: bench/outbox-vs-smtplib.py [BUILDDIR] [MESSAGES]
"""
import os
import smtplib
import ssl
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.join(HERE, "..", "tests")
BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "build")
COUNT = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
CLI = os.path.join(BUILD, "src", "cli", "mail-relay-cli")
PYTHON = "/usr/bin/python3"
USER, PASSWORD = "user@example.org", "right-pass"


def configure_and_queue(env, port, security, extra, sign_in=True):
    credentials = ["--username", USER, "--password-stdin"] if sign_in else []
    subprocess.run([CLI, "account", "set", "--provider", "custom", "--host", "127.0.0.1", "--port", str(port),
                    "--security", security, "--from", USER] + credentials + extra,
                   input=PASSWORD + "\n", text=True, env=env, check=True, capture_output=True)
    for i in range(COUNT):
        subprocess.run([CLI, "send", "--no-wait", "--to", "rcpt@example.org", "--subject", "bench %d" % i,
                        "--body-file", "-"], input="Message %d.\n" % i, text=True, env=env, check=True,
                       capture_output=True)


def flush(env):
    start = time.perf_counter()
    result = subprocess.run([CLI, "flush"], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit("flush failed: " + result.stderr[-300:])
    return elapsed


def smtplib_loop(port, context, sign_in=True):
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        if context is not None:
            smtp.starttls(context=context)
        if sign_in:
            smtp.login(USER, PASSWORD)
        for i in range(COUNT):
            smtp.sendmail(USER, ["rcpt@example.org"],
                          "From: <%s>\r\nTo: <rcpt@example.org>\r\nSubject: bench %d\r\n\r\nMessage %d.\r\n"
                          % (USER, i, i))
    return time.perf_counter() - start


def report(what, ours, theirs, target):
    print("P2 %d messages %s:" % (COUNT, what))
    print("   mail-relay-cli flush  %8.1f ms  (durable: each message marked sending, the log's fsyncs grouped)"
          % (ours * 1000))
    print("   python smtplib loop   %8.1f ms" % (theirs * 1000))
    print("   ratio                 %8.2f   %s" % (ours / theirs, target))


def main():
    work = tempfile.mkdtemp(prefix="mail-relay-bench-")
    certs, out = os.path.join(work, "certs"), os.path.join(work, "out")
    os.makedirs(out)
    subprocess.run([PYTHON, os.path.join(TESTS, "make-certs.py"), certs], check=True, stdout=subprocess.DEVNULL)
    server = subprocess.Popen([PYTHON, os.path.join(TESTS, "aiosmtpd-server.py"), certs, out],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        port = int(server.stdout.readline().split()[1])
        ca = os.path.join(certs, "ca.pem")
        env = dict(os.environ, HOME=work, XDG_CONFIG_HOME=os.path.join(work, "config"),
                   XDG_DATA_HOME=os.path.join(work, "data"))
        configure_and_queue(env, port, "starttls", ["--ca-file", ca])
        ours = flush(env)
        theirs = smtplib_loop(port, ssl.create_default_context(cafile=ca))

        received = len([f for f in os.listdir(out) if f.endswith(".eml")])
        if received != 2 * COUNT:
            sys.exit("the server received %d messages, expected %d" % (received, 2 * COUNT))

        report("with STARTTLS and AUTH to aiosmtpd, one connection each", ours, theirs, "(target <= 1.2)")
    finally:
        server.terminate()
        server.wait()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
