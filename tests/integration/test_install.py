"""make install / make uninstall: what lands where, with which owner and
mode, and that the example configuration is one check-config accepts.
Everything goes below a temporary directory (SBINDIR, MANDIR, SYSCONFDIR,
SPOOLDIR), so the machine's own /etc and /usr are not touched."""
import os
import pwd
import shutil
import stat
import subprocess
from pathlib import Path

import pytest

from conftest import FERRY, make_workdir

SRCDIR = Path(__file__).resolve().parents[2]


def make(target, **dirs):
    args = ["make", "-s", "-C", str(SRCDIR), target] + \
        [f"{k}={v}" for k, v in dirs.items()]
    return subprocess.run(args, capture_output=True, text=True, timeout=120)


@pytest.fixture
def root():
    d = make_workdir()
    yield Path(d)
    shutil.rmtree(d, ignore_errors=True)


def dirs(root):
    return {"SBINDIR": root / "sbin", "MANDIR": root / "man",
            "SYSCONFDIR": root / "etc", "SPOOLDIR": root / "spool"}


def mode(path):
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.mark.skipif(os.geteuid() != 0, reason="installs as root does")
def test_install_layout_owners_and_modes(root):
    r = make("install", **dirs(root))
    assert r.returncode == 0, r.stderr
    ferry = pwd.getpwnam("ferry")
    assert mode(root / "sbin/ferry") == 0o755
    for name in ("sendmail", "mailq", "newaliases"):
        assert os.readlink(root / "sbin" / name) == "ferry"
    assert (root / "man/man8/ferry.8").is_file()
    assert (root / "man/man5/ferry.conf.5").is_file()
    conf = root / "etc/ferry/ferry.conf"
    st = os.stat(conf)
    assert mode(conf) == 0o644 and st.st_uid == 0  # sendmail reads it
    st = os.stat(root / "spool")
    assert mode(root / "spool") == 0o755  # sendmail by any user
    assert (st.st_uid, st.st_gid) == (ferry.pw_uid, ferry.pw_gid)
    assert "ferry check-config" in r.stdout
    # the example, with its paths pointed at the temporary tree
    text = conf.read_text().replace("/etc/ferry/", f"{root}/etc/ferry/") \
        .replace("/var/spool/ferry", f"{root}/spool") \
        .replace("/var/mail/", f"{root}/mail/")
    conf.write_text(text)
    r = subprocess.run([str(root / "sbin/ferry"), "check-config", str(conf)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "domain example.org" in r.stdout
    # a second install keeps the administrator's file
    conf.write_text(text + "\n# mine\n")
    assert make("install", **dirs(root)).returncode == 0
    assert conf.read_text().endswith("# mine\n")


def test_uninstall_keeps_configuration_and_mail(root):
    d = dirs(root)
    assert make("install", DESTDIR=root / "dest", **d).returncode == 0
    dest = root / "dest" / str(root).lstrip("/")
    assert (dest / "sbin/ferry").is_file()
    r = make("uninstall", DESTDIR=root / "dest", **d)
    assert r.returncode == 0, r.stderr
    assert not (dest / "sbin/ferry").exists()
    assert not os.path.lexists(dest / "sbin/sendmail")
    assert not os.path.lexists(dest / "sbin/mailq")
    assert not (dest / "man/man8/ferry.8").exists()
    assert (dest / "etc/ferry/ferry.conf").is_file()
    assert (dest / "spool").is_dir()
    assert "kept" in r.stdout


def test_example_configuration_is_valid(tmp_path):
    text = (SRCDIR / "docs/ferry.conf.example").read_text()
    path = tmp_path / "ferry.conf"
    path.write_text(text.replace("/etc/ferry/passwd", "/dev/null"))
    r = subprocess.run([FERRY, "check-config", "--print", str(path)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert "listen = 0.0.0.0:25, [::]:25" in r.stdout


def test_compat_links_run_as_sendmail_and_mailq(root):
    """The links act as sendmail (-bv) and mailq; another MTA's sendmail
    already there is kept."""
    d = dirs(root)
    sbin = root / "dest" / str(d["SBINDIR"]).lstrip("/")
    sbin.mkdir(parents=True)
    (sbin / "newaliases").write_text("#!/bin/sh\n")  # another MTA's
    r = make("install", DESTDIR=root / "dest", **d)
    assert r.returncode == 0, r.stderr
    assert "newaliases exists" in r.stdout
    assert not os.path.islink(sbin / "newaliases")
    conf = root / "ferry.conf"
    spool = root / "dest" / str(d["SPOOLDIR"]).lstrip("/")
    conf.write_text(f"[queue]\nspool_dir = {spool}\n"
                    f"[domain example.org]\nmaildir_root = {root}/mail\n"
                    "mailbox = alice\nalias = postmaster: alice\n")
    env = dict(os.environ, FERRY_CONFIG=str(conf))
    r = subprocess.run([str(sbin / "sendmail"), "-bv", "alice@example.org"],
                       capture_output=True, text=True, env=env, timeout=30)
    assert r.returncode == 0, r.stderr
    assert "delivered to alice@example.org (Maildir" in r.stdout, r.stdout
    r = subprocess.run([str(sbin / "mailq")], capture_output=True,
                       text=True, env=env, timeout=30)
    q = subprocess.run([str(sbin / "ferry"), "queue", "list"],
                       capture_output=True, text=True, env=env, timeout=30)
    assert (r.returncode, r.stdout, r.stderr) == \
        (q.returncode, q.stdout, q.stderr)
    assert "spool" in r.stderr  # it looked at the (never started) spool
    assert make("uninstall", DESTDIR=root / "dest", **d).returncode == 0
    assert (sbin / "newaliases").is_file()  # still the other MTA's
