#!/usr/bin/python3
# test-smtp.py - `mail-relay-cli test` against scripted SMTP servers (TAP)
#
# Copyright 2026 The Mail Relay developers
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Environment: MAIL_RELAY_CLI = path of the mail-relay-cli binary.
# Every case gets a fresh fake-smtp-server.py and fresh XDG directories, runs
# `mail-relay-cli test ... --json` with the password on stdin, and checks the
# exit status, the JSON, and what the server received.  Cases run in parallel;
# every subprocess is killed after 30 s, so nothing can hang the suite.

import base64
import concurrent.futures
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
CLI = os.environ.get("MAIL_RELAY_CLI")
FAKE = os.path.join(HERE, "fake-smtp-server.py")
MAKE_CERTS = os.path.join(HERE, "make-certs.py")

USER = "user@example.org"
PASSWORD = "right-pass"
RCPT = "rcpt@example.org"
SECRETS = [
    PASSWORD,
    base64.b64encode(b"\0" + USER.encode() + b"\0" + PASSWORD.encode()).decode().rstrip("="),
    base64.b64encode(PASSWORD.encode()).decode().rstrip("="),
]
ALL_STEPS = ["resolve", "connect", "greeting", "ehlo", "starttls", "tls", "auth",
             "mail", "rcpt", "data", "quit"]
CLI_TIMEOUT = 30

WORK = None   # the suite's temporary directory
CERTS = None  # its certificate directory
FINGERPRINTS = {}


# ---- helpers ---------------------------------------------------------------

class CheckFailed(Exception):
    pass


class Case:
    """Collects the failed assertions of one test point."""

    def __init__(self, name):
        self.name = name
        self.failures = []
        self.notes = []

    def check(self, cond, what):
        if not cond:
            self.failures.append(what)
        return bool(cond)

    def eq(self, actual, expected, what):
        return self.check(actual == expected,
                          "%s: expected %r, got %r" % (what, expected, actual))

    def note(self, text):
        self.notes.append(text)


