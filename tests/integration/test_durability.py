"""Shutdown, crash recovery, disk space, privileges and the event log."""
import os
import random
import re
import smtplib
import socket
import threading
import time

import pytest

from conftest import Ferry, free_port, make_workdir


def send_one(port, token, rcpt="demo@example.test"):
    with smtplib.SMTP("127.0.0.1", port, timeout=10) as s:
        s.sendmail("s@b.example", [rcpt],
                   f"Subject: {token}\r\n\r\nbody {token}\r\n".encode())


def tokens_in_maildirs(root):
    found = {}
    for dirpath, _, files in os.walk(root):
        if not dirpath.endswith("/new"):
            continue
        for n in files:
            with open(os.path.join(dirpath, n), "rb") as f:
                m = re.search(rb"^Subject: (\S+)", f.read(), re.M)
            if m:
                t = m.group(1).decode()
                found[t] = found.get(t, 0) + 1
    return found


def test_sigterm_answers_421_and_loses_nothing(ferry):
    send_one(ferry.port, "before-term")
    idle = ferry.connect()
    idle.cmd("EHLO c.example")
    busy = ferry.connect()
    busy.cmd("EHLO c.example")
    busy.cmd("MAIL FROM:<s@b.example>")
    busy.cmd("RCPT TO:<demo@example.test>")
    busy.cmd("DATA")
    busy.send("Subject: unfinished\r\n\r\npartial")
    time.sleep(0.2)
    ferry.proc.terminate()
    expected = "421 4.3.2 mx.test.example Service shutting down, closing connection"
    assert idle.reply() == expected
    assert busy.reply() == expected
    assert idle.closed() and busy.closed()
    assert ferry.proc.wait(30) == 0
    # What was acknowledged is delivered, before or after a restart.
    ferry.start()
    got = tokens_in_maildirs(ferry.maildir_root)
    deadline = time.time() + 20
    while "before-term" not in got and time.time() < deadline:
        time.sleep(0.1)
        got = tokens_in_maildirs(ferry.maildir_root)
    assert got.get("before-term") == 1
    assert "unfinished" not in got


def test_data_timeout(ferry_factory):
    f = ferry_factory(timeout_data_block="1s")
    c = f.connect()
    c.cmd("EHLO c.example")
    c.cmd("MAIL FROM:<s@b.example>")
    c.cmd("RCPT TO:<demo@example.test>")
    c.cmd("DATA")
    c.send("Subject: slow\r\n")
    assert c.reply().startswith("421 4.4.2 mx.test.example ")
    assert c.closed()


def test_disk_nearly_full(ferry_factory):
    f = ferry_factory(min_free_space="1000000G")
    c = f.connect()
    c.cmd("EHLO c.example")
    assert c.cmd("MAIL FROM:<s@b.example>") == "452 4.3.1 Insufficient system storage"
    # Nothing was accepted, and the server still serves.
    assert c.cmd("NOOP") == "250 2.0.0 Ok"


def test_runs_unprivileged(ferry):
    if os.geteuid() != 0:
        pytest.skip("needs root to test the privilege drop")
    send_one(ferry.port, "owner")
    files = ferry.wait_maildir("demo", 1)
    import pwd
    ferry_uid = pwd.getpwnam("ferry").pw_uid
    assert os.stat(files[0]).st_uid == ferry_uid
    with open(f"/proc/{ferry.proc.pid}/status") as st:
        uids = [l for l in st if l.startswith("Uid:")][0].split()[1:]
    assert all(int(u) == ferry_uid for u in uids)


def test_event_log(ferry):
    send_one(ferry.port, "logged")
    c = ferry.connect()
    c.cmd("EHLO c.example")
    c.cmd("MAIL FROM:<s@b.example>")
    c.cmd("RCPT TO:<ghost@example.test>")
    c.cmd("QUIT")
    ferry.wait_maildir("demo", 1)
    time.sleep(0.3)
    log = ferry.log()
    qid = re.search(r"event=queued session=\d+ id=(\w+)", log).group(1)
    for event in ("connect", "helo", "mail", "rcpt", "disconnect"):
        assert f"event={event} " in log
    assert f"event=delivered id={qid} to=demo@example.test" in log
    assert re.search(r'event=reject .*reply="550 5\.1\.1 <ghost@example\.test>', log)


