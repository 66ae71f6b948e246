"""log_format = json: every line the daemon writes in a run parses as a
JSON object (also when a client sends quotes, control bytes and invalid
UTF-8), and one queue ID can be followed from arrival to final delivery:
queued, each delivery attempt and its result, the bounce."""
import json
import smtplib

import pytest

pytest.importorskip("aiosmtpd.controller")

from conftest import DOMAIN, RawClient, wait_for  # noqa: E402
from test_relay import passwd, relay_ferry, remote_factory  # noqa: E402,F401


def records(f):
    """Every line of the log as JSON; the bytes must be UTF-8."""
    with open(f.log_path, "rb") as fh:
        raw = fh.read()
    out = []
    for line in raw.decode("utf-8").splitlines():
        obj = json.loads(line)
        assert isinstance(obj, dict), line
        assert all(isinstance(v, str) for v in obj.values()), line
        out.append(obj)
    return out


def life_of(recs, qid):
    return [r["event"] for r in recs if r.get("id") == qid]


def submit(f, rcpt, subject):
    with smtplib.SMTP("127.0.0.1", f.submission_port, timeout=30) as s:
        s.ehlo("client.example")
        s.login("alice", "pw")
        s.sendmail(f"alice@{DOMAIN}", [rcpt],
                   f"Subject: {subject}\r\nMessage-ID: <{subject}@c.example>"
                   f"\r\n\r\nbody\r\n".encode())


def queued_id(recs, rcpt):
    """The queue ID given to the message for rcpt: its session's rcpt line
    joins the queued line, which carries both session and id."""
    sessions = {r["session"] for r in recs
                if r["event"] == "rcpt" and r.get("to") == rcpt}
    ids = [r["id"] for r in recs
           if r["event"] == "queued" and r.get("session") in sessions]
    assert len(ids) == 1, (rcpt, recs)
    return ids[0]


def test_json_log_follows_each_message(ferry_factory, remote_factory,
                                       passwd):
    remote = remote_factory()
    f = relay_ferry(ferry_factory, passwd, [("remote.test", remote.port)],
                    extra=["[server]", "log_format = json"])
    # a hostile client: quotes, backslashes, control and invalid bytes
    c = RawClient(f.port)
    c.send(b'EHLO "evil\\\x01\xff\xc3(\r\n')
    c.reply()
    c.cmd("EHLO evil.example")
    assert c.cmd('MAIL FROM:<"q\\"x y\\\\z"@c.example>').startswith("250")
    c.cmd("RSET")
    c.cmd("QUIT")
    submit(f, "grey-1@remote.test", "deferred-then-delivered")
    submit(f, "unknown-1@remote.test", "bounced")
    submit(f, f"bob@{DOMAIN}", "local")
    assert f.wait_maildir("bob", 1)
    assert wait_for(lambda: len(remote.received) >= 1, timeout=30), f.log()
    # the bounce comes back to alice, a local mailbox
    assert f.wait_maildir("alice", 1), f.log()
    assert wait_for(lambda: sum(r["event"] == "delivered"
                                for r in records(f)) >= 2)
    recs = records(f)
    assert recs[0]["event"] and all("ts" in r and "level" in r
                                    for r in recs)
    hostile = [r for r in recs if r["event"] == "mail" and
               "x y" in r["from"]]
    assert hostile and hostile[0]["from"].startswith('"q\\"x y\\\\z"'), \
        hostile
    # deferred at the first attempt, delivered at the second
    qid = queued_id(recs, "grey-1@remote.test")
    life = life_of(recs, qid)
    assert life[0] == "queued", life
    assert life.index("relay-delivered") > life.index("relay-deferred"), life
    done = [r for r in recs if r.get("id") == qid and
            r["event"] == "relay-delivered"][0]
    assert done["to"] == "grey-1@remote.test" and done["relay"]
    assert done["message-id"] == "<deferred-then-delivered@c.example>"
    assert int(done["delay"]) >= 0
    # refused for good: the bounce names the original and its own id
    qid = queued_id(recs, "unknown-1@remote.test")
    life = life_of(recs, qid)
    assert life[0] == "queued" and "relay-bounced" in life, life
    dsn = [r for r in recs if r.get("id") == qid and r["event"] == "dsn"]
    assert len(dsn) == 1, life
    assert "delivered" in life_of(recs, dsn[0]["dsn_id"]), recs
    # local delivery, direct: the copy is durable before the 250, which
    # is when the queued line is written
    qid = queued_id(recs, f"bob@{DOMAIN}")
    assert life_of(recs, qid) == ["delivered", "queued"]
