#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The project documents itself, and the documents stay true:

- no file of the project cites a document outside it (DESIGN.md, ../shared);
- docs/architecture.md names every file of src/core, src/app and src/cli
  (a header only when it has no .c of the same name) and every top-level
  directory; the README's Layout section names those directories and
  links docs/architecture.md;
- docs/cli.md names every command of `mail-relay-cli --help`, every option
  of each command's --help, and every MAIL_RELAY_* variable the programs
  read;
- every link between the documents leads to a file and a heading that
  exist, and docs/README.md lists every page.

Usage: test-docs.py SOURCE_ROOT  (MAIL_RELAY_CLI: the built mail-relay-cli)"""
import os
import re
import subprocess
import sys

ROOT = sys.argv[1]
CLI = os.environ["MAIL_RELAY_CLI"]
TOP_DIRS = ["src/core", "src/app", "src/cli", "tests", "fuzz", "bench", "build-aux",
            "data", "po", "flatpak", "docs"]
SOURCE_DIRS = ["src/core", "src/app", "src/cli"]
results = []


def check(cond, what):
    results.append((bool(cond), what))
    return cond


def read(path):
    if not os.path.exists(os.path.join(ROOT, path)):
        return ""
    with open(os.path.join(ROOT, path), encoding="utf-8") as f:
        return f.read()


def project_files():
    for top in ("src", "tests", "fuzz", "bench", "build-aux", "data", "po", "flatpak", "docs", "README.md",
                "meson.build"):
        path = os.path.join(ROOT, top)
        if os.path.isfile(path):
            yield top
            continue
        for dirpath, dirnames, files in os.walk(path):
            dirnames[:] = [d for d in dirnames if d != "corpus"]
            for name in files:
                yield os.path.relpath(os.path.join(dirpath, name), ROOT)


def slug(heading):
    """GitHub's anchor for a Markdown heading"""
    text = re.sub(r"[`*_]", "", heading.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def check_no_outside_references():
    outside = re.compile(r"DESIGN\.md|\.\./shared|/work/shared")
    found = []
    for path in project_files():
        if path == "tests/test-docs.py" or path.endswith((".png", ".svg")):
            continue
        try:
            with open(os.path.join(ROOT, path), encoding="utf-8") as f:
                text = f.read()
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), 1):
            if outside.search(line):
                found.append("%s:%d" % (path, number))
    check(not found, "no file cites a document outside the project (%s)" % ", ".join(found[:8]))


def check_architecture():
    text = read("docs/architecture.md")
    missing = []
    for directory in SOURCE_DIRS:
        for dirpath, _, files in os.walk(os.path.join(ROOT, directory)):
            for name in sorted(files):
                if name == "meson.build":
                    continue
                relative = os.path.relpath(os.path.join(dirpath, name), os.path.join(ROOT, directory))
                if name.endswith(".h") and os.path.exists(os.path.join(dirpath, name[:-2] + ".c")):
                    continue
                if "`%s`" % relative not in text:
                    missing.append(os.path.join(directory, relative))
    check(not missing, "docs/architecture.md names every source file (missing: %s)" % ", ".join(missing))
    for directory in TOP_DIRS:
        check("`%s/`" % directory in text, "docs/architecture.md names %s/" % directory)


def check_readme_layout():
    readme = read("README.md")
    match = re.search(r"^## Layout\n(.*?)(?=^## |\Z)", readme, re.M | re.S)
    if not check(match, "README.md has a Layout section"):
        return
    layout = match.group(1)
    for directory in TOP_DIRS:
        check("`%s/`" % directory in layout or "`%s`" % directory in layout,
              "README.md's Layout names %s/" % directory)
    check("(docs/architecture.md)" in layout, "README.md's Layout links docs/architecture.md")


def help_text(*command):
    r = subprocess.run([CLI, *command, "--help"], capture_output=True, text=True, timeout=30,
                       env=dict(os.environ, LANGUAGE="C", LC_ALL="C.UTF-8"))
    check(r.returncode == 0, "%s exits 0" % " ".join(["mail-relay-cli", *command, "--help"]))
    return r.stdout