class FakeServer:
    def __init__(self, scenario, cert="good", implicit_tls=False, tls=True):
        self.dir = tempfile.mkdtemp(prefix="srv-", dir=WORK)
        self.log_path = os.path.join(self.dir, "server.log")
        self.maildir = os.path.join(self.dir, "maildir")
        open(self.log_path, "w").close()
        argv = [PYTHON, FAKE, "--scenario", scenario, "--log", self.log_path,
                "--maildir", self.maildir]
        if tls:
            argv += ["--tls-cert", os.path.join(CERTS, cert + ".pem"),
                     "--tls-key", os.path.join(CERTS, cert + ".key")]
        if implicit_tls:
            argv.append("--implicit-tls")
        self.proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                     stderr=open(os.path.join(self.dir, "server.err"), "w"),
                                     start_new_session=True)
        self.port = read_port(self.proc)

    def lines(self):
        with open(self.log_path, encoding="utf-8", errors="replace") as f:
            return [l.rstrip("\n") for l in f]

    def commands(self):
        """What the client sent, without the rig's own "* " event lines."""
        return [l for l in self.lines() if not l.startswith("* ")]

    def events(self):
        return [l for l in self.lines() if l.startswith("* ")]

    def verbs(self):
        return [l.split(" ")[0].upper() for l in self.commands()]

    def messages(self):
        if not os.path.isdir(self.maildir):
            return []
        out = []
        for n in sorted(os.listdir(self.maildir)):
            if n.endswith(".eml"):
                with open(os.path.join(self.maildir, n), "rb") as f:
                    out.append(f.read())
        return out

    def stop(self):
        stop_process(self.proc)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def stop_process(proc):
    if proc.poll() is None:
        try:
            os.killpg(proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            proc.wait(5)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    if proc.stdout:
        proc.stdout.close()


def read_port(proc, timeout=10):
    import selectors
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    if not sel.select(timeout):
        stop_process(proc)
        raise RuntimeError("server did not print its port within %d s" % timeout)
    line = proc.stdout.readline().decode()
    m = re.match(r"PORT (\d+)$", line.strip())
    if not m:
        stop_process(proc)
        raise RuntimeError("server printed %r instead of PORT n" % line)
    return int(m.group(1))


class Result:
    def __init__(self, argv, rc, stdout, stderr, elapsed):
        self.argv = argv
        self.rc = rc
        self.stdout = stdout
        self.stderr = stderr
        self.elapsed = elapsed
        self.json = None
        self.json_error = None
        try:
            self.json = json.loads(stdout)
        except ValueError as e:
            self.json_error = str(e)

    def get(self, *path, default=None):
        node = self.json
        for p in path:
            if isinstance(node, dict) and p in node:
                node = node[p]
            else:
                return default
        return node

    def step(self, name):
        found = None
        for s in self.get("steps", default=[]) or []:
            if isinstance(s, dict) and s.get("step") == name:
                found = s
        return found

    def excerpt(self):
        if self.json is None:
            return "stdout (not JSON: %s): %s" % (self.json_error, self.stdout[:1500])
        j = dict(self.json)
        j.pop("transcript", None)
        return json.dumps(j, sort_keys=True)[:3000]


def run_cli(args, password=True, timeout=CLI_TIMEOUT, accounts=None):
    home = tempfile.mkdtemp(prefix="cli-", dir=WORK)
    env = dict(os.environ)
    for var in ("XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        env[var] = os.path.join(home, var.lower())
        os.makedirs(env[var])
    env["HOME"] = home
    if accounts is not None:
        # a saved account, as accounts.json holds it
        folder = os.path.join(env["XDG_CONFIG_HOME"], "mail-relay")
        os.makedirs(folder, mode=0o700)
        path = os.path.join(folder, "accounts.json")
        with open(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            json.dump({"version": 1, "accounts": accounts}, f)
    argv = [CLI, "test"] + args
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, env=env, start_new_session=True)
    try:
        out, err = proc.communicate((PASSWORD + "\n").encode() if password else b"",
                                    timeout=timeout)
        rc = proc.returncode
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        rc = "killed after %d s" % timeout
    return Result(argv, rc, out.decode("utf-8", "replace"), err.decode("utf-8", "replace"),
                  time.monotonic() - start)


def cli_args(port, security="starttls", auth=True, ca=True, send_to=False, timeout=3,
             extra=()):
    a = ["--host", "127.0.0.1", "--port", str(port), "--security", security]
    if auth:
        a += ["--username", USER, "--password-stdin"]
    a += ["--from", USER]
    if ca:
        a += ["--ca-file", os.path.join(CERTS, "ca.pem")]
    if send_to:
        a += ["--send-to", RCPT]
    if timeout is not None:
        a += ["--timeout", str(timeout)]
    a += list(extra)
    a.append("--json")
    return a


def check_secrets(t, r, server=None):
    """No credential anywhere in the output; AUTH data masked as ****."""
    blob = r.stdout + r.stderr
    for s in SECRETS:
        t.check(s not in blob, "output contains the secret %r" % s)
    # Whatever the client actually sent as AUTH data must not be printed either.
    if server is not None:
        cmds = server.commands()
        for i, c in enumerate(cmds):
            up = c.upper()
            payloads = []
            if up.startswith("AUTH "):
                payloads = c.split()[2:]
                j = i + 1
                while j < len(cmds) and not re.match(r"[A-Za-z]{4}( |$)", cmds[j]):
                    payloads.append(cmds[j])
                    j += 1
            for p in payloads:
                if len(p) >= 4 and p != "*":
                    t.check(p not in blob, "output contains the AUTH payload %r" % p)
    transcript = r.get("transcript", default=[]) or []
    if server is not None and any(c.upper().startswith("AUTH ") for c in server.commands()):
        t.check(any("****" in l for l in transcript if isinstance(l, str)),
                "transcript has no **** where the AUTH data went")


def check_failure(t, r, kind, reply_code=None):
    t.eq(r.rc, 1, "exit status")
    t.eq(r.get("ok"), False, "ok")
    t.eq(r.get("error", "kind"), kind, "error.kind")
    if reply_code is not None:
        reply = r.get("error", "reply") or ""
        t.check(isinstance(reply, str) and reply.startswith(reply_code),
                "error.reply should start with %s, got %r" % (reply_code, reply))
    hint = r.get("error", "hint")
    t.check(isinstance(hint, str) and hint.strip(), "error.hint empty: %r" % (hint,))


def check_success(t, r):
    t.eq(r.rc, 0, "exit status")
    t.eq(r.get("ok"), True, "ok")


def no_verb(t, server, *verbs):
    got = server.verbs()
    for v in verbs:
        t.check(v not in got, "server received %s (log: %s)" % (v, got))


# ---- cases -----------------------------------------------------------------

CASES = []


def case(name):
    def deco(fn):
        CASES.append((name, fn))
        return fn
    return deco


def simple_failure(scenario, kind, reply=None, send_to=True, forbidden=(), step=None,
                   max_seconds=None, **kw):
    def fn(t):
        with FakeServer(scenario) as srv:
            r = run_cli(cli_args(srv.port, send_to=send_to, **kw))
            t.r, t.srv = r, srv
            check_failure(t, r, kind, reply)
            check_secrets(t, r, srv)
            no_verb(t, srv, *forbidden)
            if step:
                s = r.step(step)
                t.check(s is not None and s.get("ok") is False,
                        "step %s should be present and not ok: %r" % (step, s))
            if max_seconds:
                t.check(r.elapsed < max_seconds, "took %.1f s (limit %d s)"
                        % (r.elapsed, max_seconds))
    return fn


@case("good: STARTTLS, AUTH, test message, every step ok")
def _(t):
    with FakeServer("good") as srv:
        r = run_cli(cli_args(srv.port, send_to=True))
        t.r, t.srv = r, srv
        check_success(t, r)
        t.eq(r.get("host"), "127.0.0.1", "host")
        t.eq(r.get("port"), srv.port, "port")
        t.eq(r.get("security"), "starttls", "security")
        for name in ALL_STEPS:
            s = r.step(name)
            t.check(s is not None and s.get("ok") is True, "step %s: %r" % (name, s))
        t.check(r.get("tls", "version"), "tls.version empty")
        sha = r.get("tls", "certificate", "sha256") or ""
        t.check(re.fullmatch(r"[0-9a-fA-F]{64}", sha), "tls.certificate.sha256 %r" % sha)
        t.eq(sha.lower(), FINGERPRINTS["good"], "tls.certificate.sha256")
        mechs = r.get("server", "auth_mechanisms") or []
        t.check("PLAIN" in mechs, "server.auth_mechanisms lacks PLAIN: %r" % mechs)
        t.eq(r.get("server", "size_limit"), 1000000, "server.size_limit")
        check_secrets(t, r, srv)
        lines = srv.lines()
        cmds = srv.commands()
        t.check("STARTTLS" in cmds, "no STARTTLS in the server log")
        if "STARTTLS" in cmds:
            after = cmds[cmds.index("STARTTLS") + 1:]
            t.check(after and after[0].upper().startswith("EHLO"),
                    "first command after STARTTLS is not EHLO: %r" % after[:1])
        for ev in ("* pipelined-after-starttls", "* bare-lf", "* bare-cr-in-data",
                   "* bare-lf-in-data", "* size-param-not-advertised"):
            t.check(not any(l.startswith(ev) for l in lines), "server saw %s" % ev)
        msgs = srv.messages()
        t.eq(len(msgs), 1, "messages in the maildir")
        if msgs:
            head = msgs[0].split(b"\r\n\r\n", 1)[0]
            t.check(re.search(rb"(?im)^Subject: ?\S", head),
                    "no Subject header in the message: %r" % msgs[0][:300])


@case("good: implicit TLS with the CA")
def _(t):
    with FakeServer("good", implicit_tls=True) as srv:
        r = run_cli(cli_args(srv.port, security="tls"))
        t.r, t.srv = r, srv
        check_success(t, r)
        t.check(r.get("tls", "version"), "tls.version empty")
        s = r.step("auth")
        t.check(s is not None and s.get("ok") is True, "step auth: %r" % (s,))
        check_secrets(t, r, srv)


@case("no-starttls: starttls-unavailable, no AUTH sent")
def _(t):
    simple_failure("no-starttls", "starttls-unavailable", send_to=True,
                   forbidden=("AUTH", "MAIL"))(t)


@case("starttls-inject: tls error, nothing sent after STARTTLS")
def _(t):
    simple_failure("starttls-inject", "tls", forbidden=("AUTH", "MAIL"))(t)
    cmds = t.srv.commands()
    if t.check("STARTTLS" in cmds, "no STARTTLS in the server log: %r" % cmds):
        after = cmds[cmds.index("STARTTLS") + 1:]
        t.check(not after, "client sent after the injected STARTTLS reply: %r" % after)


@case("starttls-refused (454): starttls-unavailable, no AUTH")
def _(t):
    simple_failure("starttls-refused", "starttls-unavailable", "454",
                   forbidden=("AUTH", "MAIL"))(t)


@case("caps-change: capabilities re-learnt after TLS (AUTH LOGIN, no SIZE 10)")
def _(t):
    with FakeServer("caps-change") as srv:
        r = run_cli(cli_args(srv.port, send_to=True))
        t.r, t.srv = r, srv
        check_success(t, r)
        cmds = srv.commands()
        t.check("AUTH LOGIN" in [c.upper()[:10] for c in cmds],
                "server log has no AUTH LOGIN: %r" % cmds)
        t.check(not any(c.upper().startswith("AUTH PLAIN") for c in cmds),
                "client used AUTH PLAIN learnt before TLS")
        t.check("* size-param-not-advertised" not in srv.lines(),
                "client sent SIZE= although SIZE is no longer advertised after TLS")
        mechs = r.get("server", "auth_mechanisms") or []
        t.check("PLAIN" not in mechs and "LOGIN" in mechs,
                "server.auth_mechanisms should be the post-TLS [LOGIN]: %r" % mechs)
        t.check(r.get("server", "size_limit") != 10,
                "server.size_limit is the pre-TLS 10")
        t.eq(len(srv.messages()), 1, "messages received")
        check_secrets(t, r, srv)


@case("greeting-554: rejected")
def _(t):
    simple_failure("greeting-554", "rejected", "554", forbidden=("AUTH", "MAIL"),
                   step="greeting")(t)


@case("ehlo-500: falls back to HELO (security none, no password)")
def _(t):
    with FakeServer("ehlo-500", tls=False) as srv:
        r = run_cli(cli_args(srv.port, security="none", auth=False, ca=False),
                    password=False)
        t.r, t.srv = r, srv
        check_success(t, r)
        t.check("HELO" in srv.verbs(), "no HELO in the server log: %r" % srv.commands())
        no_verb(t, srv, "AUTH")


@case("mail-550: rejected")
def _(t):
    simple_failure("mail-550", "rejected", "550", forbidden=("RCPT", "DATA"), step="mail")(t)


@case("rcpt-550: rejected")
def _(t):
    simple_failure("rcpt-550", "rejected", "550", forbidden=("DATA",), step="rcpt")(t)


@case("data-554: rejected")
def _(t):
    simple_failure("data-554", "rejected", "554", step="data")(t)


@case("data-end-552: rejected after the final dot")
def _(t):
    simple_failure("data-end-552", "rejected", "552", step="data")(t)


@case("quit-odd: success, quit step not ok")
def _(t):
    with FakeServer("quit-odd") as srv:
        r = run_cli(cli_args(srv.port, send_to=True))
        t.r, t.srv = r, srv
        check_success(t, r)
        s = r.step("quit")
        t.check(s is not None and s.get("ok") is False, "step quit: %r" % (s,))
        check_secrets(t, r, srv)


@case("auth-535: auth")
def _(t):
    simple_failure("auth-535", "auth", "535", forbidden=("MAIL",), step="auth")(t)


@case("o365-5.7.139: auth")
def _(t):
    simple_failure("o365-5.7.139", "auth", "535", forbidden=("MAIL",), step="auth")(t)
    reply = t.r.get("error", "reply") or ""
    t.check("5.7.139" in reply, "error.reply lacks 5.7.139: %r" % reply)


@case("endless-334: protocol error, no hang")
def _(t):
    simple_failure("endless-334", "protocol", forbidden=("MAIL",), max_seconds=10)(t)


@case("long-line: protocol error within 10 s")
def _(t):
    simple_failure("long-line", "protocol", forbidden=("AUTH", "MAIL"), max_seconds=10)(t)


@case("silent: timeout within 8 s, greeting step not ok")
def _(t):
    simple_failure("silent", "timeout", forbidden=("AUTH",), step="greeting",
                   max_seconds=8, timeout=2)(t)


@case("drop-in-data (orderly close after a few bytes of DATA): protocol")
def _(t):
    simple_failure("drop-in-data", "protocol", step="data")(t)


@case("reset-in-data (abrupt close, no TLS close_notify): protocol")
def _(t):
    simple_failure("reset-in-data", "protocol", step="data")(t)


@case("421-after-mail: rejected")
def _(t):
    simple_failure("421-after-mail", "rejected", "421", forbidden=("RCPT", "DATA"),
                   step="mail")(t)


@case("ses-throttle (454 at MAIL): rejected")
def _(t):
    simple_failure("ses-throttle", "rejected", "454", forbidden=("RCPT", "DATA"),
                   step="mail")(t)


def token_run(port, mech, token):
    args = cli_args(port, auth=False, extra=["--auth", mech, "--username", USER, "--password-stdin"])
    home = tempfile.mkdtemp(prefix="cli-", dir=WORK)
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, "c"),
               XDG_DATA_HOME=os.path.join(home, "d"))
    proc = subprocess.run([CLI, "test"] + args + ["--json"], input=(token + "\n").encode(),
                          capture_output=True, env=env, timeout=CLI_TIMEOUT)
    return proc


