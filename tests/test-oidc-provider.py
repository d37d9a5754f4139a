#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""`mail-relay-cli link-gmail` against a real OpenID provider that nobody
on this project wrote: node-oidc-provider (OpenID Certified), run by
tests/oidc-provider-server.mjs on 127.0.0.1. Like every conforming
provider it keeps `email` out of the id_token; Mail Relay must read it
from the userinfo endpoint, and fail cleanly when there is none.

This script is the browser: it follows the redirects and fills in the
provider's own login and consent forms, with its cookies.

oidc-provider comes from the npm registry (build-aux/install-deps --test
puts it into /usr/local/lib/mail-relay-tests, or set
MAIL_RELAY_TEST_NODE_MODULES); without it or node the test is skipped."""
import html.parser
import http.cookiejar
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
CLI = os.environ["MAIL_RELAY_CLI"]
MODULES = os.environ.get("MAIL_RELAY_TEST_NODE_MODULES", "/usr/local/lib/mail-relay-tests/node_modules")
CLIENT_ID = "mail-relay-oidc-test"
EMAIL = "user@example.org"
results = []


def check(cond, what):
    results.append((bool(cond), what))
    return cond


def report(skip=None):
    print("TAP version 13")
    if skip:
        print("1..0 # SKIP %s" % skip)
        return 0
    for i, (ok, what) in enumerate(results, 1):
        print("%s %d - %s" % ("ok" if ok else "not ok", i, what))
    print("1..%d" % len(results))
    return 0 if all(ok for ok, _ in results) else 1


def provider_main():
    try:
        with open(os.path.join(MODULES, "oidc-provider", "package.json")) as f:
            package = json.load(f)
    except OSError:
        return None
    return os.path.join(MODULES, "oidc-provider", package.get("main") or "lib/index.js")


class Forms(html.parser.HTMLParser):
    def __init__(self):
        super().__init__()
        self.forms = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append({"action": a.get("action"), "fields": {}})
        elif tag == "input" and self.forms and a.get("name"):
            self.forms[-1]["fields"][a["name"]] = a.get("value") or ""


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def browse(url, callback_prefix):
    """Follows redirects, signs in and consents on the provider's forms,
    until the loopback callback answers: (status, page)."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), NoRedirect,
                                         urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()))
    data = None
    for _ in range(20):
        try:
            resp = opener.open(urllib.request.Request(url, data=data), timeout=30)
            status, body, location = resp.status, resp.read().decode(), resp.headers.get("Location")
        except urllib.error.HTTPError as e:
            status, body, location = e.code, e.read().decode(errors="replace"), e.headers.get("Location")
        if url.startswith(callback_prefix):
            return status, body
        data = None
        if status in (302, 303) and location:
            url = urllib.parse.urljoin(url, location)
            continue
        forms = Forms()
        forms.feed(body)
        if status != 200 or not forms.forms:
            return status, body
        fields = forms.forms[0]["fields"]
        if "login" in fields:
            fields.update(login="user-1", password="any")
        url = urllib.parse.urljoin(url, forms.forms[0]["action"])
        data = urllib.parse.urlencode(fields).encode()
    return None, "too many steps"


class Provider:
    def __init__(self, main, email):
        env = dict(os.environ, OIDC_PROVIDER_MAIN=main, OIDC_CLIENT_ID=CLIENT_ID, OIDC_EMAIL=email)
        self.proc = subprocess.Popen(["node", os.path.join(HERE, "oidc-provider-server.mjs")], env=env,
                                     stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        line = self.proc.stdout.readline()
        self.port = int(line.split()[1]) if line.startswith("PORT ") else None
        self.events = []
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            if line.startswith(("TOKEN ", "USERINFO ")):
                self.events.append(line.strip())

    def stop(self):
        self.proc.terminate()
        self.proc.wait()


def link(env, base):
    env = dict(env, MAIL_RELAY_GOOGLE_AUTH_URL=base + "/auth", MAIL_RELAY_GOOGLE_TOKEN_URL=base + "/token",
               MAIL_RELAY_GOOGLE_USERINFO_URL=base + "/me", MAIL_RELAY_GOOGLE_CLIENT_ID=CLIENT_ID,
               MAIL_RELAY_GOOGLE_CLIENT_SECRET="")
    proc = subprocess.Popen([CLI, "link-gmail", "--no-browser", "--timeout", "30"], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    url = proc.stdout.readline().strip()
    redirect = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query)).get("redirect_uri", "-")
    try:
        status, page = browse(url, redirect)
    finally:
        try:
            out, err = proc.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, err = proc.communicate()
    return proc.returncode, out, err, status


def show(env):
    return json.loads(subprocess.run([CLI, "account", "show", "--json"], env=env, capture_output=True,
                                     text=True).stdout or "{}")


def main():
    main_file = provider_main()
    if shutil.which("node") is None or main_file is None or not os.path.exists(main_file):
        return report(skip="node or oidc-provider is not installed (build-aux/install-deps --test)")

    work = tempfile.mkdtemp(prefix="oidc-provider-")
    env = dict(os.environ, HOME=work, XDG_CONFIG_HOME=os.path.join(work, "config"),
               XDG_DATA_HOME=os.path.join(work, "data"), XDG_CACHE_HOME=os.path.join(work, "cache"),
               LANGUAGE="C")
    provider = None
    try:
        # 1. the address comes from the userinfo endpoint
        provider = Provider(main_file, EMAIL)
        if not check(provider.port, "oidc-provider listens"):
            return report()
        rc, out, err, status = link(env, "http://127.0.0.1:%d" % provider.port)
        check(rc == 0, "link-gmail exits 0 (%d: %s)" % (rc, err[-300:]))
        check(status == 200, "the browser sees the success page (%r)" % status)
        check("TOKEN id_token-email=no" in provider.events,
              "the provider kept email out of the id_token: %r" % provider.events)
        check("USERINFO 200" in provider.events, "Mail Relay asked the userinfo endpoint: %r" % provider.events)
        shown = show(env)
        check(shown.get("username") == EMAIL and shown.get("from") == EMAIL,
              "the account's user name and sender are the address from userinfo: %r" % shown)
        provider.stop()

        # 2. an account without an address: a clear failure, nothing changed
        provider = Provider(main_file, "")
        before = open(os.path.join(work, "config", "mail-relay", "accounts.json"), "rb").read()
        rc, out, err, status = link(env, "http://127.0.0.1:%d" % provider.port)
        check(rc == 1, "without an address link-gmail exits 1 (%d)" % rc)
        check("“email” claim" in err, "the message names the missing claim: %r" % err[-300:])
        check(status == 502, "the browser is told the sign-in failed (%r)" % status)
        after = open(os.path.join(work, "config", "mail-relay", "accounts.json"), "rb").read()
        check(after == before, "accounts.json is unchanged")
    finally:
        if provider is not None:
            provider.stop()
        shutil.rmtree(work, ignore_errors=True)
    return report()


if __name__ == "__main__":
    sys.exit(main())
