"""Maildirs a reader running as another user can use: [domain] owner and
mode.  The daemon stays the unprivileged `ferry` and writes through the
owner's group; the reader here is `nobody` (Dovecot's vmail in real life).
"""
import os
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