for _mech in ("xoauth2", "oauthbearer"):
    @case("%s: a good token signs in" % _mech)
    def _(t, mech=_mech):
        with FakeServer("good") as srv:
            proc = token_run(srv.port, mech, "right-token")
            out = proc.stdout.decode() + proc.stderr.decode()
            t.eq(proc.returncode, 0, "exit status (%s)" % out[-400:])
            t.check("right-token" not in out, "the token appears in the output")
            t.check(base64.b64encode(b"Bearer right-token") not in proc.stdout, "encoded token in the output")
            t.check(any(l.upper().startswith("AUTH " + mech.upper()) for l in srv.commands()),
                    "the server did not receive AUTH %s" % mech.upper())

    @case("%s: a refused token gets the 334 challenge answered, then auth" % _mech)
    def _(t, mech=_mech):
        with FakeServer("good") as srv:
            proc = token_run(srv.port, mech, "stale-token")
            t.eq(proc.returncode, 1, "exit status")
            result = json.loads(proc.stdout or b"{}")
            t.eq((result.get("error") or {}).get("kind"), "auth", "error.kind")
            t.check(((result.get("error") or {}).get("reply") or "").startswith("535"), "the final 535")
            answer = "" if mech == "xoauth2" else "AQ=="
            cmds = srv.commands()
            t.check(answer in cmds[cmds.index(next(c for c in cmds if c.upper().startswith("AUTH"))) + 1:][:1],
                    "the challenge was not answered with %r: %s" % (answer, cmds))
            t.check("stale-token" not in proc.stdout.decode() + proc.stderr.decode(), "token in the output")


