#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""`mail-relay-cli log` as docs/cli.md describes it: JSON Lines of the stored
events, oldest first, --status and --limit, a table for people, exit 2
naming a bad option, nothing at all for a missing log."""
import json
import os
import subprocess
import sys
import tempfile

CLI = os.environ["MAIL_RELAY_CLI"]
results = []


def check(cond, what):
    results.append((bool(cond), what))
    return cond


def canonical(obj):
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def entry(i, status, subject=None):
    return canonical({
        "time": "2026-11-28T02:50:%02d.%03d+00:00" % (i % 60, i),
        "message_id": "<%d@example.org>" % i,
        "status": status,
        "recipients": ["a%d@example.org" % i, "b@example.org"],
        "subject": subject if subject is not None else "Subject %d" % i,
        "attempt": 1,
        "reply": "250 2.0.0 Ok" if status == "sent" else "550 5.1.1 No such user",
    })


def run(env, *args):
    return subprocess.run([CLI, "log", *args], env=env, capture_output=True, text=True, timeout=30)


def main():
    home = tempfile.mkdtemp(prefix="log-cli-")
    env = dict(os.environ, HOME=home, XDG_CONFIG_HOME=os.path.join(home, "config"),
               XDG_DATA_HOME=os.path.join(home, "data"), LANGUAGE="C", TZ="Asia/Shanghai")
    path = os.path.join(home, "data", "mail-relay", "send-log.jsonl")

    r = run(env, "--json")
    check(r.returncode == 0 and r.stdout == "", "a missing log prints nothing, exit 0")
    r = run(env)
    check(r.returncode == 0 and r.stdout == "", "a missing log prints no table either")

    for args, option in ((["--status", "lost"], "--status"), (["--limit", "ten"], "--limit"),
                         (["--limit", "-1"], "--limit"), (["--json", "extra"], "extra")):
        r = run(env, *args)
        check(r.returncode == 2 and option in r.stderr, "%s: exit 2 naming %s" % (" ".join(args), option))

    statuses = ["sent", "failed", "deferred", "sent", "throttled", "failed", "queued", "unknown", "sent", "failed"]
    lines = [entry(i, s) for i, s in enumerate(statuses)]
    # a subject that spells a status is not that status
    lines.append(entry(10, "sent", 'about "status":"failed"\nand a second line'))
    os.makedirs(os.path.dirname(path), mode=0o700)
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join(lines[:3]) + "\nnot json\n" + "\n".join(lines[3:]) + "\n" + lines[0][:30])
    with open(path, encoding="utf-8") as f:
        before = f.read()

    r = run(env, "--json")
    out = r.stdout.splitlines()
    check(r.returncode == 0 and out == lines, "--json prints the stored lines, oldest first")
    objects = [json.loads(line) for line in out]
    check(all({"time", "message_id", "status", "recipients", "subject", "attempt", "reply"} <= o.keys()
              for o in objects), "every object has the fields of docs/cli.md")

    r = run(env, "--json", "--status", "failed")
    check(r.stdout.splitlines() == [l for l in lines if json.loads(l)["status"] == "failed"],
          "--status failed selects exactly the failed events")

    r = run(env, "--json", "--limit", "3")
    check(r.stdout.splitlines() == lines[-3:], "--limit 3 prints the newest 3, oldest first")
    r = run(env, "--json", "--limit", "2", "--status", "failed")
    check(r.stdout.splitlines() == [lines[5], lines[9]], "--limit with --status")
    r = run(env, "--json", "--limit", "0")
    check(r.returncode == 0 and r.stdout == "", "--limit 0 prints nothing")
    r = run(env, "--json", "--limit", "1000")
    check(r.stdout.splitlines() == lines, "--limit beyond the log prints all of it")

    r = run(env)
    table = r.stdout.splitlines()
    check(r.returncode == 0 and len(table) == len(lines) + 1, "the table has a header and a row an event")
    check(all(word in table[0] for word in ("Time", "Status", "Recipients", "Subject", "Reply")),
          "the header names the columns")
    check(table[1].startswith("2026-11-28 10:50:00") and "sent" in table[1] and "a0@example.org" in table[1],
          "times are shown in local time")
    check('about "status":"failed" and' in table[-1] and "250 2.0.0 Ok" in table[-1],
          "a multi-line subject stays on its row")

    r = run(env, "--limit", "1")
    check(len(r.stdout.splitlines()) == 2, "the table with --limit 1")

    with open(path, encoding="utf-8") as f:
        check(f.read() == before, "reading the log changes nothing")

    subprocess.run(["rm", "-rf", home])

    print("TAP version 13")
    for i, (ok, what) in enumerate(results, 1):
        print("%s %d %s" % ("ok" if ok else "not ok", i, what))
    print("1..%d" % len(results))
    sys.exit(0 if all(ok for ok, _ in results) else 1)


if __name__ == "__main__":
    main()
