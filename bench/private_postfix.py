# SPDX-License-Identifier: GPL-3.0-or-later
"""A private Postfix instance for the benchmarks F2 and Q: its own
configuration, queue and data folders under a scratch folder, its log in
a file there, no chroot, every message queued and then discarded. Needs
root (its daemons run as its mail owner, the postfix user)."""
import os
import pwd
import shutil
import subprocess

POSTFIX = "/usr/sbin/postfix"


def ctl(confdir, action):
    """postfix -c DIR ACTION; its own messages go to its log file"""
    result = subprocess.run([POSTFIX, "-c", confdir, action], capture_output=True, text=True)
    return result.returncode == 0


def make(work, main_cf):
    """The instance's folders and configuration under WORK, with the lines
    MAIN_CF added to the main.cf every instance has; (confdir, data, log).
    It is not started."""
    owner = pwd.getpwnam("postfix")
    # Postfix's daemons (its mail owner) reach their data and queue through it
    os.chmod(work, 0o755)
    confdir, queue_dir, data = (os.path.join(work, d) for d in ("postfix-etc", "postfix-spool", "postfix-data"))
    for d in (confdir, queue_dir, data):
        os.makedirs(d)
    # the daemons write their data and log as the mail owner
    os.chown(data, owner.pw_uid, owner.pw_gid)
    log = os.path.join(data, "maillog")
    with open(log, "w"):
        pass
    os.chown(log, owner.pw_uid, owner.pw_gid)

    shutil.copy("/etc/postfix/master.cf", confdir)
    with open(os.path.join(confdir, "main.cf"), "w") as f:
        f.write("\n".join([
            "compatibility_level = 3.6",
            "queue_directory = " + queue_dir,
            "data_directory = " + data,
            "mail_owner = postfix",
            "setgid_group = postdrop",
            "myhostname = bench.localdomain",
            "mydomain = localdomain",
            "myorigin = localdomain",
            "mydestination =",
            "inet_protocols = ipv4",
            "default_transport = discard:bench",
            "local_transport = discard:bench",
            "relay_transport = discard:bench",
            "alias_maps =",
            "alias_database =",
            "maillog_file_prefixes = " + work,
            "maillog_file = " + log,
            "syslog_name = postfix-bench",
        ] + main_cf + [""]))
    # no chroot: the private queue has no copy of /etc in it
    subprocess.run(["postconf", "-c", confdir, "-F", "*/*/chroot = n"], check=True)
    return confdir, data, log


def count_discarded(log):
    """How many messages the instance has discarded, from its log"""
    with open(log, errors="replace") as f:
        return sum(1 for line in f if "/discard[" in line and "status=sent" in line)
