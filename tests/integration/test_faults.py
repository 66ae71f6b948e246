"""Disk faults while the daemon serves: nothing acknowledged is lost and
the daemon keeps serving.

Faults come from tests/fault/faultinject.c, preloaded into the daemon
(FERRY_FAULT_LIB, built by `make integration`): a rules file turns a
failing write, fsync, rename... on one path on and off at run time.  The
permission cases (a directory made unwritable, a Maildir deleted) need
nothing preloaded.  Every case ends with the fault gone, mail flowing
again, and exactly the acknowledged messages delivered once.
"""
import os
import shutil
import smtplib
import subprocess
import tempfile
import time

import pytest

from conftest import DOMAIN, FERRY, subjects, wait_for

FAULT_LIB = os.environ.get("FERRY_FAULT_LIB") or os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "rel", "faultinject.so")


class Faults:
    """The rules file the preloaded library reads (rewritten in place)."""

    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="ferry-faults-")
        self.path = os.path.join(self.dir, "rules")
        open(self.path, "w").close()

    def set(self, *rules):
        with open(self.path, "w") as f:
            f.write("".join(r + "\n" for r in rules))

    def env(self):
        asan = os.environ.get("ASAN_OPTIONS", "")
        # The sanitizer runtime wants to be first; this library is not
        # instrumented and only wraps libc calls.
        return {"LD_PRELOAD": os.path.abspath(FAULT_LIB),
                "FERRY_FAULT_FILE": self.path,
                "ASAN_OPTIONS": (asan + ":" if asan else "") +
                "verify_asan_link_order=0"}


@pytest.fixture
def faults():
    if not os.path.exists(FAULT_LIB):
        pytest.skip("no fault library: build it with `make integration`")
    f = Faults()
    yield f
    shutil.rmtree(f.dir, ignore_errors=True)


def send(f, to, subject):
    """(code, text) of the reply to the end of the message."""
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
        try:
            s.sendmail("sender@client.test", [f"{to}@{DOMAIN}"],
                       f"Subject: {subject}\r\n\r\nbody\r\n".encode())
            return 250, b""
        except smtplib.SMTPResponseException as e:
            return e.smtp_code, e.smtp_error


def queue(f, *args):
    return subprocess.run([FERRY, "queue", "--config", f.config_path]
                          + list(args), capture_output=True, timeout=30)


def queue_files(f):
    d = os.path.join(f.spool, "queue")
    return sorted(n for n in os.listdir(d) if n.endswith((".env", ".msg")))


def assert_recovers(f, mailbox, acknowledged):
    """After the fault: one more message goes through, and the mailbox holds
    every acknowledged message exactly once and nothing else."""
    assert send(f, mailbox, "after")[0] == 250
    want = sorted(acknowledged + ["after"])
    got = wait_for(lambda: subjects(f, mailbox) == want and
                   subjects(f, mailbox), timeout=20)
    assert subjects(f, mailbox) == want, (got, f.log())
    if not wait_for(lambda: queue_files(f) == [], timeout=20):
        pytest.fail(f"left in the queue: {queue_files(f)}\n{f.log()}")


# --- before acceptance: the spool ---------------------------------------

@pytest.mark.parametrize("rule,code,enh", [
    ("write /spool/ ENOSPC", 452, b"4.3.1"),
    ("write /spool/ EDQUOT", 452, b"4.3.1"),
    ("write /spool/ EIO", 451, b"4.3.0"),
    ("open /spool/ ENOSPC", 452, b"4.3.1"),
    ("rename /spool/ EIO", 451, b"4.3.0"),
    ("syncfs /spool/ EIO", 451, b"4.3.0"),
])
def test_spool_fault_refuses_before_250(ferry_factory, faults, rule, code,
                                        enh):
    # Mail for a Maildir here would not be queued at all (direct delivery).
    f = ferry_factory(env=faults.env(), direct_delivery="no")
    faults.set(rule)
    got = send(f, "alice", "refused")
    assert got[0] == code and got[1].startswith(enh), (got, f.log())
    assert queue_files(f) == []
    faults.set()
    assert_recovers(f, "alice", [])


