#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Lints flatpak/APP_ID.json: valid JSON, the app id and command that meson
builds, exactly the permissions docs/architecture.md allows, a numbered GNOME runtime,
and the project built with meson from its own source directory with the
tests that work inside flatpak-builder's sandbox.

Then lints broken copies of the manifest and expects each to be refused,
so that the lint itself is known to look.

Usage: test-flatpak-manifest.py MANIFEST APP_ID COMMAND SOURCE_ROOT"""
import copy
import json
import os
import sys

FINISH_ARGS = [
    "--share=network",
    "--share=ipc",
    "--socket=wayland",
    "--socket=fallback-x11",
    "--device=dri",
]
MIN_RUNTIME = 49
# skipped when copying the source directory: a build tree in it would be
# copied into the next build, and flatpak-builder's own state into itself;
# with them, every top-level directory .gitignore names (build-asan from
# build-aux/test-sanitize, build-bench, build-fuzz, …)
MUST_SKIP = {".git", "build", "build-flatpak", ".flatpak-builder"}
# the sign-in clients a distributor builds in: set in config-opts, and
# there only (docs/packaging.md)
CLIENT_OPTIONS = ("google_client_id", "google_client_secret", "microsoft_client_id")


def ignored_dirs(source_root):
    """The top-level directories .gitignore names ("/build-asan/")."""
    try:
        with open(os.path.join(source_root, ".gitignore"), encoding="utf-8") as f:
            lines = f.read().splitlines()
    except OSError:
        return set()
    return {line.strip("/") for line in lines
            if line.startswith("/") and line.endswith("/") and line.count("/") == 2 and "*" not in line}


def no_duplicate_keys(pairs):
    keys = [key for key, _ in pairs]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        raise ValueError("duplicate key " + ", ".join(duplicates))
    return dict(pairs)


def all_strings(node):
    if isinstance(node, str):
        yield node
    elif isinstance(node, list):
        for item in node:
            yield from all_strings(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from all_strings(value)


def lint(manifest, manifest_dir, app_id, command, source_root):
    problems = []

    def need(cond, message):
        if not cond:
            problems.append(message)
        return cond

    if not need(isinstance(manifest, dict), "the manifest is not a JSON object"):
        return problems

    need(manifest.get("id", manifest.get("app-id")) == app_id,
         f"id is {manifest.get('id', manifest.get('app-id'))!r}, meson builds {app_id!r}")
    need(manifest.get("command") == command,
         f"command is {manifest.get('command')!r}, meson installs {command!r}")
    need(manifest.get("runtime") == "org.gnome.Platform",
         f"runtime is {manifest.get('runtime')!r}, not org.gnome.Platform")
    need(manifest.get("sdk") == "org.gnome.Sdk", f"sdk is {manifest.get('sdk')!r}, not org.gnome.Sdk")
    version = manifest.get("runtime-version")
    if need(isinstance(version, str) and version.isdigit(),
            f"runtime-version {version!r} is not a stable numbered release"):
        need(int(version) >= MIN_RUNTIME, f"runtime-version {version} is older than {MIN_RUNTIME}")

    finish_args = manifest.get("finish-args")
    if need(isinstance(finish_args, list), "finish-args is missing"):
        for arg in finish_args:
            need(not str(arg).startswith(("--filesystem", "--persist")),
                 f"finish-args asks for files: {arg}")
        need(len(finish_args) == len(set(finish_args)), "finish-args repeats an argument")
        need(sorted(finish_args) == sorted(FINISH_ARGS),
             f"finish-args is {finish_args}, not exactly {FINISH_ARGS}")

    for text in all_strings(manifest):
        need("org.freedesktop.secrets" not in text,
             f"{text!r}: libsecret goes through the Secret portal, no talk-name")

    modules = manifest.get("modules")
    if not need(isinstance(modules, list) and modules, "no modules"):
        return problems
    module = modules[-1]
    if not need(isinstance(module, dict), "the last module is not the project"):
        return problems

    need(module.get("buildsystem") == "meson", f"buildsystem is {module.get('buildsystem')!r}, not meson")
    sources = [s for s in module.get("sources", []) if isinstance(s, dict) and s.get("type") == "dir"]
    if need(len(sources) == 1, "the project is not built from one source directory"):
        path = os.path.join(manifest_dir, sources[0].get("path", ""))
        need(os.path.isdir(path) and os.path.samefile(path, source_root),
             f"the source directory {sources[0].get('path')!r} is not the project's")
        missing = (MUST_SKIP | ignored_dirs(source_root)) - set(sources[0].get("skip", []))
        need(not missing, f"the source directory does not skip {sorted(missing)}")

    opts = module.get("config-opts", [])
    need("-Dtests=false" not in opts, "the tests are not built (-Dtests=false)")
    need("-Dflatpak=true" in opts, "meson test would run tests that need a keyring, a display or a network "
                                   "(-Dflatpak=true is missing)")
    need(module.get("run-tests") is True, "run-tests is not true: the tests do not run in the build")
    for option in CLIENT_OPTIONS:
        given = [opt for opt in opts if isinstance(opt, str) and opt.startswith("-D%s=" % option)]
        need(len(given) == 1, f"config-opts does not name -D{option}= once, the one place a distributor "
                              f"sets it (docs/packaging.md)")
    elsewhere = [text for text in all_strings({k: v for k, v in manifest.items() if k != "modules"})
                 if "CLIENT_ID" in text or "CLIENT_SECRET" in text or "client_id" in text]
    need(not elsewhere, f"a sign-in client is set outside config-opts: {elsewhere}")

    build_args = [arg for options in (manifest.get("build-options", {}), module.get("build-options", {}))
                  for arg in options.get("build-args", [])]
    need("--share=network" not in build_args, "the build asks for the network")

    return problems


def broken_copies(manifest, app_id):
    """(what is broken, a copy with it broken)"""
    def edit(change):
        broken = copy.deepcopy(manifest)
        change(broken)
        return broken

    def module(m):
        return m["modules"][-1]

    yield "another app id", edit(lambda m: m.update({"id": app_id + ".Devel"}))
    yield "another command", edit(lambda m: m.update({"command": "mail-relay-cli"}))
    yield "home directory access", edit(lambda m: m["finish-args"].append("--filesystem=home"))
    yield "a missing permission", edit(lambda m: m["finish-args"].remove("--share=ipc"))
    yield "a secrets talk-name", edit(lambda m: m["finish-args"].append("--talk-name=org.freedesktop.secrets"))
    yield "the X11 socket always", edit(lambda m: m["finish-args"].__setitem__(
        m["finish-args"].index("--socket=fallback-x11"), "--socket=x11"))
    yield "a branch runtime", edit(lambda m: m.update({"runtime-version": "master"}))
    yield "an old runtime", edit(lambda m: m.update({"runtime-version": "48"}))
    yield "another runtime", edit(lambda m: m.update({"runtime": "org.freedesktop.Platform"}))
    yield "another build system", edit(lambda m: module(m).update({"buildsystem": "simple"}))
    yield "no tests", edit(lambda m: module(m).update({"run-tests": False}))
    yield "tests not built", edit(lambda m: module(m).update({"config-opts": ["-Dtests=false"]}))
    yield "a source elsewhere", edit(lambda m: module(m)["sources"][0].update({"path": "../.."}))
    yield "the build tree copied", edit(lambda m: module(m)["sources"][0].update({"skip": [".git"]}))
    yield "the sanitizer build tree copied", edit(lambda m: module(m)["sources"][0].update(
        {"skip": [p for p in module(m)["sources"][0]["skip"] if p != "build-asan"]}))
    yield "no sign-in client options", edit(lambda m: module(m).update(
        {"config-opts": [o for o in module(m)["config-opts"] if "client" not in o]}))
    yield "a client id in the environment", edit(lambda m: m["finish-args"].append(
        "--env=MAIL_RELAY_GOOGLE_CLIENT_ID=x.apps.googleusercontent.com"))
    yield "a network build", edit(lambda m: m.update({"build-options": {"build-args": ["--share=network"]}}))


def main():
    manifest_path, app_id, command, source_root = sys.argv[1:5]
    manifest_dir = os.path.dirname(os.path.abspath(manifest_path))
    results = []

    try:
        with open(manifest_path, encoding="utf-8") as f:
            manifest = json.load(f, object_pairs_hook=no_duplicate_keys)
    except (OSError, ValueError) as e:
        print("TAP version 13\nnot ok 1 the manifest is valid JSON: %s\n1..1" % e)
        return 1

    problems = lint(manifest, manifest_dir, app_id, command, source_root)
    results.append((not problems, f"{os.path.basename(manifest_path)} passes the lint", problems))

    if not problems:
        for what, broken in broken_copies(manifest, app_id):
            found = lint(broken, manifest_dir, app_id, command, source_root)
            results.append((bool(found), f"refused with {what}: {'; '.join(found)}", []))

    print("TAP version 13")
    for i, (ok, what, details) in enumerate(results, 1):
        print(f"{'ok' if ok else 'not ok'} {i} {what}")
        for detail in details:
            print(f"# {detail}")
    print(f"1..{len(results)}")
    return 0 if all(ok for ok, _, _ in results) else 1


if __name__ == "__main__":
    sys.exit(main())
