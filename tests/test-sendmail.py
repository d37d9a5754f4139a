#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The sendmail entry (`mail-relay-cli sendmail`, docs/cli.md) with real
clients nobody here wrote: `git send-email --sendmail-cmd` of a real
patch, and bsd-mailx's `mail`, which runs /usr/sbin/sendmail (over which
this test bind-mounts mail-relay-cli in a private mount namespace, so that
it is called as `sendmail`). Each message must reach a real server this
test starts on 127.0.0.1 (aiosmtpd, STARTTLS and AUTH) with the right
envelope, without its Bcc field, with Date and Message-ID; and the send
log must say it came from `sendmail`. Then the exit statuses sendmail
callers expect: 64 bad usage, 65 a message that cannot be read, 75 when
it cannot be queued (nothing left half-written), 0 when it is queued but
the server cannot be reached (it stays queued).

Runs under build-aux/test (a real keyring on the session bus)."""
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from email import policy
from email.parser import BytesParser

HERE = os.path.dirname(os.path.abspath(__file__))
CLI = os.environ["MAIL_RELAY_CLI"]
PYTHON = "/usr/bin/python3"
USER, PASSWORD = "user@example.org", "right-pass"
results = []
skips = []


def check(cond, what):
    results.append((bool(cond), " ".join(what.split())))
    return cond


class Home:
    """A private XDG tree with accounts; the first for the server at port."""
    def __init__(self, port=None, certs=None):
        self.dir = tempfile.mkdtemp(prefix="sendmail-")
        self.env = dict(os.environ, HOME=self.dir, LANGUAGE="C", LC_ALL="C.UTF-8",
                        XDG_CONFIG_HOME=os.path.join(self.dir, "config"),
                        XDG_DATA_HOME=os.path.join(self.dir, "data"),
                        MAIL_RELAY_CLI_MODULE_DIR=os.path.dirname(os.path.realpath(CLI)))
        self.data = os.path.join(self.dir, "data", "mail-relay")
        self.outbox = os.path.join(self.data, "outbox")
        self.log = os.path.join(self.data, "send-log.jsonl")
        if port is not None:
            r = self.cli(["account", "set", "--provider", "custom", "--host", "127.0.0.1",
                          "--port", str(port), "--security", "starttls", "--username", USER,
                          "--password-stdin", "--from", USER, "--ca-file", os.path.join(certs, "ca.pem")],
                         stdin=PASSWORD + "\n")
            assert r.returncode == 0, r.stderr

    def cli(self, args, stdin="", env=None, timeout=120):
        return subprocess.run([CLI] + args, input=stdin, env=dict(self.env, **(env or {})),
                              capture_output=True, text=isinstance(stdin, str), timeout=timeout)

    def sendmail(self, args, message, env=None):
        return self.cli(["sendmail"] + args, stdin=message, env=env)

    def items(self):
        if not os.path.isdir(self.outbox):
            return []
        return sorted(n for n in os.listdir(self.outbox) if not n.startswith("."))

    def events(self):
        if not os.path.exists(self.log):
            return []
        return [json.loads(line) for line in open(self.log) if line.strip()]

    def cleanup(self):
        self.cli(["account", "delete"])
        shutil.rmtree(self.dir, ignore_errors=True)


class Server:
    def __init__(self, certs, work):
        self.maildir = tempfile.mkdtemp(prefix="mail-", dir=work)
        self.proc = subprocess.Popen([PYTHON, os.path.join(HERE, "aiosmtpd-server.py"), certs, self.maildir],
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        self.port = int(self.proc.stdout.readline().split()[1])
        self.seen = 0

    def new(self):
        """The messages received since the last call: (mail_from, rcpts, message)"""
        got = []
        n = self.seen
        while os.path.exists(os.path.join(self.maildir, "msg-%d.eml" % n)):
            with open(os.path.join(self.maildir, "env-%d.txt" % n)) as f:
                mail_from, rcpts = f.read().split("\n")[:2]
            with open(os.path.join(self.maildir, "msg-%d.eml" % n), "rb") as f:
                raw = f.read()
            got.append((mail_from, rcpts.split(), raw))
            n += 1
        self.seen = n
        return got

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def parse(raw):
    return BytesParser(policy=policy.default).parsebytes(raw)


def test_git_send_email(home, server, work):
    """git send-email of a real patch through --sendmail-cmd"""
    if shutil.which("git") is None or not os.path.exists(os.path.join(
            subprocess.run(["git", "--exec-path"], capture_output=True, text=True).stdout.strip(), "git-send-email")):
        return "git send-email is not installed (build-aux/install-deps --test installs git-email)"
    repo = os.path.join(work, "repo")
    env = dict(home.env, GIT_CONFIG_NOSYSTEM="1", GIT_AUTHOR_NAME="Ann Author", GIT_AUTHOR_EMAIL=USER,
               GIT_COMMITTER_NAME="Ann Author", GIT_COMMITTER_EMAIL=USER)

    def git(*args):
        return subprocess.run(["git", "-C", repo] + list(args), env=env, capture_output=True, text=True,
                              timeout=60)

    os.makedirs(repo)
    git("init", "-q")
    with open(os.path.join(repo, "hello.c"), "w") as f:
        f.write("int main (void) { return 0; }\n")
    git("add", "hello.c")
    git("commit", "-q", "-m", "Add hello.c\n\nA first file, with a body line.")
    with open(os.path.join(repo, "hello.c"), "a") as f:
        f.write("/* a second line, with ümlauts */\n")
    git("commit", "-q", "-a", "-m", "hello.c: a comment")
    patch = git("format-patch", "-1", "-o", os.path.join(work, "patches")).stdout.strip()
    r = git("send-email", "--sendmail-cmd=%s sendmail" % CLI, "--from", "Ann Author <%s>" % USER,
            "--to", "Reviewer <reviewer@example.org>", "--cc", "list@example.org",
            "--bcc", "hidden@example.org", "--confirm=never", "--suppress-cc=all", "--no-chain-reply-to",
            "--8bit-encoding=UTF-8", patch)
    check(r.returncode == 0, "git send-email through the sendmail entry exits 0 (%d: %s)"
          % (r.returncode, (r.stderr or r.stdout).strip()[-300:]))
    got = server.new()
    check(len(got) == 1, "the server received the patch (%d messages)" % len(got))
    if len(got) != 1:
        return None
    mail_from, rcpts, raw = got[0]
    message = parse(raw)
    check(mail_from == USER, "the envelope sender is the From address (%s)" % mail_from)
    check(sorted(rcpts) == sorted(["reviewer@example.org", "list@example.org", "hidden@example.org"]),
          "the envelope has To, Cc and Bcc (%s)" % rcpts)
    check("Bcc" not in message and b"hidden@example.org" not in raw, "no Bcc field, the Bcc address nowhere")
    check("[PATCH] hello.c: a comment" in str(message["Subject"]), "the patch's subject (%s)" % message["Subject"])
    check(b"+/* a second line, with \xc3\xbcmlauts */" in raw, "the patch itself, 8-bit, intact")
    events = [e for e in home.events() if e.get("subject", "").endswith("hello.c: a comment")]
    check([e["status"] for e in events] == ["queued", "sent"] and all(e.get("source") == "sendmail" for e in events),
          "the log has it queued and sent, source sendmail: %s" % [(e["status"], e.get("source")) for e in events])
    r = home.cli(["log", "--json"])
    check('"source":"sendmail"' in r.stdout.replace(" ", ""), "log --json prints source sendmail")
    return None


def test_take_recipients(home, server):
    """-t: recipients from To, Cc and Bcc (display names, quoted strings,
    groups, comments), Bcc removed, Date and Message-ID added, -f the
    envelope sender, -F the name of the From added"""
    message = ("To: \"Doe, Jane\" <jane@example.org>, plain@example.org (a comment, with a comma)\n"
               "Cc: Team: one@example.org, Two <two@example.org>;, undisclosed-recipients:;\n"
               "Bcc: secret@example.org\n"
               "Subject: taken from the header\n"
               "\n"
               "Hello with bare LF line ends.\n"
               "..a line that starts with a dot\n")
    r = home.sendmail(["-ti", "-f", "<%s>" % USER, "-F", "Zoë Sender"], message)
    check(r.returncode == 0 and r.stdout == "" and r.stderr == "",
          "sendmail -t exits 0 and says nothing (%d: %s)" % (r.returncode, r.stderr.strip()[-300:]))
    got = server.new()
    check(len(got) == 1, "the server received it (%d)" % len(got))
    if len(got) != 1:
        return
    mail_from, rcpts, raw = got[0]
    message = parse(raw)
    check(mail_from == USER, "-f is the envelope sender (%s)" % mail_from)
    check(sorted(rcpts) == sorted(["jane@example.org", "plain@example.org", "one@example.org", "two@example.org",
                                   "secret@example.org"]), "every address of To, Cc and Bcc (%s)" % rcpts)
    check("Bcc" not in message and b"secret@example.org" not in raw, "the Bcc field is removed")
    check(message["Date"] is not None and message["Message-ID"] is not None, "Date and Message-ID are added")
    check(message["From"] is not None and message["From"].addresses[0].display_name == "Zoë Sender"
          and message["From"].addresses[0].addr_spec == USER, "-F names the From added (%s)" % message["From"])
    check(re.search(rb"\n\.\.a line that starts with a dot\r?\n", raw) is not None and b"...a line" not in raw,
          "a line starting with a dot arrives as it was written")
    mid = message["Message-ID"].strip("<>")
    events = [e for e in home.events() if e["message_id"] == mid]
    check([e["status"] for e in events] == ["queued", "sent"] and all(e.get("source") == "sendmail" for e in events),
          "logged under its Message-ID, source sendmail: %s" % [(e["status"], e.get("source")) for e in events])


def test_dot_ends(home, server):
    """Without -i a line holding "." ends the message; with -i it does not"""
    body = "Subject: dot %s\nMessage-ID: <dot-%s@example.org>\n\nbefore\n.\nafter\n"
    r = home.sendmail([USER], body % ("ends", "ends"))
    r2 = home.sendmail(["-oi", USER], body % ("kept", "kept"))
    # CRLF line ends, and a "." with nothing after it at the end of input
    r3 = home.sendmail([USER], (body % ("crlf", "crlf")).replace("\n", "\r\n"))
    r4 = home.sendmail([USER], "Subject: dot eof\nMessage-ID: <dot-eof@example.org>\n\nlast line\n.")
    got = server.new()
    crlf = [raw for _, _, raw in got if b"dot-crlf@" in raw]
    eof = [raw for _, _, raw in got if b"dot-eof@" in raw]
    got = [g for g in got if g[2] not in crlf + eof]
    check(r3.returncode == 0 and len(crlf) == 1 and b"before" in crlf[0] and b"after" not in crlf[0],
          "a lone dot ends a message with CRLF line ends (%d, %d received)" % (r3.returncode, len(crlf)))
    check(r4.returncode == 0 and len(eof) == 1 and re.search(rb"last line\r?\n$", eof[0]) is not None,
          "a lone dot at the end of input ends it, and is not part of it (%d, %d received)"
          % (r4.returncode, len(eof)))
    check(r.returncode == 0 and r2.returncode == 0 and len(got) == 2, "both are sent (%d, %d, %d received)"
          % (r.returncode, r2.returncode, len(got)))
    if len(got) == 2:
        ends = next(raw for _, _, raw in got if b"dot-ends@" in raw)
        kept = next(raw for _, _, raw in got if b"dot-kept@" in raw)
        check(b"before" in ends and b"after" not in ends, "without -i the lone dot ended the message")
        check(b"after" in kept, "with -oi the lone dot did not end it")
        own = [(f, r) for f, r, raw in got if b"dot-kept@" in raw][0]
        check(own == (USER, [USER]), "no From, no -f: the account's own address is the sender (%s)" % (own,))


def test_mailx(home, server, work):
    """bsd-mailx's mail runs /usr/sbin/sendmail: mail-relay-cli bind-mounted
    over it in a private mount namespace, called as sendmail"""
    mail = shutil.which("bsd-mailx") or shutil.which("mail")
    if mail is None or not os.path.exists("/usr/sbin/sendmail"):
        return "bsd-mailx is not installed (build-aux/install-deps --test installs it)"
    if subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode != 0:
        return "unshare -m is not allowed here (a private mount namespace is needed)"
    script = ('mount --bind "$1" /usr/sbin/sendmail && shift && exec "$@"')
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script, "sh",
                        os.path.realpath(CLI), mail, "-s", "Sent with mailx", "-r", USER,
                        "mailx-rcpt@example.org"],
                       input="A message from bsd-mailx.\n", env=home.env, capture_output=True, text=True,
                       timeout=120)
    check(r.returncode == 0, "mail through /usr/sbin/sendmail → mail-relay-cli exits 0 (%d: %s)"
          % (r.returncode, r.stderr.strip()[-300:]))
    got = server.new()
    check(len(got) == 1 and got[0][0] == USER and got[0][1] == ["mailx-rcpt@example.org"]
          and b"A message from bsd-mailx." in got[0][2] and b"Subject: Sent with mailx" in got[0][2],
          "the server received mailx's message with its envelope (%s)" % [(f, r) for f, r, _ in got])
    events = [e for e in home.events() if e.get("subject") == "Sent with mailx"]
    check(events and all(e.get("source") == "sendmail" for e in events), "logged with source sendmail")
    return None


def test_exit_statuses(home, work):
    """64 bad usage, 65 a message that cannot be read; nothing queued"""
    good = "From: %s\nTo: a@example.org\nSubject: s\n\nbody\n" % USER
    before_items, before_events = home.items(), len(home.events())
    cases = [
        (["-t", "-bs"], good, 64, "-bs (SMTP on stdin)"),
        (["-bp"], good, 64, "-bp (print the queue)"),
        (["-Z", "a@example.org"], good, 64, "an unknown option"),
        ([], good, 64, "no recipient and no -t"),
        (["-f"], good, 64, "-f without a value"),
        (["-f", "not an address", "a@example.org"], good, 64, "a malformed -f"),
        (["bad@@example.org"], good, 64, "a malformed recipient argument"),
        (["a@example.org"], "this is not a header\n\nbody\n", 65, "a first line that is not a header field"),
        (["a@example.org"], "", 65, "an empty message"),
        (["a@example.org"], "Subject: a\0b\n\nbody\n", 65, "a NUL byte"),
        (["-t"], "To: \"unterminated <a@example.org>\nSubject: s\n\nbody\n", 65, "a To that cannot be read"),
        (["-t"], "To: Team:;\nSubject: s\n\nbody\n", 65, "-t and no recipient in the message"),
        (["a@example.org"], "From: <broken\nSubject: s\n\nbody\n", 65, "a From that cannot be read"),
        (["a@example.org"], "Message-ID: no brackets\nSubject: s\n\nbody\n", 65, "a malformed Message-ID"),
        (["a@example.org"], "Subject: " + "x" * 1000 + "\n\nbody\n", 65, "a header line over 998 characters"),
    ]
    for args, message, status, what in cases:
        r = home.sendmail(args, message)
        check(r.returncode == status and "mail-relay-cli: " in r.stderr,
              "%s: exit %d (%d: %s)" % (what, status, r.returncode, r.stderr.strip()[:160]))
    r = home.sendmail(["a@example.org"], good + "x" * (64 * 1024 * 1024))
    check(r.returncode == 65 and "64 MiB" in r.stderr, "a message over 64 MiB: exit 65 (%d: %s)"
          % (r.returncode, r.stderr.strip()[:160]))
    r = home.sendmail(["-oem", "-odi", "-oQ/var/spool/x", "-bm", "-B8BITMIME", "-v", "a@example.org"], good,
                      env={"MAIL_RELAY_TEST_UNUSED": "1"})
    check(r.returncode == 0, "-oem -odi -oQ… -bm -B8BITMIME -v are accepted (%d: %s)"
          % (r.returncode, r.stderr.strip()[:200]))
    check(home.items() == before_items, "none of the refused ones is in the outbox")
    check([e["subject"] for e in home.events()[before_events:]] == ["s", "s"],
          "none of the refused ones is in the send log (only the accepted one, queued and sent)")


def test_refused_sender(certs):
    """A sender no account may use: 64 when -f gave it, 65 when From did"""
    home = Home()
    try:
        r = home.cli(["account", "set", "--provider", "office365", "--username", "boss@corp.example",
                      "--from", "boss@corp.example"])
        check(r.returncode == 0, "an Office 365 account (%s)" % r.stderr.strip())
        message = "From: someone@else.example\nTo: a@example.org\nSubject: s\n\nbody\n"
        r = home.sendmail(["-f", "someone@else.example", "a@example.org"], message)
        check(r.returncode == 64 and "-f: " in r.stderr and "someone@else.example" in r.stderr,
              "-f with a sender no account may use: 64, naming it (%d: %s)" % (r.returncode, r.stderr.strip()))
        r = home.sendmail(["a@example.org"], message)
        check(r.returncode == 65 and "From: " in r.stderr and "someone@else.example" in r.stderr,
              "a From no account may use: 65, naming it (%d: %s)" % (r.returncode, r.stderr.strip()))
        check(home.items() == [] and home.events() == [], "nothing queued, nothing logged")
    finally:
        home.cleanup()


def test_cannot_queue(certs, work):
    """75 when the outbox or the send log cannot be written; nothing left"""
    home = Home(port=1, certs=certs)
    message = "From: %s\nTo: a@example.org\nSubject: s\n\nbody\n" % USER
    try:
        os.makedirs(home.data, exist_ok=True)
        # root ignores modes: a file where the outbox folder goes
        with open(home.outbox, "w") as f:
            f.write("not a folder\n")
        r = home.sendmail(["-odq", "a@example.org"], message)
        check(r.returncode == 75 and "could not be queued" in r.stderr,
              "an outbox that cannot be made: 75 (%d: %s)" % (r.returncode, r.stderr.strip()[:200]))
        os.unlink(home.outbox)
        # a folder where the send log goes: it cannot be appended to
        os.makedirs(home.log)
        r = home.sendmail(["-odq", "a@example.org"], message)
        check(r.returncode == 75 and "could not be queued" in r.stderr,
              "a send log that cannot be written: 75 (%d: %s)" % (r.returncode, r.stderr.strip()[:200]))
        check(home.items() == [], "nothing half-written stays in the outbox (%s)" % home.items())
        os.rmdir(home.log)
        r = home.sendmail(["-odq", "a@example.org"], message)
        check(r.returncode == 0 and len(home.items()) == 2 and [e["status"] for e in home.events()] == ["queued"],
              "-odq only queues, once both can be written (%d: %s)" % (r.returncode, home.items()))
    finally:
        home.cleanup()


def test_deferred(certs):
    """Queued, but the server cannot be reached: exit 0, it stays queued,
    and stderr says so"""
    home = Home(port=1, certs=certs)
    try:
        r = home.sendmail(["a@example.org"], "From: %s\nSubject: later\n\nbody\n" % USER)
        check(r.returncode == 0, "unreachable server: still exit 0 once queued (%d)" % r.returncode)
        check("is queued, but was not sent now" in r.stderr and r.stdout == "",
              "stderr says it stays queued: %s" % r.stderr.strip()[-300:])
        check(len(home.items()) == 2 and home.events()[0]["status"] == "queued"
              and home.events()[0].get("source") == "sendmail", "it is in the outbox and logged queued")
    finally:
        home.cleanup()


def test_source_of_send(home):
    r = home.cli(["send", "--no-wait", "--to", "a@example.org", "--subject", "from send"])
    events = [e for e in home.events() if e.get("subject") == "from send"]
    check(r.returncode == 0 and events and events[-1].get("source") == "cli",
          "send records source cli (%s)" % [e.get("source") for e in events])
    home.cli(["flush"])


def skip_if(reason, what):
    if reason is not None:
        skips.append((what, reason))


def main():
    work = tempfile.mkdtemp(prefix="sendmail-test-")
    certs = os.path.join(work, "certs")
    subprocess.run([PYTHON, os.path.join(HERE, "make-certs.py"), certs], check=True, stdout=subprocess.DEVNULL)
    server = Server(certs, work)
    home = None
    try:
        home = Home(server.port, certs)
        for test in (lambda: skip_if(test_git_send_email(home, server, work), "git send-email"),
                     lambda: test_take_recipients(home, server),
                     lambda: test_dot_ends(home, server),
                     lambda: skip_if(test_mailx(home, server, work), "bsd-mailx"),
                     lambda: test_exit_statuses(home, work),
                     lambda: test_refused_sender(certs),
                     lambda: test_cannot_queue(certs, work),
                     lambda: test_deferred(certs),
                     lambda: test_source_of_send(home)):
            try:
                test()
            except Exception as e:  # a crash in one part is a failure, not a hang
                check(False, "raised %r" % e)
    finally:
        server.stop()
        if home is not None:
            home.cleanup()
        shutil.rmtree(work, ignore_errors=True)

    print("TAP version 13")
    for i, (ok, what) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, what))
    for i, (what, reason) in enumerate(skips, len(results) + 1):
        print("ok %d - %s # SKIP %s" % (i, what, reason))
    print("1..%d" % (len(results) + len(skips)))
    return 0 if results and all(ok for ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
