#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Messages that strict servers take: `mail-relay-cli send` puts a message
with a 400-character Chinese subject, a lone "." line, a 2,000-octet line
and non-ASCII text through the outbox to a real server this test starts
on 127.0.0.1 (aiosmtpd, STARTTLS and AUTH), and what the server received
is read with Python's email package under policy=email.policy.strict.
The test message of `mail-relay-cli test --send-to` is read the same way.

Runs under build-aux/test (a real keyring on the session bus)."""
import email
import email.policy
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
CLI = os.environ["MAIL_RELAY_CLI"]
PYTHON = "/usr/bin/python3"
USER, PASSWORD = "user@example.org", "right-pass"
RCPT = "rcpt@example.org"
results = []


def check(cond, what):
    results.append((bool(cond), what))
    return cond


def chinese_subject():
    pieces = "关于下周三项目评审会议的安排，请各位同事提前准备材料并查收附件。"
    text = (pieces * 20)[:400]
    assert len(text) == 400
    return text


def body_text():
    long_line = "".join("abc = def %04d " % i for i in range(200))[:2000]
    assert len(long_line.encode()) == 2000
    return ("你好，这是第一行。Grüße aus Köln — déjà vu.\n"
            ".\n"
            "..two dots stay two dots\n"
            "From the start of a line\n"
            "trailing spaces   \n"
            + long_line + "\n"
            "\n"
            "最后一行 = the end.\n")


def read_strict(data, what):
    """Parses data strictly; returns the message or None, checking as it goes."""
    lines = data.split(b"\r\n")
    check(all(len(l) <= 998 for l in lines),
          "%s: every line at most 998 octets (longest %d)" % (what, max(len(l) for l in lines)))
    check(all(b < 0x80 for b in data), "%s: 7-bit clean" % what)
    check(b"\n" not in data.replace(b"\r\n", b""), "%s: CRLF line ends only" % what)
    try:
        msg = email.message_from_bytes(data, policy=email.policy.strict)
    except Exception as e:
        check(False, "%s: the strict parser raised %r" % (what, e))
        return None
    check(not msg.defects, "%s: no message defects: %r" % (what, msg.defects))
    try:
        headers = list(msg.items())
        check(all(not v.defects for _, v in headers),
              "%s: no header defects: %r" % (what, [(k, v.defects) for k, v in headers if v.defects]))
    except Exception as e:
        check(False, "%s: a header raised %r under the strict policy" % (what, e))
        return None
    for name in ("Date", "Message-ID", "MIME-Version", "From", "To", "Subject"):
        check(msg[name] is not None, "%s: %s present" % (what, name))
    check(str(msg["MIME-Version"]) == "1.0", "%s: MIME-Version 1.0" % what)
    check(msg.get_content_type() == "text/plain", "%s: text/plain" % what)
    check(msg.get_content_charset() == "utf-8", "%s: charset=utf-8 (%r)" % (what, msg.get_content_charset()))
    check(msg["Date"].datetime is not None, "%s: Date parses (%s)" % (what, msg["Date"]))
    check(str(msg["Message-ID"]).startswith("<") and "@" in str(msg["Message-ID"]),
          "%s: Message-ID <…@…>" % what)
    return msg


class Home:
    """A private XDG tree with an account for the server at port."""
    def __init__(self, port, certs):
        self.dir = tempfile.mkdtemp(prefix="message-")
        self.env = dict(os.environ, HOME=self.dir, LANGUAGE="C",
                        XDG_CONFIG_HOME=os.path.join(self.dir, "config"),
                        XDG_DATA_HOME=os.path.join(self.dir, "data"))
        r = self.cli(["account", "set", "--provider", "custom", "--host", "127.0.0.1",
                      "--port", str(port), "--security", "starttls", "--username", USER,
                      "--password-stdin", "--from", USER, "--ca-file", os.path.join(certs, "ca.pem")],
                     stdin=PASSWORD + "\n")
        assert r.returncode == 0, r.stderr

    def cli(self, args, stdin="", timeout=120):
        return subprocess.run([CLI] + args, input=stdin, env=self.env, capture_output=True,
                              text=True, timeout=timeout)

    def cleanup(self):
        self.cli(["account", "delete"])
        shutil.rmtree(self.dir, ignore_errors=True)


def wait_for(path, seconds=10):
    deadline = time.monotonic() + seconds
    while not os.path.exists(path) and time.monotonic() < deadline:
        time.sleep(0.05)
    return os.path.exists(path)


def test_outbox(home, maildir):
    send_and_read(home, maildir, chinese_subject(), body_text())


def test_short(home, maildir):
    """No line over 998: today's 8-bit message is taken, but not 7-bit clean"""
    send_and_read(home, maildir, "Grüße — 你好", "Short, but not ASCII: Grüße.\n.\n")