def _load_round(port, n, acked, lock, stop):
    """Send up to n messages on 4 threads; record tokens answered 250."""
    def worker(wid):
        i = 0
        while not stop.is_set() and i < n // 4:
            token = f"tok-{port}-{wid}-{i}-{random.randrange(1 << 30)}"
            i += 1
            try:
                send_one(port, token, rcpt=f"u{wid}@example.test")
            except (OSError, smtplib.SMTPException):
                return
            with lock:
                acked.add(token)
    threads = [threading.Thread(target=worker, args=(w,)) for w in range(4)]
    for t in threads:
        t.start()
    return threads


def test_kill9_under_load_loses_nothing():
    """10 rounds: load, kill -9 at a random moment, restart; every message
    that got its 250 must end up in a Maildir."""
    work = make_workdir()
    f = Ferry(work, free_port(), {"max_recipients": 100})
    acked, lock = set(), threading.Lock()
    rng = random.Random(int(os.environ.get("CRASH_SEED", "5321")))
    try:
        for _ in range(10):
            f.start()
            stop = threading.Event()
            threads = _load_round(f.port, 500, acked, lock, stop)
            time.sleep(rng.uniform(0.05, 0.8))
            f.kill9()
            stop.set()
            for t in threads:
                t.join(30)
        f.start()
        deadline = time.time() + 60
        while time.time() < deadline:
            got = tokens_in_maildirs(f.maildir_root)
            if acked <= set(got):
                break
            time.sleep(0.2)
        missing = acked - set(got)
        assert acked, "the load never got a message through"
        assert not missing, f"{len(missing)} acknowledged messages lost"
        dups = sum(c - 1 for c in got.values())
        print(f"acked={len(acked)} delivered={len(got)} redelivered={dups}")
    finally:
        f.stop()


def test_message_with_other_bytes_is_set_aside(ferry_factory):
    """What a power loss can leave of a recycled spool file: a message
    file that holds other bytes than its envelope's checksum names.  At
    start it goes into damaged/ with a log line, is never delivered, and
    the whole message next to it stays queued."""
    f = ferry_factory(extra=[
        "[relay]", f"transport = remote.test: 127.0.0.1:{free_port()}",
        "trusted_networks = 127.0.0.0/8", "retry_min = 1h"])
    for token in ("whole", "spoilt"):
        with smtplib.SMTP("127.0.0.1", f.port, timeout=10) as s:
            s.sendmail("s@b.example", ["x@remote.test"],
                       f"Subject: {token}\r\n\r\nbody {token}\r\n".encode())
    f.stop()
    queue = os.path.join(f.spool, "queue")
    ids = {}
    for name in os.listdir(queue):
        if name.endswith(".msg"):
            with open(os.path.join(queue, name), "rb") as m:
                token = re.search(rb"^Subject: (\S+)", m.read(), re.M)
            ids[token.group(1).decode()] = name[:-4]
    assert set(ids) == {"whole", "spoilt"}
    with open(os.path.join(queue, ids["spoilt"] + ".msg"), "r+b") as m:
        data = m.read()
        m.seek(0)
        m.write(data.replace(b"body spoilt", b"body SPOILT"))
    f.start()
    line = (f"event=spool_damaged id={ids['spoilt']} "
            'reason="message checksum differs from envelope" '
            "moved_to=damaged")
    assert line in f.log()
    damaged = os.path.join(f.spool, "damaged")
    # With its state record (the failed attempt before the stop).
    assert {ids["spoilt"] + ".env", ids["spoilt"] + ".msg"} <= \
        set(os.listdir(damaged))
    assert {n[:16] for n in os.listdir(damaged)} == {ids["spoilt"]}
    assert {n[:16] for n in os.listdir(queue)} == {ids["whole"]}
    assert f"id={ids['whole']} " not in \
        "".join(l for l in f.log().splitlines(True) if "spool_" in l)
