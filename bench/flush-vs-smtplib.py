#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""F1 and F2: `mail-relay-cli flush` of MESSAGES queued messages against a
Python smtplib loop sending the same messages over one connection, in
alternating rounds (each round queues the messages afresh, in an outbox
of its own, and which client goes first alternates), measured in the same
run. Prints both medians and the median of the per-round ratios (target:
at most 0.9). The outbox stays durable all along; smtplib keeps nothing.

F1: to Postfix's smtp-sink, which accepts as fast as it reads (no TLS, no
AUTH): what is left is the clients' own cost.

F2: to a real Postfix, a private instance of its own (its own
config_directory and queue_directory in a scratch folder, as in
bench/queue-vs-postfix.py) with an smtpd on 127.0.0.1 offering STARTTLS
with a throw-away certificate (tests/make-certs.py) and AUTH (Cyrus SASL,
PLAIN and LOGIN, checked against a sasldb of its own; AUTH only after
STARTTLS). Postfix queues every message durably and then discards it
(default_transport = discard), so its queue empties; every round waits
until Postfix has discarded all of them. Postfix's daemons run as its
mail_owner, so F2 needs root (as build-aux/install-deps and bench/run do),
and Cyrus SASL's saslpasswd2 (Debian's sasl2-bin) and PLAIN/LOGIN modules
(libsasl2-modules).

Usage: bench/flush-vs-smtplib.py [BUILDDIR] [MESSAGES] [ROUNDS]
"""
import glob
import os
import pwd
import shutil
import smtplib
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time

import private_postfix

HERE = os.path.dirname(os.path.abspath(__file__))
TESTS = os.path.join(HERE, "..", "tests")
BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "build")
COUNT = int(sys.argv[2]) if len(sys.argv) > 2 else 1000
ROUNDS = int(sys.argv[3]) if len(sys.argv) > 3 else 3
CLI = os.path.join(BUILD, "src", "cli", "mail-relay-cli")
PYTHON = "/usr/bin/python3"
POSTFIX = "/usr/sbin/postfix"
SASLPASSWD2 = "/usr/sbin/saslpasswd2"
USER, PASSWORD = "user@example.org", "right-pass"
RCPT = "rcpt@example.org"


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_port(port):
    for _ in range(200):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def configure(env, port, security, extra, sign_in):
    credentials = ["--username", USER, "--password-stdin"] if sign_in else []
    subprocess.run([CLI, "account", "set", "--provider", "custom", "--host", "127.0.0.1", "--port", str(port),
                    "--security", security, "--from", USER] + credentials + extra,
                   input=PASSWORD + "\n", text=True, env=env, check=True, capture_output=True)


def queue(env):
    for i in range(COUNT):
        subprocess.run([CLI, "send", "--no-wait", "--to", RCPT, "--subject", "bench %d" % i,
                        "--body-file", "-"], input="Message %d.\n" % i, text=True, env=env, check=True,
                       capture_output=True)


def flush(env):
    start = time.perf_counter()
    result = subprocess.run([CLI, "flush"], env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit("flush failed: " + result.stderr[-300:])
    return elapsed


def count_sent(env):
    """How many messages the send log records as sent"""
    result = subprocess.run([CLI, "log", "--json", "--status", "sent"], env=env, capture_output=True,
                            text=True, check=True)
    return sum(1 for line in result.stdout.splitlines() if line.strip())


def smtplib_loop(port, context, sign_in):
    start = time.perf_counter()
    with smtplib.SMTP("127.0.0.1", port) as smtp:
        if context is not None:
            smtp.starttls(context=context)
        if sign_in:
            smtp.login(USER, PASSWORD)
        for i in range(COUNT):
            smtp.sendmail(USER, [RCPT],
                          "From: <%s>\r\nTo: <%s>\r\nSubject: bench %d\r\n\r\nMessage %d.\r\n"
                          % (USER, RCPT, i, i))
    return time.perf_counter() - start


def alternating_rounds(label, work, port, security, extra, sign_in, context, settle):
    """ROUNDS rounds of flush and the smtplib loop, which goes first
    alternating; each round queues COUNT messages into an outbox of its
    own first (not timed). settle(N) waits, after each client, until the
    server has done with the N messages both have sent so far, so that
    neither is timed against the other's leftovers."""
    env = dict(os.environ, HOME=work, XDG_CONFIG_HOME=os.path.join(work, label + "-config"))
    configure(dict(env, XDG_DATA_HOME=os.path.join(work, label + "-data-setup")), port, security, extra, sign_in)
    ours, theirs, ratios = [], [], []
    for r in range(ROUNDS):
        round_env = dict(env, XDG_DATA_HOME=os.path.join(work, "%s-data-%d" % (label, r)))
        queue(round_env)
        if r % 2 == 0:
            a = flush(round_env)
            settle(COUNT * (2 * r + 1))
            b = smtplib_loop(port, context, sign_in)
        else:
            b = smtplib_loop(port, context, sign_in)
            settle(COUNT * (2 * r + 1))
            a = flush(round_env)
        settle(COUNT * (2 * r + 2))
        sent = count_sent(round_env)
        if sent != COUNT:
            sys.exit("%s: flush logged %d messages sent, expected %d" % (label, sent, COUNT))
        ours.append(a)
        theirs.append(b)
        ratios.append(a / b)
    return ours, theirs, ratios


