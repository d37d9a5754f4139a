#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Sign in with Google from the command line, end to end, offline:
`mail-relay-cli link-gmail --no-browser` prints the authorization URL, a
real headless Chromium opens it at a mock authorization server on
127.0.0.1, which sends the browser back to Mail Relay's loopback
listener; then `mail-relay-cli test` signs in to the scripted SMTP server
with XOAUTH2, refreshing the access token first when it has expired, and
once more when the server answers with its 401 challenge.

Then, with a plain HTTP client as the browser: an OpenID provider that
keeps the address out of the id_token (it comes from the userinfo
endpoint, or the link fails and changes nothing), addresses with line
breaks (refused), and the rule that trust settings (CA file, pins,
--allow-insecure) belong to one server: a provider preset, another host
or port, or linking Gmail drops them unless given anew.

Runs under build-aux/test (a real keyring on the session bus)."""
import base64
import hashlib
import http.client
import http.server
import json
import os
import shutil
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse

HERE = os.path.dirname(os.path.abspath(__file__))
CLI = os.environ["MAIL_RELAY_CLI"]
PYTHON = "/usr/bin/python3"
CHROMIUM = shutil.which("chromium")
EMAIL = "user@example.org"
CLIENT_ID = "mail-relay-test-client"
SECRETS = ("code-7f3a", "stale-token", "right-token", "refresh-1c9e")
results = []


def check(cond, what):
    results.append((bool(cond), what))
    return cond


def b64url(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Mock:
    """The authorization server's state, shared with its handler."""
    def __init__(self):
        self.lock = threading.Lock()
        self.mode = "consent"           # or "decline"
        self.access_expires_in = 3600
        self.access_token = "stale-token"
        self.refreshed_token = "right-token"
        self.challenge = None
        self.redirect_uri = None
        self.token_requests = []
        self.id_email = EMAIL           # the id_token's email claim; None leaves it out
        self.userinfo = None            # the userinfo endpoint's claims
        self.userinfo_auth = []         # the Authorization headers it saw
        self.client_id = CLIENT_ID      # the client it expects
        self.client_secret = None       # and its secret, when it checks one


MOCK = Mock()


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        url = urllib.parse.urlsplit(self.path)
        q = dict(urllib.parse.parse_qsl(url.query))
        if url.path == "/userinfo":
            # OpenID Connect Core 5.3: the access token as bearer
            with MOCK.lock:
                auth = self.headers.get("Authorization", "")
                MOCK.userinfo_auth.append(auth)
                if auth != "Bearer " + MOCK.access_token:
                    return self.reply(401, {"error": "invalid_token"})
                return self.reply(200, MOCK.userinfo or {"sub": "1"})
        if url.path != "/auth":
            self.send_error(404)
            return
        ok = (q.get("response_type") == "code" and q.get("client_id") == MOCK.client_id
              and q.get("code_challenge_method") == "S256" and q.get("state")
              and q.get("redirect_uri", "").startswith("http://127.0.0.1:")
              and q["redirect_uri"].endswith("/oauth2/callback")
              and "https://mail.google.com/" in q.get("scope", ""))
        if not ok:
            self.send_error(400, "bad authorization request")
            return
        with MOCK.lock:
            MOCK.challenge = q["code_challenge"]
            MOCK.redirect_uri = q["redirect_uri"]
            mode = MOCK.mode
        if mode == "decline":
            target = "%s?error=access_denied&state=%s" % (q["redirect_uri"], urllib.parse.quote(q["state"]))
        else:
            target = "%s?code=code-7f3a&state=%s" % (q["redirect_uri"], urllib.parse.quote(q["state"]))
        self.send_response(302)
        self.send_header("Location", target)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def do_POST(self):
        length = int(self.headers.get("Content-Length", "0"))
        form = dict(urllib.parse.parse_qsl(self.rfile.read(length).decode()))
        with MOCK.lock:
            MOCK.token_requests.append(form.get("grant_type"))
            if form.get("grant_type") == "authorization_code":
                verifier = form.get("code_verifier", "")
                good = (form.get("code") == "code-7f3a" and form.get("client_id") == MOCK.client_id
                        and (MOCK.client_secret is None or form.get("client_secret") == MOCK.client_secret)
                        and form.get("redirect_uri") == MOCK.redirect_uri
                        and b64url(hashlib.sha256(verifier.encode()).digest()) == MOCK.challenge)
                if not good:
                    return self.reply(400, {"error": "invalid_grant"})
                claims = {"sub": "1"}
                if MOCK.id_email is not None:
                    claims["email"] = MOCK.id_email
                payload = b64url(json.dumps(claims).encode())
                return self.reply(200, {"access_token": MOCK.access_token,
                                        "refresh_token": "refresh-1c9e",
                                        "expires_in": MOCK.access_expires_in,
                                        "id_token": "eyJhbGciOiJub25lIn0.%s." % payload,
                                        "token_type": "Bearer"})
            if form.get("grant_type") == "refresh_token" and form.get("refresh_token") == "refresh-1c9e":
                return self.reply(200, {"access_token": MOCK.refreshed_token, "expires_in": 3600,
                                        "token_type": "Bearer"})
            return self.reply(400, {"error": "invalid_grant"})

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True


