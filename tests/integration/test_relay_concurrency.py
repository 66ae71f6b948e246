"""Connections per destination: slow start and a remote that takes only
a few connections at once ([relay] destination_concurrency and
destination_concurrency_initial).

The remote is the scripted aiosmtpd server of test_relay.py behind a
greeting that answers `421 4.7.0` to every connection beyond its limit,
as busy servers (and Postfix's smtpd_client_connection_count_limit) do.
Its DATA is slow, so that queued mail keeps every allowed connection busy
and ferry wants more.
"""
import asyncio
import re
import smtplib
import threading

import pytest

from conftest import free_port
# Skips this module, as test_relay, when aiosmtpd is missing.
from test_relay import (Remote, passwd,  # noqa: F401 (fixtures)
                        relay_ferry, wait_for)

from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import SMTP  # noqa: E402

TOO_MANY = "421 4.7.0 Error: too many connections from 127.0.0.1"


class SlowRemote(Remote):
    """Takes every recipient, 0.1 s per DATA."""

    async def handle_DATA(self, server, session, envelope):
        await asyncio.sleep(0.1)
        return await super().handle_DATA(server, session, envelope)


class LimitedController(Controller):
    """At most `limit` connections at once; the rest get TOO_MANY."""

    def __init__(self, handler, limit, **kw):
        super().__init__(handler, **kw)
        self.limit = limit
        self.open = 0
        self.most = 0       # most connections served at once
        self.refused = 0    # connections greeted with TOO_MANY
        self.lock = threading.Lock()

    def factory(self):
        ctl = self

        class Limited(SMTP):
            over = False

            def connection_made(self, transport):
                with ctl.lock:
                    ctl.open += 1
                    self.over = ctl.open > ctl.limit
                    if self.over:
                        ctl.refused += 1
                    else:
                        ctl.most = max(ctl.most, ctl.open)
                super().connection_made(transport)

            def connection_lost(self, exc):
                with ctl.lock:
                    ctl.open -= 1
                super().connection_lost(exc)

            async def _handle_client(self):
                if self.over:
                    await self.push(TOO_MANY)
                    self.transport.close()
                    return
                await super()._handle_client()

        return Limited(self.handler, **self.SMTP_kwargs)


@pytest.fixture
def limited_remote():
    started = []

    def make(limit):
        handler = SlowRemote()
        port = free_port()
        c = LimitedController(handler, limit, hostname="127.0.0.1", port=port)
        c.start()
        started.append(c)
        handler.port = port
        return handler, c

    yield make
    for c in started:
        c.stop()


def send_wide(f, n, domain):
    """One message to n recipients: with max_recipients = 1, n transactions
    due at once, whatever the machine's load."""
    rcpts = [f"m{i}@{domain}" for i in range(n)]
    with smtplib.SMTP("127.0.0.1", f.submission_port, timeout=30) as s:
        s.ehlo("client.example")
        s.login("alice", "pw")
        s.sendmail("alice@example.test", rcpts,
                   b"Subject: wide\r\n\r\nbody\r\n")
    return sorted(rcpts)


def test_remote_refusing_extra_connections(ferry_factory, limited_remote,
                                           passwd):
    """A remote that takes two connections at once and greets a third with
    421: ferry starts six transactions at once, lowers its limit at the
    first refusals,
    and delivers everything over the connections the remote accepts — not
    one recipient deferred (retry_min is ten minutes: a deferral would
    not be delivered within the test), the destination never backed off,
    and only a few connections refused, not one per message."""
    r, ctl = limited_remote(2)
    f = relay_ferry(ferry_factory, passwd, [("small.test", r.port)],
                    ["retry_min = 10m", "retry_max = 1h",
                     "max_recipients = 1",
                     "destination_concurrency = 10",
                     "destination_concurrency_initial = 6"])
    want = send_wide(f, 30, "small.test")
    assert wait_for(lambda: r.all_rcpts() == want, timeout=40), \
        f.log()[-3000:]
    log = f.log()
    assert ctl.refused >= 1, "ferry never went past the remote's limit"
    assert ctl.refused <= 8, f"{ctl.refused} connections refused"
    assert ctl.most <= 2
    assert "event=relay-concurrency domain=small.test" in log
    assert "event=relay-deferred" not in log
    assert "event=relay-backoff" not in log
    assert len(re.findall(r"event=relay-delivered", log)) == 30
    assert f.stop() == 0, f.log()[-3000:]


def test_slow_start_grows_to_the_limit(ferry_factory, limited_remote, passwd):
    """A remote with room for many: ferry starts at
    destination_concurrency_initial (2) and opens more as transactions
    succeed, up to destination_concurrency (4), never beyond."""
    r, ctl = limited_remote(50)
    f = relay_ferry(ferry_factory, passwd, [("big.test", r.port)],
                    ["max_recipients = 1",
                     "destination_concurrency = 4",
                     "destination_concurrency_initial = 2"])
    want = send_wide(f, 40, "big.test")
    assert wait_for(lambda: r.all_rcpts() == want, timeout=40), \
        f.log()[-3000:]
    assert ctl.refused == 0
    assert ctl.most == 4
    assert f.stop() == 0, f.log()[-3000:]
