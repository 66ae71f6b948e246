"""An administrator follows one message through the log by its queue id:
from the session that handed it over (session=, joined to the queue id on
the queued line) to its local delivery or relay, with delay and Message-ID
on the delivery lines; session ids do not repeat across restarts."""
import re
import smtplib

import pytest

pytest.importorskip("aiosmtpd.controller")

from conftest import DOMAIN  # noqa: E402
from test_relay import passwd, relay_ferry, remote_factory  # noqa: E402,F401
from test_relay import wait_for  # noqa: E402


def send(f, rcpt, msgid):
    with smtplib.SMTP("127.0.0.1", f.submission_port, timeout=30) as s:
        s.ehlo("client.example")
        s.login("alice", "pw")
        s.sendmail("alice@example.test", [rcpt],
                   f"Subject: trace\r\nMessage-ID:\r\n {msgid}\r\n"
                   f"From: alice@example.test\r\n\r\nbody\r\n".encode())


def lines_of(log, word):
    return [line for line in log.splitlines() if word in line]


def queued(log, rcpt_session_line):
    session = re.search(r"session=(\d+)", rcpt_session_line).group(1)
    q = [line for line in lines_of(log, "event=queued")
         if f"session={session} " in line]
    assert len(q) == 1, log
    return session, re.search(r" id=(\w+)", q[0]).group(1)


def assert_traced(log, rcpt, msgid, delivery_event):
    """Every line about the message carries its session or its queue id,
    the delivery line both id and the fields an administrator wants."""
    rcpt_line = lines_of(log, f"event=rcpt ")
    rcpt_line = [line for line in rcpt_line if rcpt in line][0]
    session, qid = queued(log, rcpt_line)
    for line in lines_of(log, rcpt):
        assert f"session={session} " in line or f"id={qid} " in line, line
    auth = lines_of(log, "event=auth ")
    assert len([a for a in auth if f"session={session}" in a]) == 1, log
    done = lines_of(log, f"event={delivery_event} ")
    done = [line for line in done if f"id={qid} " in line]
    assert len(done) == 1, log
    assert f"message-id={msgid}" in done[0]
    assert re.search(r" delay=\d+", done[0])
    return qid, done[0]


def test_local_and_relayed_messages_are_traced(ferry_factory, remote_factory,
                                               passwd):
    r = remote_factory()
    f = relay_ferry(ferry_factory, passwd, [("remote.test", r.port)])
    send(f, f"bob@{DOMAIN}", "<local.1@client.example>")
    send(f, "ok1@remote.test", "<relayed.1@client.example>")
    assert f.wait_maildir("bob", 1)
    # The Maildir file shows before its batch is synced and logged.
    assert wait_for(lambda: "event=delivered" in f.log())
    assert wait_for(lambda: "event=relay-delivered" in f.log())
    log = f.log()
    assert_traced(log, f"bob@{DOMAIN}", "<local.1@client.example>",
                  "delivered")
    qid, line = assert_traced(log, "ok1@remote.test",
                              "<relayed.1@client.example>",
                              "relay-delivered")
    assert "relay=" in line and "127.0.0.1" in line, line
    # The relay session's summary line names the message too.
    assert [x for x in lines_of(log, "event=relay ") if f"id={qid} " in x]


def test_session_ids_differ_across_restarts(ferry_factory):
    f = ferry_factory()
    f.connect().cmd("QUIT")
    f.stop()
    f.start()
    f.connect().cmd("QUIT")
    assert wait_for(lambda: len(lines_of(f.log(), "event=disconnect")) >= 4)
    ids = re.findall(r"event=connect session=(\d+)", f.log())
    assert len(ids) == len(set(ids)) >= 4, f.log()
