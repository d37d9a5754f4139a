#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The end of the envelope pipelined (RFC 2920, RFC 3030), from the
command line against servers this test starts on 127.0.0.1: the scripted
fake server, which counts round trips ("* wait" in its log), with and
without CHUNKING and with replies split across packets; aiosmtpd with
PIPELINING; and Postfix itself (CHUNKING) when it is installed and this
runs as root. Each recipient keeps its own outcome; a message nobody
takes is never sent nor logged sent; a message whose verdict never came
is unknown and never sent again.

Runs under build-aux/test (a real keyring on the session bus)."""
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CLI = os.environ["MAIL_RELAY_CLI"]
PYTHON = "/usr/bin/python3"
USER, PASSWORD = "user@example.org", "right-pass"
BODY = "Hello.\n.a line that starts with a dot\n..and one with two\nThe end.\n"
results = []


def check(cond, what):
    results.append((bool(cond), what.replace("\n", " | ")))  # one TAP line
    return cond


class Home:
    """A private XDG tree with an account for the server at port: without
    sign-in on the loopback, or with STARTTLS and AUTH (certs)."""
    def __init__(self, port, certs=None, env=()):
        self.dir = tempfile.mkdtemp(prefix="pipelining-")
        self.env = dict(os.environ, HOME=self.dir, LANGUAGE="C",
                        XDG_CONFIG_HOME=os.path.join(self.dir, "config"),
                        XDG_DATA_HOME=os.path.join(self.dir, "data"),
                        MAIL_RELAY_RETRY_BASE_SECONDS="600", **dict(env))
        args = ["account", "set", "--provider", "custom", "--host", "127.0.0.1", "--port", str(port),
                "--from", USER]
        if certs:
            args += ["--security", "starttls", "--username", USER, "--password-stdin",
                     "--ca-file", os.path.join(certs, "ca.pem")]
        else:
            args += ["--security", "none"]
        r = self.cli(args, stdin=PASSWORD + "\n" if certs else "")
        assert r.returncode == 0, r.stderr

    def cli(self, args, stdin="", timeout=60):
        return subprocess.run([CLI] + args, input=stdin, env=self.env, capture_output=True,
                              text=True, timeout=timeout)

    def queue(self, n, to=("rcpt@example.org",), subject="pipelined"):
        for i in range(n):
            args = ["send", "--no-wait", "--subject", "%s %d" % (subject, i), "--body-file", "-"]
            for t in to:
                args += ["--to", t]
            r = self.cli(args, stdin=BODY)
            assert r.returncode == 0, r.stderr

    def log(self):
        r = self.cli(["log", "--json"])
        return [json.loads(l) for l in r.stdout.splitlines() if l.strip()]

    def outcomes(self):
        return [(e["status"], e["recipients"], e["reply"][:9]) for e in self.log() if e["status"] != "queued"]

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


class Fake:
    def __init__(self, work, scenario, *flags):
        name = "-".join((scenario,) + tuple(f.strip("-") for f in flags))
        self.maildir = os.path.join(work, name + "-mail")
        self.logpath = os.path.join(work, name + ".log")
        self.proc = subprocess.Popen([PYTHON, os.path.join(HERE, "fake-smtp-server.py"), "--scenario", scenario,
                                      "--log", self.logpath, "--maildir", self.maildir] + list(flags),
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.port = int(self.proc.stdout.readline().split()[1])

    def lines(self):
        return open(self.logpath).read().splitlines() if os.path.exists(self.logpath) else []

    def waits(self):
        """round trips from the first MAIL to QUIT, each connection"""
        counting, n = False, 0
        for line in self.lines():
            if line.upper().startswith("MAIL"):
                counting = True
            elif line.upper().startswith("QUIT"):
                counting = False
            elif line == "* wait" and counting:
                n += 1
        return n

    def verbs(self):
        return [l.split()[0].upper() for l in self.lines() if l and not l.startswith("*") and l.split()]

    def stored(self):
        if not os.path.isdir(self.maildir):
            return []
        names = sorted((n for n in os.listdir(self.maildir) if n.endswith(".eml")), key=lambda n: int(n[4:-4]))
        return [open(os.path.join(self.maildir, n), "rb").read() for n in names]

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def body_intact(raw):
    """the message as stored: CRLF line ends, dots as written (none doubled
    with BDAT, each undoubled after DATA)"""
    head, _, body = raw.partition(b"\r\n\r\n")
    return body == BODY.replace("\n", "\r\n").encode() and b"\n" not in raw.replace(b"\r\n", b"")


def test_round_trips(work):
    """Three messages, one connection: with DATA closing the pipelined
    group each message's data goes with the next one's envelope, so that
    three messages take four round trips (the code before: six; before
    that, nine); with BDAT (the message goes with its envelope) at most
    one each: the next message may go before the server has answered the
    one before, and then the server never waits for it"""
    for flags, rounds, what in (((), 4, "DATA closes the group"), (("--chunking",), 3, "BDAT LAST with the envelope"),
                                (("--split-replies",), 4, "DATA, replies split across packets"),
                                (("--chunking", "--split-replies"), 3, "BDAT, replies split across packets")):
        srv = Fake(work, "good", *flags)
        home = Home(srv.port)
        try:
            home.queue(3)
            r = home.cli(["flush"])
            check(r.returncode == 0 and "Sent 3" in r.stdout, "%s: flush sends three (%d: %s %s)"
                  % (what, r.returncode, r.stdout.strip(), r.stderr.strip()[-200:]))
            waits = srv.waits()
            check(waits == rounds if "--chunking" not in flags else 1 <= waits <= rounds,
                  "%s: %s%d round trips for three messages (saw %d)"
                  % (what, "" if "--chunking" not in flags else "at most ", rounds, waits))
            stored = srv.stored()
            check(len(stored) == 3 and all(body_intact(m) for m in stored),
                  "%s: the server stored three messages, each body byte for byte (dots as written): %r"
                  % (what, [m[-80:] for m in stored]))
            verbs = srv.verbs()
            chunked = "--chunking" in flags
            check((verbs.count("BDAT"), verbs.count("DATA")) == ((3, 0) if chunked else (0, 3)),
                  "%s: %s (%r)" % (what, "BDAT, never DATA" if chunked else "DATA", verbs))
            if chunked:
                check(all(re.fullmatch(r"BDAT \d+ LAST", l) for l in srv.lines() if l.startswith("BDAT")),
                      "%s: one chunk, LAST" % what)
            check([s for s, _, _ in home.outcomes()] == ["sent"] * 3, "%s: log: three sent" % what)
        finally:
            srv.stop()
            home.cleanup()


def test_recipients_own_replies(work):
    """issue 12 with the pipelined end: each recipient its own outcome, the
    message to the accepted one alone, with and without CHUNKING"""
    for flags in ((), ("--chunking",), ("--chunking", "--split-replies")):
        what = " ".join(flags) or "DATA"
        srv = Fake(work, "rcpt-mixed", *flags)
        home = Home(srv.port)
        try:
            home.queue(1, to=("ok@example.org", "refused@example.org", "later@example.org"))
            r = home.cli(["flush"])
            check(r.returncode == 1 and "failed 1" in r.stdout, "%s: a refused recipient: exit 1, failed 1 (%s)"
                  % (what, r.stdout.strip()))
            out = home.outcomes()
            check(sorted(out) == sorted([("failed", ["refused@example.org"], "550 5.1.1"),
                                         ("deferred", ["later@example.org"], "451 4.2.0"),
                                         ("sent", ["ok@example.org"], "250 2.0.0")]),
                  "%s: log: each recipient with its own reply: %r" % (what, out))
            rcpts = open(os.path.join(srv.maildir, "msg-1.rcpt")).read().split() \
                if os.path.exists(os.path.join(srv.maildir, "msg-1.rcpt")) else None
            check(len(srv.stored()) == 1 and rcpts == ["ok@example.org"],
                  "%s: the server took the message for ok@ alone: %r" % (what, rcpts))
            check(srv.waits() == (1 if flags else 2), "%s: round trips: %d" % (what, srv.waits()))
        finally:
            srv.stop()
            home.cleanup()


def test_nobody_takes_it(work):
    """Every RCPT refused: DATA refused (554 or 503) sends nothing; DATA
    354 gets a lone "."; a BDAT is refused after its chunk (RFC 3030). Two
    messages: the replies stay in step, each message fails with its
    recipient's refusal, nothing is sent or logged sent."""
    for scenario, flags, what in (("rcpt-550-data-554", (), "DATA 554"), ("rcpt-550", (), "DATA 503"),
                                  ("rcpt-550-data-354", (), "DATA 354 anyway"),
                                  ("rcpt-550", ("--chunking",), "BDAT refused after the chunk"),
                                  ("rcpt-550", ("--chunking", "--split-replies"), "BDAT, split replies")):
        srv = Fake(work, scenario, *flags)
        home = Home(srv.port)
        try:
            home.queue(2)
            r = home.cli(["flush"])
            check(r.returncode == 1 and "failed 2" in r.stdout and "Sent 0" in r.stdout,
                  "%s: flush: failed 2, sent 0 (%s %s)" % (what, r.stdout.strip(), r.stderr.strip()[-200:]))
            out = home.outcomes()
            check(out == [("failed", ["rcpt@example.org"], "550 5.1.1")] * 2,
                  "%s: log: each failed with the recipient's own 550: %r" % (what, out))
            check(srv.stored() == [], "%s: the server stored nothing" % what)
            lines = srv.lines()
            if "--chunking" in flags:
                check(sum(1 for l in lines if l.startswith("* chunk ")) == 2 and "DATA" not in srv.verbs(),
                      "%s: the chunks were sent and discarded (%r)" % (what, lines[-12:]))
            elif scenario == "rcpt-550-data-354":
                check(lines.count("* data 0 bytes") == 2, "%s: a lone \".\" after each 354 (%r)" % (what, lines[-12:]))
            else:
                check(srv.verbs().count("DATA") == 2 and not any(l.startswith("* data") for l in lines),
                      "%s: DATA closed each group, no message followed (%r)" % (what, srv.verbs()))
            check(srv.verbs()[-1] == "QUIT" and not any(l.startswith("* error") for l in lines),
                  "%s: the conversation stayed in step to QUIT (%r)" % (what, srv.verbs()[-6:]))
        finally:
            srv.stop()
            home.cleanup()