def report(label, what, ours, theirs, ratios):
    print("%s %d messages %s, %d alternating rounds:" % (label, COUNT, what, len(ratios)))
    print("   mail-relay-cli flush  %8.1f ms  (median; durable: each message marked sending, outcomes logged)"
          % (statistics.median(ours) * 1000))
    print("   python smtplib loop   %8.1f ms  (median; one connection, keeps nothing)"
          % (statistics.median(theirs) * 1000))
    print("   ratio                 %8.2f   (median of per-round ratios: %s; target <= 0.9)"
          % (statistics.median(ratios), ", ".join("%.2f" % x for x in ratios)))


def f1(work):
    """Both clients against Postfix's smtp-sink: plaintext on the loopback,
    no AUTH (smtp-sink has no TLS, and answers AUTH with 250 where RFC 4954
    says 235), PIPELINING offered."""
    sink = shutil.which("smtp-sink") or "/usr/sbin/smtp-sink"
    if not os.access(sink, os.X_OK):
        print("F1: skipped, Postfix's smtp-sink is not installed (build-aux/install-deps --bench installs it)")
        return
    port = free_port()
    argv = [sink, "-a"]
    if os.getuid() == 0:
        argv += ["-u", "nobody"]
    server = subprocess.Popen(argv + ["127.0.0.1:%d" % port, "128"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        if not wait_for_port(port):
            sys.exit("F1: smtp-sink did not listen on 127.0.0.1:%d" % port)
        ours, theirs, ratios = alternating_rounds("f1", work, port, "none", [], False, None, lambda n: None)
        report("F1", "to Postfix's smtp-sink, no TLS, no AUTH", ours, theirs, ratios)
    finally:
        server.terminate()
        server.wait()


def postfix_why_not():
    """Why a private Postfix with SASL cannot run here, or None"""
    if not os.access(POSTFIX, os.X_OK):
        return "Postfix is not installed"
    if not os.access(SASLPASSWD2, os.X_OK):
        return "Cyrus SASL's saslpasswd2 is not installed (Debian's sasl2-bin)"
    if not glob.glob("/usr/lib/*/sasl2/libplain.so*"):
        return "Cyrus SASL's PLAIN module is not installed (Debian's libsasl2-modules)"
    if os.getuid() != 0:
        return "a private Postfix instance needs root (its daemons run as its mail_owner)"
    try:
        pwd.getpwnam("postfix")
    except KeyError:
        return "there is no postfix user (Postfix's package makes it)"
    return None


def start_postfix(work, certs, port):
    """A private Postfix whose smtpd listens on 127.0.0.1:PORT with
    STARTTLS and AUTH, and which queues and then discards every message;
    its config folder and log, or None after saying why there is none"""
    why = postfix_why_not()
    if why is not None:
        print("F2: skipped, " + why + " (build-aux/install-deps --bench installs what it needs)")
        return None, None
    owner = pwd.getpwnam("postfix")
    # the sasldb and the SASL configuration, which main.cf names
    sasl_conf = os.path.join(work, "postfix-etc", "sasl")
    sasldb = os.path.join(work, "postfix-data", "sasldb2")
    confdir, _, log = private_postfix.make(work, [
        "inet_interfaces = 127.0.0.1",
        "mynetworks =",
        "smtpd_relay_restrictions = permit_sasl_authenticated, reject",
        "smtpd_tls_security_level = may",
        "smtpd_tls_cert_file = " + os.path.join(certs, "good.pem"),
        "smtpd_tls_key_file = " + os.path.join(certs, "good.key"),
        "smtpd_tls_auth_only = yes",
        "smtpd_sasl_auth_enable = yes",
        "smtpd_sasl_type = cyrus",
        "smtpd_sasl_path = smtpd",
        "cyrus_sasl_config_path = " + sasl_conf,
        "smtpd_sasl_local_domain =",
    ])

    # the server's key: smtpd reads it as the mail owner
    os.chmod(certs, 0o755)
    for name in ("good.pem", "good.key", "ca.pem"):
        os.chown(os.path.join(certs, name), owner.pw_uid, owner.pw_gid)

    # the account, in a sasldb of the instance's own that smtpd (the mail
    # owner) reads: saslpasswd2 -u sets the realm, the part after the @
    local, realm = USER.split("@")
    subprocess.run([SASLPASSWD2, "-f", sasldb, "-p", "-c", "-u", realm, local], input=PASSWORD,
                   text=True, check=True)
    os.chown(sasldb, owner.pw_uid, owner.pw_gid)
    os.chmod(sasldb, 0o600)
    # Debian's Postfix looks for smtpd.conf in $config_directory/sasl
    os.makedirs(sasl_conf)
    with open(os.path.join(sasl_conf, "smtpd.conf"), "w") as f:
        f.write("\n".join([
            "pwcheck_method: auxprop",
            "auxprop_plugin: sasldb",
            "mech_list: PLAIN LOGIN",
            "sasldb_path: " + sasldb,
            "",
        ]))

    # the one smtpd listens on 127.0.0.1:PORT instead of port 25
    subprocess.run(["postconf", "-c", confdir, "-MX", "smtp/inet"], check=True)
    subprocess.run(["postconf", "-c", confdir, "-M",
                    "127.0.0.1:%d/inet = 127.0.0.1:%d inet n - n - - smtpd" % (port, port)], check=True)
    if not private_postfix.ctl(confdir, "start") or not wait_for_port(port):
        with open(log) as f:
            print("F2: skipped, the private Postfix did not start:\n" + f.read()[-1500:])
        private_postfix.ctl(confdir, "stop")
        return None, None
    return confdir, log


def f2(work):
    certs = os.path.join(work, "certs")
    subprocess.run([PYTHON, os.path.join(TESTS, "make-certs.py"), certs], check=True, stdout=subprocess.DEVNULL)
    ca = os.path.join(certs, "ca.pem")
    port = free_port()
    confdir, log = start_postfix(work, certs, port)
    if confdir is None:
        return

    def settle(expected):
        # a client's messages are in Postfix's queue once it answered their
        # end of data; the client is done when Postfix has discarded them
        for _ in range(1200):
            if private_postfix.count_discarded(log) >= expected:
                break
            time.sleep(0.05)
        done = private_postfix.count_discarded(log)
        if done != expected:
            with open(log, errors="replace") as f:
                tail = f.read()[-1500:]
            sys.exit("F2: Postfix discarded %d messages, expected %d:\n%s" % (done, expected, tail))

    try:
        ours, theirs, ratios = alternating_rounds("f2", work, port, "starttls", ["--ca-file", ca], True,
                                                  ssl.create_default_context(cafile=ca), settle)
        report("F2", "to a private Postfix (STARTTLS, AUTH via Cyrus SASL)", ours, theirs, ratios)
    finally:
        private_postfix.ctl(confdir, "stop")


def main():
    work = tempfile.mkdtemp(prefix="mail-relay-bench-f-")
    try:
        f1(work)
        f2(work)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