def test_spool_fsync_eio_refuses(ferry_factory, faults):
    f = ferry_factory(env=faults.env(), sync_mode="fsync",
                      direct_delivery="no")
    faults.set("fsync /spool/ EIO")
    got = send(f, "bob", "refused")
    assert got[0] == 451 and got[1].startswith(b"4.3.0"), got
    faults.set()
    assert_recovers(f, "bob", [])


def test_spool_unwritable_at_run_time(ferry_factory):
    f = ferry_factory(direct_delivery="no")
    assert send(f, "alice", "before")[0] == 250
    # Delivered and gone from the queue: what follows is about new mail.
    assert wait_for(lambda: queue_files(f) == [], timeout=20)
    q = os.path.join(f.spool, "queue")
    os.chmod(q, 0o555)
    try:
        got = send(f, "alice", "refused")
        assert 400 <= got[0] < 500, (got, f.log())
    finally:
        os.chmod(q, 0o700)
    assert_recovers(f, "alice", ["before"])


# --- after acceptance: local delivery -----------------------------------

@pytest.mark.parametrize("rules", [
    ("write /mail/ ENOSPC",),
    ("open /mail/ EDQUOT",),
    # The step that names the file in new/: the link of the unnamed file,
    # or the rename from tmp/ where the kernel refuses that link.
    ("link /mail/ EIO", "rename /mail/ EIO"),
], ids=lambda rules: rules[0])
def test_maildir_fault_defers_and_retries(ferry_factory, faults, rules):
    f = ferry_factory(env=faults.env())
    faults.set(*rules)
    assert send(f, "alice", "kept")[0] == 250
    assert wait_for(lambda: "event=deferred" in f.log(), timeout=20), f.log()
    assert subjects(f, "alice") == []
    assert any(n.endswith(".env") for n in queue_files(f))
    faults.set()
    r = queue(f, "flush")
    assert r.returncode == 0, r.stderr
    assert_recovers(f, "alice", ["kept"])


def test_maildir_link_refused_falls_back_to_rename(ferry_factory, faults):
    """A kernel that refuses to link an unnamed file by its descriptor (before
    Linux 6.10 that says ENOENT) gets the message named in tmp/ and renamed
    into new/ instead: at once, and for every message after it."""
    f = ferry_factory(env=faults.env())
    faults.set("link /mail/ ENOENT")
    assert send(f, "alice", "first")[0] == 250
    assert wait_for(lambda: subjects(f, "alice") == ["first"], timeout=20), \
        f.log()
    assert "event=deferred" not in f.log()
    # Linking is given up: a failing rename now stops the next message.
    faults.set("rename /mail/ EIO")
    assert send(f, "alice", "second")[0] == 250
    assert wait_for(lambda: "event=deferred" in f.log(), timeout=20), f.log()
    faults.set()
    assert queue(f, "flush").returncode == 0
    assert_recovers(f, "alice", ["first", "second"])


@pytest.mark.parametrize("rule,mode,direct,copies", [
    # The batch's syncfs fails after the copy is named in new/: the queue's
    # first attempt and the one after the flush leave a copy each...
    ("syncfs /mail/ EIO", "syncfs", "no", 2),
    # ... and so does the direct attempt before the message was queued.
    ("syncfs /mail/ EIO", "syncfs", "yes", 3),
    # The file's own fsync fails: it is taken out of new/ at once.
    ("fsync /mail/ EIO", "fsync", "yes", 1),
])
def test_maildir_sync_fault_delivers_again(ferry_factory, faults, rule,
                                           mode, direct, copies):
    """A failed sync leaves a message that may not survive a crash: it stays
    queued and is delivered again (at worst a duplicate, never a loss)."""
    f = ferry_factory(env=faults.env(), sync_mode=mode,
                      direct_delivery=direct)
    faults.set(rule)
    assert send(f, "alice", "kept")[0] == 250
    assert wait_for(lambda: "event=deferred" in f.log(), timeout=20), f.log()
    assert any(n.endswith(".env") for n in queue_files(f))
    faults.set()
    assert queue(f, "flush").returncode == 0
    assert wait_for(lambda: subjects(f, "alice") == ["kept"] * copies,
                    timeout=20), (subjects(f, "alice"), f.log())
    assert_recovers(f, "alice", ["kept"] * copies)


