#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""P1: `mail-relay-cli test --send-to` against curl, both doing STARTTLS,
AUTH and one message to the same local aiosmtpd server, measured in the
same run. Prints both medians and the ratio (target: at most 1.2).

Usage: bench/test-vs-curl.py [BUILDDIR] [RUNS]
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.join(HERE, "..", "tests")
BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "build")
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 30
CLI = os.path.join(BUILD, "src", "cli", "mail-relay-cli")
PYTHON = "/usr/bin/python3"
USER, PASSWORD = "user@example.org", "right-pass"


def timed(argv, stdin, env):
    start = time.perf_counter()
    result = subprocess.run(argv, input=stdin, env=env, stdout=subprocess.DEVNULL,
                            stderr=subprocess.PIPE, timeout=60)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit("%s failed (%d): %s" % (argv[0], result.returncode, result.stderr.decode()[-500:]))
    return elapsed


def main():
    work = tempfile.mkdtemp(prefix="mail-relay-bench-")
    certs, out = os.path.join(work, "certs"), os.path.join(work, "out")
    os.makedirs(out)
    subprocess.run([PYTHON, os.path.join(TESTS, "make-certs.py"), certs], check=True,
                   stdout=subprocess.DEVNULL)
    server = subprocess.Popen([PYTHON, os.path.join(TESTS, "aiosmtpd-server.py"), certs, out],
                              stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    try:
        port = int(server.stdout.readline().split()[1])
        ca = os.path.join(certs, "ca.pem")
        message = os.path.join(work, "message.eml")
        with open(message, "w") as f:
            f.write("From: <%s>\r\nTo: <rcpt@example.org>\r\nSubject: bench\r\n\r\nHello.\r\n" % USER)
        netrc = os.path.join(work, "netrc")
        with open(netrc, "w") as f:
            f.write("machine 127.0.0.1 login %s password %s\n" % (USER, PASSWORD))
        os.chmod(netrc, 0o600)

        env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(work, "config"),
                   XDG_DATA_HOME=os.path.join(work, "data"))
        ours = [CLI, "test", "--host", "127.0.0.1", "--port", str(port), "--security", "starttls",
                "--username", USER, "--password-stdin", "--from", USER, "--ca-file", ca,
                "--send-to", "rcpt@example.org"]
        curl = ["curl", "--silent", "--show-error", "--url", "smtp://127.0.0.1:%d" % port,
                "--ssl-reqd", "--cacert", ca, "--netrc-file", netrc, "--mail-from", USER,
                "--mail-rcpt", "rcpt@example.org", "--upload-file", message]

        # warm up both, then alternate so that drift hits both alike
        timed(ours, PASSWORD.encode(), env)
        timed(curl, b"", env)
        a, b = [], []
        for _ in range(RUNS):
            a.append(timed(ours, PASSWORD.encode(), env))
            b.append(timed(curl, b"", env))

        received = len([f for f in os.listdir(out) if f.endswith(".eml")])
        if received != 2 * RUNS + 2:
            sys.exit("the server received %d messages, expected %d" % (received, 2 * RUNS + 2))

        ma, mb = statistics.median(a) * 1000, statistics.median(b) * 1000
        print("P1 test --send-to (STARTTLS, AUTH, 1 message), median of %d runs:" % RUNS)
        print("   mail-relay-cli test  %7.1f ms" % ma)
        print("   curl                 %7.1f ms" % mb)
        print("   ratio                %7.2f   (target <= 1.2)" % (ma / mb))
    finally:
        server.terminate()
        server.wait()
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
