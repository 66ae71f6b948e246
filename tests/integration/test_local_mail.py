"""The host's own mail: address extensions, root and the host's names,
bounces to a local sender, and the system's /etc/aliases as Debian ships
it, through the real daemon with smtplib and ferry sendmail."""
import email
import os
import smtplib
import subprocess

import pytest

from conftest import FERRY, make_workdir

HOST = "mx.test.example"  # the fixture's hostname


def smtp_send(f, rcpts, sender="someone@b.example"):
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
        return s.sendmail(sender, rcpts, b"Subject: local\r\n\r\nx\r\n")


def test_extension_goes_to_the_mailbox(ferry):
    assert smtp_send(ferry, ["alice+lists@example.test",
                             "bob+a+b@example.test"]) == {}
    files = ferry.wait_maildir("alice", 1)
    assert len(files) == 1
    # the mailbox it went to
    msg = open(files[0], "rb").read()
    assert b"Delivered-To: alice@example.test" in msg
    assert len(ferry.wait_maildir("bob", 1)) == 1
    with smtplib.SMTP("127.0.0.1", ferry.port, timeout=30) as s:
        s.ehlo("client.example")
        s.mail("x@b.example")
        code, _ = s.rcpt("+lists@example.test")
        assert code == 550
        code, _ = s.rcpt("nobody+x@example.test")
        assert code == 550


def test_root_and_the_host_names_are_local(ferry):
    # root has no mailbox: it is the postmaster's (demo in the fixture)
    assert smtp_send(ferry, [f"root@{HOST}", "root@localhost",
                             "alice@localhost"]) == {}
    assert len(ferry.wait_maildir("demo", 1)) == 1
    assert len(ferry.wait_maildir("alice", 1)) == 1
    # other hosts stay foreign
    with smtplib.SMTP("127.0.0.1", ferry.port, timeout=30) as s:
        s.ehlo("client.example")
        s.mail("x@b.example")
        code, msg = s.rcpt("root@other.test.example")
        assert code == 554 and b"Relay access denied" in msg


