#!/usr/bin/python3
# fake-smtp-server.py - a scripted SMTP server for the SMTP test rig
#
# Copyright 2026 The Mail Relay developers
#
# SPDX-License-Identifier: GPL-3.0-or-later
#
# Listens on 127.0.0.1, port 0 (kernel-chosen), prints "PORT <n>" as the first
# line on stdout, then serves every connection with one behaviour chosen by
# --scenario.  Every command line received (AUTH payload lines included) is
# appended to --log, one a line, CRLF stripped.  Events of the rig itself are
# written to the same file as lines starting with "* " (e.g. "* connect",
# "* tls", "* tls-failed ...", "* bare-lf-in-data", "* pipelined-after-starttls"),
# which no SMTP command can start with.
#
# "* wait" records a round trip: the server has replied and has nothing
# more to read, so it waits for the client (which, pipelining, had sent
# what comes next before it read the replies, and does not wait there).
# --chunking offers CHUNKING (RFC 3030: BDAT) in any scenario;
# --split-replies writes every reply in two pieces, 20 ms apart;
# --no-pipelining leaves PIPELINING out of the EHLO reply.
#
# RFC 3207: after STARTTLS the session is reset (no EHLO, no AUTH, no MAIL).

import argparse
import asyncio
import base64
import os
import ssl
import sys

USER = "user@example.org"
PASSWORD = "right-pass"
HOST = "fake.example"
MAX_LINE = 1 << 20

SCENARIOS = [
    "good", "no-starttls", "starttls-inject", "starttls-refused", "caps-change",
    "greeting-554", "ehlo-500", "mail-550", "rcpt-550", "data-554", "data-end-552",
    "quit-odd", "auth-535", "endless-334", "long-line", "silent", "drop-in-data",
    "421-after-mail", "multiline", "plaintext-on-tls-port", "o365-5.7.139",
    "ses-throttle", "size-small", "reset-in-data", "unsolicited", "451-once",
    "rcpt-mixed", "mail-451-once", "greeting-421", "auth-421", "drip",
    "escape-text", "rcpt-550-data-554", "rcpt-550-data-354", "bdat-refused",
    "chunk-then-silence", "quota-once", "quota-close-once", "close-at-data",
]


class Closed(Exception):
    pass


class Server:
    def __init__(self, args):
        self.args = args
        self.scenario = args.scenario
        self.log_file = open(args.log, "a", encoding="utf-8") if args.log else None
        self.tls_ctx = None
        if args.tls_cert:
            self.tls_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            self.tls_ctx.load_cert_chain(args.tls_cert, args.tls_key)
        self.msg_count = 0

    def log(self, text):
        if self.log_file:
            self.log_file.write(text + "\n")
            self.log_file.flush()

    async def handle(self, reader, writer):
        self.log("* connect")
        session = Session(self, reader, writer)
        try:
            await session.run()
        except (Closed, ConnectionError, asyncio.IncompleteReadError, ssl.SSLError,
                OSError) as e:
            self.log("* closed %s" % type(e).__name__)
        except Exception as e:  # keep serving other connections
            self.log("* error %r" % (e,))
        finally:
            try:
                writer.close()
            except Exception:
                pass


