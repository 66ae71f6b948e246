"""Delivery over LMTP (RFC 2033): to a real Dovecot (dovecot-core and
dovecot-lmtpd from Debian, started here as our own process with a private
config in a temp dir) over its unix socket and over TCP, and to a scripted
LMTP server for the per-recipient replies Dovecot cannot be made to give
on demand (a 451 for one recipient, then 250 on the retry).

What is checked: the message ferry accepted is readable through Dovecot
(doveadm fetch); Dovecot's quota refusal after DATA (552 5.2.2 for one
recipient) bounces that recipient only, with a DSN to the sender, while
the other recipient of the same transaction is delivered; a 451 defers
that recipient only and the retry carries only it.
"""
import email
import email.policy
import os
import shutil
import signal
import smtplib
import socket
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import pytest

from conftest import free_port, wait_for

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
DOVEADM = shutil.which("doveadm") or "/usr/bin/doveadm"
LMTP_BIN = "/usr/lib/dovecot/lmtp"

CONF = """\
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
instance_name = ferry-lmtp-{pid}
protocols = lmtp
ssl = no
default_internal_user = dovecot
default_login_user = dovenull
auth_username_format = %Ln
mail_location = maildir:~/Maildir
mail_plugins = quota
plugin {{
  quota = maildir:User quota
}}
passdb {{
  driver = passwd-file
  args = {d}/users
}}
userdb {{
  driver = passwd-file
  args = {d}/users
}}
service lmtp {{
  unix_listener lmtp {{
    # ferry connects as its unprivileged user.
    mode = 0666
  }}
  inet_listener lmtp {{
    address = 127.0.0.1
    port = {port}
  }}
}}
service anvil {{
  unix_listener anvil {{
    mode = 0600
  }}
}}
"""

# nobody:nogroup own the mail; "full" has a 1 KB quota.
USERS = """\
lisa:{{PLAIN}}x:65534:65534::{d}/mail/lisa::
full:{{PLAIN}}x:65534:65534::{d}/mail/full::userdb_quota_rule=*:storage=1
tina:{{PLAIN}}x:65534:65534::{d}/mail/tina::
"""


class Dovecot:
    def __init__(self, d, port):
        self.dir = d
        self.port = port
        self.socket = d / "run" / "lmtp"
        self.conf = d / "dovecot.conf"

    def fetch(self, user, fields="hdr.subject"):
        r = subprocess.run([DOVEADM, "-c", str(self.conf), "fetch", "-u",
                            user, fields, "mailbox", "INBOX", "all"],
                           capture_output=True, text=True, timeout=30)
        return r.stdout + r.stderr

    def log(self):
        p = self.dir / "dovecot.log"
        return p.read_text(errors="replace") if p.exists() else ""


