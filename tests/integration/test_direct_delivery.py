"""Direct delivery ([queue] direct_delivery): mail whose every recipient has
a Maildir here is in the Maildirs, durably, when the client hears 250, and
never in the queue; anything else, and any recipient whose Maildir fails,
goes through the queue as before.  Real clients (smtplib) against the
daemon."""
import os
import re
import smtplib
import subprocess

from conftest import DOMAIN, FERRY, subjects, wait_for


def send(f, rcpts, subject, body=b"body\r\n"):
    """The queue id of the 250 to the end of the message."""
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
        s.ehlo("client.test")
        s.mail("sender@client.test")
        for r in rcpts:
            code, text = s.rcpt(f"{r}@{DOMAIN}")
            assert code == 250, text
        code, text = s.data(f"Subject: {subject}\r\n\r\n".encode() + body)
        assert code == 250, text
        m = re.match(rb"2\.0\.0 Ok: queued as ([0-9a-f]+)$", text)
        assert m, text
        return m.group(1).decode()


def queued_files(f):
    d = os.path.join(f.spool, "queue")
    return sorted(n for n in os.listdir(d) if n.endswith((".env", ".msg")))


def committed_at_stop(f):
    """Messages the spool committed, from the line it logs when it stops."""
    f.stop()
    m = re.search(r"event=spool-stats committed=(\d+)", f.log())
    assert m, f.log()
    return int(m.group(1))


def test_in_the_maildirs_before_250_and_never_queued(ferry_factory):
    f = ferry_factory()
    qid = send(f, ["alice", "bob"], "direct")
    # No waiting: the copies were durable before the reply.
    assert subjects(f, "alice") == ["direct"]
    assert subjects(f, "bob") == ["direct"]
    assert queued_files(f) == []
    log = f.log()
    assert f"event=delivered id={qid} to=alice@{DOMAIN}" in log, log
    assert f"event=delivered id={qid} to=bob@{DOMAIN}" in log, log
    assert re.search(rf"event=queued session=\d+ id={qid}", log), log
    assert committed_at_stop(f) == 0


def test_off_queues_first(ferry_factory):
    f = ferry_factory(direct_delivery="no")
    send(f, ["alice"], "queued")
    assert wait_for(lambda: subjects(f, "alice") == ["queued"], timeout=20)
    assert committed_at_stop(f) == 1


def test_large_message_goes_through_the_queue(ferry_factory):
    """Above what the spool holds in memory (128 KB) it is written to the
    queue as it arrives, and delivered from there."""
    f = ferry_factory()
    send(f, ["alice"], "large", (b"y" * 998 + b"\r\n") * 200)
    assert wait_for(lambda: subjects(f, "alice") == ["large"], timeout=20)
    assert committed_at_stop(f) == 1


def test_unwritable_maildir_queues_only_its_recipient(ferry_factory):
    """Alice's copy is delivered at once; Bob's Maildir refuses, so the
    message is queued for him alone, and Alice gets no second copy."""
    f = ferry_factory()
    send(f, ["bob"], "first")
    assert subjects(f, "bob") == ["first"]
    tmp = os.path.join(f.maildir_root, "bob", "tmp")
    os.chmod(tmp, 0o500)
    try:
        qid = send(f, ["alice", "bob"], "split")
        assert subjects(f, "alice") == ["split"]
        assert any(n == f"{qid}.env" for n in queued_files(f))
        assert wait_for(lambda: f"event=deferred id={qid} to=bob@{DOMAIN}"
                        in f.log(), timeout=20), f.log()
    finally:
        os.chmod(tmp, 0o700)
    r = subprocess.run([FERRY, "queue", "--config", f.config_path, "flush"],
                       capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert wait_for(lambda: subjects(f, "bob") == ["first", "split"],
                    timeout=20), f.log()
    assert wait_for(lambda: queued_files(f) == [], timeout=20), f.log()
    assert subjects(f, "alice") == ["split"]
    assert f.log().count(f"event=delivered id={qid} to=alice@") == 1
    assert committed_at_stop(f) == 1