def test_maildir_unwritable_at_run_time(ferry_factory):
    f = ferry_factory()
    assert send(f, "bob", "first")[0] == 250
    assert len(f.wait_maildir("bob", 1)) == 1
    new = os.path.join(f.maildir_root, "bob", "tmp")
    os.chmod(new, 0o500)
    try:
        assert send(f, "bob", "kept")[0] == 250
        assert wait_for(lambda: "event=deferred" in f.log(), timeout=20)
    finally:
        os.chmod(new, 0o700)
    assert queue(f, "flush").returncode == 0
    assert_recovers(f, "bob", ["first", "kept"])


def test_maildir_deleted_under_the_daemon(ferry_factory):
    f = ferry_factory()
    assert send(f, "u1", "first")[0] == 250
    assert len(f.wait_maildir("u1", 1)) == 1
    shutil.rmtree(os.path.join(f.maildir_root, "u1"))
    assert send(f, "u1", "second")[0] == 250
    assert wait_for(lambda: subjects(f, "u1") == ["second"], timeout=20), \
        f.log()
    assert_recovers(f, "u1", ["second"])


def test_maildir_replaced_under_the_daemon(ferry_factory):
    """A Maildir moved away and made again: delivery follows the path,
    not the directory it held open before."""
    f = ferry_factory()
    assert send(f, "u1", "first")[0] == 250
    assert len(f.wait_maildir("u1", 1)) == 1
    box = os.path.join(f.maildir_root, "u1")
    os.rename(box, box + ".old")
    for sub in ("", "/tmp", "/new", "/cur"):
        os.mkdir(box + sub, 0o700)
        if os.geteuid() == 0:  # the daemon runs as ferry
            shutil.chown(box + sub, "ferry", "ferry")
    assert send(f, "u1", "second")[0] == 250
    assert wait_for(lambda: subjects(f, "u1") == ["second"], timeout=20), \
        f.log()
    assert len(os.listdir(box + ".old/new")) == 1
    assert_recovers(f, "u1", ["second"])


# --- bounce reports: the original stays until its report is committed ----

# The fixtures and helpers of the relay tests (a scripted remote MX).
from test_relay import (dsn_in, passwd, relay_ferry,  # noqa: E402,F401
                        remote_factory, status_blocks, submit)

UNKNOWN = "unknown1@remote.test"
# Only new messages are created as .msg files: the queued original is only
# read, its states appended to its .state file.
DSN_FAULT = "open .msg EIO"


def dsn_failures(f):
    return f.log().count("dsn-failed")


def bounce_while_dsn_fails(ferry_factory, faults, remote_factory, passwd):
    """A message deferred once, then bounced while no report can be
    written: returns (ferry, remote)."""
    r = remote_factory(rcpt_reply="451 4.3.0 Try again later")
    f = relay_ferry(ferry_factory, passwd, [("remote.test", r.port)],
                    env=faults.env())
    submit(f, [UNKNOWN], subject="bounced")
    assert wait_for(lambda: r.seen.get(UNKNOWN) == 1), f.log()
    faults.set(DSN_FAULT)
    r.rcpt_reply = f"550 5.1.1 <{UNKNOWN}>: Recipient address rejected"
    assert wait_for(lambda: dsn_failures(f) >= 2, timeout=30), f.log()
    assert r.seen.get(UNKNOWN) == 2
    assert f.maildir_files("alice") == []
    listed = queue(f, "list").stdout.decode()
    assert UNKNOWN in listed, (listed, f.log())
    return f, r


