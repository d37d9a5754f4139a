# SPDX-License-Identifier: GPL-3.0-or-later
"""A send log of 1,000,000 realistic events, the same every time (a fixed
seed): for bench/log-vs-python.py and bench/startup-vs-adw.py. Nearly all
are in the writer's own format; one in 1,000 is as another tool writes it
(Python's json.dumps: spaces, members in another order), which every
reader must list too (docs/send-log.md), through the full parse."""
import json
import random
import time
import uuid

ENTRIES = 1_000_000

REPLIES = {
    "sent": "250 2.0.0 OK  1732762200 d2e1a72fcca58-72f8c2b0a1asm1234567b3d.12 - gsmtp",
    "queued": "",
    "throttled": "",
    "deferred": "451 4.7.1 Please try again later",
    "failed": "550 5.1.1 The email account that you tried to reach does not exist.",
    "unknown": "",
}
SUBJECTS = ["Your invoice %d", "Weekly report, week %d", "Re: meeting notes (%d)",
            "Password reset requested", "Order #%d has shipped", "Newsletter — issue %d"]


def canonical(obj):
    # the writer's own format: json-glib, compact, keys in header order
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def other_tool(obj):
    # a script's json.dumps: ", " and ": ", \u escapes, its own member order
    return json.dumps({k: obj[k] for k in reversed(list(obj))})


OTHER_EVERY = 1000


def generate(path, entries=ENTRIES):
    rng = random.Random(7)
    account = str(uuid.UUID(int=rng.getrandbits(128)))
    start = 1_732_000_000.0
    n_failed = 0
    with open(path, "w", encoding="utf-8") as f:
        for i in range(entries):
            r = rng.random()
            status = ("failed" if r < 0.01 else "deferred" if r < 0.03 else
                      "throttled" if r < 0.04 else "queued" if r < 0.10 else "sent")
            n_failed += status == "failed"
            t = start + i * 0.25
            ms = int(t * 1000) % 1000
            stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t)) + ".%03d+00:00" % ms
            recipients = ["user%d@example.%s" % (rng.randrange(100000), rng.choice(("org", "com", "net")))
                          for _ in range(rng.choice((1, 1, 1, 2, 3)))]
            subject = rng.choice(SUBJECTS)
            if "%d" in subject:
                subject %= rng.randrange(10000)
            entry = {
                "time": stamp,
                "message_id": "<%s@mail-relay.example.org>" % uuid.UUID(int=rng.getrandbits(128)),
                "status": status,
                "recipients": recipients,
                "subject": subject,
                "attempt": 1 if status != "deferred" else rng.randrange(1, 5),
                "reply": REPLIES[status],
                "account": account,
            }
            if status == "failed":
                entry["detail"] = "The server rejected the recipient: the address does not exist."
            f.write((other_tool(entry) if i % OTHER_EVERY == OTHER_EVERY - 1 else canonical(entry)) + "\n")
    return n_failed
