"""ferry check-config on real files: exit status, messages, summaries."""
import os
import subprocess
from pathlib import Path

import pytest

from conftest import FERRY
SRCDIR = Path(__file__).resolve().parents[2]
EX_USAGE, EX_CONFIG = 64, 78

GOOD = """\
[server]
hostname = mx.example.org
listen = 127.0.0.1:2600, [::1]:2600

[domain example.org]
maildir_root = mail
mailbox = alice, bob
alias = postmaster: alice
"""


def run(*args, cwd=None):
    return subprocess.run([FERRY, "check-config", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=30)


def write(tmp_path, text, name="ferry.conf"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_builtin_default_is_valid(tmp_path):
    r = run(cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "(default): ok" in r.stdout
    assert "listen: 127.0.0.1:2525" in r.stdout
    assert f"spool_dir: {tmp_path}/var/spool" in r.stdout
    assert "domain example.test: 4 mailboxes (1 disabled)" in r.stdout


def test_good_file_summary(tmp_path):
    path = write(tmp_path, GOOD)
    r = run(str(path))
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert "listen: 127.0.0.1:2600 [::1]:2600" in r.stdout
    assert f"maildir_root: {tmp_path}/mail" in r.stdout
    assert run("-q", "--config", str(path)).stdout == ""


def test_every_error_is_reported(tmp_path):
    path = write(tmp_path, GOOD + "bogus = 1\n[limits]\n"
                 "max_message_size = lots\n[nowhere]\n")
    r = run(str(path))
    assert r.returncode == EX_CONFIG
    assert r.stdout == ""
    assert r.stderr.splitlines() == [
        f"{path}:9: unknown key 'bogus' in [domain example.org]",
        f"{path}:11: max_message_size: 'lots' is not a size "
        "(a number with optional suffix K, M or G)",
        f"{path}:12: unknown section [nowhere] (expected server, limits, "
        "timeouts, queue or domain NAME)",
    ]


def test_alias_loop_and_missing_maildir_root(tmp_path):
    path = write(tmp_path, "[domain a.example]\nmailbox = x\n"
                 "alias = postmaster: p1\nalias = p1: p2\nalias = p2: p1\n")
    r = run(str(path))
    assert r.returncode == EX_CONFIG
    assert f"{path}:1: [domain a.example]: maildir_root is required" \
        in r.stderr
    assert f"{path}:5: alias loop: p1@a.example -> p2@a.example -> " \
        "p1@a.example" in r.stderr


def test_aliases_file_errors_name_their_file(tmp_path):
    aliases = write(tmp_path, "postmaster: alice\nlist: :include:/x\n",
                    "aliases")
    path = write(tmp_path, GOOD.replace(
        "[server]\n", "[server]\naliases_file = aliases\n"))
    r = run(str(path))
    assert r.returncode == EX_CONFIG
    assert f"{aliases}:2: alias 'list': ':include:/x': ':include:' is " \
        "not supported" in r.stderr


def test_unreadable_file(tmp_path):
    r = run(str(tmp_path / "missing.conf"))
    assert r.returncode == EX_CONFIG
    assert "missing.conf" in r.stderr


@pytest.mark.parametrize("args", [["--bogus"], ["a", "b"],
                                  ["--print-reference", "--html"]])
def test_usage_errors(args):
    r = run(*args)
    assert r.returncode == EX_USAGE
    assert "usage: ferry check-config" in r.stderr


def test_print_default_round_trips(tmp_path):
    r = run("--print-default")
    assert r.returncode == 0
    path = write(tmp_path, r.stdout)
    again = run(str(path), cwd=tmp_path)
    builtin = run(cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.split("\n", 1)[1] == builtin.stdout.split("\n", 1)[1]


def test_reference_documents_every_key():
    md = run("--print-reference").stdout
    man = run("--print-reference", "--man").stdout
    for line in run("--print-default").stdout.splitlines():
        key = line.lstrip("#").split("=")[0].strip()
        if "=" in line and not line.startswith("# "):
            assert f"### `{key}`" in md
            assert f".It Ic {key} " in man


def test_checked_in_docs_are_current():
    r = subprocess.run([str(SRCDIR / "scripts/gen-config-docs.sh"),
                        "--check", FERRY], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr


def test_lmtp_domain_needs_no_maildir_root(tmp_path):
    path = write(tmp_path, "[domain l.example]\nlmtp = unix:/run/dovecot/lmtp\n"
                 "mailbox = a\nalias = postmaster: a\n"
                 "[domain m.example]\nlmtp = [::1]:24\nlmtp_mailbox = b\n"
                 "maildir_root = mail\nmailbox = c\nalias = postmaster: c\n")
    r = run(str(path))
    assert r.returncode == 0, r.stderr
    assert "lmtp: unix:/run/dovecot/lmtp (every mailbox)" in r.stdout
    assert "lmtp: [::1]:24 (the lmtp_mailbox ones)" in r.stdout


def test_lmtp_errors(tmp_path):
    path = write(tmp_path, "[domain a.example]\nlmtp = /no/scheme\n"
                 "mailbox = a\nalias = postmaster: a\n"
                 "[domain b.example]\nlmtp_mailbox = x, x\n"
                 "[domain c.example]\nlmtp = unix:relative\n"
                 "lmtp_mailbox = y\nalias = postmaster: y\n")
    r = run(str(path))
    assert r.returncode == EX_CONFIG
    err = r.stderr.splitlines()
    assert f"{path}:2: lmtp: '/no/scheme' is neither unix:/ABSOLUTE/PATH " \
        "nor ADDRESS:PORT (IPv6 as [::1]:24)" in err
    assert f"{path}:6: lmtp_mailbox: 'x' is listed twice" in err
    assert f"{path}:5: [domain b.example]: lmtp_mailbox needs lmtp, the " \
        "LMTP server's socket" in err
    assert f"{path}:8: lmtp: 'unix:relative' is neither " \
        "unix:/ABSOLUTE/PATH nor ADDRESS:PORT (IPv6 as [::1]:24)" in err
    # Only some mailboxes over LMTP: the others need their Maildirs.
    assert f"{path}:7: [domain c.example]: maildir_root is required" in err