@case("unsolicited: a reply nobody asked for is a protocol error, nothing sent after")
def _(t):
    with FakeServer("unsolicited") as srv:
        r = run_cli(cli_args(srv.port))
        t.r, t.srv = r, srv
        check_failure(t, r, "protocol")
        no_verb(t, srv, "EHLO", "STARTTLS", "AUTH")
        check_secrets(t, r, srv)


@case("multiline: multi-line greeting and replies everywhere")
def _(t):
    with FakeServer("multiline") as srv:
        r = run_cli(cli_args(srv.port, send_to=True))
        t.r, t.srv = r, srv
        check_success(t, r)
        g = r.get("server", "greeting") or ""
        t.check("first line" in g, "server.greeting lacks its first line: %r" % g)
        t.eq(len(srv.messages()), 1, "messages received")
        check_secrets(t, r, srv)


@case("plaintext-on-tls-port: tls error, no fallback")
def _(t):
    with FakeServer("plaintext-on-tls-port", tls=False) as srv:
        r = run_cli(cli_args(srv.port, security="tls"))
        t.r, t.srv = r, srv
        check_failure(t, r, "tls")
        check_secrets(t, r, srv)
        for c in srv.commands():
            t.check(not re.match(r"(?i)(EHLO|HELO|AUTH|MAIL) ", c),
                    "client fell back to plaintext: %r" % c)


