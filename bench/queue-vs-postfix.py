#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Q: queueing one message per process. `mail-relay-cli send --no-wait`
(the message durable in the outbox and logged as queued before it says
Queued) against Postfix's `sendmail -t` (postdrop writes the message into
Postfix's maildrop queue, fsynced, before sendmail returns), the same
message, in alternating rounds of one process each, measured in the same
run. Prints both medians and the median of the per-round ratios (target:
at most 0.7).

Postfix is a private instance of its own: its own config_directory and
queue_directory in a scratch folder, no network listener
(master_service_disable = inet), every message discarded once queued
(default_transport = discard), started with `postfix -c DIR start` and
stopped at the end. Postfix's daemons run as its mail_owner, so this
needs root (as build-aux/install-deps and bench/run do).

Usage: bench/queue-vs-postfix.py [BUILDDIR] [ROUNDS]
"""
import os
import pwd
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

import private_postfix

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "build")
ROUNDS = int(sys.argv[2]) if len(sys.argv) > 2 else 200
CLI = os.path.join(BUILD, "src", "cli", "mail-relay-cli")
SENDMAIL = "/usr/sbin/sendmail"
POSTFIX = "/usr/sbin/postfix"
USER, RCPT = "user@example.org", "rcpt@example.org"
SUBJECT, BODY = "bench", "Hello.\n"


def start_postfix(work):
    """A private Postfix that queues and then discards; its config folder,
    or None after saying why there is none"""
    if not os.access(POSTFIX, os.X_OK) or not os.access(SENDMAIL, os.X_OK):
        print("Q: skipped, Postfix is not installed (build-aux/install-deps --bench installs it)")
        return None
    if os.getuid() != 0:
        print("Q: skipped, a private Postfix instance needs root (its daemons run as its mail_owner)")
        return None
    try:
        pwd.getpwnam("postfix")
    except KeyError:
        print("Q: skipped, there is no postfix user (Postfix's package makes it)")
        return None

    confdir, _, log = private_postfix.make(work, [
        "inet_interfaces = loopback-only",
        "master_service_disable = inet",
    ])
    if not private_postfix.ctl(confdir, "start"):
        with open(log) as f:
            print("Q: skipped, the private Postfix did not start:\n" + f.read()[-1500:])
        return None
    return confdir


def spawn(argv, stdin_path, env):
    """One process, from fork to exit, its input a file and its output
    discarded: nothing of Python's between the two"""
    with open(stdin_path, "rb") as stdin:
        start = time.perf_counter()
        proc = subprocess.Popen(argv, stdin=stdin, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
        _, err = proc.communicate()
        elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit("%s failed (%d): %s" % (argv[0], proc.returncode, err.decode(errors="replace")[-500:]))
    return elapsed


def count_discarded(confdir):
    return private_postfix.count_discarded(os.path.join(os.path.dirname(confdir), "postfix-data", "maillog"))


def main():
    work = tempfile.mkdtemp(prefix="mail-relay-bench-q-")
    confdir = None
    try:
        confdir = start_postfix(work)
        if confdir is None:
            return
        env = dict(os.environ, HOME=work, XDG_CONFIG_HOME=os.path.join(work, "config"),
                   XDG_DATA_HOME=os.path.join(work, "data"))
        subprocess.run([CLI, "account", "set", "--provider", "custom", "--host", "127.0.0.1", "--port", "2525",
                        "--security", "none", "--from", USER], env=env, check=True, capture_output=True)
        body = os.path.join(work, "body.txt")
        with open(body, "w") as f:
            f.write(BODY)
        message = os.path.join(work, "message.eml")
        with open(message, "w") as f:
            f.write("From: <%s>\nTo: <%s>\nSubject: %s\n\n%s" % (USER, RCPT, SUBJECT, BODY))
        postfix_env = dict(env, MAIL_CONFIG=confdir)

        ours = [CLI, "send", "--no-wait", "--to", RCPT, "--subject", SUBJECT, "--body-file", "-"]
        theirs = [SENDMAIL, "-t", "-i", "-f", USER]
        # one of each to warm the caches, not counted
        spawn(ours, body, env)
        spawn(theirs, message, postfix_env)

        times_ours, times_theirs, ratios = [], [], []
        for i in range(ROUNDS):
            # alternating which goes first
            if i % 2 == 0:
                a = spawn(ours, body, env)
                b = spawn(theirs, message, postfix_env)
            else:
                b = spawn(theirs, message, postfix_env)
                a = spawn(ours, body, env)
            times_ours.append(a)
            times_theirs.append(b)
            ratios.append(a / b)

        # what each did: every message is in the outbox, and Postfix queued
        # (and then discarded) every one of its
        outbox = os.path.join(work, "data", "mail-relay", "outbox")
        queued = len([n for n in os.listdir(outbox) if n.endswith(".json")])
        if queued != ROUNDS + 1:
            sys.exit("the outbox holds %d messages, expected %d" % (queued, ROUNDS + 1))
        for _ in range(200):
            if count_discarded(confdir) >= ROUNDS + 1:
                break
            time.sleep(0.05)
        discarded = count_discarded(confdir)
        if discarded != ROUNDS + 1:
            sys.exit("Postfix delivered %d messages from its queue, expected %d" % (discarded, ROUNDS + 1))

        print("Q queue one message per process, %d alternating rounds:" % ROUNDS)
        print("   mail-relay-cli send --no-wait  %7.2f ms  (median; durable in the outbox, logged as queued)"
              % (statistics.median(times_ours) * 1000))
        print("   Postfix sendmail -t (postdrop) %7.2f ms  (median; durable in its maildrop queue)"
              % (statistics.median(times_theirs) * 1000))
        print("   ratio                          %7.2f   (median of per-round ratios; target <= 0.7)"
              % statistics.median(ratios))
    finally:
        if confdir is not None:
            private_postfix.ctl(confdir, "stop")
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