def listening_sockets(pid):
    """(address, port) of the TCP sockets that process pid listens on."""
    inodes = set()
    for fd in os.listdir("/proc/%d/fd" % pid):
        try:
            target = os.readlink("/proc/%d/fd/%s" % (pid, fd))
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = []
    for table, v6 in (("tcp", False), ("tcp6", True)):
        with open("/proc/%d/net/%s" % (pid, table)) as f:
            for line in f.readlines()[1:]:
                cols = line.split()
                if cols[3] == "0A" and cols[9] in inodes:  # LISTEN
                    addr, port = cols[1].split(":")
                    found.append((("v6:" if v6 else "") + addr, int(port, 16)))
    return found


def run_link(env, timeout=60):
    """Runs link-gmail, opens its URL in headless Chromium; returns
    (exit status, output, listening sockets seen during the flow, after)."""
    proc = subprocess.Popen([CLI, "link-gmail", "--no-browser", "--timeout", "45"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    during = listening_sockets(proc.pid)
    profile = tempfile.mkdtemp(prefix="chromium-")
    browser = subprocess.run([CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu",
                              "--disable-quic", "--no-first-run", "--disable-background-networking",
                              "--disable-component-update", "--disable-sync",
                              "--user-data-dir=" + profile, "--dump-dom", url],
                             capture_output=True, text=True, timeout=timeout)
    shutil.rmtree(profile, ignore_errors=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, err = proc.communicate()
    return proc.returncode, url, out, err, during, browser.stdout


def http_get(url):
    """GET without following redirects or using a proxy: (status, Location, body)."""
    parts = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
    conn.request("GET", parts.path + ("?" + parts.query if parts.query else ""))
    resp = conn.getresponse()
    body = resp.read().decode(errors="replace")
    conn.close()
    return resp.status, resp.getheader("Location"), body


def run_link_plain(env):
    """link-gmail with this script as the browser: (exit status, stdout, stderr, page status)."""
    proc = subprocess.Popen([CLI, "link-gmail", "--no-browser", "--timeout", "30"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    page = None
    try:
        status, location, _ = http_get(url)
        if status == 302 and location:
            page, _, _ = http_get(location)
    finally:
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
    return proc.returncode, out, err, page


def fresh_env(env, work, name):
    root = os.path.join(work, name)
    return dict(env, HOME=root, XDG_CONFIG_HOME=os.path.join(root, "config"),
                XDG_DATA_HOME=os.path.join(root, "data"), XDG_CACHE_HOME=os.path.join(root, "cache"))


def cli(env, *args):
    return subprocess.run([CLI] + list(args), env=env, capture_output=True, text=True, timeout=60)


def show(env):
    return json.loads(cli(env, "account", "show", "--json").stdout or "{}")


def stored_token(account_id):
    found = subprocess.run(["secret-tool", "lookup", "xdg:schema", "io.github.mailrelay.MailRelay",
                            "account", account_id, "kind", "oauth-refresh-token"],
                           capture_output=True, text=True)
    return found.stdout


def accounts_file(env):
    try:
        with open(os.path.join(env["XDG_CONFIG_HOME"], "mail-relay", "accounts.json"), "rb") as f:
            return f.read()
    except OSError:
        return None


def check_userinfo(env, work):
    """Item: the address from the userinfo endpoint; a clear failure that
    changes nothing when there is none or it is junk."""
    # the id_token has no address; the userinfo endpoint has it
    MOCK.id_email = None
    MOCK.userinfo = {"sub": "1", "email": EMAIL, "email_verified": True}
    MOCK.userinfo_auth = []
    e = fresh_env(env, work, "userinfo")
    rc, out, err, page = run_link_plain(e)
    check(rc == 0, "userinfo: link-gmail exits 0 (%d: %s)" % (rc, err[-300:]))
    check(("Linked %s" % EMAIL) in out, "userinfo: prints the address: %r" % out)
    shown = show(e)
    check(shown.get("username") == EMAIL and shown.get("from") == EMAIL,
          "userinfo: user name and sender are the address from userinfo: %r" % shown)
    check(MOCK.userinfo_auth == ["Bearer " + MOCK.access_token],
          "userinfo: asked once with the access token as bearer (%d requests)" % len(MOCK.userinfo_auth))
    check(stored_token(shown.get("id", "")) == "refresh-1c9e", "userinfo: the refresh token is in the keyring")

    # an account already there, which a failed link must leave alone
    bad = [("neither has an address", None, {"sub": "1", "name": "A User"}, "email"),
           ("userinfo address with CR/LF", None,
            {"sub": "1", "email": EMAIL + "\r\nBcc: x@evil.example"}, "not a valid address"),
           ("id_token address with CR/LF", EMAIL + "\r\n", None, "not a valid address"),
           ("unverified address", None, {"sub": "1", "email": EMAIL, "email_verified": False}, "not verified")]
    for i, (what, id_email, userinfo, says) in enumerate(bad):
        e = fresh_env(env, work, "bad-%d" % i)
        set_ = cli(e, "account", "set", "--provider", "office365", "--username", "old@example.com",
                   "--from", "old@example.com")
        check(set_.returncode == 0, "%s: the account is set up first" % what)
        before = accounts_file(e)
        account_id = show(e).get("id", "")
        MOCK.id_email = id_email
        MOCK.userinfo = userinfo
        rc, out, err, page = run_link_plain(e)
        check(rc == 1, "%s: link-gmail exits 1 (%d)" % (what, rc))
        check(says in err, "%s: the message says what is wrong: %r" % (what, err[-300:]))
        check("\r" not in err and "\nBcc" not in err, "%s: the message has no line break from the claim" % what)
        check("Linked" not in out, "%s: does not claim to have linked: %r" % (what, out))
        check(page == 502, "%s: the browser is told the sign-in failed (%r)" % (what, page))
        check(accounts_file(e) == before, "%s: accounts.json is unchanged" % what)
        check(stored_token(account_id) == "", "%s: no token kept in the keyring" % what)
    MOCK.id_email = EMAIL
    MOCK.userinfo = None


OWN_CLIENT_ID = "555-own.apps.googleusercontent.com"
OWN_CLIENT_SECRET = "GOCSPX-own-9d2e"


def client_secret_in_keyring(account_id):
    found = subprocess.run(["secret-tool", "lookup", "xdg:schema", "io.github.mailrelay.MailRelay",
                            "account", account_id, "kind", "oauth-client-secret"],
                           capture_output=True, text=True)
    return found.stdout


def check_own_client(env, work):
    """Item: a copy built without a Google client signs in with the
    user's own: `account set --oauth-client-id` (validated, the secret
    from standard input into the keyring), then link-gmail's URL carries
    that client, and its secret goes to the token endpoint."""
    e = fresh_env(env, work, "own-client")
    e.pop("MAIL_RELAY_GOOGLE_CLIENT_ID", None)
    e.pop("MAIL_RELAY_GOOGLE_CLIENT_SECRET", None)
    outputs = []

    # without a client: a message in the user's words, or the build's own client
    link = subprocess.run([CLI, "link-gmail", "--no-browser", "--timeout", "1"], env=e,
                          capture_output=True, text=True, timeout=60)
    if link.returncode == 1 and "built without" in link.stderr:
        check("--oauth-client-id" in link.stderr and "-Dgoogle" not in link.stderr
              and "MAIL_RELAY_" not in link.stderr,
              "without a client, link-gmail says how to give one: %r" % link.stderr)

    bad = cli(e, "account", "set", "--provider", "gmail", "--from", EMAIL, "--oauth-client-id", "123-abc")
    check(bad.returncode == 2 and "--oauth-client-id: Client ID:" in bad.stderr,
          "a bad client id exits 2 naming the option: %r" % bad.stderr)
    check(accounts_file(e) is None, "nothing saved after a bad client id")
    no_secret = cli(e, "account", "set", "--provider", "gmail", "--from", EMAIL,
                    "--oauth-client-id", OWN_CLIENT_ID)
    check(no_secret.returncode == 2 and "--oauth-client-secret-stdin: Client secret:" in no_secret.stderr,
          "a Google client without its secret exits 2 naming the option: %r" % no_secret.stderr)
    both = subprocess.run([CLI, "account", "set", "--provider", "gmail", "--from", EMAIL, "--password-stdin",
                           "--oauth-client-id", OWN_CLIENT_ID, "--oauth-client-secret-stdin"],
                          env=e, input="x\n", capture_output=True, text=True, timeout=60)
    check(both.returncode == 2, "the password and the client secret are not both read from stdin")

    ok = subprocess.run([CLI, "account", "set", "--provider", "gmail", "--from", EMAIL,
                         "--oauth-client-id", OWN_CLIENT_ID,
                         "--oauth-client-secret-stdin"], env=e, input=OWN_CLIENT_SECRET + "\n",
                        capture_output=True, text=True, timeout=60)
    outputs += [ok.stdout, ok.stderr]
    check(ok.returncode == 0, "account set --oauth-client-id exits 0 (%s)" % ok.stderr[-300:])
    shown = show(e)
    check(shown.get("oauth_client_id") == OWN_CLIENT_ID, "the account keeps the client id: %r" % shown)
    check(OWN_CLIENT_SECRET.encode() not in (accounts_file(e) or b""), "the client secret is not in accounts.json")
    check(OWN_CLIENT_ID.encode() in (accounts_file(e) or b""), "the client id is in accounts.json")
    check(client_secret_in_keyring(shown.get("id", "")) == OWN_CLIENT_SECRET,
          "the client secret is in the keyring (kind oauth-client-secret)")

    MOCK.client_id, MOCK.client_secret = OWN_CLIENT_ID, OWN_CLIENT_SECRET
    MOCK.id_email, MOCK.userinfo, MOCK.mode = EMAIL, None, "consent"
    MOCK.access_token, MOCK.access_expires_in = "stale-token", 3600
    try:
        proc = subprocess.Popen([CLI, "link-gmail", "--no-browser", "--timeout", "30"], env=e,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        url = proc.stdout.readline().strip()
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
        check(query.get("client_id") == OWN_CLIENT_ID, "the authorization URL carries the own client: %r" % url)
        check("client_secret" not in query, "the authorization URL does not carry the secret")
        if url.startswith("http://127.0.0.1:"):
            status, location, _ = http_get(url)
            if status == 302 and location:
                http_get(location)
        out, err = proc.communicate(timeout=60)
        outputs += [url, out, err]
        check(proc.returncode == 0 and ("Linked %s" % EMAIL) in out,
              "linked with the own client, its secret sent to the token endpoint (%s)" % err[-300:])
    finally:
        MOCK.client_id, MOCK.client_secret = CLIENT_ID, None

    unlink = cli(e, "unlink")
    check(unlink.returncode == 0 and client_secret_in_keyring(shown.get("id", "")) == OWN_CLIENT_SECRET,
          "unlink keeps the client secret for the next sign-in")
    back = cli(e, "account", "set", "--oauth-client-id", "")
    check(back.returncode == 0 and "oauth_client_id" not in show(e)
          and client_secret_in_keyring(shown.get("id", "")) == "",
          "--oauth-client-id \"\" goes back to the built-in client and removes the secret")

    # a Microsoft client (its secret optional) replaced without a secret:
    # the old client's secret is never paired with the new id
    first = subprocess.run([CLI, "account", "set", "--provider", "microsoft365", "--from", EMAIL,
                            "--oauth-client-id", "11111111-2222-3333-4444-555555555555",
                            "--oauth-client-secret-stdin"], env=e, input="first-client-secret\n",
                           capture_output=True, text=True, timeout=60)
    check(first.returncode == 0 and client_secret_in_keyring(shown.get("id", "")) == "first-client-secret",
          "a Microsoft client's optional secret is kept (%s)" % first.stderr[-300:])
    second = cli(e, "account", "set", "--oauth-client-id", "66666666-7777-8888-9999-000000000000")
    check(second.returncode == 0 and client_secret_in_keyring(shown.get("id", "")) == "",
          "another client id given without a secret removes the old client's secret (%s)" % second.stderr[-300:])
    for blob in outputs:
        check(OWN_CLIENT_SECRET not in (blob or ""), "the client secret is in no output")


def check_trust_reset(env, work, certs):
    """Item: a CA file, pins and --allow-insecure belong to the server they
    were given for."""
    ca = os.path.join(certs, "ca.pem")
    pin, pin2 = "ab" * 32, "cd" * 32
    custom = ["account", "set", "--host", "mail.example.org", "--port", "587", "--security", "starttls",
              "--username", "u@example.org", "--from", "u@example.org", "--ca-file", ca, "--pin", pin,
              "--allow-insecure"]

    def trusted(shown):
        return (shown.get("ca_file"), shown.get("pins"), shown.get("allow_insecure"))

    cases = [("--provider office365", ["--provider", "office365"], ("", [], False)),
             ("--host other", ["--host", "other.example.org"], ("", [], False)),
             ("--port 465", ["--port", "465"], ("", [], False)),
             ("--host x --ca-file f", ["--host", "x.example.org", "--ca-file", ca], (ca, [], False)),
             ("--provider office365 --pin P2", ["--provider", "office365", "--pin", pin2], ("", [pin2], False)),
             ("--host x --allow-insecure", ["--host", "x.example.org", "--allow-insecure"], ("", [], True)),
             ("--username v (same server)", ["--username", "v@example.org"], (ca, [pin], True)),
             ("--host MAIL.example.org (same server)", ["--host", "MAIL.example.org"], (ca, [pin], True))]
    for i, (what, args, expected) in enumerate(cases):
        e = fresh_env(env, work, "trust-%d" % i)
        first = cli(e, *custom)
        check(first.returncode == 0 and trusted(show(e)) == (ca, [pin], True),
              "%s: the custom server's CA file, pin and consent are saved (%s)" % (what, first.stderr))
        then = cli(e, "account", "set", *args)
        check(then.returncode == 0, "account set %s exits 0 (%s)" % (what, then.stderr))
        got = trusted(show(e))
        check(got == expected, "account set %s: CA file, pins, allow_insecure are %r (want %r)"
              % (what, got, expected))
        if expected[0] == "":
            check("Removed the CA file" in then.stdout, "account set %s says the CA file was removed: %r"
                  % (what, then.stdout))

    # the saved password was for the old server: never sent to the new one
    def stored_password(account_id):
        return subprocess.run(["secret-tool", "lookup", "xdg:schema", "io.github.mailrelay.MailRelay",
                               "account", account_id, "kind", "password"], capture_output=True, text=True).stdout

    for what, args, kept in [("--provider sparkpost", ["--provider", "sparkpost"], False),
                             ("--host other", ["--host", "other.example.org"], False),
                             ("--username v (same server)", ["--username", "v@example.org"], True)]:
        e = fresh_env(env, work, "password-" + what.split()[0].strip("-"))
        first = subprocess.run([CLI] + custom + ["--password-stdin"], input="mailbox-secret\n", env=e,
                               capture_output=True, text=True, timeout=60)
        account_id = show(e).get("id", "")
        check(first.returncode == 0 and stored_password(account_id) == "mailbox-secret",
              "%s: the custom server's password is saved" % what)
        then = cli(e, "account", "set", *args)
        check(then.returncode == 0, "account set %s exits 0 (%s)" % (what, then.stderr))
        if kept:
            check(stored_password(account_id) == "mailbox-secret", "%s: the password stays" % what)
        else:
            check(stored_password(account_id) == "" and "Removed the password saved for" in then.stdout,
                  "%s: the old server's password is removed, saying so: %r" % (what, then.stdout))
        cli(e, "account", "delete")

    # link-gmail on an account that had a CA file and a pin for another server
    e = fresh_env(env, work, "trust-gmail")
    first = cli(e, *custom)
    check(first.returncode == 0, "link-gmail: the custom server is set up first")
    rc, out, err, page = run_link_plain(e)
    shown = show(e)
    check(rc == 0, "link-gmail after --ca-file exits 0 (%d: %s)" % (rc, err[-300:]))
    check(shown.get("host") == "smtp.gmail.com" and shown.get("port") == 465,
          "link-gmail switches to Google's server: %r" % shown)
    check(trusted(shown) == ("", [], False),
          "link-gmail drops the old server's CA file, pin and consent: %r" % (trusted(shown),))
    check("Removed the CA file" in out and "Removed the pinned certificates" in out,
          "link-gmail says what it removed: %r" % out)


# GET @path from the loopback listener on 127.0.0.1:@port, over IPv4 or
# over a dual-stack IPv6 socket (::ffff:127.0.0.1); prints the HTTP status
CALLBACK = r"""
import socket, sys
port, path, mapped = int(sys.argv[1]), sys.argv[2], sys.argv[3] == "mapped"
if mapped:
    s = socket.socket(socket.AF_INET6)
    s.settimeout(30)
    s.connect(("::ffff:127.0.0.1", port))
else:
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
s.sendall(("GET %s HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n\r\n" % (path, port)).encode())
data = b""
while b"\r\n" not in data:
    chunk = s.recv(4096)
    if not chunk:
        break
    data += chunk
print(data.split(b" ")[1].decode() if data.startswith(b"HTTP/") else 0)
"""


def callback(port, path, mapped=False, stranger=False):
    """The listener's answer to a request from this user's program, or from
    another local user's (nobody)."""
    prefix = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"] if stranger else []
    r = subprocess.run(prefix + [PYTHON, "-c", CALLBACK, str(port), path, "mapped" if mapped else "v4"],
                       capture_output=True, text=True, timeout=40, cwd="/")
    try:
        return int(r.stdout.strip())
    except ValueError:
        return r.stderr.strip()[-200:]


def dual_stack():
    try:
        with socket.socket(socket.AF_INET6) as s:
            s.bind(("::ffff:127.0.0.1", 0))
        return True
    except OSError:
        return False


def check_stranger(env, work):
    """Item: another local user who read the sign-in URL (state included)
    from the browser's command line sends error=access_denied, or a code of
    their own, to the loopback listener: 403, and the sign-in goes on; the
    real answer, from this user's program, then completes it."""
    if os.geteuid() != 0:
        print("# stranger: skipped, another user's program needs root to start")
        return
    MOCK.mode = "consent"
    MOCK.access_token = "stale-token"
    MOCK.token_requests = []
    e = fresh_env(env, work, "stranger")
    proc = subprocess.Popen([CLI, "link-gmail", "--no-browser", "--timeout", "60"], env=e,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        url = proc.stdout.readline().strip()
        q = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
        redirect = urllib.parse.urlsplit(q.get("redirect_uri", ""))
        state = urllib.parse.quote(q.get("state", ""))
        port = redirect.port
        v6 = dual_stack()
        tries = [("error=access_denied", "error=access_denied&state=" + state, False),
                 ("own code", "code=stranger-code&state=" + state, False)]
        if v6:
            tries.append(("error=access_denied over IPv6 (::ffff:127.0.0.1)",
                          "error=access_denied&state=" + state, True))
        for what, query, mapped in tries:
            status = callback(port, redirect.path + "?" + query, mapped=mapped, stranger=True)
            check(status == 403, "stranger: another user's %s gets 403 (%r)" % (what, status))
            check(proc.poll() is None, "stranger: the sign-in still waits after another user's %s" % what)
        check(MOCK.token_requests == [], "stranger: no code was exchanged: %r" % MOCK.token_requests)

        # the browser's answer, from this user, over IPv6 when there is one
        status, location, _ = http_get(url)
        check(status == 302 and location, "stranger: the authorization server redirects (%r)" % status)
        target = urllib.parse.urlsplit(location or "")
        status = callback(port, target.path + "?" + target.query, mapped=v6)
        check(status == 200, "stranger: then this user's answer%s is taken (%r)"
              % (" over IPv6" if v6 else "", status))
        out, err = proc.communicate(timeout=60)
        check(proc.returncode == 0 and ("Linked %s" % EMAIL) in out,
              "stranger: link-gmail completes (%d: %s)" % (proc.returncode, err[-300:]))
        check(MOCK.token_requests == ["authorization_code"], "stranger: one code exchange: %r" % MOCK.token_requests)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()


class Drip(threading.Thread):
    """A token endpoint that takes the request, then answers a byte a second
    and never ends, so that no single read times out; from its
    answer_from-th request on it answers at once."""
    def __init__(self, answer_from):
        super().__init__(daemon=True)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.stop = threading.Event()
        self.requests = 0
        self.answer_from = answer_from

    def run(self):
        while not self.stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.requests += 1
            threading.Thread(target=self.serve, args=(conn, self.requests >= self.answer_from),
                             daemon=True).start()

    def serve(self, conn, answer):
        with conn:
            try:
                conn.recv(65536)
                if answer:
                    body = json.dumps({"access_token": MOCK.refreshed_token, "expires_in": 3600,
                                       "token_type": "Bearer"}).encode()
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                                 b"Content-Length: %d\r\nConnection: close\r\n\r\n%s" % (len(body), body))
                    return
                for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"." * 1000:
                    if self.stop.wait(1):
                        return
                    conn.sendall(bytes([byte]))
            except OSError:
                return

    def close(self):
        self.stop.set()
        self.sock.close()


def check_token_deadline(env, work, certs, smtp_port):
    """Item: the token refresh during a drain has a deadline. A sign-in
    server that takes the request and drips its answer can no longer hold
    flush (and the outbox's lock): the message is deferred, saying why;
    flush --wait asks again before the retry, and the message goes out
    once the server answers."""
    MOCK.mode = "consent"
    MOCK.access_token = "right-token"
    MOCK.access_expires_in = 1      # expired at once: the drain must refresh
    e = fresh_env(env, work, "token-deadline")
    rc, out, err, page = run_link_plain(e)
    check(rc == 0, "token deadline: linked (%d: %s)" % (rc, err[-300:]))
    cli(e, "account", "set", "--host", "127.0.0.1", "--port", str(smtp_port), "--security", "starttls",
        "--ca-file", os.path.join(certs, "ca.pem"))
    r = subprocess.run([CLI, "send", "--no-wait", "--to", "rcpt@example.org", "--subject", "token deadline",
                        "--body-file", "-"], input="Hello.\n", env=e, capture_output=True, text=True, timeout=60)
    check(r.returncode == 0, "token deadline: the message is queued (%s)" % r.stderr[-300:])

    # the connection test says the sign-in server timed out, not "sign in
    # again": the sign-in still holds
    never = Drip(answer_from=1000)
    never.start()
    try:
        r = subprocess.run([CLI, "test", "--json"], capture_output=True, text=True, timeout=45,
                           env=dict(e, MAIL_RELAY_GOOGLE_TOKEN_URL="http://127.0.0.1:%d/token" % never.port,
                                    MAIL_RELAY_TOKEN_DEADLINE_SECONDS="3"))
        got = json.loads(r.stdout) if r.stdout.strip() else {}
        error = got.get("error") or {}
        check(r.returncode == 1 and error.get("kind") == "timeout"
              and "sign in again" not in (error.get("hint") or "").lower(),
              "token deadline: test names a timeout, not a lost sign-in (%d %r)" % (r.returncode, error))
    except subprocess.TimeoutExpired:
        check(False, "token deadline: test returns while the token endpoint drips")
    finally:
        never.close()

    drip = Drip(answer_from=3)
    drip.start()
    slow = dict(e, MAIL_RELAY_GOOGLE_TOKEN_URL="http://127.0.0.1:%d/token" % drip.port,
                MAIL_RELAY_TOKEN_DEADLINE_SECONDS="3", MAIL_RELAY_RETRY_BASE_SECONDS="1")
    try:
        start = time.monotonic()
        r = subprocess.run([CLI, "flush"], env=slow, capture_output=True, text=True, timeout=45)
        took = time.monotonic() - start
        log = [json.loads(l) for l in cli(e, "log", "--json").stdout.splitlines() if l.strip()]
        last = log[-1] if log else {}
        check(r.returncode == 1 and took < 20, "token deadline: flush returns, exit 1, in %.1f s (%d)"
              % (took, r.returncode))
        check(drip.requests >= 1, "token deadline: the token endpoint was asked")
        check(last.get("status") == "deferred" and last.get("subject") == "token deadline",
              "token deadline: the message is deferred: %r" % [(x["status"], x["subject"]) for x in log])
        check("sign-in server did not answer in time" in last.get("detail", ""),
              "token deadline: the log says the sign-in server timed out: %r" % last.get("detail"))

        # the second request drips too, the third is answered: --wait asks
        # again before the retry, and the message goes out
        r = subprocess.run([CLI, "flush", "--wait"], env=slow, capture_output=True, text=True, timeout=60)
        log = [json.loads(l) for l in cli(e, "log", "--json").stdout.splitlines() if l.strip()]
        check(r.returncode == 0 and [x["status"] for x in log] == ["queued", "deferred", "deferred", "sent"],
              "token deadline: sent once the sign-in server answers (%d %r)"
              % (r.returncode, [x["status"] for x in log]))
        check(drip.requests == 3, "token deadline: a token request per try (%d)" % drip.requests)
    except subprocess.TimeoutExpired:
        check(False, "token deadline: flush returns while the token endpoint drips")
    finally:
        drip.close()


def main():
    if not check(CHROMIUM is not None, "chromium is installed (build-aux/test installs it)"):
        return report()

    work = tempfile.mkdtemp(prefix="oauth-cli-")
    env = dict(os.environ, HOME=work, XDG_CONFIG_HOME=os.path.join(work, "config"),
               XDG_DATA_HOME=os.path.join(work, "data"), XDG_CACHE_HOME=os.path.join(work, "cache"),
               LANGUAGE="C")
    mock = Server(("127.0.0.1", 0), Handler)
    threading.Thread(target=mock.serve_forever, daemon=True).start()
    base = "http://127.0.0.1:%d" % mock.server_address[1]
    env.update(MAIL_RELAY_GOOGLE_AUTH_URL=base + "/auth", MAIL_RELAY_GOOGLE_TOKEN_URL=base + "/token",
               MAIL_RELAY_GOOGLE_USERINFO_URL=base + "/userinfo",
               MAIL_RELAY_GOOGLE_CLIENT_ID=CLIENT_ID, MAIL_RELAY_GOOGLE_CLIENT_SECRET="")
    certs = os.path.join(work, "certs")
    subprocess.run([PYTHON, os.path.join(HERE, "make-certs.py"), certs], check=True,
                   stdout=subprocess.DEVNULL)
    smtp = None
    outputs = []
    try:
        # 1. declining consent: exit 1, clear message, no token request
        MOCK.mode = "decline"
        rc, url, out, err, during, page = run_link(env)
        outputs += [out, err]
        check(rc == 1, "declined consent exits 1 (%d)" % rc)
        check("declined" in err, "declined consent says so: %r" % err[-200:])
        check(MOCK.token_requests == [], "no token request after a refusal")

        # 2. consent through a real browser
        MOCK.mode = "consent"
        rc, url, out, err, during, page = run_link(env)
        outputs += [out, err, page]
        check(url.startswith(base + "/auth?"), "the URL is printed alone on the first line")
        check(rc == 0, "link-gmail exits 0 (%d: %s)" % (rc, err[-300:]))
        check(("Linked %s" % EMAIL) in out, "prints the linked address")
        check("signed in" in page.lower(), "the browser shows the success page")
        check(len(during) == 1 and during[0][0] == "0100007F",
              "during the flow only 127.0.0.1 listens: %r" % during)
        check(MOCK.token_requests == ["authorization_code"], "one code exchange: %r" % MOCK.token_requests)
        shown = json.loads(subprocess.run([CLI, "account", "show", "--json"], env=env,
                                          capture_output=True, text=True).stdout)
        check(shown["provider"] == "gmail" and shown["username"] == EMAIL and shown["auth"] == "xoauth2",
              "the account is a linked Gmail account")

        # 3. test: the stored access token is refused (401 challenge), refreshed once, accepted
        smtp = subprocess.Popen([PYTHON, os.path.join(HERE, "fake-smtp-server.py"), "--scenario", "good",
                                 "--tls-cert", os.path.join(certs, "good.pem"),
                                 "--tls-key", os.path.join(certs, "good.key"),
                                 "--log", os.path.join(work, "smtp.log")],
                                stdout=subprocess.PIPE, text=True)
        port = int(smtp.stdout.readline().split()[1])
        subprocess.run([CLI, "account", "set", "--host", "127.0.0.1", "--port", str(port), "--security", "starttls",
                        "--ca-file", os.path.join(certs, "ca.pem")], env=env, check=True,
                       capture_output=True)
        test = subprocess.run([CLI, "test", "--json"], env=env, capture_output=True, text=True, timeout=60)
        outputs += [test.stdout, test.stderr]
        result = json.loads(test.stdout or "{}")
        check(test.returncode == 0 and result.get("ok"), "test passes after one refresh (%s %s)" % (test.stderr[-300:], json.dumps(result.get("error")), ))
        if not result.get("ok"):
            print("# " + "\n# ".join(result.get("transcript", [])[-8:] + [json.dumps(result.get("steps", [])[-2:])]))
        check(MOCK.token_requests == ["authorization_code", "refresh_token"],
              "refreshed once after the 401 challenge: %r" % MOCK.token_requests)
        with open(os.path.join(work, "smtp.log")) as f:
            auths = [l for l in f if l.upper().startswith("AUTH XOAUTH2")]
        check(len(auths) == 2, "XOAUTH2 tried twice: the stale token, then the fresh one")

        # 4. an expired access token is refreshed before the conversation
        MOCK.access_expires_in = 1
        MOCK.access_token = "right-token"
        rc, url, out, err, during, page = run_link(env)
        subprocess.run([CLI, "account", "set", "--host", "127.0.0.1", "--port", str(port), "--security", "starttls",
                        "--ca-file", os.path.join(certs, "ca.pem")], env=env, check=True,
                       capture_output=True)
        before = len(MOCK.token_requests)
        test = subprocess.run([CLI, "test", "--json"], env=env, capture_output=True, text=True, timeout=60)
        outputs += [test.stdout, test.stderr]
        check(test.returncode == 0, "test passes with an expired token (%s)" % test.stderr[-300:])
        check(MOCK.token_requests[before:] == ["refresh_token"], "refreshed first: %r" % MOCK.token_requests)

        # 5. after the flows, nothing of Mail Relay listens; tokens only in the keyring
        for blob in outputs:
            for secret in SECRETS:
                check(secret not in (blob or ""), "no %s in any output" % secret)
        for root, _, files in os.walk(work):
            if root.startswith(certs):
                continue
            for name in files:
                try:
                    data = open(os.path.join(root, name), "rb").read()
                except OSError:
                    continue
                for secret in SECRETS:
                    check(secret.encode() not in data, "no %s in %s" % (secret, name))

        # 6. unlink forgets the tokens
        unlink = subprocess.run([CLI, "unlink"], env=env, capture_output=True, text=True)
        check(unlink.returncode == 0, "unlink exits 0")
        test = subprocess.run([CLI, "test", "--json"], env=env, capture_output=True, text=True, timeout=60)
        after = json.loads(test.stdout or "{}")
        check(test.returncode == 1 and (after.get("error") or {}).get("kind") == "auth",
              "after unlink the test asks to sign in again")

        check_userinfo(env, work)
        check_own_client(env, work)
        check_trust_reset(env, work, certs)
        check_stranger(env, work)
        check_token_deadline(env, work, certs, port)
    finally:
        if smtp is not None:
            smtp.terminate()
            smtp.wait()
        mock.shutdown()
        shutil.rmtree(work, ignore_errors=True)
    return report()


def report():
    print("TAP version 13")
    for i, (ok, what) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, what))
    print("1..%d" % len(results))
    return 0 if all(ok for ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
