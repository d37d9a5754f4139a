#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The layout Flatpak gets: configures the project with prefix /app in a
scratch directory (no tests, no optimisation: only the installed files
matter), installs it into a DESTDIR and checks that the binaries, desktop
file, metainfo, icons, schema and zh_CN catalogue are where the desktop
looks for them, and that the validators accept the installed files.

Usage: test-installed-layout.py SOURCE_ROOT APP_ID GETTEXT_PACKAGE BINARY..."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET

PREFIX = "/app"
results = []


def check(cond, what, detail=""):
    results.append((bool(cond), what, detail))
    return cond


def run(argv, **kwargs):
    return subprocess.run(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **kwargs)


def is_png(path):
    try:
        with open(path, "rb") as f:
            return f.read(8) == b"\x89PNG\r\n\x1a\n"
    except OSError:
        return False


def main():
    source_root, app_id, package = sys.argv[1:4]
    binaries = sys.argv[4:]
    meson = shutil.which("meson")

    with tempfile.TemporaryDirectory(prefix="mail-relay-layout-") as scratch:
        build = os.path.join(scratch, "build")
        destdir = os.path.join(scratch, "dest")
        root = destdir + PREFIX
        share = os.path.join(root, "share")

        setup = run([meson, "setup", "--prefix=" + PREFIX, "--buildtype=plain", "-Dtests=false",
                     build, source_root])
        if not check(setup.returncode == 0, "meson setup --prefix=/app", setup.stdout):
            return report()
        install = run([meson, "install", "-C", build, "--destdir", destdir])
        if not check(install.returncode == 0, "meson install --destdir", install.stdout[-4000:]):
            return report()

        for binary in binaries:
            path = os.path.join(root, "bin", binary)
            check(os.path.isfile(path) and os.access(path, os.X_OK), f"bin/{binary} is an executable")

        check_cli_module(root, binaries[-1], scratch)

        desktop = os.path.join(share, "applications", app_id + ".desktop")
        metainfo = os.path.join(share, "metainfo", app_id + ".metainfo.xml")
        expected = {
            desktop: "the desktop file",
            metainfo: "the metainfo",
            os.path.join(share, "icons/hicolor/scalable/apps", app_id + ".svg"): "the scalable icon",
            os.path.join(share, "icons/hicolor/symbolic/apps", app_id + "-symbolic.svg"): "the symbolic icon",
            os.path.join(share, "glib-2.0/schemas", app_id + ".gschema.xml"): "the schema",
            os.path.join(share, "locale/zh_CN/LC_MESSAGES", package + ".mo"): "the zh_CN catalogue",
        }
        for path, what in expected.items():
            check(os.path.isfile(path) and os.path.getsize(path) > 0,
                  f"{what} is {os.path.relpath(path, destdir)}")

        # the binaries look for their catalogue under the prefix they were built for
        cli = os.path.join(root, "bin", binaries[-1])
        if os.path.isfile(cli):
            with open(cli, "rb") as f:
                check(b"/app/share/locale" in f.read(), f"{binaries[-1]} looks in /app/share/locale")

        if os.path.isfile(desktop):
            validate = run(["desktop-file-validate", desktop])
            check(validate.returncode == 0 and not validate.stdout.strip(),
                  "desktop-file-validate accepts the installed desktop file", validate.stdout)
            with open(desktop, encoding="utf-8") as f:
                text = f.read()
            check(re.search(r"^Icon=%s$" % re.escape(app_id), text, re.M), "the desktop file names the icon")
            check(re.search(r"^Exec=%s\b" % re.escape(binaries[0]), text, re.M),
                  f"the desktop file starts {binaries[0]}")
            check(re.search(r"^Name\[zh_CN\]=", text, re.M), "the desktop file has its Chinese name")

        if os.path.isfile(metainfo):
            validate = run(["appstreamcli", "validate", "--no-net", "--explain", metainfo])
            check(validate.returncode == 0, "appstreamcli validate --no-net accepts the installed metainfo",
                  validate.stdout)
            component = ET.parse(metainfo).getroot()
            check(component.findtext("id") == app_id, "the metainfo's id is the app id")
            check(component.findtext("launchable") == app_id + ".desktop", "the metainfo launches the desktop file")
            for image in component.iterfind("screenshots/screenshot/image"):
                name = (image.text or "").rsplit("/data/screenshots/", 1)[-1]
                path = os.path.join(source_root, "data", "screenshots", name)
                check(is_png(path), f"screenshot {name} is a PNG in data/screenshots")

    return report()


def check_cli_module(root, cli_name, scratch):
    """mail-relay-cli's network module is installed in $libdir/mail-relay/,
    where the installed executable looks for it, and the two work together;
    without it, a network command is a clear error and queueing works"""
    cli = os.path.join(root, "bin", cli_name)
    modules = [os.path.join(d, f) for d, _, files in os.walk(root) for f in files
               if f == "mail-relay-cli-network.so"]
    if not check(len(modules) == 1 and os.path.basename(os.path.dirname(modules[0])) == "mail-relay"
                 and os.path.relpath(modules[0], root).startswith("lib"),
                 "the network module is installed as $libdir/mail-relay/mail-relay-cli-network.so",
                 "found: %s" % modules):
        return
    moduledir = os.path.dirname(modules[0])
    installed = PREFIX + "/" + os.path.relpath(moduledir, root)
    if os.path.isfile(cli):
        with open(cli, "rb") as f:
            check(installed.encode() in f.read(), f"{cli_name} looks for the module in {installed}")

    env = dict(os.environ, LANGUAGE="C", HOME=scratch,
               XDG_CONFIG_HOME=os.path.join(scratch, "config"), XDG_DATA_HOME=os.path.join(scratch, "data"))
    env.pop("MAIL_RELAY_CLI_MODULE_DIR", None)
    # the installed pair: account set is a network command, send --no-wait is not
    with_module = dict(env, MAIL_RELAY_CLI_MODULE_DIR=moduledir)
    r = run([cli, "account", "set", "--provider", "custom", "--host", "127.0.0.1", "--port", "2525",
             "--security", "none", "--from", "user@example.org"], env=with_module)
    check(r.returncode == 0 and "Created account" in r.stdout,
          "the installed mail-relay-cli runs a network command with the installed module", r.stdout)
    # DESTDIR is not /app: the executable does not find the module by itself
    r = run([cli, "flush"], env=env)
    check(r.returncode == 1 and "network module" in r.stdout and installed in r.stdout,
          "without its module, a network command exits 1 naming where the module should be", r.stdout)
    r = run([cli, "send", "--no-wait", "--to", "rcpt@example.org", "--subject", "layout"], env=env)
    check(r.returncode == 0 and "Queued <" in r.stdout, "without its module, send --no-wait queues", r.stdout)


def report():
    print("TAP version 13")
    for i, (ok, what, detail) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {i} {what}")
        if not ok:
            for line in detail.splitlines():
                print(f"# {line}")
    print(f"1..{len(results)}")
    return 0 if results and all(ok for ok, _, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