def assert_reported_once(f, r):
    """The fault is gone: one report, the original dequeued, and the
    bounced recipient never tried again."""
    dsn = dsn_in(f)
    per_rcpt = status_blocks(dsn)[1]
    assert per_rcpt["Action"] == "failed"
    assert per_rcpt["Status"] == "5.1.1"
    assert UNKNOWN in per_rcpt["Final-Recipient"]
    assert "550 5.1.1" in per_rcpt["Diagnostic-Code"]
    if not wait_for(lambda: queue_files(f) == [], timeout=20):
        pytest.fail(f"left in the queue: {queue_files(f)}\n{f.log()}")
    time.sleep(1.5)
    assert len(f.maildir_files("alice")) == 1
    assert r.seen.get(UNKNOWN) == 2


def test_dsn_write_fault_keeps_original_until_reported(
        ferry_factory, faults, remote_factory, passwd):
    f, r = bounce_while_dsn_fails(ferry_factory, faults, remote_factory,
                                  passwd)
    faults.set()
    assert_reported_once(f, r)


def test_dsn_write_fault_survives_restart(ferry_factory, faults,
                                          remote_factory, passwd):
    f, r = bounce_while_dsn_fails(ferry_factory, faults, remote_factory,
                                  passwd)
    f.stop()
    before = dsn_failures(f)
    f.start()
    # Still owed after the restart, from the recorded states alone.
    assert wait_for(lambda: dsn_failures(f) > before, timeout=30), f.log()
    assert UNKNOWN in queue(f, "list").stdout.decode()
    faults.set()
    assert_reported_once(f, r)


def test_expiry_bounce_waits_for_its_report(ferry_factory, faults,
                                            remote_factory, passwd):
    r = remote_factory(rcpt_reply="451 4.3.0 Try again later")
    f = relay_ferry(ferry_factory, passwd, [("remote.test", r.port)],
                    ["max_queue_lifetime = 3s"], env=faults.env())
    submit(f, ["late@remote.test"], subject="expired")
    assert wait_for(lambda: r.seen.get("late@remote.test") == 1), f.log()
    faults.set(DSN_FAULT)
    assert wait_for(lambda: "relay-expired" in f.log() and
                    dsn_failures(f) >= 1, timeout=30), f.log()
    assert f.maildir_files("alice") == []
    assert "late@remote.test" in queue(f, "list").stdout.decode()
    faults.set()
    per_rcpt = status_blocks(dsn_in(f))[1]
    assert per_rcpt["Status"] == "4.4.7"
    assert per_rcpt["Action"] == "failed"
    if not wait_for(lambda: queue_files(f) == [], timeout=20):
        pytest.fail(f"left in the queue: {queue_files(f)}\n{f.log()}")


# --- success and delay notices (NOTIFY=SUCCESS, NOTIFY=DELAY) -------------

def notice_in(f):
    """The one report alice got (it arrives once the fault is gone)."""
    per_rcpt = status_blocks(dsn_in(f))[1]
    time.sleep(1.5)
    assert len(f.maildir_files("alice")) == 1, f.log()
    return per_rcpt


def test_relayed_success_notice_is_written_again(ferry_factory, faults,
                                                 remote_factory, passwd):
    r = remote_factory(rcpt_reply="451 4.3.0 Try again later")
    f = relay_ferry(ferry_factory, passwd, [("remote.test", r.port)],
                    env=faults.env())
    submit(f, ["ok@remote.test"], subject="relayed",
           rcpt_options=["NOTIFY=SUCCESS"])
    assert wait_for(lambda: r.seen.get("ok@remote.test") == 1), f.log()
    faults.set(DSN_FAULT)
    r.rcpt_reply = None
    assert wait_for(lambda: r.all_rcpts() == ["ok@remote.test"]), f.log()
    # Relayed, but the notice cannot be written: it is owed, kept, retried.
    assert wait_for(lambda: dsn_failures(f) >= 2, timeout=30), f.log()
    assert f.maildir_files("alice") == []
    assert "ok@remote.test" in queue(f, "list").stdout.decode()
    faults.set()
    per_rcpt = notice_in(f)
    assert per_rcpt["Action"] == "relayed"
    assert per_rcpt["Status"].startswith("2.")
    if not wait_for(lambda: queue_files(f) == [], timeout=20):
        pytest.fail(f"left in the queue: {queue_files(f)}\n{f.log()}")
    assert r.all_rcpts() == ["ok@remote.test"]  # relayed once


