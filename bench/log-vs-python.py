#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""P4: the send log at 1,000,000 entries, measured in the same run.

`mail-relay-cli log --json --status failed` against a Python loop that
runs json.loads on each line and applies the same filter; `wc -l` is the
floor. One line in 1,000 is written as another tool writes it (see
logdata.py): both must print it, byte for byte. Prints the medians and the ratio (target: at most 0.5).
And `mail-relay-cli log --json --limit 10` (target: at most 50 ms; it reads
only the tail of the file).

Usage: bench/log-vs-python.py [BUILDDIR] [RUNS]
"""
import os
import statistics
import subprocess
import sys
import tempfile
import time

from logdata import ENTRIES, generate

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "build")
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 5
CLI = os.path.join(BUILD, "src", "cli", "mail-relay-cli")
PYTHON = "/usr/bin/python3"

PYTHON_FILTER = r"""
import json, sys
out = sys.stdout
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        if json.loads(line)["status"] == "failed":
            out.write(line)
"""

def timed(argv, env):
    start = time.perf_counter()
    result = subprocess.run(argv, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=300)
    elapsed = time.perf_counter() - start
    if result.returncode != 0:
        sys.exit("%s failed (%d): %s" % (argv[0], result.returncode, result.stderr.decode()[-500:]))
    return elapsed


def main():
    work = tempfile.mkdtemp(prefix="mail-relay-bench-")
    try:
        data = os.path.join(work, "data")
        os.makedirs(os.path.join(data, "mail-relay"), mode=0o700)
        path = os.path.join(data, "mail-relay", "send-log.jsonl")
        env = dict(os.environ, XDG_CONFIG_HOME=os.path.join(work, "config"), XDG_DATA_HOME=data,
                   LC_ALL="C.UTF-8")

        started = time.perf_counter()
        n_failed = generate(path)
        size = os.path.getsize(path)
        print("generated %d entries (%d failed), %.0f MB, in %.1f s"
              % (ENTRIES, n_failed, size / 1e6, time.perf_counter() - started))

        ours = [CLI, "log", "--json", "--status", "failed"]
        python = [PYTHON, "-c", PYTHON_FILTER, path]
        wc = ["wc", "-l", path]
        tail = [CLI, "log", "--json", "--limit", "10"]

        # the same lines, byte for byte
        a = subprocess.run(ours, env=env, capture_output=True, check=True).stdout
        b = subprocess.run(python, env=env, capture_output=True, check=True).stdout
        if a != b or a.count(b"\n") != n_failed:
            sys.exit("the outputs differ: %d lines against %d" % (a.count(b"\n"), b.count(b"\n")))
        last = subprocess.run(tail, env=env, capture_output=True, check=True).stdout
        with open(path, "rb") as f:
            f.seek(-64 * 1024, os.SEEK_END)
            if last.splitlines() != f.read().splitlines()[-10:]:
                sys.exit("log --limit 10 is not the last 10 lines")

        # warm (the file is in the page cache), then alternate
        timed(wc, env)
        ta, tb, tw, tt = [], [], [], []
        for _ in range(RUNS):
            ta.append(timed(ours, env))
            tb.append(timed(python, env))
            tw.append(timed(wc, env))
            tt.append(timed(tail, env))

        ma, mb, mw, mt = (statistics.median(x) * 1000 for x in (ta, tb, tw, tt))
        print("P4 log --json --status failed, %d entries, median of %d runs:" % (ENTRIES, RUNS))
        print("   mail-relay-cli log   %7.1f ms" % ma)
        print("   python json.loads    %7.1f ms" % mb)
        print("   wc -l (floor)        %7.1f ms" % mw)
        print("   ratio                %7.2f   (target <= 0.5)" % (ma / mb))
        print("P4 log --json --limit 10, same log, median of %d runs:" % RUNS)
        print("   mail-relay-cli log   %7.1f ms   (target <= 50 ms)" % mt)
    finally:
        subprocess.run(["rm", "-rf", work])


if __name__ == "__main__":
    main()
