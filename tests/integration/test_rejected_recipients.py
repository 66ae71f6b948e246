"""Refused recipients count toward max_rejected_recipients (address
harvesting costs a connection every few guesses); a sender with a few stale
addresses still delivers to the good ones."""
import re
import smtplib
import socket
import threading
import time

from conftest import DOMAIN, wait_for

MSG = "Subject: t\r\n\r\nbody\r\n"


def pipeline_rcpts(port, count):
    """EHLO, MAIL and `count` RCPTs to unknown users in one write; returns
    every reply line read until the server closes."""
    s = socket.create_connection(("127.0.0.1", port), timeout=10)
    lines = [f"RCPT TO:<nobody{i}@{DOMAIN}>\r\n" for i in range(count)]
    data = ("EHLO c.example\r\nMAIL FROM:<x@sender.example>\r\n" +
            "".join(lines)).encode()

    def send():
        try:
            s.sendall(data)
        except OSError:
            pass  # the server hung up mid-way: expected

    sender = threading.Thread(target=send)
    sender.start()
    buf = b""
    try:
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    except ConnectionResetError:
        pass
    sender.join(10)
    s.close()
    return buf.decode().splitlines()


def test_pipelined_unknown_recipients_hit_the_limit(ferry):
    start = time.time()
    replies = pipeline_rcpts(ferry.port, 10000)
    elapsed = time.time() - start
    rejected = [r for r in replies if r.startswith("550 5.1.1 ")]
    assert len(rejected) == 20  # the default
    assert replies[-1] == ("421 4.7.0 mx.test.example Too many rejected "
                           "recipients, closing connection")
    assert elapsed < 5
    log = ferry.log()
    assert log.count("Too many rejected recipients") == 1
    # Session ids count up from a per-run start: this is the second one.
    first = int(re.search(r"event=connect session=(\d+)", log).group(1))
    assert wait_for(lambda: f"event=disconnect session={first + 1} "
                    in ferry.log(), 5), ferry.log()[-2000:]
    # The server keeps serving others.
    assert ferry.connect().greeting.startswith("220 ")


def test_configured_limit_counts_every_refused_rcpt(ferry_factory):
    f = ferry_factory(extra=["[limits]", "max_rejected_recipients = 3"])
    c = f.connect()
    c.cmd("EHLO c.example")
    assert c.cmd("MAIL FROM:<x@sender.example>").startswith("250")
    assert c.cmd(f"RCPT TO:<alice@{DOMAIN}>").startswith("250")
    assert c.cmd(f"RCPT TO:<nobody@{DOMAIN}>").startswith("550 5.1.1 ")
    # Syntax errors are max_errors' business, not this limit's.
    assert c.cmd("RCPT TO:<a b>").startswith("501 ")
    assert c.cmd("RCPT TO:<x@elsewhere.example>").startswith("554 5.7.1 ")
    assert c.cmd(f"RCPT TO:<carol@{DOMAIN}>").startswith("550 5.2.1 ")
    assert c.reply().startswith("421 4.7.0 mx.test.example Too many "
                                "rejected recipients")
    assert c.closed()
    assert f.maildir_files("alice") == []  # the open transaction is gone


def test_few_bad_recipients_still_deliver(ferry):
    with smtplib.SMTP("127.0.0.1", ferry.port) as s:
        bad = [f"gone{i}@{DOMAIN}" for i in range(5)]
        refused = s.sendmail("x@sender.example",
                             [f"alice@{DOMAIN}", f"bob@{DOMAIN}"] + bad, MSG)
        assert sorted(refused) == sorted(bad)
        # The count starts again after each accepted message: 5 + 15 + 15
        # refusals in one session stay under the limit of 20 per message.
        for n in range(2):
            bad = [f"old{n}-{i}@{DOMAIN}" for i in range(15)]
            refused = s.sendmail("x@sender.example",
                                 bad + [f"demo@{DOMAIN}"], MSG)
            assert len(refused) == 15
    assert len(ferry.wait_maildir("alice", 1)) == 1
    assert len(ferry.wait_maildir("bob", 1)) == 1
    assert len(ferry.wait_maildir("demo", 2)) == 2