def test_local_success_notice_is_written_again(ferry_factory, faults,
                                               passwd):
    f = relay_ferry(ferry_factory, passwd, [], env=faults.env())
    faults.set("open /mail/example.test/demo/ EIO")
    submit(f, [f"demo@{DOMAIN}"], subject="local",
           rcpt_options=["NOTIFY=SUCCESS"])
    assert wait_for(lambda: "event=deferred" in f.log(), timeout=20), f.log()
    faults.set(DSN_FAULT)
    queue(f, "flush")
    assert wait_for(lambda: f.maildir_files("demo"), timeout=20), f.log()
    assert wait_for(lambda: dsn_failures(f) >= 2, timeout=30), f.log()
    assert f.maildir_files("alice") == []
    faults.set()
    per_rcpt = notice_in(f)
    assert per_rcpt["Action"] == "delivered"
    assert per_rcpt["Status"] == "2.0.0"
    if not wait_for(lambda: queue_files(f) == [], timeout=20):
        pytest.fail(f"left in the queue: {queue_files(f)}\n{f.log()}")
    assert len(f.maildir_files("demo")) == 1  # delivered once


def test_lmtp_success_notice_written_again_says_delivered(
        ferry_factory, faults, passwd):
    """A success notice for mail LMTP delivered, rebuilt from the recorded
    states after its first write failed: "delivered" (the LMTP server put
    it in the mailbox, RFC 3464 s2.3.3), as the first one would have said,
    not "relayed"."""
    from test_lmtp import ScriptedLmtp
    srv = ScriptedLmtp({"ok@script.test": ["451 4.3.0 not yet",
                                           "250 2.0.0 ok"]})
    try:
        f = relay_ferry(ferry_factory, passwd, [],
                        extra=["[domain script.test]",
                               f"lmtp = 127.0.0.1:{srv.port}",
                               "mailbox = ok", "alias = postmaster: ok"],
                        env=faults.env())
        submit(f, ["ok@script.test"], subject="lmtp",
               rcpt_options=["NOTIFY=SUCCESS"])
        assert wait_for(lambda: len(srv.transactions) == 1), f.log()
        faults.set(DSN_FAULT)
        assert wait_for(lambda: dsn_failures(f) >= 2, timeout=30), f.log()
        assert f.maildir_files("alice") == []
        faults.set()
        per_rcpt = notice_in(f)
        assert per_rcpt["Action"] == "delivered", per_rcpt
        assert per_rcpt["Status"].startswith("2.")
        assert len(srv.transactions) == 2  # deferred, then delivered once
    finally:
        srv.stop = True


def test_delay_notice_is_written_again(ferry_factory, faults,
                                       remote_factory, passwd):
    r = remote_factory(rcpt_reply="451 4.3.0 Try again later")
    f = relay_ferry(ferry_factory, passwd, [("remote.test", r.port)],
                    ["delay_warning = 2s"], env=faults.env())
    submit(f, ["slow@remote.test"], subject="delayed",
           rcpt_options=["NOTIFY=DELAY,FAILURE"])
    faults.set(DSN_FAULT)
    assert wait_for(lambda: dsn_failures(f) >= 2, timeout=30), f.log()
    assert f.maildir_files("alice") == []
    faults.set()
    per_rcpt = notice_in(f)
    assert per_rcpt["Action"] == "delayed"
    assert per_rcpt["Status"].startswith("4.")
    assert "slow@remote.test" in queue(f, "list").stdout.decode()
