#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Prints the translatable texts of providers.json as .pot entries.

The same fields are translated at run time by src/core/relay-provider.c:
name, username_hint and guidance (summary, pros, cons, sharing).
"""
import json
import sys


def strings(path):
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    for provider in data["providers"]:
        yield provider["name"]
        if provider.get("username_hint"):
            yield provider["username_hint"]
        guidance = provider.get("guidance", {})
        if guidance.get("summary"):
            yield guidance["summary"]
        yield from guidance.get("pros", [])
        yield from guidance.get("cons", [])
        if guidance.get("sharing"):
            yield guidance["sharing"]


def quote(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


if __name__ == "__main__":
    seen = set()
    for text in strings(sys.argv[1]):
        if text in seen:
            continue
        seen.add(text)
        print(f"\n#: {sys.argv[1]}\nmsgid {quote(text)}\nmsgstr \"\"")
