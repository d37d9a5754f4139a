#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""P3: start to first frame, and idle memory, against a bare
AdwApplicationWindow program (bench/bare-window.c, built here) under the
same Xvfb and D-Bus session, measured in the same run. Then the Send Log
page: start to the first frame showing rows of a 1,000,000-event log
(target: at most 1 s).

Each program prints "ready" once the frame is painted (Mail Relay with
MAIL_RELAY_REPORT_READY); the time is from spawning it to that line.
The resident memory (VmRSS) is read 2 s later, while it idles.

Run it inside a D-Bus session with a keyring (bench/run does).
Usage: bench/startup-vs-adw.py [BUILDDIR] [RUNS]
"""
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time

from logdata import generate

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "build")
RUNS = int(sys.argv[2]) if len(sys.argv) > 2 else 10
APP = os.path.join(BUILD, "src", "app", "mail-relay")
SCHEMAS = os.path.join(BUILD, "data")
IDLE_SECONDS = 2.0


def start_xvfb():
    read, write = os.pipe()
    # -noreset: no server reset between one program's exit and the next start
    xvfb = subprocess.Popen(["Xvfb", "-displayfd", str(write), "-screen", "0", "1280x1024x24",
                             "-nolisten", "tcp", "-noreset"], pass_fds=(write,), stderr=subprocess.DEVNULL)
    os.close(write)
    with os.fdopen(read) as f:
        display = f.readline().strip()
    if not display:
        sys.exit("Xvfb did not start")
    return xvfb, ":" + display


def run_once(argv, env, measure_memory):
    """Seconds from spawn to "ready", and the idle VmRSS in KiB"""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        line = proc.stdout.readline()
        elapsed = time.perf_counter() - start
        if line.strip() != b"ready":
            proc.kill()
            sys.exit("%s did not report a frame: %s" % (argv[0], proc.stderr.read().decode()[-2000:]))
        rss = None
        if measure_memory:
            time.sleep(IDLE_SECONDS)
            with open("/proc/%d/status" % proc.pid) as f:
                for field in f:
                    if field.startswith("VmRSS:"):
                        rss = int(field.split()[1])
        return elapsed, rss
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def settings(config, page):
    directory = os.path.join(config, "glib-2.0", "settings")
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, "keyfile"), "w") as f:
        f.write("[io/github/mailrelay/MailRelay]\nlast-page='%s'\n" % page)


def main():
    if not os.access(APP, os.X_OK):
        sys.exit("build first: %s is missing" % APP)
    if "DBUS_SESSION_BUS_ADDRESS" not in os.environ:
        sys.exit("run inside a D-Bus session (bench/run does)")

    work = tempfile.mkdtemp(prefix="mail-relay-bench-")
    xvfb = None
    try:
        bare = os.path.join(work, "bare-window")
        flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libadwaita-1"],
                               capture_output=True, text=True, check=True).stdout.split()
        subprocess.run(["cc", "-O2", "-o", bare, os.path.join(HERE, "bare-window.c")] + flags, check=True)

        xvfb, display = start_xvfb()
        config = os.path.join(work, "config")
        data = os.path.join(work, "data")
        os.makedirs(os.path.join(data, "mail-relay"), mode=0o700)
        base = dict(os.environ, DISPLAY=display, GDK_BACKEND="x11", LC_ALL="C.UTF-8",
                    XDG_CONFIG_HOME=config, XDG_DATA_HOME=data, XDG_CACHE_HOME=os.path.join(work, "cache"),
                    GSETTINGS_BACKEND="keyfile", GSETTINGS_SCHEMA_DIR=SCHEMAS)
        base.pop("WAYLAND_DISPLAY", None)
        ours_env = dict(base, MAIL_RELAY_REPORT_READY="frame")

        # warm: the page cache, fontconfig's cache, the D-Bus services
        settings(config, "setup")
        run_once([bare], base, False)
        run_once([APP], ours_env, False)

        ta, tb, ra, rb = [], [], [], []
        for i in range(RUNS):
            memory = i < 3
            a, rss_a = run_once([APP], ours_env, memory)
            b, rss_b = run_once([bare], base, memory)
            ta.append(a)
            tb.append(b)
            if memory:
                ra.append(rss_a)
                rb.append(rss_b)

        ma, mb = statistics.median(ta) * 1000, statistics.median(tb) * 1000
        mra, mrb = statistics.median(ra) / 1024, statistics.median(rb) / 1024
        print("P3 start to first frame under Xvfb, median of %d alternating runs:" % RUNS)
        print("   mail-relay                 %7.1f ms" % ma)
        print("   bare AdwApplicationWindow  %7.1f ms" % mb)
        print("   ratio                      %7.2f   (target <= 1.2)" % (ma / mb))
        print("P3 idle memory (VmRSS %.0f s after the first frame), median of %d runs:" % (IDLE_SECONDS, len(ra)))
        print("   mail-relay                 %7.1f MiB" % mra)
        print("   bare AdwApplicationWindow  %7.1f MiB" % mrb)
        print("   ratio                      %7.2f   (target <= 1.2)" % (mra / mrb))

        # the Send Log page on a million events
        started = time.perf_counter()
        generate(os.path.join(data, "mail-relay", "send-log.jsonl"))
        print("generated 1,000,000 events in %.1f s" % (time.perf_counter() - started))
        settings(config, "log")
        rows_env = dict(base, MAIL_RELAY_REPORT_READY="rows")
        run_once([APP], rows_env, False)
        tl, rl = [], []
        for i in range(max(3, RUNS // 2)):
            t, rss = run_once([APP], rows_env, i == 0)
            tl.append(t)
            if rss is not None:
                rl.append(rss)
        ml = statistics.median(tl) * 1000
        print("Send Log page on 1,000,000 events, median of %d runs:" % len(tl))
        print("   start to rows shown        %7.1f ms" % ml)
        print("   the log's part             %7.1f ms   (target <= 1000 ms: less the start to first frame above)"
              % (ml - ma))
        print("   idle memory                %7.1f MiB  (rows are parsed when shown)" % (rl[0] / 1024))
    finally:
        if xvfb is not None:
            xvfb.terminate()
            xvfb.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
