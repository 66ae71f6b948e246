"""Maildirs a reader running as another user can use: [domain] owner and
mode.  The daemon stays the unprivileged `ferry` and writes through the
owner's group; the reader here is `nobody` (Dovecot's vmail in real life).
"""
import grp
import os
import pwd
import smtplib
import stat
import subprocess

import pytest

from conftest import FERRY

pytestmark = pytest.mark.skipif(os.geteuid() != 0,
                                reason="owner needs ferry started as root")
NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]


def test_owner_and_mode(ferry_factory):
    f = ferry_factory(extra=["owner = nobody:nogroup", "mode = 2770"])
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
        s.sendmail("x@b.example", ["alice@example.test"],
                   b"Subject: for dovecot\r\n\r\nx\r\n")
    files = f.wait_maildir("alice", 1)
    assert len(files) == 1
    for d in ("", "/new", "/cur", "/tmp"):
        st = os.stat(os.path.join(f.maildir_root, "alice") + d)
        assert (st.st_uid, st.st_gid) == (65534, 65534), d
        assert stat.S_IMODE(st.st_mode) == 0o2770, d
    # bob got no mail yet: his Maildir is there for the reader already
    assert os.path.isdir(os.path.join(f.maildir_root, "bob", "cur"))
    st = os.stat(files[0])
    assert st.st_gid == 65534 and stat.S_IMODE(st.st_mode) == 0o660
    # the reader, with nothing but its own user and group, reads the
    # message and files it into cur/ as Dovecot does
    r = subprocess.run(NOBODY + ["cat", files[0]], capture_output=True)
    assert r.returncode == 0 and b"Subject: for dovecot" in r.stdout
    cur = files[0].replace("/new/", "/cur/") + ":2,S"
    assert subprocess.run(NOBODY + ["mv", files[0], cur]).returncode == 0
    # and the daemon itself is not root, nor nobody
    status = open(f"/proc/{f.proc.pid}/status").read()
    uid_line = [x for x in status.splitlines() if x.startswith("Uid:")][0]
    assert uid_line.split()[1] not in ("0", "65534")
    assert "65534" in [x for x in status.splitlines()
                       if x.startswith("Groups:")][0].split()


def test_without_owner_the_maildir_is_the_daemons(ferry):
    with smtplib.SMTP("127.0.0.1", ferry.port, timeout=30) as s:
        s.sendmail("x@b.example", ["alice@example.test"], b"\r\nx\r\n")
    files = ferry.wait_maildir("alice", 1)
    st = os.stat(os.path.join(ferry.maildir_root, "alice"))
    assert stat.S_IMODE(st.st_mode) == 0o700
    assert stat.S_IMODE(os.stat(files[0]).st_mode) == 0o600


def test_check_config_knows_the_owner(ferry_factory, tmp_path):
    conf = tmp_path / "o.conf"
    conf.write_text("[domain example.org]\nmaildir_root = m\nmailbox = a\n"
                    "alias = postmaster: a\nowner = no-such-vmail\n")
    r = subprocess.run([FERRY, "check-config", str(conf)],
                       capture_output=True, text=True)
    assert r.returncode == 78
    assert "[domain example.org] owner: no-such-vmail is not a user" \
        in r.stderr


def test_mailbox_owner_overrides_the_domains(ferry_factory):
    """Per-user uids: one mailbox is `daemon`'s, the domain's others stay
    the daemon's own (no domain owner) — each reader reads only its own."""
    f = ferry_factory(extra=["mailbox_owner = alice: daemon:daemon",
                             "mode = 2770"])
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
        s.sendmail("x@b.example", ["alice@example.test", "bob@example.test"],
                   b"Subject: per mailbox\r\n\r\nx\r\n")
    alice = f.wait_maildir("alice", 1)
    bob = f.wait_maildir("bob", 1)
    assert len(alice) == 1 and len(bob) == 1
    daemon = (pwd.getpwnam("daemon").pw_uid, grp.getgrnam("daemon").gr_gid)
    for d in ("", "/new", "/cur", "/tmp"):
        st = os.stat(os.path.join(f.maildir_root, "alice") + d)
        assert (st.st_uid, st.st_gid) == daemon, d
        assert stat.S_IMODE(st.st_mode) == 0o2770, d
    assert os.stat(alice[0]).st_gid == daemon[1]
    st = os.stat(os.path.join(f.maildir_root, "bob"))
    assert (st.st_uid, stat.S_IMODE(st.st_mode)) == \
        (f_daemon_uid(f), 0o700)
    as_daemon = ["setpriv", f"--reuid={daemon[0]}", f"--regid={daemon[1]}",
                 "--clear-groups"]
    r = subprocess.run(as_daemon + ["cat", alice[0]], capture_output=True)
    assert r.returncode == 0 and b"Subject: per mailbox" in r.stdout
    r = subprocess.run(as_daemon + ["cat", bob[0]], capture_output=True)
    assert r.returncode != 0
    # A restart keeps alice's Maildir hers (the daemon's tree walk skips it).
    f.stop()
    f.start()
    assert os.stat(alice[0]).st_gid == daemon[1]
    assert os.stat(os.path.join(f.maildir_root, "alice")).st_uid == daemon[0]


def f_daemon_uid(f):
    return pwd.getpwnam(f.settings.get("user", "ferry")).pw_uid


def test_check_config_knows_the_mailbox_owner(tmp_path):
    conf = tmp_path / "o.conf"
    conf.write_text("[domain example.org]\nmaildir_root = m\nmailbox = a\n"
                    "alias = postmaster: a\nmailbox_owner = b: daemon\n"
                    "mailbox_owner = a: no-such-vmail\n")
    r = subprocess.run([FERRY, "check-config", str(conf)],
                       capture_output=True, text=True)
    assert r.returncode == 78
    assert ":5: mailbox_owner: 'b' is not a mailbox of example.org" \
        in r.stderr, r.stderr
    conf.write_text("[domain example.org]\nmaildir_root = m\nmailbox = a\n"
                    "alias = postmaster: a\n"
                    "mailbox_owner = a: no-such-vmail\n")
    r = subprocess.run([FERRY, "check-config", str(conf)],
                       capture_output=True, text=True)
    assert r.returncode == 78
    assert "[domain example.org] mailbox_owner: no-such-vmail is not a " \
        "user" in r.stderr, r.stderr