class Session:
    def __init__(self, server, reader, writer):
        self.server = server
        self.scenario = server.scenario
        self.reader = reader
        self.writer = writer
        self.tls = False
        self.replied = False
        self.reset_all()

    def reset_all(self):
        self.greeted = False
        self.authed = False
        self.reset_tx()

    def reset_tx(self):
        self.mail = None
        self.rcpts = []
        self.chunks = []

    # ---- I/O -------------------------------------------------------------

    async def send(self, data):
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.replied = True
        if self.server.args.split_replies and len(data) > 1:
            # the client must read on until the reply is whole
            self.writer.write(data[:len(data) // 2])
            await self.writer.drain()
            await asyncio.sleep(0.02)
            data = data[len(data) // 2:]
        self.writer.write(data)
        await self.writer.drain()

    def note_wait(self, needed=None):
        """Before a read: when the server has replied since it last waited
        and what it needs (a line, or @needed bytes) has not come yet,
        that is a round trip."""
        buffered = bytes(getattr(self.reader, "_buffer", b""))
        there = b"\n" in buffered if needed is None else len(buffered) >= needed
        if self.replied and not there:
            self.server.log("* wait")
            self.replied = False

    async def reply(self, code, *lines):
        """A (possibly multi-line) reply, one write."""
        lines = lines or ("",)
        out = []
        for i, line in enumerate(lines):
            sep = " " if i == len(lines) - 1 else "-"
            out.append("%d%s%s\r\n" % (code, sep, line))
        await self.send("".join(out))

    async def reply_ml(self, code, *lines):
        """A reply that is multi-line in the 'multiline' scenario."""
        if self.scenario == "multiline" and len(lines) == 1:
            lines = (lines[0], "(this reply has two lines)")
        await self.reply(code, *lines)

    async def readline(self):
        self.note_wait()
        try:
            line = await self.reader.readuntil(b"\n")
        except asyncio.IncompleteReadError as e:
            if e.partial:
                self.server.log("* partial %r" % e.partial[:200])
            raise Closed()
        except asyncio.LimitOverrunError:
            self.server.log("* line-too-long")
            raise Closed()
        text = line.decode("utf-8", "replace")
        if not text.endswith("\r\n"):
            self.server.log("* bare-lf")
        text = text.rstrip("\r\n")
        self.server.log(text)
        return text

    async def start_tls(self):
        # Anything the client sent after STARTTLS in plaintext is a client bug
        # (pipelining across STARTTLS); record it and throw it away.
        buffered = bytes(getattr(self.reader, "_buffer", b""))
        if buffered:
            self.server.log("* pipelined-after-starttls %r" % buffered[:200])
            self.reader._buffer.clear()
        try:
            await self.writer.start_tls(self.server.tls_ctx)
        except Exception as e:
            self.server.log("* tls-failed %s: %s" % (type(e).__name__, e))
            raise Closed()
        self.tls = True
        self.server.log("* tls %s" % self.writer.get_extra_info("ssl_object").version())

    # ---- behaviour -------------------------------------------------------

    def ehlo_lines(self):
        s = self.scenario
        lines = [HOST + " greets you"]
        if s in ("ehlo-500",):
            return None
        if s == "caps-change":
            if not self.tls:
                return lines + ["AUTH PLAIN", "SIZE 10", "STARTTLS"]
            return lines + ["AUTH LOGIN", "8BITMIME"]
        lines += ([] if self.server.args.no_pipelining else ["PIPELINING"]) + \
            ["SIZE %d" % self.size_limit(), "8BITMIME"]
        if self.server.args.chunking:
            lines.append("CHUNKING")
        if s == "no-starttls":
            return lines + ["AUTH PLAIN LOGIN"]
        if s == "plaintext-on-tls-port":
            return lines + ["AUTH PLAIN LOGIN"]
        if not self.tls and self.server.tls_ctx is not None:
            lines.append("STARTTLS")
        if self.tls:
            lines.append("AUTH PLAIN LOGIN XOAUTH2 OAUTHBEARER")
        return lines

    def size_limit(self):
        if self.scenario == "caps-change" and not self.tls:
            return 10
        if self.scenario == "size-small":
            return 20
        return self.server.args.size

    def size_advertised(self):
        return any(l.startswith("SIZE") for l in (self.ehlo_lines() or []))

    def auth_mechs(self):
        lines = self.ehlo_lines() or []
        for l in lines:
            if l.startswith("AUTH "):
                return l.split()[1:]
        return []

    async def run(self):
        s = self.scenario
        if self.server.args.implicit_tls:
            await self.start_tls()

        if s == "silent":
            while await self.reader.read(4096):
                pass
            raise Closed()
        if s == "long-line":
            await self.send(b"220 " + b"x" * (200 * 1024))
            chunk = b"y" * 65536
            loop = asyncio.get_running_loop()
            deadline = loop.time() + 30
            while loop.time() < deadline:
                await self.send(chunk)
                await asyncio.sleep(0.01)
            raise Closed()
        if s == "greeting-554":
            await self.reply(554, "5.3.2 " + HOST + " No SMTP service here")
            while True:
                line = await self.readline()
                if line.upper().startswith("QUIT"):
                    await self.reply(221, "2.0.0 Bye")
                    raise Closed()
                await self.reply(503, "5.5.1 No SMTP service here")
        if s == "drip":
            # a greeting that never ends: "220-", then a byte every second
            await self.send(b"220-")
            while True:
                await asyncio.sleep(1)
                await self.send(b"x")
        if s == "greeting-421":
            await self.reply(421, "4.3.2 " + HOST + " Service not available, closing channel")
            raise Closed()
        if s == "multiline":
            await self.reply(220, HOST + " ESMTP first line", "second line of the greeting",
                             "third line of the greeting")
        elif s == "escape-text":
            # a terminal's title, an erased line and a forged result, and a
            # right-to-left override, in the greeting
            await self.send("220 " + HOST + " \x1b]0;owned\x07ESMTP\x1b[2K\r\u2713 auth ok "
                            "\u202etxt.exe\r\n")
        elif s == "unsolicited":
            # a reply to a command nobody sent, in the same write as the greeting
            await self.send(("220 " + HOST + " ESMTP ready\r\n250 unsolicited\r\n").encode())
        else:
            await self.reply(220, HOST + " ESMTP fake server ready")

        while True:
            line = await self.readline()
            verb, _, arg = line.partition(" ")
            verb = verb.upper()
            handler = getattr(self, "cmd_" + verb.lower(), None)
            if handler is None:
                await self.reply(500, "5.5.2 Command not recognized")
                continue
            await handler(arg)

    async def cmd_ehlo(self, arg):
        lines = self.ehlo_lines()
        if lines is None:
            await self.reply(500, "5.5.1 Command not recognized")
            return
        self.reset_all()
        self.greeted = True
        await self.reply(250, *lines)

    async def cmd_helo(self, arg):
        self.reset_all()
        self.greeted = True
        await self.reply(250, HOST)

    async def cmd_starttls(self, arg):
        s = self.scenario
        if self.tls or self.server.tls_ctx is None or s in ("no-starttls",
                                                             "plaintext-on-tls-port"):
            await self.reply(502, "5.5.1 STARTTLS not available")
            return
        if s == "starttls-refused":
            await self.reply(454, "4.7.0 TLS not available due to temporary reason")
            return
        if s == "starttls-inject":
            await self.send(b"220 Ready\r\n250-injected\r\n")
        elif s == "multiline":
            await self.reply(220, "2.0.0 Ready", "to start TLS")
        else:
            await self.reply(220, "2.0.0 Ready to start TLS")
        await self.start_tls()
        self.reset_all()

    async def auth_token(self, mech, initial):
        """XOAUTH2 (Google's format) or OAUTHBEARER (RFC 7628): accepts the
        token "right-token" for USER; any other gets the 401 challenge,
        which the client must answer with an empty line (XOAUTH2) or
        "AQ==" (OAUTHBEARER) before the final 535."""
        try:
            raw = base64.b64decode(initial or "", validate=True).decode()
        except Exception:
            await self.reply(501, "5.5.2 Cannot decode response")
            return
        fields = dict(f.split("=", 1) for f in raw.split("\x01") if "=" in f and not f.startswith("n,"))
        if mech == "OAUTHBEARER":
            gs2 = raw.split("\x01", 1)[0]
            user = gs2[len("n,a="):-1] if gs2.startswith("n,a=") else ""
        else:
            user = fields.get("user", "")
        token = fields.get("auth", "")
        if user == USER and token == "Bearer right-token":
            self.authed = True
            await self.reply(235, "2.7.0 Accepted")
            return
        challenge = base64.b64encode(b'{"status":"401","schemes":"bearer","scope":"https://mail.google.com/"}')
        await self.reply(334, challenge.decode())
        answer = await self.readline()
        expected = "" if mech == "XOAUTH2" else "AQ=="
        if answer != expected:
            await self.reply(501, "5.5.2 Expected the dummy response to the challenge")
            return
        await self.reply(535, "5.7.8 Username and Password not accepted")

    async def cmd_auth(self, arg):
        s = self.scenario
        if not self.greeted:
            await self.reply(503, "5.5.1 EHLO first")
            return
        if self.authed:
            await self.reply(503, "5.5.1 Already authenticated")
            return
        parts = arg.split()
        mech = parts[0].upper() if parts else ""
        initial = parts[1] if len(parts) > 1 else None
        if s == "endless-334":
            while True:
                await self.reply(334, "")
                await self.readline()
        if mech not in self.auth_mechs():
            await self.reply(504, "5.5.4 Unrecognized authentication type")
            return
        if mech in ("XOAUTH2", "OAUTHBEARER"):
            await self.auth_token(mech, initial)
            return
        if mech == "PLAIN":
            if initial is None:
                await self.reply(334, "")
                initial = await self.readline()
            if initial == "*":
                await self.reply(501, "5.7.0 Authentication aborted")
                return
            try:
                _, user, password = base64.b64decode(initial, validate=True).split(b"\0")
            except Exception:
                await self.reply(501, "5.5.2 Cannot decode response")
                return
        else:  # LOGIN
            try:
                if initial is None:
                    await self.reply(334, "VXNlcm5hbWU6")
                    initial = await self.readline()
                if initial == "*":
                    await self.reply(501, "5.7.0 Authentication aborted")
                    return
                user = base64.b64decode(initial, validate=True)
                await self.reply(334, "UGFzc3dvcmQ6")
                answer = await self.readline()
                if answer == "*":
                    await self.reply(501, "5.7.0 Authentication aborted")
                    return
                password = base64.b64decode(answer, validate=True)
            except ValueError:
                await self.reply(501, "5.5.2 Cannot decode response")
                return
        if s == "auth-535":
            await self.reply(535, "5.7.8 Authentication credentials invalid")
            return
        if s == "auth-421":
            await self.reply(421, "4.7.0 " + HOST + " Too many sign-ins, closing")
            raise Closed()
        if s == "o365-5.7.139":
            await self.reply(535, "5.7.139 Authentication unsuccessful, "
                             "SmtpClientAuthentication is disabled for the Tenant. "
                             "Visit https://aka.ms/smtp_auth_disabled for more information.")
            return
        if user == USER.encode() and password == PASSWORD.encode():
            self.authed = True
            await self.reply_ml(235, "2.7.0 Authentication successful")
        else:
            await self.reply(535, "5.7.8 Authentication credentials invalid")

    async def cmd_mail(self, arg):
        s = self.scenario
        if self.server.args.fill_disk and os.path.exists(self.server.args.fill_disk):
            os.unlink(self.server.args.fill_disk)  # the disk has room again for a while
        if not self.greeted:
            await self.reply(503, "5.5.1 EHLO first")
            return
        if self.mail is not None:
            await self.reply(503, "5.5.1 Nested MAIL command")
            return
        if not arg.upper().startswith("FROM:"):
            await self.reply(501, "5.5.4 Syntax: MAIL FROM:<address>")
            return
        params = arg[5:].split()[1:]
        for p in params:
            key, _, value = p.partition("=")
            if key.upper() == "SIZE":
                if not self.size_advertised():
                    # RFC 1870 + RFC 3207: SIZE is not offered (any more)
                    self.server.log("* size-param-not-advertised")
                    await self.reply(555, "5.5.4 SIZE parameter not recognized "
                                     "(not advertised in this session)")
                    return
                if value.isdigit() and int(value) > self.size_limit():
                    await self.reply(552, "5.3.4 Message size exceeds fixed limit")
                    return
        if s == "mail-550":
            await self.reply(550, "5.7.1 Sender address rejected: not owned by user")
            return
        if s == "421-after-mail":
            await self.reply(421, "4.7.0 " + HOST + " Error: too many errors, closing")
            raise Closed()
        if s == "ses-throttle":
            await self.reply(454, "Throttling failure: Maximum sending rate exceeded.")
            return
        if s == "mail-451-once" and not getattr(self.server, "mail_deferred_once", False):
            self.server.mail_deferred_once = True
            await self.reply(451, "4.3.0 Temporary sender lookup failure, try again later")
            return
        self.mail = arg
        await self.reply_ml(250, "2.1.0 Ok")

    async def cmd_rcpt(self, arg):
        if self.mail is None:
            await self.reply(503, "5.5.1 Need MAIL command")
            return
        if self.scenario in ("rcpt-550", "rcpt-550-data-554", "rcpt-550-data-354"):
            await self.reply(550, "5.1.1 <rcpt@example.org>: Recipient address rejected: "
                             "User unknown in virtual mailbox table")
            return
        if self.scenario == "escape-text":
            await self.reply(550, "5.1.1 \x1b[31mno\x1b[0m such user\x08\x08\x08\u202e")
            return
        if self.scenario == "rcpt-mixed":
            # "refuse..." never exists; "later..." is greylisted once
            address = arg.partition(":")[2].strip().strip("<>")
            if address.startswith("refuse"):
                await self.reply(550, "5.1.1 <%s>: Recipient address rejected: User unknown" % address)
                return
            greylisted = self.server.__dict__.setdefault("greylisted", set())
            if address.startswith("later") and address not in greylisted:
                greylisted.add(address)
                await self.reply(451, "4.2.0 <%s>: Recipient address rejected: Greylisted" % address)
                return
        self.rcpts.append(arg)
        await self.reply_ml(250, "2.1.5 Ok")

    async def cmd_data(self, arg):
        s = self.scenario
        if not self.rcpts and s == "rcpt-550-data-554":
            # Postfix's answer when every recipient was refused
            await self.reply(554, "5.5.1 Error: no valid recipients")
            return
        if not self.rcpts and s != "rcpt-550-data-354":
            await self.reply(503, "5.5.1 Need RCPT command")
            return
        if s == "data-554":
            await self.reply(554, "5.5.1 Error: no valid recipients")
            return
        if s == "close-at-data" and not getattr(self.server, "closed_once", False):
            self.server.closed_once = True
            raise Closed()
        await self.reply_ml(354, "End data with <CR><LF>.<CR><LF>")
        if s in ("drop-in-data", "reset-in-data"):
            await self.reader.read(10)
            self.server.log("* dropped-in-data")
            if s == "reset-in-data":
                # abrupt: no TLS close_notify, TCP RST
                sock = self.writer.get_extra_info("socket")
                if sock is not None:
                    import socket as _socket, struct as _struct
                    sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_LINGER,
                                    _struct.pack("ii", 1, 0))
                self.writer.transport.abort()
            else:
                # orderly: TLS close_notify (when in TLS), then FIN
                self.writer.close()
                try:
                    await self.writer.wait_closed()
                except Exception:
                    pass
            raise Closed()
        body = []
        size = 0
        while True:
            self.note_wait()
            try:
                raw = await self.reader.readuntil(b"\n")
            except asyncio.IncompleteReadError:
                self.server.log("* eof-in-data")
                raise Closed()
            except asyncio.LimitOverrunError:
                self.server.log("* line-too-long-in-data")
                raise Closed()
            if not raw.endswith(b"\r\n"):
                self.server.log("* bare-lf-in-data")
            elif b"\r" in raw[:-2]:
                self.server.log("* bare-cr-in-data")
            if raw == b".\r\n":
                break
            if raw.startswith(b"."):
                raw = raw[1:]
            size += len(raw)
            body.append(raw)
        self.server.log("* data %d bytes" % size)
        rcpts = self.rcpts
        self.reset_tx()
        if not rcpts:
            # RFC 2920 3.1: DATA took nobody's message; the lone "." ends it
            await self.reply(554, "5.5.1 Error: no valid recipients")
            return
        await self.take(rcpts, body)

    async def cmd_bdat(self, arg):
        """RFC 3030: the chunk is read whatever the reply, which comes after it"""
        parts = arg.split()
        if not self.server.args.chunking or not parts or not parts[0].isdigit() or \
                len(parts) > 2 or (len(parts) == 2 and parts[1].upper() != "LAST"):
            await self.reply(501, "5.5.4 Syntax: BDAT size [LAST]")
            raise Closed()  # the size cannot be trusted: nothing is in step any more
        size, last = int(parts[0]), len(parts) == 2
        self.note_wait(size)
        try:
            chunk = await self.reader.readexactly(size)
        except asyncio.IncompleteReadError:
            self.server.log("* eof-in-chunk")
            raise Closed()
        self.server.log("* chunk %d bytes%s" % (size, " last" if last else ""))
        if self.mail is None or not self.rcpts:
            # discarded (RFC 3030 2): there is no transaction
            self.reset_tx()
            await self.reply(503, "5.5.1 Error: no valid recipients")
            return
        if self.scenario == "bdat-refused":
            self.reset_tx()
            await self.reply(554, "5.7.1 Message refused: content rejected")
            return
        self.chunks.append(chunk)
        if not last:
            await self.reply(250, "2.0.0 %d bytes received" % size)
            return
        raw = b"".join(self.chunks)
        if b"\n" in raw.replace(b"\r\n", b""):
            self.server.log("* bare-lf-in-data")
        lines = raw.splitlines(keepends=True)
        self.server.log("* data %d bytes" % len(raw))
        rcpts = self.rcpts
        self.reset_tx()
        if self.scenario == "chunk-then-silence":
            # the message is taken, and the verdict never sent
            self.store(rcpts, lines)
            await asyncio.sleep(3600)
        await self.take(rcpts, lines)

    async def take(self, rcpts, body):
        """The end of a message: its verdict, and where it is stored"""
        s = self.scenario
        if s == "data-end-552":
            await self.reply(552, "5.3.4 Message size exceeds fixed maximum message size")
            return
        if s == "451-once" and not getattr(self.server, "deferred_once", False):
            # greylisting: the first message is put off, later ones taken
            self.server.deferred_once = True
            await self.reply(451, "4.7.1 Greylisted, please try again later")
            return
        if s == "quota-once" and not getattr(self.server, "quota_once", False):
            # the first message is refused with a quota reply, later ones taken
            self.server.quota_once = True
            await self.reply(550, "5.4.5 Daily user sending quota exceeded")
            return
        if s == "quota-close-once" and not getattr(self.server, "quota_once", False):
            # a quota reply, then the connection closed (after what came next arrived)
            self.server.quota_once = True
            await self.reply(550, "5.4.5 Daily user sending quota exceeded")
            await asyncio.sleep(0.3)
            raise Closed()
        n = self.store(rcpts, body)
        if self.server.args.fill_disk and os.path.exists(self.server.args.fill_disk + ".on"):
            fill_disk(self.server.args.fill_disk)
        await self.reply_ml(250, "2.0.0 Ok: queued as FAKE%d" % n)

    def store(self, rcpts, body):
        self.server.msg_count += 1
        n = self.server.msg_count
        if self.server.args.maildir:
            d = self.server.args.maildir
            os.makedirs(d, exist_ok=True)
            tmp = os.path.join(d, ".msg-%d.tmp" % n)
            with open(tmp, "wb") as f:
                f.write(b"".join(body))
            with open(os.path.join(d, "msg-%d.rcpt" % n), "w") as f:
                f.write("".join(r.partition(":")[2].strip().strip("<>") + "\n" for r in rcpts))
            os.rename(tmp, os.path.join(d, "msg-%d.eml" % n))
        return n

    async def cmd_rset(self, arg):
        self.reset_tx()
        await self.reply(250, "2.0.0 Ok")

    async def cmd_noop(self, arg):
        await self.reply(250, "2.0.0 Ok")

    async def cmd_quit(self, arg):
        if self.scenario == "quit-odd":
            await self.reply(500, "5.5.2 What do you mean, QUIT?")
        else:
            await self.reply_ml(221, "2.0.0 Bye")
        raise Closed()


def fill_disk(path):
    """The disk fills up while the server takes a message: the client's
    next write to that file system that needs room fails with ENOSPC."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        while True:
            os.write(fd, b"\0" * 512)
    except OSError:
        pass
    finally:
        os.close(fd)
    os.sync()


async def main_async(args):
    server = Server(args)
    srv = await asyncio.start_server(server.handle, "127.0.0.1", 0, limit=MAX_LINE)
    port = srv.sockets[0].getsockname()[1]
    print("PORT %d" % port, flush=True)
    async with srv:
        await srv.serve_forever()


def main():
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("--scenario", required=True, choices=SCENARIOS)
    p.add_argument("--log")
    p.add_argument("--maildir")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--implicit-tls", action="store_true")
    p.add_argument("--chunking", action="store_true", help="offer CHUNKING (BDAT)")
    p.add_argument("--no-pipelining", action="store_true", help="do not offer PIPELINING")
    p.add_argument("--size", type=int, default=1000000, help="the SIZE offered (RFC 1870)")
    p.add_argument("--split-replies", action="store_true",
                   help="write each reply in two pieces, 20 ms apart")
    p.add_argument("--fill-disk", metavar="FILE",
                   help="while FILE.on exists, grow FILE after taking a message until its file "
                   "system is full; remove FILE at each MAIL (space comes and goes)")
    args = p.parse_args()
    if args.implicit_tls and not args.tls_cert:
        p.error("--implicit-tls needs --tls-cert and --tls-key")
    if args.tls_cert and not args.tls_key:
        args.tls_key = os.path.splitext(args.tls_cert)[0] + ".key"
    try:
        asyncio.run(main_async(args))
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
