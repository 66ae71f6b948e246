"""Milters against real ones, started by the tests: a small rejecting
milter written with python3-milter (Debian's libmilter binding), OpenDKIM
signing (the signature is checked with dkimpy, python3-dkim), and a
milter that accepts the connection and never answers (the timeout, then
default_action; the session goes on)."""
import email
import email.policy
import os
import shutil
import signal
import smtplib
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import pytest

from conftest import free_port, make_workdir

HERE = Path(__file__).resolve().parent
PYTHON = "/usr/bin/python3"
OPENDKIM = shutil.which("opendkim") or "/usr/sbin/opendkim"


def wait_port(port, proc, what, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"{what} exited: {proc.stdout.read()}")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            time.sleep(0.05)
    pytest.fail(f"{what} did not start")


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


@pytest.fixture(scope="module")
def judge():
    try:
        subprocess.run([PYTHON, "-c", "import Milter"], check=True,
                       capture_output=True)
    except subprocess.CalledProcessError:
        pytest.skip("python3-milter is not installed (scripts/install-deps.sh)")
    port = free_port()
    proc = subprocess.Popen([PYTHON, str(HERE / "milter_reject.py"),
                             f"inet:{port}@127.0.0.1"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    wait_port(port, proc, "the test milter")
    yield f"inet:127.0.0.1:{port}"
    stop(proc)


class Hanging:
    """Accepts connections and reads, never answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            self.conns.append(c)

    def close(self):
        self.sock.close()
        for c in self.conns:
            c.close()


def milter_ferry(ferry_factory, smtp=None, submission=None,
                 timeout="10s", default="tempfail", domain=(), **kw):
    lines = list(domain) + ["[milter]", f"timeout = {timeout}", f"default_action = {default}"]
    if smtp:
        lines.append(f"smtp = {smtp}")
    if submission:
        lines.append(f"submission = {submission}")
    return ferry_factory(extra=lines, **kw)


def message(subject, extra=""):
    return (f"From: demo@example.test\r\nTo: alice@example.test\r\n"
            f"Subject: {subject}\r\n{extra}\r\nbody line\r\n").encode()


def read_new(f, box, n=1):
    files = f.wait_maildir(box, n)
    assert len(files) >= n, f.log()[-3000:]
    return [open(p, "rb").read() for p in files]


def test_milter_adds_and_deletes_headers(ferry_factory, judge):
    f = milter_ferry(ferry_factory, smtp=judge)
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
        s.sendmail("demo@example.test", ["alice@example.test"],
                   message("hello", "X-Remove-Me: yes\r\n"))
    data = read_new(f, "alice")[0].decode()
    head = data.split("\r\n\r\n", 1)[0] if "\r\n\r\n" in data \
        else data.split("\n\n", 1)[0]
    assert "X-Milter-Seen: queue id " in head
    qid = [l for l in f.log().splitlines() if "event=queued" in l][0]
    assert head.split("X-Milter-Seen: queue id ")[1].split()[0] in qid
    assert "X-Remove-Me" not in head
    assert "body line" in data


def test_milter_reject_tempfail_discard_with_its_reply(ferry_factory, judge):
    f = milter_ferry(ferry_factory, smtp=judge)
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
        s.ehlo("client.example")
        s.mail("demo@example.test")
        s.rcpt("alice@example.test")
        code, text = s.data(message("buy spam"))
        assert (code, text) == (550, b"5.7.1 spam is not welcome")
        # The session goes on: the next transaction.
        s.mail("demo@example.test")
        s.rcpt("alice@example.test")
        code, text = s.data(message("come back later"))
        assert code == 451 and text.startswith(b"4.7.1"), text
        s.mail("demo@example.test")
        s.rcpt("alice@example.test")
        code, text = s.data(message("drop it"))
        assert code == 250, text
        s.mail("demo@example.test")
        s.rcpt("alice@example.test")
        assert s.data(message("fine"))[0] == 250
    files = read_new(f, "alice")
    time.sleep(0.5)
    files = [open(p, "rb").read() for p in f.maildir_files("alice")]
    assert len(files) == 1 and b"Subject: fine" in files[0]
    log = f.log()
    assert "event=milter-reject" in log and "event=milter-tempfail" in log
    assert "event=milter-discard" in log


def test_milter_refuses_one_recipient(ferry_factory, judge):
    f = milter_ferry(ferry_factory, smtp=judge, domain=[
        "[domain other.test]", "maildir_root = other-mail",
        "mailbox = reject-rcpt, keep", "alias = postmaster: keep"])
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
        s.sendmail("demo@example.test", ["reject-rcpt@other.test",
                                         "keep@other.test"], message("two"))
    keep = os.path.join(f.workdir, "other-mail", "keep", "new")
    deadline = time.time() + 20
    while time.time() < deadline and not (os.path.isdir(keep)
                                          and os.listdir(keep)):
        time.sleep(0.05)
    assert os.listdir(keep), f.log()[-2000:]
    time.sleep(0.5)
    assert not os.path.exists(os.path.join(f.workdir, "other-mail",
                                           "reject-rcpt", "new")) or \
        not os.listdir(os.path.join(f.workdir, "other-mail", "reject-rcpt",
                                    "new"))
    assert "event=milter-rcpt-refused" in f.log()
    assert "to=reject-rcpt@other.test" in f.log()


def test_hanging_milter_times_out_to_default_action(ferry_factory):
    h = Hanging()
    try:
        f = milter_ferry(ferry_factory, smtp=f"inet:127.0.0.1:{h.port}",
                         timeout="1s", default="tempfail")
        t0 = time.time()
        with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
            # The conversation opens at connect: the greeting waits for
            # the milter's answer, then its timeout.
            assert 0.8 < time.time() - t0 < 10
            s.ehlo("client.example")
            s.mail("demo@example.test")
            s.rcpt("alice@example.test")
            code, text = s.data(message("slow"))
            assert (code, text) == (451, b"4.7.1 Service unavailable, "
                                    b"try again later")
            assert s.noop()[0] == 250  # the session survived
        assert "error=timeout" in f.log() and "action=tempfail" in f.log()
        assert f.maildir_files("alice") == []
        # default_action = accept: delivered without that milter.
        g = milter_ferry(ferry_factory, smtp=f"inet:127.0.0.1:{h.port}",
                         timeout="1s", default="accept")
        with smtplib.SMTP("127.0.0.1", g.port, timeout=30) as s:
            s.sendmail("demo@example.test", ["alice@example.test"],
                       message("slow but fine"))
        assert read_new(g, "alice")
    finally:
        h.close()


def test_milter_down_is_the_default_action(ferry_factory):
    port = free_port()  # nobody there
    f = milter_ferry(ferry_factory, smtp=f"inet:127.0.0.1:{port}")
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
        s.ehlo("client.example")
        s.mail("demo@example.test")
        s.rcpt("alice@example.test")
        assert s.data(message("x"))[0] == 451
    assert 'event=milter' in f.log() and 'error="connect failed"' in f.log()


# --- OpenDKIM ---------------------------------------------------------------

@pytest.fixture(scope="module")
def opendkim():
    if not os.path.exists(OPENDKIM):
        pytest.skip("opendkim is not installed (scripts/install-deps.sh)")
    d = Path(make_workdir())
    key = d / "test.private"
    subprocess.run(["openssl", "genrsa", "-out", str(key), "2048"],
                   check=True, capture_output=True)
    pub = subprocess.run(["openssl", "rsa", "-in", str(key), "-pubout",
                          "-outform", "DER"], check=True,
                         capture_output=True).stdout
    os.chmod(key, 0o644)
    port = free_port()
    conf = d / "opendkim.conf"
    conf.write_text(f"""\
Syslog no
Background no
Mode s
Domain example.test
Selector test
KeyFile {key}
Socket inet:{port}@127.0.0.1
Canonicalization relaxed/simple
SignatureAlgorithm rsa-sha256
InternalHosts 127.0.0.1
UserID root
PidFile {d}/opendkim.pid
RequireSafeKeys no
""")
    proc = subprocess.Popen([OPENDKIM, "-f", "-x", str(conf)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    wait_port(port, proc, "opendkim")
    import base64
    txt = b"v=DKIM1; k=rsa; p=" + base64.b64encode(pub)
    yield f"inet:127.0.0.1:{port}", txt
    stop(proc)
    shutil.rmtree(d, ignore_errors=True)


def test_opendkim_signs_and_dkimpy_verifies(ferry_factory, opendkim):
    import dkim
    spec, txt = opendkim
    f = milter_ferry(ferry_factory, smtp=spec)
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
        s.sendmail("demo@example.test", ["alice@example.test"],
                   message("signed", "Date: Mon, 07 Dec 2026 03:00:00 +0000\r\n"
                           "Message-ID: <x1@example.test>\r\n"))
    data = read_new(f, "alice")[0]
    assert b"DKIM-Signature:" in data, data[:800]

    def dnsfunc(name, timeout=5):
        assert name == b"test._domainkey.example.test."
        return txt
    # Maildir copies start with Return-Path and Delivered-To, which the
    # signer never saw; they are not signed, so they do not matter.
    assert dkim.verify(data.replace(b"\n", b"\r\n") if b"\r\n" not in data
                       else data, dnsfunc=dnsfunc)
    # A changed body no longer verifies: the check can fail.
    assert not dkim.verify(data.replace(b"body line", b"body lime"),
                           dnsfunc=dnsfunc)