@case("plaintext-on-tls-port: the hint says which Security fits, not to try again")
def _(t):
    with FakeServer("plaintext-on-tls-port", tls=False) as srv:
        r = run_cli(cli_args(srv.port, security="tls"))
        t.r, t.srv = r, srv
        check_failure(t, r, "tls")
        hint = r.get("error", "hint") or ""
        t.check(not hint.startswith("Try again"), "hint starts with Try again: %r" % hint)
        t.check("Set Security to STARTTLS" in hint, "hint does not name STARTTLS: %r" % hint)


@case("user name without a password: sign-in skipped, not ok, no AUTH, no message")
def _(t):
    with FakeServer("good") as srv:
        r = run_cli(cli_args(srv.port, auth=False, send_to=True, extra=["--username", USER]),
                    password=False)
        t.r, t.srv = r, srv
        check_failure(t, r, "config")
        s = r.step("auth")
        t.check(s is not None and s.get("ok") is False and s.get("skipped") is True,
                "step auth should be there, not ok and skipped: %r" % (s,))
        for name in ("resolve", "connect", "tls", "ehlo"):
            st = r.step(name)
            t.check(st is not None and st.get("ok") is True and st.get("skipped") is False,
                    "step %s: %r" % (name, st))
        t.check("not tested" in (r.get("error", "message") or "").lower(),
                "error.message does not say sign-in was not tested: %r" % r.get("error", "message"))
        no_verb(t, srv, "AUTH", "MAIL", "DATA")
        t.check(r.get("server", "auth_mechanisms"), "the server offered no AUTH in this scenario")


@case("size-small (SIZE 20): test message not sent")
def _(t):
    with FakeServer("size-small") as srv:
        r = run_cli(cli_args(srv.port, send_to=True))
        t.r, t.srv = r, srv
        t.eq(r.rc, 1, "exit status")
        t.eq(r.get("ok"), False, "ok")
        no_verb(t, srv, "DATA")
        check_secrets(t, r, srv)