def check_cli():
    text = read("docs/cli.md")
    commands = []
    for line in help_text().splitlines():
        match = re.match(r"  ([a-z][a-z-]*(?: (?:set|show|delete|export|import))?)\b", line)
        if match:
            commands.append(match.group(1))
    check(len(commands) >= 10, "mail-relay-cli --help lists the commands (%s)" % ", ".join(commands))
    n_options = 0
    for command in commands:
        check("## `%s" % command in text, "docs/cli.md has a section for `%s`" % command)
        options = set(re.findall(r"^\s+(--[a-z][a-z-]*)", help_text(*command.split()), re.M)) - {"--help"}
        missing = sorted(o for o in options if not re.search(r"`[^`]*%s\b" % re.escape(o), text))
        n_options += len(options)
        check(not missing, "docs/cli.md names every option of `%s` (%d; missing: %s)"
              % (command, len(options), ", ".join(missing)))
    check(n_options >= 40, "the commands' --help list their options (%d)" % n_options)

    variables = set()
    prefixes = set()
    for directory in SOURCE_DIRS:
        for dirpath, _, files in os.walk(os.path.join(ROOT, directory)):
            for name in files:
                if not name.endswith(".c"):
                    continue
                with open(os.path.join(dirpath, name), encoding="utf-8") as f:
                    code = f.read()
                for variable in re.findall(r'"(MAIL_RELAY_[A-Z_]*)"', code):
                    (prefixes if variable.endswith("_") else variables).add(variable)
                settings = re.findall(r'dup_setting \(prefix, "([A-Z_]+)"', code)
                for prefix in re.findall(r'"(MAIL_RELAY_[A-Z_]*_)"', code):
                    variables.update(prefix + setting for setting in settings)
    check(len(variables) >= 12, "the programs' variables are found (%d)" % len(variables))
    missing = sorted(v for v in variables if "`%s`" % v not in text)
    check(not missing, "docs/cli.md names every MAIL_RELAY_* variable the programs read (missing: %s)"
          % ", ".join(missing))


def check_links():
    pages = sorted(name for name in os.listdir(os.path.join(ROOT, "docs")) if name.endswith(".md"))
    anchors = {}
    for page in pages + ["../README.md"]:
        text = read(os.path.join("docs", page))
        anchors[os.path.normpath(os.path.join("docs", page))] = {
            slug(h) for h in re.findall(r"^#+ (.*)$", text, re.M)}
    broken = []
    for page in pages:
        text = read(os.path.join("docs", page))
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"[a-z]+:", target):
                continue
            path, _, anchor = target.partition("#")
            resolved = os.path.normpath(os.path.join("docs", path)) if path else os.path.join("docs", page)
            if not os.path.exists(os.path.join(ROOT, resolved)):
                broken.append("%s → %s" % (page, target))
            elif anchor and resolved.endswith(".md") and anchor not in anchors.get(resolved, set()):
                broken.append("%s → %s" % (page, target))
    check(not broken, "every link in docs/ leads somewhere (broken: %s)" % ", ".join(broken))
    index = read("docs/README.md")
    unlisted = [p for p in pages if p != "README.md" and "](%s)" % p not in index]
    check(not unlisted, "docs/README.md lists every page (missing: %s)" % ", ".join(unlisted))


def main():
    for path in ("docs/README.md", "docs/architecture.md", "docs/cli.md", "README.md"):
        check(os.path.exists(os.path.join(ROOT, path)), "%s exists" % path)
    check_no_outside_references()
    check_architecture()
    check_readme_layout()
    check_cli()
    check_links()
    print("TAP version 13")
    for i, (ok, what) in enumerate(results, 1):
        print("%s %d %s" % ("ok" if ok else "not ok", i, what))
    print("1..%d" % len(results))
    return 0 if all(ok for ok, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