def test_cron_mail_to_root(ferry):
    """As cron sends it: ferry sendmail from /, to a bare root."""
    env = {k: v for k, v in os.environ.items() if k != "FERRY_CONFIG"}
    env["FERRY_CONFIG"] = ferry.config_path
    r = subprocess.run([FERRY, "sendmail", "root"], cwd="/", env=env,
                       input=b"Subject: cron output\n\nhello\n",
                       capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    files = ferry.wait_maildir("demo", 1)
    assert len(files) == 1
    msg = email.message_from_bytes(open(files[0], "rb").read())
    assert msg["Subject"] == "cron output"
    assert msg["Delivered-To"] == "demo@example.test"


def test_bounce_to_root_at_host_stays_local(ferry_factory, tmp_path):
    """A bounce for root@HOSTNAME goes to the postmaster's Maildir, not out
    to a relay (here: a transport that nobody listens on, and a recipient
    domain that bounces at once)."""
    zone = os.path.join(make_workdir(), "local.zone")
    with open(zone, "w") as fz:
        fz.write("zone dns.test. static\nnullmx.dns.test. 300 IN MX 0 .\n")
    os.chmod(zone, 0o644)
    f = ferry_factory(extra=["[relay]", "resolv_conf = none",
                             f"dns_local_data = {zone}"])
    # cron's mail to a remote address, sent as root@HOSTNAME
    r = subprocess.run([FERRY, "sendmail", "-C", f.config_path, "-f",
                        f"root@{HOST}", "x@nullmx.dns.test"],
                       input=b"Subject: to nowhere\n\nx\n",
                       capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    files = f.wait_maildir("demo", 1)
    assert len(files) == 1, f.log()
    dsn = email.message_from_bytes(open(files[0], "rb").read())
    assert dsn.get_content_type() == "multipart/report"
    assert "relay-deferred" not in f.log()


def test_debian_aliases_file(ferry_factory):
    d = make_workdir()
    staff = os.path.join(d, "staff.list")
    with open(staff, "w") as fs:
        fs.write("# the staff\nalice, bob\n")
    aliases = os.path.join(d, "aliases")
    with open(aliases, "w") as fa:
        fa.write("# /etc/aliases\n"
                 "mailer-daemon: postmaster\n"
                 "nobody: root\n"
                 "abuse: root\n"
                 f"staff: :include:{staff}\n"
                 "procmail: \"|/usr/bin/procmail -a $EXTENSION\"\n"
                 "root: bob\n")
    for p in (staff, aliases):
        os.chmod(p, 0o644)
    f = ferry_factory(extra=["[server]", f"aliases_file = {aliases}"])
    log = f.log()
    assert "alias 'procmail': '\"|/usr/bin/procmail -a $EXTENSION\"' " \
        "skipped: ferry delivers to no command" in log
    assert smtp_send(f, ["staff@example.test", "abuse@example.test"]) == {}
    assert len(f.wait_maildir("alice", 1)) == 1
    assert len(f.wait_maildir("bob", 1)) == 1  # staff and abuse: one copy
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
        s.ehlo("client.example")
        s.mail("x@b.example")
        assert s.rcpt("procmail@example.test")[0] == 550


def test_sendmail_bv_says_what_would_happen(ferry):
    """-bv answers from the running configuration and sends nothing."""
    r = subprocess.run([FERRY, "sendmail", "-C", ferry.config_path, "-bv",
                        "info", "alice+x@example.test", f"root@{HOST}",
                        "someone@far.example"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    md = ferry.maildir_root
    assert lines == [
        f"info@example.test: delivered to alice@example.test (Maildir "
        f"{md}/alice)",
        f"info@example.test: delivered to bob@example.test (Maildir "
        f"{md}/bob)",
        f"alice+x@example.test: delivered to alice@example.test (Maildir "
        f"{md}/alice)",
        f"root@{HOST}: delivered to demo@example.test (Maildir {md}/demo)",
        "someone@far.example: relayed to the MX hosts of far.example",
    ]
    r = subprocess.run([FERRY, "sendmail", "-C", ferry.config_path, "-bv",
                        "carol", "nobody@example.test"],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 67
    assert r.stdout.splitlines() == [
        "carol@example.test: refused: the mailbox is disabled",
        "nobody@example.test: refused: no such mailbox or alias"]
    assert ferry.maildir_files("alice") == []


def test_maildir_copy_is_the_message_as_received(ferry):
    """A small message reaches the Maildir from the copy the daemon keeps
    in memory, one above 128 KB from the spool file: each arrives as sent
    (after the daemon's own header lines), with LF line ends."""
    small = b"Subject: small\r\n\r\n" + b"line .\r\n..dot\r\n" * 3
    big = b"Subject: big\r\n\r\n" + b"".join(
        b"%06d %s\r\n" % (i, b"x" * 60) for i in range(3000))
    assert len(big) > 128 * 1024
    for body in (small, big):
        with smtplib.SMTP("127.0.0.1", ferry.port, timeout=30) as s:
            assert s.sendmail("someone@b.example", ["alice@example.test"],
                              body) == {}
    files = ferry.wait_maildir("alice", 2)
    assert len(files) == 2
    got = sorted((open(f, "rb").read() for f in files), key=len)
    prefix = (b"Return-Path: <someone@b.example>\n"
              b"Delivered-To: alice@example.test\nReceived: ")
    for text, body in zip(got, (small, big)):
        assert text.startswith(prefix)
        sent = body.replace(b"\r\n", b"\n")
        assert text.endswith(sent)
        added = text[len(prefix) - len(b"Received: "):-len(sent)]
        # only the daemon's header lines between
        assert b"\n\n" not in added and b"Subject" not in added