def cert_failure(cert, flag, security="tls", ca=True, extra=()):
    def fn(t):
        with FakeServer("good", cert=cert, implicit_tls=(security == "tls")) as srv:
            r = run_cli(cli_args(srv.port, security=security, ca=ca, extra=extra))
            t.r, t.srv = r, srv
            check_failure(t, r, "tls")
            errors = r.get("tls", "errors") or []
            if flag:
                t.check(flag in errors, "tls.errors lacks %r: %r" % (flag, errors))
            sha = r.get("tls", "certificate", "sha256") or ""
            t.eq(sha.lower(), FINGERPRINTS[cert], "tls.certificate.sha256")
            no_verb(t, srv, "AUTH", "MAIL")
            check_secrets(t, r, srv)
    return fn


@case("self-signed, no --ca-file: tls, unknown-ca, fingerprint shown")
def _(t):
    cert_failure("self-signed", "unknown-ca", ca=False)(t)


@case("self-signed with --pin of its SHA-256: success")
def _(t):
    with FakeServer("good", cert="self-signed", implicit_tls=True) as srv:
        r = run_cli(cli_args(srv.port, security="tls", ca=False,
                             extra=["--pin", FINGERPRINTS["self-signed"]]))
        t.r, t.srv = r, srv
        check_success(t, r)
        check_secrets(t, r, srv)


@case("self-signed with a wrong --pin: failure")
def _(t):
    wrong = FINGERPRINTS["other"]
    with FakeServer("good", cert="self-signed", implicit_tls=True) as srv:
        r = run_cli(cli_args(srv.port, security="tls", ca=False, extra=["--pin", wrong]))
        t.r, t.srv = r, srv
        t.eq(r.rc, 1, "exit status")
        t.eq(r.get("ok"), False, "ok")
        t.eq(r.get("error", "kind"), "tls", "error.kind")
        no_verb(t, srv, "AUTH", "MAIL")
        check_secrets(t, r, srv)


def pinned_account(port, pin, pins_for=None):
    """The saved account of a pin test: implicit TLS to 127.0.0.1, no sign-in."""
    account = {"id": "9b2f6f8e-2a9e-4d55-9d5c-3c1f0a9e4b11", "provider": "custom", "host": "127.0.0.1",
               "port": port, "security": "tls", "auth": "auto", "username": "", "from": USER,
               "ca_file": "", "pins": [pin]}
    if pins_for is not None:
        account["pins_for"] = pins_for
    return [account]


def check_pin_refused(t, r, srv, presented, trusted):
    """Refused as a changed certificate: both fingerprints named, nothing sent."""
    check_failure(t, r, "tls")
    t.eq((r.get("tls", "certificate", "sha256") or "").lower(), presented, "tls.certificate.sha256")
    t.eq(r.get("tls", "pinned"), False, "tls.pinned")
    t.eq(r.get("tls", "pins"), trusted, "tls.pins (the certificates trusted for this server)")
    message = r.get("error", "message") or ""
    t.check("changed" in message, "error.message does not say the certificate changed: %r" % message)
    t.check(presented in message, "error.message does not name the new fingerprint: %r" % message)
    for pin in trusted:
        t.check(pin in message, "error.message does not name the trusted fingerprint %s: %r" % (pin, message))
    step = r.step("tls")
    t.check(step is not None and step.get("ok") is False and presented in (step.get("detail") or ""),
            "step tls should fail naming the new fingerprint: %r" % (step,))
    no_verb(t, srv, "AUTH", "MAIL")


@case("saved pin for this host and port (pins_for), or from an older file (no pins_for): success")
def _(t):
    with FakeServer("good", cert="self-signed", implicit_tls=True) as srv:
        pin = FINGERPRINTS["self-signed"]
        for pins_for in ({"host": "127.0.0.1", "port": srv.port}, None):
            r = run_cli(["--timeout", "3", "--json"], password=False,
                        accounts=pinned_account(srv.port, pin, pins_for))
            t.r, t.srv = r, srv
            check_success(t, r)
            t.eq(r.get("tls", "pinned"), True, "tls.pinned (pins_for %r)" % (pins_for,))
            t.eq(r.get("tls", "pins"), [pin], "tls.pins (pins_for %r)" % (pins_for,))


@case("saved pin made for another host or port: not used, the self-signed certificate refused")
def _(t):
    with FakeServer("good", cert="self-signed", implicit_tls=True) as srv:
        pin = FINGERPRINTS["self-signed"]
        for pins_for in ({"host": "localhost", "port": srv.port}, {"host": "127.0.0.1", "port": srv.port + 1}):
            r = run_cli(["--timeout", "3", "--json"], password=False,
                        accounts=pinned_account(srv.port, pin, pins_for))
            t.r, t.srv = r, srv
            check_failure(t, r, "tls")
            t.check("unknown-ca" in (r.get("tls", "errors") or []),
                    "checked as without a pin (pins_for %r): %r" % (pins_for, r.get("tls")))
            t.eq(r.get("tls", "pinned"), False, "tls.pinned (pins_for %r)" % (pins_for,))
            t.eq(r.get("tls", "pins"), [], "tls.pins (pins_for %r)" % (pins_for,))
            no_verb(t, srv, "AUTH", "MAIL")


