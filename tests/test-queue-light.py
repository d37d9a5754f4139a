#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Queueing without the network stack: `mail-relay-cli send --no-wait`,
`sendmail -odq` (queue only) and `log` run with LD_DEBUG=files, and no library of the network stack
(libsoup, GnuTLS and what it needs, libsecret, libgcrypt…) may be among
the objects the dynamic loader opened, nor the CLI's network module. Then
its syncs are traced (strace -y): the message, the envelope and the
outbox folder once, and the send log, all before it says Queued. Then
`flush` opens the module and sends what was queued to a real server this
test starts on 127.0.0.1 (aiosmtpd, STARTTLS and AUTH); and with the
module missing, a network command fails with a clear error while
queueing still works.

Runs under build-aux/test (a real keyring on the session bus)."""
import os
import re
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
CLI = os.environ["MAIL_RELAY_CLI"]
PYTHON = "/usr/bin/python3"
USER, PASSWORD = "user@example.org", "right-pass"
RCPT = "rcpt@example.org"
MODULE = "mail-relay-cli-network.so"
# what queueing must not load: the network stack and the keyring's client
NETWORK = ("libsoup", "libgnutls", "libsecret", "libgcrypt", "libnettle", "libhogweed",
           "libp11-kit", "libtasn1", "libpsl", "libnghttp2", "libbrotli", "libsqlite3", MODULE)
results = []
skips = []


def check(cond, what):
    results.append((bool(cond), what))
    return cond


def loaded(stderr):
    """The objects LD_DEBUG=files says the loader opened"""
    return sorted(set(os.path.basename(m) for m in re.findall(r"\bfile=(\S+)\s+\[\d+\];\s+generating link map",
                                                                  stderr)))


class Home:
    """A private XDG tree with an account for the server at port."""
    def __init__(self, port, certs):
        self.dir = tempfile.mkdtemp(prefix="queue-light-")
        self.env = dict(os.environ, HOME=self.dir, LANGUAGE="C",
                        XDG_CONFIG_HOME=os.path.join(self.dir, "config"),
                        XDG_DATA_HOME=os.path.join(self.dir, "data"))
        self.env.pop("LD_DEBUG", None)
        r = self.cli(["account", "set", "--provider", "custom", "--host", "127.0.0.1",
                      "--port", str(port), "--security", "starttls", "--username", USER,
                      "--password-stdin", "--from", USER, "--ca-file", os.path.join(certs, "ca.pem")],
                     stdin=PASSWORD + "\n")
        assert r.returncode == 0, r.stderr

    def cli(self, args, stdin="", env=None, timeout=120):
        return subprocess.run([CLI] + args, input=stdin, env=dict(self.env, **(env or {})),
                              capture_output=True, text=True, timeout=timeout)

    def cleanup(self):
        self.cli(["account", "delete"])
        shutil.rmtree(self.dir, ignore_errors=True)


def test_queue_loads_no_network(home):
    r = home.cli(["send", "--no-wait", "--to", RCPT, "--subject", "light", "--body-file", "-"],
                 stdin="Queued without the network stack.\n", env={"LD_DEBUG": "files"})
    check(r.returncode == 0 and "Queued <" in r.stdout, "send --no-wait queues (exit %d)" % r.returncode)
    objects = loaded(r.stderr)
    check(any(o.startswith("libglib-2.0") for o in objects),
          "LD_DEBUG=files lists what send --no-wait loads (%d objects)" % len(objects))
    bad = [o for o in objects if o.startswith(NETWORK)]
    check(not bad, "send --no-wait loads nothing of the network stack: %s" % (", ".join(bad) or "none"))

    r = home.cli(["log", "--json"], env={"LD_DEBUG": "files"})
    bad = [o for o in loaded(r.stderr) if o.startswith(NETWORK)]
    check(r.returncode == 0 and '"status":"queued"' in r.stdout.replace(" ", ""),
          "log --json shows the message queued")
    check(not bad, "log loads nothing of the network stack: %s" % (", ".join(bad) or "none"))


def test_sendmail_loads_no_network(home):
    """sendmail up to the queueing (-odq: queue only) runs in
    mail-relay-cli itself too"""
    message = "From: %s\nTo: %s\nSubject: light sendmail\n\nQueued by the sendmail entry.\n" % (USER, RCPT)
    r = home.cli(["sendmail", "-odq", "-t", "-i"], stdin=message, env={"LD_DEBUG": "files"})
    check(r.returncode == 0, "sendmail -odq queues (exit %d)" % r.returncode)
    objects = loaded(r.stderr)
    check(any(o.startswith("libglib-2.0") for o in objects),
          "LD_DEBUG=files lists what sendmail -odq loads (%d objects)" % len(objects))
    bad = [o for o in objects if o.startswith(NETWORK)]
    check(not bad, "sendmail -odq loads nothing of the network stack: %s" % (", ".join(bad) or "none"))
    r = home.cli(["log", "--json", "--status", "queued", "--limit", "1"])
    check('"source":"sendmail"' in r.stdout.replace(" ", "") and "light sendmail" in r.stdout,
          "log --json shows it queued, from sendmail")


def test_queue_syncs(home):
    """What send --no-wait syncs, in order (strace -y names each file): the
    message (ID.eml), the envelope (ID.json, synced, then renamed into
    place), the outbox folder once for both, the send log; all before
    "Queued" is written; four syncs in all"""
    strace = shutil.which("strace")
    if strace is None:
        return "strace is not installed (build-aux/install-deps --test installs it)"
    trace = os.path.join(home.dir, "strace.txt")
    r = home.cli(["send", "--no-wait", "--to", RCPT, "--subject", "syncs", "--body-file", "-"],
                 stdin="Synced before it is said to be queued.\n", timeout=120)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([strace, "-f", "-y", "-o", trace, "-e",
                        "trace=write,fsync,fdatasync,sync_file_range,syncfs,rename,renameat,renameat2",
                        CLI, "send", "--no-wait", "--to", RCPT, "--subject", "syncs", "--body-file", "-"],
                       input="Synced before it is said to be queued.\n", env=home.env, capture_output=True,
                       text=True, timeout=120)
    if r.returncode != 0 and "ptrace" in r.stderr:
        return "strace cannot trace here: " + r.stderr.strip()[:200]
    check(r.returncode == 0 and "Queued <" in r.stdout, "send --no-wait under strace queues (exit %d)"
          % r.returncode)
    with open(trace) as f:
        calls = [re.sub(r"^\d+\s+", "", line.strip()) for line in f]
    outbox = os.path.join(home.dir, "data", "mail-relay", "outbox")

    def first(pattern):
        return next((i for i, c in enumerate(calls) if re.search(pattern, c)), None)

    syncs = [c for c in calls if re.match(r"(fsync|fdatasync|sync_file_range|syncfs)\(", c)]
    eml = first(r"^fsync\(\d+<%s/[^>]*\.eml(\.\w+)?>\) = 0" % re.escape(outbox))
    rename = first(r"^rename\w*\(.*\.json\.\w+\", .*%s/[^\"]*\.json\"\) = 0" % re.escape(outbox))
    folder = first(r"^fsync\(\d+<%s>\) = 0" % re.escape(outbox))
    folder_after = next((i for i, c in enumerate(calls) if rename is not None and i > rename
                         and re.match(r"fsync\(\d+<%s>\) = 0" % re.escape(outbox), c)), None)
    log = first(r"^fsync\(\d+<[^>]*/send-log\.jsonl>\) = 0")
    queued = first(r"^write\(1<.*\"Queued <")
    check(None not in (eml, rename, folder_after, log, queued) and eml < rename < folder_after < queued
          and log < queued,
          "the message, the envelope's rename, the outbox folder and the send log are synced before "
          "Queued is said (at calls %s, %s, %s, %s; Queued at %s)" % (eml, rename, folder_after, log, queued))
    check(len(syncs) == 4, "four syncs in all, one of the outbox folder (%d: %s)"
          % (len(syncs), "; ".join(re.sub(r"\(\d+<(.*)>\).*", r" \1", c) for c in syncs)))
    check(folder == folder_after, "the outbox folder is synced once, after both files are in place")
    return None


def test_flush_loads_module_and_sends(home, maildir):
    r = home.cli(["flush"], env={"LD_DEBUG": "files"})
    objects = loaded(r.stderr)
    check(MODULE in objects and any(o.startswith("libsoup") for o in objects),
          "flush opens the network module (and libsoup with it)")
    stdout = r.stdout
    # the first send, sendmail's, and the two of test_queue_syncs
    check(r.returncode == 0 and "Sent 4," in stdout, "flush sends the queued messages (exit %d: %s)"
          % (r.returncode, (stdout + r.stderr[-300:]).strip()[-300:] if r.returncode else stdout.strip()))
    received = [n for n in os.listdir(maildir) if n.endswith(".eml")]
    check(len(received) == 4, "the server received them (%d messages)" % len(received))


def test_module_missing(home):
    empty = tempfile.mkdtemp(prefix="queue-light-nomodule-")
    try:
        env = {"MAIL_RELAY_CLI_MODULE_DIR": empty}
        r = home.cli(["flush"], env=env)
        check(r.returncode == 1 and "network module" in r.stderr and MODULE in r.stderr
              and "Traceback" not in r.stderr,
              "without the module, flush exits 1 naming the module: %s" % r.stderr.strip()[:200])
        r = home.cli(["send", "--no-wait", "--to", RCPT, "--subject", "no module"], env=env)
        check(r.returncode == 0 and "Queued <" in r.stdout, "without the module, send --no-wait still queues")
        r = home.cli(["send", "--to", RCPT, "--subject", "no module, then send"], env=env)
        check(r.returncode == 1 and "Queued <" in r.stdout and "network module" in r.stderr,
              "without the module, send queues, then says it cannot send (exit %d)" % r.returncode)
        r = home.cli(["sendmail", RCPT], stdin="Subject: no module, sendmail\n\nStill queued.\n", env=env)
        check(r.returncode == 0 and "network module" in r.stderr and "is queued" in r.stderr,
              "without the module, sendmail queues (exit 0), then says it could not send it now (%d: %s)"
              % (r.returncode, " ".join(r.stderr.split())[-200:]))
    finally:
        shutil.rmtree(empty, ignore_errors=True)


def skip_if(reason, what):
    if reason is not None:
        skips.append((what, reason))


def main():
    work = tempfile.mkdtemp(prefix="queue-light-cli-")
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
        for test in (lambda: test_queue_loads_no_network(home),
                     lambda: test_sendmail_loads_no_network(home),
                     lambda: skip_if(test_queue_syncs(home), "send --no-wait syncs what it must, once each"),
                     lambda: test_flush_loads_module_and_sends(home, maildir),
                     lambda: test_module_missing(home)):
            try:
                test()
            except Exception as e:  # a crash in one part is a failure, not a hang
                check(False, "raised %r" % e)
    finally:
        proc.terminate()
        proc.wait()
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