@pytest.fixture(scope="module")
def dovecot():
    if os.geteuid() != 0:
        pytest.skip("Dovecot needs root to start its services")
    if not os.path.exists(DOVECOT) or not os.path.exists(LMTP_BIN):
        pytest.skip("dovecot-core or dovecot-lmtpd is not installed "
                    "(scripts/install-deps.sh)")
    d = Path(tempfile.mkdtemp(prefix="ferry-lmtp-"))
    os.chmod(d, 0o755)
    for sub in ("run", "state", "mail"):
        (d / sub).mkdir()
    os.chmod(d / "mail", 0o777)
    port = free_port()
    (d / "users").write_text(USERS.format(d=d))
    (d / "dovecot.conf").write_text(CONF.format(d=d, pid=os.getpid(),
                                                port=port))
    proc = subprocess.Popen([DOVECOT, "-F", "-c", str(d / "dovecot.conf")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    dc = Dovecot(d, port)
    deadline = time.time() + 20
    while not dc.socket.exists():
        if proc.poll() is not None or time.time() > deadline:
            proc.kill()
            out = proc.stdout.read().decode(errors="replace")
            pytest.fail(f"dovecot did not start: {out}\n{dc.log()}")
        time.sleep(0.05)
    yield dc
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    shutil.rmtree(d, ignore_errors=True)


def lmtp_ferry(ferry_factory, domain_lines):
    return ferry_factory(extra=domain_lines + [
        "[relay]", "retry_min = 1s", "retry_max = 2s",
        "connect_timeout = 5s", "resolv_conf = none"])


def send(f, rcpts, subject, body="hello over lmtp\r\n"):
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
        s.ehlo("client.example")
        return s.sendmail("demo@example.test", rcpts,
                          f"Subject: {subject}\r\nFrom: demo@example.test\r\n"
                          f"\r\n{body}".encode())



def dsn_for_demo(f, timeout=30):
    files = f.wait_maildir("demo", 1, timeout)
    assert files, "no DSN arrived for the sender:\n" + f.log()[-3000:]
    return email.message_from_bytes(open(files[-1], "rb").read(),
                                    policy=email.policy.default)


def status_blocks(dsn):
    assert dsn.get_content_type() == "multipart/report"
    part = [p for p in dsn.iter_parts()
            if p.get_content_type() == "message/delivery-status"][0]
    return part.get_payload()


def test_lmtp_unix_socket_delivery_readable_in_dovecot(dovecot, ferry_factory):
    f = lmtp_ferry(ferry_factory, [
        "[domain lmtp.test]", f"lmtp = unix:{dovecot.socket}",
        "mailbox = lisa, full", "alias = postmaster: lisa"])
    assert send(f, ["lisa@lmtp.test"], "unix socket one") == {}
    assert wait_for(lambda: "unix socket one" in dovecot.fetch("lisa")), \
        f.log()[-3000:] + dovecot.log()[-2000:]
    body = dovecot.fetch("lisa", "hdr.subject body")
    assert "hello over lmtp" in body
    assert "relay-delivered" in f.log() and "lisa@lmtp.test" in f.log()
    # Nothing went to a Maildir of ferry's, and no bounce was made.
    assert f.maildir_files("demo") == []


def test_dovecot_quota_refusal_bounces_that_recipient_only(dovecot,
                                                           ferry_factory):
    f = lmtp_ferry(ferry_factory, [
        "[domain lmtp.test]", f"lmtp = unix:{dovecot.socket}",
        "mailbox = lisa, full", "alias = postmaster: lisa"])
    # Over the 1 KB quota of "full", well inside lisa's.
    assert send(f, ["lisa@lmtp.test", "full@lmtp.test"], "quota test",
                "x" * 3000 + "\r\n") == {}
    dsn = dsn_for_demo(f)
    blocks = status_blocks(dsn)
    text = "\n".join(str(b) for b in blocks)
    assert "full@lmtp.test" in text and "lisa@lmtp.test" not in text, text
    failed = [b for b in blocks if b.get("Final-Recipient")]
    assert len(failed) == 1
    assert failed[0]["Action"] == "failed"
    assert failed[0]["Status"] == "5.2.2"
    assert "552 5.2.2" in failed[0]["Diagnostic-Code"]
    assert "Quota exceeded" in failed[0]["Diagnostic-Code"]
    assert wait_for(lambda: "quota test" in dovecot.fetch("lisa"))
    assert "quota test" not in dovecot.fetch("full")
    log = f.log()
    assert "relay-bounced" in log and "relay-deferred" not in log, log


def test_lmtp_over_tcp_for_some_mailboxes(dovecot, ferry_factory):
    """lmtp_mailbox: tina goes to Dovecot over TCP, mdir keeps its Maildir."""
    f = lmtp_ferry(ferry_factory, [
        "[domain mixed.test]", f"lmtp = 127.0.0.1:{dovecot.port}",
        "lmtp_mailbox = tina", "mailbox = mdir",
        # Relative to ferry.conf's directory: the daemon's private workdir.
        "maildir_root = mixed-mail", "alias = postmaster: mdir"])
    assert send(f, ["tina@mixed.test", "mdir@mixed.test"], "mixed one") == {}
    assert wait_for(lambda: "mixed one" in dovecot.fetch("tina")), \
        f.log()[-3000:]
    new = os.path.join(f.workdir, "mixed-mail", "mdir", "new")
    assert wait_for(lambda: os.path.isdir(new) and os.listdir(new))
    assert "mixed one" not in dovecot.fetch("mdir")


class ScriptedLmtp:
    """An LMTP server on 127.0.0.1 answering each recipient after DATA from
    a script: replies[address] is a list, one reply per attempt."""

    def __init__(self, replies):
        self.replies = {k: list(v) for k, v in replies.items()}
        self.transactions = []  # recipients of each DATA
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.stop = False
        threading.Thread(target=self.serve, daemon=True).start()

    def serve(self):
        self.sock.settimeout(0.2)
        while not self.stop:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                continue
            threading.Thread(target=self.session, args=(conn,),
                             daemon=True).start()

    def session(self, conn):
        conn.settimeout(30)
        f = conn.makefile("rwb")

        def say(line):
            f.write(line.encode() + b"\r\n")
            f.flush()
        say("220 scripted LMTP")
        rcpts = []
        try:
            for raw in f:
                cmd = raw.decode().rstrip("\r\n")
                verb = cmd.split(" ", 1)[0].upper()
                if verb == "LHLO":
                    say("250-scripted")
                    say("250-ENHANCEDSTATUSCODES")
                    say("250 PIPELINING")
                elif verb == "MAIL":
                    rcpts = []
                    say("250 2.1.0 OK")
                elif verb == "RCPT":
                    rcpts.append(cmd.split("<", 1)[1].split(">", 1)[0])
                    say("250 2.1.5 OK")
                elif verb == "DATA":
                    say("354 go on")
                    for line in f:
                        if line == b".\r\n":
                            break
                    self.transactions.append(list(rcpts))
                    for r in rcpts:
                        script = self.replies.get(r, ["250 2.0.0 saved"])
                        say(script.pop(0) if len(script) > 1 else script[0])
                elif verb == "RSET":
                    say("250 2.0.0 OK")
                elif verb == "QUIT":
                    say("221 2.0.0 Bye")
                    break
                else:
                    say("500 5.5.1 unknown")
        except OSError:
            pass
        conn.close()

    def close(self):
        self.stop = True
        self.sock.close()


def test_per_recipient_replies_after_data(ferry_factory):
    srv = ScriptedLmtp({
        "full@script.test": ["552 5.2.2 <full@script.test> Mailbox full"],
        "later@script.test": ["451 4.3.0 <later@script.test> Try again",
                              "250 2.0.0 <later@script.test> Saved"],
    })
    try:
        f = lmtp_ferry(ferry_factory, [
            "[domain script.test]", f"lmtp = 127.0.0.1:{srv.port}",
            "mailbox = ok, full, later", "alias = postmaster: ok"])
        assert send(f, ["ok@script.test", "full@script.test",
                        "later@script.test"], "scripted") == {}
        assert wait_for(lambda: len(srv.transactions) >= 2), f.log()[-3000:]
        # The first transaction had all three; the retry only the deferred.
        assert sorted(srv.transactions[0]) == [
            "full@script.test", "later@script.test", "ok@script.test"]
        assert srv.transactions[1] == ["later@script.test"]
        dsn = dsn_for_demo(f)
        text = "\n".join(str(b) for b in status_blocks(dsn))
        assert "full@script.test" in text and "5.2.2" in text
        assert "later@script.test" not in text and "ok@script.test" not in text
        time.sleep(1.5)
        assert len(srv.transactions) == 2  # nothing sent twice
        assert len(f.maildir_files("demo")) == 1  # one DSN only
        log = f.log()
        assert log.count("relay-delivered") == 2, log
        assert "relay-deferred" in log and "later@script.test" in log
    finally:
        srv.close()


def test_lmtp_server_down_defers(ferry_factory):
    port = free_port()  # nobody listens there
    f = lmtp_ferry(ferry_factory, [
        "[domain down.test]", f"lmtp = 127.0.0.1:{port}",
        "mailbox = a", "alias = postmaster: a"])
    assert send(f, ["a@down.test"], "down") == {}
    assert wait_for(lambda: "relay-deferred" in f.log()), f.log()[-2000:]
    assert "relay-bounced" not in f.log()
    assert f.maildir_files("demo") == []


def test_success_notice_says_delivered(ferry_factory):
    """NOTIFY=SUCCESS over LMTP: the store has the message, so the notice
    says "delivered" (RFC 3464 s2.3.3), not "relayed"."""
    srv = ScriptedLmtp({})
    try:
        f = lmtp_ferry(ferry_factory, [
            "[domain script.test]", f"lmtp = 127.0.0.1:{srv.port}",
            "mailbox = ok", "alias = postmaster: ok"])
        with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
            s.ehlo("client.example")
            s.sendmail("demo@example.test", ["ok@script.test"],
                       b"Subject: notify\r\n\r\nx\r\n",
                       rcpt_options=["NOTIFY=SUCCESS"])
        blocks = status_blocks(dsn_for_demo(f))
        rcpt = [b for b in blocks if b.get("Final-Recipient")][0]
        assert rcpt["Action"] == "delivered"
        assert rcpt["Status"] == "2.0.0"
    finally:
        srv.close()