@case("rotated certificate (pinned one replaced): refused, old and new fingerprints named")
def _(t):
    old = FINGERPRINTS["other"]
    with FakeServer("good", cert="self-signed", implicit_tls=True) as srv:
        r = run_cli(cli_args(srv.port, security="tls", ca=False, extra=["--pin", old]))
        t.r, t.srv = r, srv
        check_pin_refused(t, r, srv, FINGERPRINTS["self-signed"], [old])
        check_secrets(t, r, srv)


@case("rotated certificate, text output: the new fingerprint and the trusted one named")
def _(t):
    old = FINGERPRINTS["other"]
    with FakeServer("good", cert="self-signed", implicit_tls=True) as srv:
        args = cli_args(srv.port, security="tls", ca=False, extra=["--pin", old])
        args.remove("--json")
        r = run_cli(args)
        t.r, t.srv = r, srv
        t.eq(r.rc, 1, "exit status")
        t.check("changed" in r.stdout, "the output does not say the certificate changed: %r" % r.stdout)
        t.check(FINGERPRINTS["self-signed"] in r.stdout and old in r.stdout,
                "the output does not name both fingerprints: %r" % r.stdout)
        no_verb(t, srv, "AUTH", "MAIL")


@case("CA-valid certificate that is not the pinned one: refused (implicit TLS and STARTTLS)")
def _(t):
    pin = FINGERPRINTS["self-signed"]
    for security in ("tls", "starttls"):
        with FakeServer("good", cert="good", implicit_tls=(security == "tls")) as srv:
            r = run_cli(cli_args(srv.port, security=security, send_to=True, extra=["--pin", pin]))
            t.r, t.srv = r, srv
            check_pin_refused(t, r, srv, FINGERPRINTS["good"], [pin])
            t.eq(r.get("tls", "errors"), [], "tls.errors (the CA vouches for it)")
            t.eq(srv.messages(), [], "messages received")
            check_secrets(t, r, srv)


@case("CA-valid certificate pinned too: success, pinned")
def _(t):
    with FakeServer("good", cert="good", implicit_tls=True) as srv:
        r = run_cli(cli_args(srv.port, security="tls", extra=["--pin", FINGERPRINTS["good"]]))
        t.r, t.srv = r, srv
        check_success(t, r)
        t.eq(r.get("tls", "pinned"), True, "tls.pinned")


@case("pinned certificate with a wrong name and an expired one: accepted, as the pin says")
def _(t):
    for cert in ("wrong-name", "expired"):
        with FakeServer("good", cert=cert, implicit_tls=True) as srv:
            r = run_cli(cli_args(srv.port, security="tls", extra=["--pin", FINGERPRINTS[cert]]))
            t.r, t.srv = r, srv
            check_success(t, r)
            t.eq(r.get("tls", "pinned"), True, "tls.pinned (%s)" % cert)


@case("expired certificate: tls, expired")
def _(t):
    cert_failure("expired", "expired")(t)


@case("not-yet-valid certificate: tls, not-activated")
def _(t):
    cert_failure("future", "not-activated")(t)


@case("wrong-name certificate: tls, bad-identity")
def _(t):
    cert_failure("wrong-name", "bad-identity")(t)


@case("certificate from another CA: tls, unknown-ca")
def _(t):
    cert_failure("other", "unknown-ca")(t)


@case("STARTTLS + wrong-name certificate: tls, bad-identity, no AUTH")
def _(t):
    cert_failure("wrong-name", "bad-identity", security="starttls")(t)


@case("CR/LF in --from: exit 2, no connection")
def _(t):
    with FakeServer("good") as srv:
        args = cli_args(srv.port, send_to=True)
        args[args.index("--from") + 1] = "a@example.org\r\nRCPT TO:<x@y.z>"
        r = run_cli(args)
        t.r, t.srv = r, srv
        t.eq(r.rc, 2, "exit status")
        time.sleep(0.2)
        t.eq(srv.lines(), [], "server log (should be empty: no connection)")
        check_secrets(t, r)