def test_refusals_classified(work):
    """A refused MAIL is judged as MAIL's; a refused BDAT as the message's"""
    for scenario, flags, status, reply, what in (
            ("mail-550", ("--chunking",), "failed", "550 5.7.1", "MAIL 550 with BDAT behind it"),
            ("mail-451-once", ("--chunking",), "deferred", "451 4.3.0", "MAIL 451 with BDAT behind it"),
            ("mail-451-once", (), "deferred", "451 4.3.0", "MAIL 451 with DATA behind it"),
            ("bdat-refused", ("--chunking",), "failed", "554 5.7.1", "BDAT 554"),
            ("data-554", (), "failed", "554 5.5.1", "DATA 554 with a recipient taken")):
        srv = Fake(work, scenario, *flags)
        home = Home(srv.port)
        try:
            home.queue(1)
            r = home.cli(["flush"])
            out = home.outcomes()
            check(r.returncode == 1 and out == [(status, ["rcpt@example.org"], reply)],
                  "%s: %s with that reply (%d: %r)" % (what, status, r.returncode, out))
            check(srv.stored() == [], "%s: nothing stored" % what)
        finally:
            srv.stop()
            home.cleanup()


def test_closed_during_chunk(work):
    """A server that refuses MAIL with 421 and closes while a long BDAT
    chunk is still on its way: the write breaks, but the 421 decides (the
    message is deferred, not unknown)"""
    srv = Fake(work, "421-after-mail", "--chunking", "--size", "100000000")
    home = Home(srv.port)
    try:
        r = home.cli(["send", "--no-wait", "--to", "rcpt@example.org", "--subject", "long", "--body-file", "-"],
                     stdin=("x" * 70 + "\n") * 120000)
        check(r.returncode == 0, "an 8.5 MB message queued (%s)" % r.stderr.strip()[-200:])
        r = home.cli(["flush"])
        out = home.outcomes()
        check(r.returncode == 1 and out == [("deferred", ["rcpt@example.org"], "421 4.7.0")],
              "MAIL 421, the connection closed during the chunk: deferred with the 421 (%r)" % out)
    finally:
        srv.stop()
        home.cleanup()


