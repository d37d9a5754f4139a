#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A real SMTP server for the happy path (tests and benchmarks): Debian's
python3-aiosmtpd on 127.0.0.1 with STARTTLS required and AUTH after TLS
(user@example.org / right-pass). Usage: aiosmtpd-server.py CERTDIR OUTDIR
[--pipelining] [--login USER:PASSWORD] (another account than that one);
prints "PORT n", stores each message as OUTDIR/msg-N.eml.
aiosmtpd reads and answers one command after another, so it takes
pipelined commands, but it does not offer PIPELINING (RFC 2920):
--pipelining adds it to the EHLO reply."""
import os, socket, ssl, sys, threading
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

certs, outdir = sys.argv[1], sys.argv[2]
pipelining = "--pipelining" in sys.argv[3:]
login = b"user@example.org", b"right-pass"
if "--login" in sys.argv[3:]:
    user, _, password = sys.argv[sys.argv.index("--login") + 1].partition(":")
    login = user.encode(), password.encode()

class Handler:
    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        session.host_name = hostname
        if pipelining:
            responses.insert(1, "250-PIPELINING")
        return responses

    async def handle_DATA(self, server, session, envelope):
        n = len([f for f in os.listdir(outdir) if f.endswith(".eml")])
        path = os.path.join(outdir, "msg-%d.eml" % n)
        with open(path + ".tmp", "wb") as f:
            f.write(envelope.original_content or envelope.content)
        with open(os.path.join(outdir, "env-%d.txt" % n), "w") as f:
            f.write("%s\n%s\n" % (envelope.mail_from, " ".join(envelope.rcpt_tos)))
        os.rename(path + ".tmp", path)
        return "250 2.0.0 OK"

def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (isinstance(auth_data, LoginPassword)
          and auth_data.login == login[0]
          and auth_data.password == login[1])
    return AuthResult(success=ok)

ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
ctx.load_cert_chain(os.path.join(certs, "good.pem"), os.path.join(certs, "good.key"))
for attempt in range(20):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    controller = Controller(Handler(), hostname="127.0.0.1", port=port,
                            tls_context=ctx, require_starttls=True,
                            auth_require_tls=True, authenticator=authenticator)
    try:
        controller.start()
        break
    except Exception:
        continue
print("PORT %d" % port, flush=True)
threading.Event().wait()