@case("CR/LF in --send-to: exit 2, no connection")
def _(t):
    with FakeServer("good") as srv:
        args = cli_args(srv.port, send_to=True)
        args[args.index("--send-to") + 1] = "b@example.org\nDATA"
        r = run_cli(args)
        t.r, t.srv = r, srv
        t.eq(r.rc, 2, "exit status")
        time.sleep(0.2)
        t.eq(srv.lines(), [], "server log (should be empty: no connection)")
        check_secrets(t, r)




@case("real server (aiosmtpd): STARTTLS, AUTH, message received")
def _(t):
    try:
        import aiosmtpd  # noqa: F401  (only to know whether it is installed)
    except ImportError:
        # build-aux/test installs python3-aiosmtpd: its absence is a failure
        t.check(False, "python3-aiosmtpd is not installed")
        return
    d = tempfile.mkdtemp(prefix="aiosmtpd-", dir=WORK)
    script = os.path.join(os.path.dirname(os.path.abspath(__file__)), "aiosmtpd-server.py")
    outdir = os.path.join(d, "out")
    os.makedirs(outdir)
    proc = subprocess.Popen([PYTHON, script, CERTS, outdir], stdin=subprocess.DEVNULL,
                            stdout=subprocess.PIPE,
                            stderr=open(os.path.join(d, "server.err"), "w"),
                            start_new_session=True)
    try:
        port = read_port(proc, timeout=15)
        r = run_cli(cli_args(port, send_to=True, timeout=5))
        t.r = r
        check_success(t, r)
        check_secrets(t, r)
        msgs = [f for f in os.listdir(outdir) if f.endswith(".eml")]
        t.eq(len(msgs), 1, "messages received by aiosmtpd")
        if msgs:
            with open(os.path.join(outdir, "env-0.txt")) as f:
                env = f.read().split("\n")
            t.eq(env[0], USER, "envelope sender")
            t.eq(env[1], RCPT, "envelope recipient")
            with open(os.path.join(outdir, msgs[0]), "rb") as f:
                data = f.read()
            t.check(re.search(rb"(?im)^Subject: ?\S", data.split(b"\r\n\r\n", 1)[0]),
                    "no Subject header: %r" % data[:300])
    finally:
        stop_process(proc)


# ---- driver ----------------------------------------------------------------

def run_case(name, fn):
    t = Case(name)
    t.r = t.srv = None
    try:
        fn(t)
    except Exception:
        t.failures.append("exception in the test: " + traceback.format_exc())
    return t


def main():
    global WORK, CERTS
    print("TAP version 13", flush=True)
    if not CLI or not os.access(CLI, os.X_OK):
        print("1..0 # SKIP MAIL_RELAY_CLI is not set to an executable")
        return 0
    WORK = tempfile.mkdtemp(prefix="mail-relay-test-smtp-")
    try:
        CERTS = os.path.join(WORK, "certs")
        subprocess.run([PYTHON, MAKE_CERTS, CERTS], check=True, timeout=60)
        with open(os.path.join(CERTS, "fingerprints.txt")) as f:
            for line in f:
                k, v = line.split()
                FINGERPRINTS[k] = v

        only = os.environ.get("TEST_SMTP_ONLY")  # substring filter, for debugging
        cases = [(n, f) for n, f in CASES if not only or only in n]
        failed = 0
        with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
            futures = [pool.submit(run_case, n, f) for n, f in cases]
            for i, fut in enumerate(futures, 1):
                t = fut.result()
                skip = [n for n in t.notes if n.startswith("SKIP")]
                if t.failures:
                    failed += 1
                    print("not ok %d - %s" % (i, t.name))
                    for f in t.failures:
                        for l in f.splitlines():
                            print("# " + l)
                    r = getattr(t, "r", None)
                    if r is not None:
                        print("# exit %r in %.1f s: %s" % (r.rc, r.elapsed,
                                                            " ".join(r.argv[1:])))
                        print("# json: " + r.excerpt())
                        for l in (r.get("transcript", default=[]) or [])[:40]:
                            print("#   %s" % (l,))
                        for l in r.stderr.splitlines()[:20]:
                            print("# stderr: " + l)
                    srv = getattr(t, "srv", None)
                    if srv is not None:
                        print("# server log: %r" % srv.lines()[:40])
                elif skip:
                    print("ok %d - %s # %s" % (i, t.name, skip[0]))
                else:
                    print("ok %d - %s" % (i, t.name))
                for n in t.notes:
                    if not n.startswith("SKIP"):
                        print("# " + n)
                sys.stdout.flush()
        print("1..%d" % len(cases))
        return 1 if failed else 0
    finally:
        if os.environ.get("TEST_SMTP_KEEP"):
            print("# kept %s" % WORK)
        else:
            shutil.rmtree(WORK, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
