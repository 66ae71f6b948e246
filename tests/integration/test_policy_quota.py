"""Mailbox quotas (docs/policy.md, "Mailbox quotas"): a mailbox filled to
its quota by real deliveries refuses the next RCPT with the exact reply,
the messages before were delivered, a MAIL SIZE= above what is left is
refused, and once a message is removed from the Maildir a restart counts
again and mail is accepted."""
import os
import smtplib
import subprocess
import time

from conftest import FERRY, MAILBOXES

FULL = "552 5.2.2 <{}>: Recipient address rejected: Mailbox full"
FULL_TEMP = "452 4.2.2 <{}>: Recipient address rejected: Mailbox full"
OK = "250 2.1.5 Recipient ok"
BODY = b"Subject: quota\r\n\r\n" + b"x" * 200 + b"\r\n"


def reply(code_msg):
    code, msg = code_msg
    return f"{code} {msg.decode()}"


def send(f, rcpt, size=None):
    """One message to rcpt; the RCPT reply (DATA only when accepted)."""
    opts = [f"SIZE={size}"] if size is not None else []
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
        s.ehlo("client.example.net")
        assert s.mail("a@example.net", opts)[0] == 250
        got = reply(s.rcpt(rcpt))
        if got.startswith("250"):
            assert s.data(BODY)[0] == 250
    return got


def wait_counted(f, n, timeout=20):
    """Until n deliveries are logged: the usage is posted right after."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        if f.log().count("event=delivered") >= n:
            time.sleep(0.2)
            return
        time.sleep(0.05)
    raise AssertionError("deliveries not logged: " + f.log())


def test_message_quota_refuses_rcpt_and_restart_counts_again(ferry_factory):
    f = ferry_factory(extra=["quota_messages = 3"])
    rcpt = "alice@example.test"
    for i in range(3):
        assert send(f, rcpt) == OK
        wait_counted(f, i + 1)
    assert send(f, rcpt) == FULL.format(rcpt)
    assert len(f.maildir_files("alice")) == 3
    # Another mailbox of the domain has its own count.
    assert send(f, "bob@example.test") == OK
    assert "event=policy rule=mailbox_quota key=alice@example.test" in f.log()
    # The owner removes a message; the next start counts the Maildir.
    os.unlink(f.maildir_files("alice")[0])
    f.stop()
    f.start()
    assert send(f, rcpt) == OK
    assert len(f.wait_maildir("alice", 3)) == 3
    wait_counted(f, 5)
    assert send(f, rcpt) == FULL.format(rcpt)


def test_byte_quota_lets_one_message_over_then_refuses(ferry_factory):
    f = ferry_factory(extra=["mailbox_quota = alice: 1000"])
    rcpt = "alice@example.test"
    got = []
    for i in range(10):
        got.append(send(f, rcpt))
        if got[-1] != OK:
            break
        wait_counted(f, i + 1)
    assert got[-1] == FULL.format(rcpt)
    delivered = len(got) - 1
    assert delivered >= 2
    files = f.maildir_files("alice")
    assert len(files) == delivered
    sizes = [os.path.getsize(p) for p in files]
    # Under the quota before the last one; the last one crossed it and
    # was delivered all the same.
    assert sum(sizes) - max(sizes) < 1000 <= sum(sizes)
    # No quota on bob: untouched by alice's override.
    assert send(f, "bob@example.test", size=10**5) == OK


def test_size_above_remaining_quota_is_refused(ferry_factory):
    f = ferry_factory(extra=["quota = 2K"])
    rcpt = "alice@example.test"
    assert send(f, rcpt) == OK
    wait_counted(f, 1)
    used = sum(os.path.getsize(p) for p in f.maildir_files("alice"))
    left = 2048 - used
    assert send(f, rcpt, size=left + 1) == FULL.format(rcpt)
    assert send(f, rcpt, size=left) == OK
    wait_counted(f, 2)


def test_temporary_reply_option(ferry_factory):
    f = ferry_factory(extra=["quota_messages = 1", "[policy]",
                             "quota_reply = temporary"])
    rcpt = "alice@example.test"
    assert send(f, rcpt) == OK
    wait_counted(f, 1)
    assert send(f, rcpt) == FULL_TEMP.format(rcpt)
    assert len(f.maildir_files("alice")) == 1


def test_rescan_sees_removed_messages_without_restart(ferry_factory):
    f = ferry_factory(extra=["quota_messages = 2"])
    rcpt = "alice@example.test"
    for i in range(2):
        assert send(f, rcpt) == OK
        wait_counted(f, i + 1)
    assert send(f, rcpt) == FULL.format(rcpt)
    os.unlink(f.maildir_files("alice")[0])
    # Removed, but not counted again yet.
    assert send(f, rcpt) == FULL.format(rcpt)
    out = subprocess.run([FERRY, "policy", "--config", f.config_path,
                          "rescan"], capture_output=True, text=True,
                         timeout=30)
    assert out.returncode == 0, out.stderr
    # Every mailbox of the domain, the disabled carol too.
    assert out.stdout.strip() == f"{len(MAILBOXES) + 1} mailboxes counted"
    assert send(f, rcpt) == OK
    assert len(f.wait_maildir("alice", 2)) == 2
