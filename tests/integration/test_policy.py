"""Policy rules (docs/policy.md) crossed with a real client: each test goes
over a limit, checks the exact reply, checks that what came before the
limit was delivered, and checks the documented reset.  Time moves through
the test clock ([policy] test_clock, POLICY CLOCK on the control socket),
so no test sleeps through a window."""
import os
import shutil
import smtplib
import socket
import ssl
import subprocess

import pytest

from conftest import FERRY, RawClient, make_workdir

HOST = "mx.test.example"


def policy(*lines):
    return ["[policy]", "test_clock = yes"] + list(lines)


def control(f, line):
    path = os.path.join(f.spool, "control.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(10)
        s.connect(path)
        s.sendall(line.encode() + b"\n")
        data = b""
        while not data.endswith(b"\n"):
            chunk = s.recv(4096)
            if not chunk:
                break
            data += chunk
    return data.decode().strip()


def advance(f, seconds):
    assert control(f, f"POLICY CLOCK {seconds}").startswith("OK")


def reply(code_msg):
    code, msg = code_msg
    return f"{code} {msg.decode()}"


def rcpt_replies(f, sender, rcpts, helo="client.example.net"):
    """One transaction; the RCPT replies, and DATA when one was accepted."""
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
        s.ehlo(helo)
        assert s.mail(sender)[0] == 250
        out = [reply(s.rcpt(r)) for r in rcpts]
        if any(r.startswith("250") for r in out):
            assert s.data(b"Subject: policy\r\n\r\nhello\r\n")[0] == 250
    return out


def stats(f):
    r = control(f, "POLICY STATS")
    assert r.startswith("OK ")
    return dict(kv.split("=", 1) for kv in r[3:].split())


RATE_SHORT = ("451 4.7.1 Recipient address rejected: Sending rate limit "
              "exceeded for this {}, try again later")


def test_recipients_per_message_per_listener(ferry_factory):
    f = ferry_factory(max_recipients=3)
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
        code, ehlo = s.ehlo("client.example.net")
        assert b"LIMITS RCPTMAX=3" in ehlo
    got = rcpt_replies(f, "a@example.net", [f"u{i}@example.test"
                                            for i in range(5)])
    assert got[:3] == ["250 2.1.5 Recipient ok"] * 3
    assert got[3:] == ["452 4.5.3 Error: too many recipients"] * 2
    for i in range(3):
        assert len(f.wait_maildir(f"u{i}", 1)) == 1
    assert f.maildir_files("u3") == []
    # The limit is per transaction: the next one starts from zero.
    got = rcpt_replies(f, "a@example.net", ["u3@example.test",
                                            "u4@example.test"])
    assert got == ["250 2.1.5 Recipient ok"] * 2
    assert len(f.wait_maildir("u4", 1)) == 1
    assert stats(f)["max_recipients"] == "2"


def test_rate_per_sender_counts_every_recipient_and_resets(ferry_factory):
    f = ferry_factory(extra=policy("rate_sender = 3/1m"))
    got = rcpt_replies(f, "news@example.net",
                       ["u0@example.test", "u1@example.test",
                        "u2@example.test", "u3@example.test"])
    assert got[:3] == ["250 2.1.5 Recipient ok"] * 3
    assert got[3] == RATE_SHORT.format("sender")
    for m in ("u0", "u1", "u2"):
        assert len(f.wait_maildir(m, 1)) == 1
    assert f.maildir_files("u3") == []
    # Another sender is not affected.
    assert rcpt_replies(f, "other@example.net", ["u3@example.test"]) == \
        ["250 2.1.5 Recipient ok"]
    # Documented reset: a recipient stops counting 1.1 windows later.
    advance(f, 30)
    assert rcpt_replies(f, "news@example.net", ["u4@example.test"]) == \
        [RATE_SHORT.format("sender")]
    advance(f, 37)
    assert rcpt_replies(f, "news@example.net", ["u4@example.test"]) == \
        ["250 2.1.5 Recipient ok"]
    assert len(f.wait_maildir("u4", 1)) == 1
    assert "rule=rate_sender key=news@example.net:60" in f.log()


def test_hourly_quota_per_sender_and_domain(ferry_factory):
    f = ferry_factory(extra=policy("rate_sender = 2/1h",
                                   "rate_sender_domain = 3/1h"))
    got = rcpt_replies(f, "a@corp.example", ["u0@example.test",
                                             "u1@example.test",
                                             "u2@example.test"])
    assert got[2] == ("550 5.4.6 Recipient address rejected: Hourly "
                      "sending quota exceeded")
    got = rcpt_replies(f, "b@corp.example", ["u2@example.test",
                                             "u3@example.test"])
    assert got == ["250 2.1.5 Recipient ok",
                   "550 5.4.5 Recipient address rejected: Hourly domain "
                   "sending quota exceeded"]
    for m in ("u0", "u1", "u2"):
        assert len(f.wait_maildir(m, 1)) == 1
    advance(f, 3960)
    assert rcpt_replies(f, "a@corp.example", ["u3@example.test"]) == \
        ["250 2.1.5 Recipient ok"]
    assert len(f.wait_maildir("u3", 1)) == 1


def test_daily_quota_per_client_survives_restart(ferry_factory):
    f = ferry_factory(extra=policy("rate_client = 2/1d"))
    assert rcpt_replies(f, "a@example.net", ["u0@example.test",
                                             "u1@example.test"]) == \
        ["250 2.1.5 Recipient ok"] * 2
    f.stop()
    f.start()
    assert rcpt_replies(f, "b@example.net", ["u2@example.test"]) == \
        ["550 5.4.6 Recipient address rejected: Daily sending quota "
         "exceeded"]
    assert len(f.wait_maildir("u1", 1)) == 1
    advance(f, 95040)
    assert rcpt_replies(f, "b@example.net", ["u2@example.test"]) == \
        ["250 2.1.5 Recipient ok"]


def test_short_rate_per_client(ferry_factory):
    f = ferry_factory(extra=policy("rate_client = 2/10m"))
    got = rcpt_replies(f, "a@example.net", ["u0@example.test",
                                            "u1@example.test",
                                            "u2@example.test"])
    assert got[2] == RATE_SHORT.format("client address")
    assert len(f.wait_maildir("u1", 1)) == 1
    advance(f, 660)
    assert rcpt_replies(f, "a@example.net", ["u2@example.test"]) == \
        ["250 2.1.5 Recipient ok"]


def test_incoming_rate_per_local_recipient(ferry_factory):
    f = ferry_factory(extra=policy("rate_recipient = 2/1m"))
    for i in range(2):
        assert rcpt_replies(f, f"s{i}@example.net",
                            ["alice@example.test"]) == \
            ["250 2.1.5 Recipient ok"]
    got = rcpt_replies(f, "s9@example.net", ["alice@example.test",
                                             "bob@example.test"])
    assert got == ["450 4.2.1 The user you are trying to contact is "
                   "receiving mail too quickly. Please resend your message "
                   "at a later time", "250 2.1.5 Recipient ok"]
    assert len(f.wait_maildir("alice", 2)) == 2
    assert len(f.wait_maildir("bob", 1)) == 1
    advance(f, 67)
    assert rcpt_replies(f, "s9@example.net", ["alice@example.test"]) == \
        ["250 2.1.5 Recipient ok"]
    assert len(f.wait_maildir("alice", 3)) == 3


def test_incoming_rate_in_the_providers_words(ferry_factory):
    f = ferry_factory(extra=policy("rate_recipient = 1/1h",
                                   "rate_recipient_reply = quota"))
    assert rcpt_replies(f, "a@example.net", ["bob@example.test"]) == \
        ["250 2.1.5 Recipient ok"]
    assert rcpt_replies(f, "b@example.net", ["bob@example.test"]) == \
        ["450 4.7.1 Recipient address rejected: Policy Rejection- Quota "
         "Exceeded"]
    assert len(f.wait_maildir("bob", 1)) == 1
    advance(f, 3960)
    assert rcpt_replies(f, "b@example.net", ["bob@example.test"]) == \
        ["250 2.1.5 Recipient ok"]
    assert len(f.wait_maildir("bob", 2)) == 2


def test_exemption_for_a_sender_domain(ferry_factory):
    f = ferry_factory(extra=policy("rate_sender = 1/1m",
                                   "exempt = rate_sender: @trusted.example"))
    assert rcpt_replies(f, "x@trusted.example", ["u0@example.test",
                                                 "u1@example.test"]) == \
        ["250 2.1.5 Recipient ok"] * 2
    assert rcpt_replies(f, "x@other.example", ["u0@example.test",
                                               "u1@example.test"]) == \
        ["250 2.1.5 Recipient ok", RATE_SHORT.format("sender")]


def test_concurrent_connections_per_client(ferry_factory):
    f = ferry_factory(extra=policy("max_conn_client = 2"))
    a, b = RawClient(f.port), RawClient(f.port)
    assert a.greeting.startswith("220") and b.greeting.startswith("220")
    c = RawClient(f.port)
    assert c.greeting == (f"421 4.7.0 {HOST} Too many concurrent SMTP "
                          "connections from this IP address")
    assert c.closed()
    # The two admitted sessions still carry mail.
    assert a.cmd("EHLO client.example.net").startswith("250")
    assert a.cmd("MAIL FROM:<a@example.net>").startswith("250")
    assert a.cmd("RCPT TO:<demo@example.test>").startswith("250")
    assert a.cmd("DATA").startswith("354")
    assert a.cmd("Subject: x\r\n\r\nbody\r\n.").startswith("250")
    assert len(f.wait_maildir("demo", 1)) == 1
    # Reset: once one closes, a new connection is admitted.
    assert b.cmd("QUIT").startswith("221")
    assert b.closed()
    d = RawClient(f.port)
    assert d.greeting.startswith("220")
    for x in (a, c, d):
        x.close()


def test_connection_rate_per_client(ferry_factory):
    # The fixture's readiness probe is the first connection of the four.
    f = ferry_factory(extra=policy("conn_rate_client = 4/1m"))
    for _ in range(3):
        c = RawClient(f.port)
        assert c.greeting.startswith("220")
        assert c.cmd("QUIT").startswith("221")
        c.close()
    c = RawClient(f.port)
    assert c.greeting == f"421 4.7.0 {HOST} Try again later, closing connection"
    assert c.closed()
    c.close()
    advance(f, 67)
    c = RawClient(f.port)
    assert c.greeting.startswith("220")
    c.close()
    assert stats(f)["conn_rate_client"] == "1"


def test_greylisting_delay_pass_and_auto_allow(ferry_factory):
    f = ferry_factory(extra=policy("greylist = yes", "exempt_networks = none",
                                   "greylist_delay = 5m",
                                   "greylist_auto_allow = 1"))
    grey = ("451 4.7.1 <demo@example.test>: Recipient address rejected: "
            "Greylisted, try again in {} seconds")
    assert rcpt_replies(f, "a@example.net", ["demo@example.test"]) == \
        [grey.format(300)]
    advance(f, 120)
    assert rcpt_replies(f, "a@example.net", ["demo@example.test"]) == \
        [grey.format(180)]
    assert f.maildir_files("demo") == []
    advance(f, 181)
    assert rcpt_replies(f, "a@example.net", ["demo@example.test"]) == \
        ["250 2.1.5 Recipient ok"]
    assert len(f.wait_maildir("demo", 1)) == 1
    # One pass allows the client's network (greylist_auto_allow = 1).
    assert rcpt_replies(f, "new@example.org", ["bob@example.test"]) == \
        ["250 2.1.5 Recipient ok"]
    assert len(f.wait_maildir("bob", 1)) == 1


def test_greylisting_retry_window_and_exemption(ferry_factory):
    f = ferry_factory(extra=policy("greylist = yes", "exempt_networks = none",
                                   "greylist_delay = 1m",
                                   "greylist_retry_window = 1h",
                                   "greylist_auto_allow = 0",
                                   "exempt = greylist: @partner.example"))
    assert rcpt_replies(f, "p@partner.example", ["demo@example.test"]) == \
        ["250 2.1.5 Recipient ok"]
    assert rcpt_replies(f, "a@example.net", ["demo@example.test"])[0] \
        .startswith("451 4.7.1")
    # Too late: the first attempt is forgotten and the wait starts over.
    advance(f, 3700)
    assert rcpt_replies(f, "a@example.net", ["demo@example.test"])[0] \
        .endswith("try again in 60 seconds")
    advance(f, 61)
    assert rcpt_replies(f, "a@example.net", ["demo@example.test"]) == \
        ["250 2.1.5 Recipient ok"]
    assert len(f.wait_maildir("demo", 2)) == 2


def test_helo_checks(ferry_factory):
    f = ferry_factory(extra=policy("helo_checks = yes",
                                   "exempt_networks = none"))
    c = f.connect()
    assert c.cmd("EHLO localhost") == \
        "550 5.7.1 Helo command rejected: You aren't localhost"
    assert c.cmd("HELO localhost.localdomain") == \
        "550 5.7.1 Helo command rejected: You aren't localhost"
    not_me = "550 5.7.1 Helo command rejected: You are not me"
    assert c.cmd(f"EHLO {HOST}") == not_me
    assert c.cmd("EHLO example.test") == not_me
    assert c.cmd("EHLO [127.0.0.1]") == not_me
    assert c.cmd("EHLO .") == "501 5.5.4 HELO/EHLO argument is invalid"
    # Not greeted yet: the refused names did not count.
    assert c.cmd("MAIL FROM:<a@example.net>") == "503 5.5.1 EHLO/HELO first"
    # The client's real name is accepted and mail flows.
    assert c.cmd("EHLO client.example.net").startswith("250")
    assert c.cmd("MAIL FROM:<a@example.net>").startswith("250")
    assert c.cmd("RCPT TO:<demo@example.test>").startswith("250")
    assert c.cmd("DATA").startswith("354")
    assert c.cmd("Subject: x\r\n\r\nbody\r\n.").startswith("250")
    assert len(f.wait_maildir("demo", 1)) == 1
    c.close()
    assert stats(f)["helo"] == "5"


def test_helo_checks_spare_exempt_networks(ferry_factory):
    f = ferry_factory(extra=policy("helo_checks = yes"))
    c = f.connect()
    assert c.cmd("EHLO localhost").startswith("250")
    c.close()


def test_access_lists(ferry_factory):
    f = ferry_factory(extra=policy("access_sender = spam@bad.example, "
                                   "@junk.example",
                                   "access_recipient = bob@example.test"))
    sender_denied = "554 5.7.1 Sender address rejected: Access denied"
    assert rcpt_replies(f, "spam@bad.example", ["demo@example.test"]) == \
        [sender_denied]
    assert rcpt_replies(f, "x@JUNK.example", ["demo@example.test"]) == \
        [sender_denied]
    assert rcpt_replies(f, "ok@example.net", ["bob@example.test",
                                              "alice@example.test"]) == \
        ["450 4.7.1 Recipient address rejected: Access denied",
         "250 2.1.5 Recipient ok"]
    assert len(f.wait_maildir("alice", 1)) == 1
    assert f.maildir_files("bob") == []
    assert f.maildir_files("demo") == []
    s = stats(f)
    assert s["access_sender"] == "2" and s["access_recipient"] == "1"


def test_access_client_and_its_exemption(ferry_factory):
    f = ferry_factory(extra=policy("access_client = 127.0.0.0/8"))
    c = f.connect()
    assert c.greeting == "554 5.7.1 Client host rejected: Access denied"
    assert c.closed()
    c.close()
    g = ferry_factory(extra=policy("access_client = 127.0.0.0/8",
                                   "exempt = access_client: 127.0.0.1"))
    assert rcpt_replies(g, "a@example.net", ["demo@example.test"]) == \
        ["250 2.1.5 Recipient ok"]
    assert len(g.wait_maildir("demo", 1)) == 1


def ferry_cli(f, *args):
    return subprocess.run([FERRY, *args, "--config", f.config_path],
                          capture_output=True, text=True, timeout=30)


def test_policy_check_and_stats_cli(ferry_factory):
    f = ferry_factory(extra=policy("helo_checks = yes", "greylist = yes",
                                   "exempt_networks = 10.0.0.0/8, "
                                   "127.0.0.1",
                                   "rate_sender = 1/1m"))
    r = ferry_cli(f, "policy", "check", "--ip", "192.0.2.7", "--helo",
                  "localhost", "--from", "a@example.net", "--to",
                  "demo@example.test")
    assert r.returncode == 0, r.stderr
    assert r.stdout.strip() == (
        "refused stage=helo rule=helo key=localhost reply=550 5.7.1 Helo "
        "command rejected: You aren't localhost")
    r = ferry_cli(f, "policy", "check", "--ip", "192.0.2.7", "--helo",
                  "client.example.net", "--from", "a@example.net", "--to",
                  "demo@example.test")
    assert "rule=greylist key=gt:192.0.2.0/24,a@example.net," \
        "demo@example.test reply=451 4.7.1" in r.stdout
    r = ferry_cli(f, "policy", "check", "--ip", "10.1.2.3", "--helo",
                  "client.example.net", "--from", "a@example.net", "--to",
                  "nobody@example.test")
    assert "rule=recipient" in r.stdout and "550 5.1.1" in r.stdout
    r = ferry_cli(f, "policy", "check", "--ip", "10.1.2.3", "--helo",
                  "client.example.net", "--from", "a@example.net", "--to",
                  "demo@example.test")
    assert r.stdout.strip() == "passed"
    # A dry run counts nothing: the sender's one message still passes.
    assert rcpt_replies(f, "a@example.net", ["demo@example.test"]) == \
        ["250 2.1.5 Recipient ok"]
    r = ferry_cli(f, "policy", "check", "--ip", "10.1.2.3", "--helo",
                  "client.example.net", "--from", "a@example.net", "--to",
                  "demo@example.test")
    assert "rule=rate_sender" in r.stdout
    r = ferry_cli(f, "policy", "stats")
    assert r.returncode == 0
    lines = dict(line.split(None, 1) for line in r.stdout.splitlines())
    assert lines["state"] == "embedded"
    assert lines["greylist"] == "0" and lines["rate_sender"] == "0"


def test_user_recipient_limit_on_submission(ferry_factory):
    h = subprocess.run([FERRY, "passwd", "--stdin", "--scheme", "bcrypt"],
                       input="pw\n", capture_output=True, text=True,
                       check=True).stdout.strip()
    d = make_workdir()
    pw = os.path.join(d, "passwd")
    with open(pw, "w") as out:
        out.write(f"alice:{h}\nbob:{h}\n")
    os.chmod(pw, 0o644)
    f = ferry_factory(auth=["backend = passwd-file", f"passwd_file = {pw}"],
                      extra=policy("max_recipients_submission = 3",
                                   "user_max_recipients = alice: 2"))
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    for user, limit in (("alice", 2), ("bob", 3)):
        with smtplib.SMTP("127.0.0.1", f.submission_port, timeout=30) as s:
            s.ehlo("client.example")
            s.starttls(context=ctx)
            code, ehlo = s.ehlo("client.example")
            assert b"LIMITS RCPTMAX=3" in ehlo
            s.login(user, "pw")
            assert s.mail(f"{user}@example.test")[0] == 250
            got = [reply(s.rcpt(f"u{i}@example.test")) for i in range(4)]
            assert got[:limit] == ["250 2.1.5 Recipient ok"] * limit
            assert got[limit:] == \
                ["452 4.5.3 Error: too many recipients"] * (4 - limit)
            assert s.data(b"Subject: x\r\n\r\nhi\r\n")[0] == 250
    assert len(f.wait_maildir("u1", 2)) == 2
    assert len(f.wait_maildir("u2", 1)) == 1
    assert f.maildir_files("u3") == []
    shutil.rmtree(d, ignore_errors=True)