def test_verdict_never_came(work):
    """BDAT sends the message with the envelope: the server that took it
    and then said nothing (the per-message deadline ends the wait) leaves
    it unknown, and it is never sent again; killed while it waits, the
    next run says unknown too."""
    srv = Fake(work, "chunk-then-silence", "--chunking")
    home = Home(srv.port, env={"MAIL_RELAY_SEND_DEADLINE_SECONDS": "2"})
    try:
        home.queue(1, subject="silence")
        r = home.cli(["flush"])
        check(r.returncode == 1 and "unknown 1" in r.stdout, "deadline: unknown 1 (%d: %s %s)"
              % (r.returncode, r.stdout.strip(), r.stderr.strip()[-200:]))
        r = home.cli(["flush"])
        check(r.returncode == 0 and len(srv.stored()) == 1 and
              [s for s, _, _ in home.outcomes()] == ["unknown"],
              "deadline: never sent again (%d stored, %r)" % (len(srv.stored()), home.outcomes()))
    finally:
        home.cleanup()

    home = Home(srv.port)
    try:
        home.queue(1, subject="killed")
        before = len(srv.stored())
        proc = subprocess.Popen([CLI, "flush"], env=home.env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        for _ in range(600):  # a loaded machine: up to 30 s
            if len(srv.stored()) > before:
                break
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        r = home.cli(["flush"])
        check("unknown 1" in r.stdout and len(srv.stored()) == before + 1,
              "killed while waiting for BDAT's reply: the next run says unknown and sends nothing (%s, %d stored)"
              % (r.stdout.strip(), len(srv.stored()) - before))
    finally:
        srv.stop()
        home.cleanup()


def test_quota_in_flight(work):
    """The verdict on the message in flight is a quota refusal (550 5.4.5)
    while the next message's envelope has already gone: the outbox holds,
    and the drain stops there. With DATA (and without PIPELINING) the next
    message's data never goes, and it waits, as it was, never failed; with
    BDAT it went with its envelope and is recorded with its own verdict.
    No message is stored twice, none blamed for another's reply (the code
    before sent on after the hold, wrote the next envelope into an open
    data phase and waited 30 s, or logged a 503 "nested MAIL" as a
    failure)."""
    for flags, what in (((), "DATA"), (("--chunking",), "BDAT"), (("--no-pipelining",), "no PIPELINING")):
        srv = Fake(work, "quota-once", *flags)
        home = Home(srv.port)
        try:
            home.queue(3, subject="quota")
            r = home.cli(["flush"], timeout=25)
            events = [(e["subject"], e["status"], e["reply"][:9]) for e in home.log() if e["status"] != "queued"]
            check(("quota 0", "throttled", "550 5.4.5") in events,
                  "%s: the first message is held by its quota reply (%r)" % (what, events))
            check(all(st != "failed" and not rep.startswith("503") for _, st, rep in events),
                  "%s: nothing failed, no 503 (%r)" % (what, events))
            stored = [m for m in srv.stored()]
            subjects = [n for n in range(3) for m in stored if b"Subject: quota %d\r\n" % n in m]
            check(len(subjects) == len(set(subjects)), "%s: nothing stored twice (%r)" % (what, subjects))
            if "--chunking" in flags:
                check(2 not in subjects and all(("quota %d" % n, "sent", "250 2.0.0") in events for n in subjects),
                      "%s: what went with its envelope is logged sent, nothing after it went (%r, %r)"
                      % (what, subjects, events))
            else:
                check(subjects == [] and not any(sub != "quota 0" for sub, _, _ in events),
                      "%s: the drain stops at the hold; the others wait, as they were (%r, %r)"
                      % (what, subjects, events))
            r = home.cli(["log", "--json"])
            check(r.returncode == 0, "%s: the log reads" % what)
        finally:
            srv.stop()
            home.cleanup()


def test_closed_before_data(work):
    """A quota verdict and then the connection closed under the next
    message (with BDAT) stops the drain: nothing goes after the hold. A
    server that closes at DATA (without PIPELINING, before its 354) leaves
    the message deferred, not unknown: its data never went. (The code
    before sent a third message over a new connection during the hold,
    and recorded the second one unknown, never to be sent.)"""
    srv = Fake(work, "quota-close-once", "--chunking")
    home = Home(srv.port)
    try:
        home.queue(3, subject="closed")
        home.cli(["flush"], timeout=25)
        events = [(e["subject"], e["status"]) for e in home.log() if e["status"] != "queued"]
        stored = [n for n in range(3) for m in srv.stored() if b"Subject: closed %d\r\n" % n in m]
        check(("closed 0", "throttled") in events and 2 not in stored and ("closed 2", "sent") not in events,
              "quota then closed, BDAT: the drain stops at the hold (%r, stored %r)" % (events, stored))
    finally:
        srv.stop()
        home.cleanup()

    srv = Fake(work, "close-at-data", "--no-pipelining")
    home = Home(srv.port)
    try:
        home.queue(1, subject="at-data")
        home.cli(["flush"], timeout=25)
        events = [(e["subject"], e["status"]) for e in home.log() if e["status"] != "queued"]
        check(events == [("at-data 0", "deferred")],
              "closed at DATA, no PIPELINING: deferred, not unknown (%r)" % events)
    finally:
        srv.stop()
        home.cleanup()


def test_aiosmtpd(certs, work):
    """A real server, no CHUNKING, PIPELINING offered: DATA closes the
    group, over STARTTLS with AUTH"""
    out = os.path.join(work, "aiosmtpd")
    os.makedirs(out)
    proc = subprocess.Popen([PYTHON, os.path.join(HERE, "aiosmtpd-server.py"), certs, out, "--pipelining"],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    port = int(proc.stdout.readline().split()[1])
    home = Home(port, certs)
    try:
        home.queue(3)
        r = home.cli(["flush"])
        stored = [open(os.path.join(out, n), "rb").read() for n in sorted(os.listdir(out)) if n.endswith(".eml")]
        check(r.returncode == 0 and len(stored) == 3 and all(body_intact(m) for m in stored),
              "aiosmtpd with PIPELINING: three sent, bodies intact (%s %s)" % (r.stdout.strip(), r.stderr.strip()[-200:]))
        check([s for s, _, _ in home.outcomes()] == ["sent"] * 3, "aiosmtpd: log: three sent")
    finally:
        proc.terminate()
        proc.wait()
        home.cleanup()


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def postfix_instance(work):
    """A private Postfix (its own configuration, queue and port, nothing
    delivered: the discard transport) that refuses refuse@example.org.
    None when Postfix is missing or this is not root (its master must be)."""
    postfix = "/usr/sbin/postfix"
    if os.getuid() != 0 or not os.access(postfix, os.X_OK) or not os.path.exists("/etc/postfix/master.cf"):
        return None, None
    base = os.path.join(work, "postfix")
    conf = os.path.join(base, "conf")
    os.chmod(work, 0o711)  # Postfix's daemons are the postfix user
    for d in (conf, os.path.join(base, "queue"), os.path.join(base, "data")):
        os.makedirs(d)
    shutil.chown(os.path.join(base, "data"), "postfix")
    port = free_port()
    with open(os.path.join(conf, "main.cf"), "w") as f:
        f.write("\n".join([
            "compatibility_level = 3.6",
            "queue_directory = %s/queue" % base,
            "data_directory = %s/data" % base,
            "mail_owner = postfix",
            "setgid_group = postdrop",
            "inet_interfaces = 127.0.0.1",
            "inet_protocols = ipv4",
            "myhostname = postfix.example",
            "mydestination =",
            "mynetworks = 127.0.0.0/8",
            "relay_domains = example.org",
            "default_transport = discard",
            "relay_transport = discard",
            "smtpd_recipient_restrictions = check_recipient_access inline:{refuse@example.org=REJECT}, "
            "permit_mynetworks, reject",
            "maillog_file = %s/maillog" % base,
            "maillog_file_prefixes = %s" % base,
            "master_service_disable =",
            "smtputf8_enable = no",
            ""]))
    with open(os.path.join(conf, "master.cf"), "w") as f:
        f.write("127.0.0.1:%d inet n - n - - smtpd\n" % port)
        for line in open("/etc/postfix/master.cf"):
            if re.match(r"(pickup|cleanup|qmgr|tlsmgr|rewrite|bounce|defer|trace|verify|flush|proxymap|"
                        r"proxywrite|smtp|relay|showq|error|retry|discard|local|virtual|lmtp|anvil|"
                        r"scache|postlog)\s", line):
                f.write(line)
    env = dict(os.environ, MAIL_CONFIG=conf)
    subprocess.run([postfix, "-c", conf, "check"], env=env, capture_output=True)
    r = subprocess.run([postfix, "-c", conf, "start"], env=env, capture_output=True, text=True)
    if r.returncode != 0:
        check(False, "a private Postfix starts: %s" % r.stderr.strip()[-300:])
        return None, None
    for _ in range(100):
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.1)
    return conf, port


def test_postfix(work):
    """Postfix offers PIPELINING and CHUNKING: one BDAT per message, each
    recipient's own outcome (refuse@ refused, the message to the others)"""
    conf, port = postfix_instance(work)
    if conf is None:
        print("# Postfix: skipped (not installed, or not root)")
        return
    home = Home(port)
    try:
        home.queue(2, to=("ok@example.org", "refuse@example.org"))
        home.queue(1, to=("refuse@example.org",), subject="nobody")
        r = home.cli(["flush"])
        out = home.outcomes()
        sent = [e for e in out if e[0] == "sent"]
        failed = [e for e in out if e[0] == "failed"]
        check(r.returncode == 1 and len(sent) == 2 and all(e[1] == ["ok@example.org"] for e in sent)
              and all(e[2].startswith("250 2.0.0") for e in sent),
              "Postfix: two sent to ok@ alone (%s): %r" % (r.stdout.strip(), out))
        check(len(failed) == 3 and all(e[1] == ["refuse@example.org"] and e[2].startswith("554 5.7.1")
                                       for e in failed),
              "Postfix: refuse@ failed three times with its own reply: %r" % failed)
        maillog = os.path.join(conf, "..", "maillog")
        # smtpd's tally at the disconnect: "bdat=2/3" is three BDAT, two taken
        tally = re.findall(r"disconnect from .* mail=(\S+) rcpt=(\S+) (\S+)", open(maillog).read()) \
            if os.path.exists(maillog) else []
        check(tally and tally[-1] == ("3", "2/5", "bdat=2/3"),
              "Postfix counted three MAIL, two of five RCPT taken, three BDAT of which two taken: %r" % tally)
        transcript = home.cli(["test", "--json"])
        caps = json.loads(transcript.stdout)["server"]["capabilities"] if transcript.stdout.strip() else []
        check("CHUNKING" in caps and "PIPELINING" in caps, "Postfix offers CHUNKING and PIPELINING: %r" % caps)
    finally:
        subprocess.run(["/usr/sbin/postfix", "-c", conf, "stop"], env=dict(os.environ, MAIL_CONFIG=conf),
                       capture_output=True)
        home.cleanup()


def main():
    work = tempfile.mkdtemp(prefix="pipelining-")
    certs = os.path.join(work, "certs")
    subprocess.run([PYTHON, os.path.join(HERE, "make-certs.py"), certs], check=True, stdout=subprocess.DEVNULL)
    try:
        for test in (test_round_trips, test_recipients_own_replies, test_nobody_takes_it,
                     test_refusals_classified, test_closed_during_chunk, test_verdict_never_came,
                     test_quota_in_flight, test_closed_before_data, test_postfix):
            try:
                test(work)
            except Exception as e:  # a crash in one part is a failure, not a hang
                check(False, "%s raised %r" % (test.__name__, e))
        try:
            test_aiosmtpd(certs, work)
        except Exception as e:
            check(False, "test_aiosmtpd raised %r" % (e,))
    finally:
        shutil.rmtree(work, ignore_errors=True)

    print("TAP version 13")
    for i, (ok, what) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, what))
    print("1..%d" % len(results))
    return 0 if all(ok for ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
