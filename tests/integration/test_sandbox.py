"""The sandbox ([server] sandbox, docs/security.md) is on by default and
holds: a forbidden system call kills the daemon with SIGSYS, and a file
outside the spool, the Maildirs and the configuration cannot be opened.

The daemon's probe (FERRY_SANDBOX_PROBE, read at start) makes the loop
thread try what a compromised parser would when it gets SIGUSR2.
"""
import os
import signal
import smtplib
import tempfile

from conftest import DOMAIN, wait_for


def probe_lines(f):
    return [ln for ln in f.log().splitlines() if "event=sandbox-probe" in ln]


def send_one(f, to="alice"):
    with smtplib.SMTP("127.0.0.1", f.port, timeout=10) as s:
        s.sendmail("a@client.test", [f"{to}@{DOMAIN}"],
                   b"Subject: sandbox\r\n\r\nbody\r\n")


def test_forbidden_syscall_kills_the_daemon(ferry_factory, monkeypatch):
    monkeypatch.setenv("FERRY_SANDBOX_PROBE", "execve")
    f = ferry_factory()
    assert "event=sandbox seccomp=on" in f.log()
    send_one(f)
    assert len(f.wait_maildir("alice", 1)) == 1
    f.sigsys_expected = True
    f.proc.send_signal(signal.SIGUSR2)
    f.proc.wait(timeout=10)
    assert f.proc.returncode == -signal.SIGSYS
    assert probe_lines(f) == []  # execve never returned


def test_without_sandbox_the_probe_runs(ferry_factory, monkeypatch):
    monkeypatch.setenv("FERRY_SANDBOX_PROBE", "execve")
    f = ferry_factory(extra=["[server]", "sandbox = off"])
    assert "event=sandbox state=off" in f.log()
    f.proc.send_signal(signal.SIGUSR2)
    assert wait_for(lambda: probe_lines(f), timeout=10)
    assert "result=returned" in probe_lines(f)[0]
    send_one(f)
    assert len(f.wait_maildir("alice", 1)) == 1


def outside_file():
    d = tempfile.mkdtemp(prefix="ferry-outside-")
    os.chmod(d, 0o755)
    path = os.path.join(d, "secret")
    with open(path, "w") as out:
        out.write("not for the daemon\n")
    os.chmod(path, 0o644)
    return d, path


def test_landlock_denies_files_outside(ferry_factory, monkeypatch):
    d, path = outside_file()
    try:
        monkeypatch.setenv("FERRY_SANDBOX_PROBE", path)
        f = ferry_factory()
        if "landlock=unavailable" in f.log():
            import pytest
            pytest.skip("this kernel has no Landlock ABI 2")
        assert "event=sandbox landlock=on" in f.log()
        f.proc.send_signal(signal.SIGUSR2)
        assert wait_for(lambda: probe_lines(f), timeout=10)
        assert "result=denied" in probe_lines(f)[0]
        # The daemon keeps serving.
        send_one(f, "bob")
        assert len(f.wait_maildir("bob", 1)) == 1
    finally:
        os.unlink(path)
        os.rmdir(d)


def test_the_same_file_opens_without_sandbox(ferry_factory, monkeypatch):
    """The control for the test above: the user may read the file, so the
    refusal there is the sandbox's."""
    d, path = outside_file()
    try:
        monkeypatch.setenv("FERRY_SANDBOX_PROBE", path)
        f = ferry_factory(extra=["[server]", "sandbox = off"])
        f.proc.send_signal(signal.SIGUSR2)
        assert wait_for(lambda: probe_lines(f), timeout=10)
        assert "result=opened" in probe_lines(f)[0]
    finally:
        os.unlink(path)
        os.rmdir(d)
