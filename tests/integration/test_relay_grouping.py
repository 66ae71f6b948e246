"""One transaction per message to a smarthost whatever the recipients'
domains, and one bounce per message that lists every failed recipient,
even when a 452 split the message over two transactions."""
import pytest

pytest.importorskip("aiosmtpd.controller")

from test_relay import (dsn_in, relay_ferry, remote_factory,  # noqa: F401
                        status_blocks, submit, wait_for)
from test_relay import passwd  # noqa: F401  (fixture)


def test_one_transaction_to_the_smarthost(ferry_factory, remote_factory,
                                          passwd):
    r = remote_factory()
    f = relay_ferry(ferry_factory, passwd, [],
                    [f"smarthost = 127.0.0.1:{r.port}"])
    rcpts = ["a@one.example", "b@two.example", "c@three.example",
             "d@one.example"]
    submit(f, rcpts)
    assert wait_for(lambda: r.all_rcpts() == sorted(rcpts)), f.log()
    assert r.transactions == [4]


def test_tls_required_domain_keeps_its_own_transaction(ferry_factory,
                                                      remote_factory, passwd):
    r = remote_factory()  # no STARTTLS: the TLS-only domain waits
    f = relay_ferry(ferry_factory, passwd, [],
                    [f"smarthost = 127.0.0.1:{r.port}",
                     "tls_required_domains = bank.example"])
    submit(f, ["a@one.example", "x@bank.example", "b@two.example"])
    assert wait_for(lambda: r.all_rcpts() == ["a@one.example",
                                              "b@two.example"]), f.log()
    assert wait_for(lambda: "to=x@bank.example" in f.log())
    assert r.transactions == [2]
    assert "x@bank.example" not in r.all_rcpts()


def test_one_bounce_for_a_split_message(ferry_factory, remote_factory,
                                        passwd):
    # The remote takes 2 recipients per transaction: unknown-b is split
    # off to a second transaction, and refused there as unknown-a was in
    # the first.
    r = remote_factory(rcpt_limit=2)
    f = relay_ferry(ferry_factory, passwd, [("remote.test", r.port)])
    submit(f, ["unknown-a@remote.test", "ok1@remote.test", "ok2@remote.test",
               "unknown-b@remote.test"])
    dsn = dsn_in(f)
    assert wait_for(lambda: f.log().count("event=relay-bounced") == 2)
    blocks = status_blocks(dsn)
    failed = sorted(b["Final-Recipient"] for b in blocks[1:])
    assert failed == ["rfc822; unknown-a@remote.test",
                      "rfc822; unknown-b@remote.test"]
    assert f.log().count("event=dsn ") == 1
    assert len(f.maildir_files("alice")) == 1
    assert r.all_rcpts() == ["ok1@remote.test", "ok2@remote.test"]