def send_and_read(home, maildir, subject, body):
    n = len([f for f in os.listdir(maildir) if f.endswith(".eml")])
    r = home.cli(["send", "--to", RCPT, "--subject", subject, "--body-file", "-"], stdin=body)
    check(r.returncode == 0, "send exits 0 (%d: %s)" % (r.returncode, r.stderr[-300:]))
    log = [json.loads(l) for l in home.cli(["log", "--json"]).stdout.splitlines() if l.strip()]
    log = [e for e in log if e.get("subject") == subject]
    check([e["status"] for e in log] == ["queued", "sent"],
          "log: queued, sent: %r %r" % ([e["status"] for e in log], [e.get("reply") for e in log]))
    check(log and log[-1]["subject"] == subject, "the log keeps the subject as it was written")
    path = os.path.join(maildir, "msg-%d.eml" % n)
    if not check(wait_for(path), "the server received the message"):
        return
    with open(path, "rb") as f:
        data = f.read()
    msg = read_strict(data, "outbox message %d" % n)
    if msg is None:
        return
    check(str(msg["Subject"]) == subject, "the subject decodes to what was written (%d characters)" % len(subject))
    header_block = data.split(b"\r\n\r\n", 1)[0]
    check(all(len(l) <= 78 for l in header_block.split(b"\r\n")),
          "header lines folded to at most 78 characters")
    check(msg["Content-Transfer-Encoding"] in ("quoted-printable", "base64"),
          "an 8-bit body is encoded (%s)" % msg["Content-Transfer-Encoding"])
    try:
        content = msg.get_content()
    except Exception as e:
        check(False, "get_content raised %r" % e)
        return
    content = content.replace("\r\n", "\n")
    check(content == body or content == body + "\n" or content + "\n" == body,
          "the body decodes to the text sent")
    check(all("\n" + l + "\n" in "\n" + content for l in body.splitlines()),
          "every line is there, the lone \".\" and the 2,000-octet line included")
    with open(os.path.join(maildir, "env-%d.txt" % n)) as f:
        check(f.read().split() == [USER, RCPT], "envelope: from the account to the recipient")


def test_probe_message(home, maildir):
    n = len([f for f in os.listdir(maildir) if f.endswith(".eml")])
    r = home.cli(["test", "--send-to", RCPT, "--json"])
    check(r.returncode == 0, "test --send-to exits 0 (%d: %s)" % (r.returncode, r.stderr[-300:]))
    path = os.path.join(maildir, "msg-%d.eml" % n)
    if not check(wait_for(path), "the server received the test message"):
        return
    with open(path, "rb") as f:
        msg = read_strict(f.read(), "test message")
    if msg is not None:
        check(str(msg["Subject"]) == "Mail Relay test message", "test message subject")
        check("Mail Relay" in msg.get_content(), "test message body")


def main():
    work = tempfile.mkdtemp(prefix="message-cli-")
    certs = os.path.join(work, "certs")
    maildir = os.path.join(work, "mail")
    os.makedirs(maildir)
    subprocess.run([PYTHON, os.path.join(HERE, "make-certs.py"), certs], check=True, stdout=subprocess.DEVNULL)
    proc = subprocess.Popen([PYTHON, os.path.join(HERE, "aiosmtpd-server.py"), certs, maildir],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    home = None
    try:
        port = int(proc.stdout.readline().split()[1])
        home = Home(port, certs)
        for test in (test_outbox, test_short, test_probe_message):
            try:
                test(home, maildir)
            except Exception as e:  # a crash in one part is a failure, not a hang
                check(False, "%s raised %r" % (test.__name__, e))
    finally:
        proc.terminate()
        proc.wait()
        if home is not None:
            home.cleanup()
        shutil.rmtree(work, ignore_errors=True)

    print("TAP version 13")
    for i, (ok, what) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, what))
    print("1..%d" % len(results))
    return 0 if all(ok for ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
