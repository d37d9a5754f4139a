#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Fails when a file with translatable strings is missing from
po/POTFILES.in, or when POTFILES.in names a file that does not exist."""
import os
import re
import sys

MARKERS = re.compile(r'\b(?:N_|_|C_|NC_|ngettext)\s*\(\s*"|translatable="yes"|<summary>|<description>|^(?:Name|Comment|Keywords)=', re.M)
LOOK_IN = ("src", "data")
EXTENSIONS = (".c", ".h", ".ui", ".in", ".xml")

root = sys.argv[1]
with open(os.path.join(root, "po", "POTFILES.in"), encoding="utf-8") as f:
    listed = {line.strip() for line in f if line.strip() and not line.startswith("#")}

problems = []
for name in sorted(listed):
    if not os.path.exists(os.path.join(root, name)):
        problems.append(f"po/POTFILES.in lists {name}, which does not exist")

print("TAP version 13")
for top in LOOK_IN:
    for dirpath, _, files in os.walk(os.path.join(root, top)):
        for name in sorted(files):
            if not name.endswith(EXTENSIONS) or "gresource" in name:
                continue
            path = os.path.relpath(os.path.join(dirpath, name), root)
            with open(os.path.join(root, path), encoding="utf-8") as f:
                if MARKERS.search(f.read()) and path not in listed:
                    problems.append(f"{path} has translatable strings but is not in po/POTFILES.in")

for i, problem in enumerate(problems, 1):
    print(f"not ok {i} {problem}")
if not problems:
    print("ok 1 po/POTFILES.in is complete")
print(f"1..{max(len(problems), 1)}")
sys.exit(1 if problems else 0)
