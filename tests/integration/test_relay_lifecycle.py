"""The relay's connections over their whole life: kept open between
transactions, handed to the next one (after a deferral, a 452 split, a
rate-limit back-off, a drop mid-DATA), idling out while a retry comes
due, and shutdown with connections in every state.  Every test ends with
SIGTERM, which must exit cleanly; under `make SAN=1` the fixture also
fails on any sanitizer report.

The remotes are the scripted aiosmtpd servers of test_relay.py.
"""
import asyncio
import collections
import email
import email.policy
import os
import random
import re
import smtplib
import socket
import subprocess
import threading
import time

import pytest

from conftest import FERRY, free_port
# Skips this module, as test_relay, when aiosmtpd is missing.
from test_relay import (Remote, dsn_in, passwd,  # noqa: F401 (fixtures)
                        relay_ferry, remote_factory, status_blocks, submit,
                        wait_for)

from aiosmtpd.controller import Controller  # noqa: E402

DEFER_451 = "451 4.3.0 Temporary local problem, try again later"


def queue_list(f):
    return subprocess.run([FERRY, "queue", "--config", f.config_path, "list"],
                          capture_output=True, text=True).stdout


def queue_empty(f):
    return "Mail queue is empty" in queue_list(f)


def stop_cleanly(f):
    assert f.stop() == 0, f.log()[-3000:]
    assert "double free" not in f.log()


def test_retries_on_cached_connection_then_expire(ferry_factory,
                                                  remote_factory, passwd):
    """A destination that defers every RCPT, retried faster than a kept
    connection idles out: some retries come due just as the previous
    connection's idle time ends (connection_cache_time, 2 s).  Every
    retry happens on schedule, the message expires with a 4.4.7 report
    about max_queue_lifetime after it arrived, and SIGTERM exits
    cleanly."""
    r = remote_factory(rcpt_reply=DEFER_451)
    f = relay_ferry(ferry_factory, passwd, [("slow.test", r.port)],
                    ["retry_min = 1s", "retry_max = 2s",
                     "max_queue_lifetime = 6s"])
    t0 = time.monotonic()
    submit(f, ["never@slow.test"])
    per_rcpt = status_blocks(dsn_in(f, timeout=20))[1]
    took = time.monotonic() - t0
    assert per_rcpt["Status"] == "4.4.7", f.log()[-3000:]
    assert per_rcpt["Action"] == "failed"
    assert "never@slow.test" in per_rcpt["Final-Recipient"]
    # The arrival time is kept in whole seconds and the scheduler ticks
    # once a second: the report comes within about a second of 6 s.
    assert abs(took - 6) <= 1.2, (took, f.log()[-3000:])
    times = [t - t0 for t, _ in r.rcpt_times]
    assert len(times) >= 4, (times, f.log()[-3000:])
    gaps = [b - a for a, b in zip(times, times[1:])]
    # retry_min 1 s, then retry_max 2 s, the last one cut short by the
    # lifetime.  Retry times are whole seconds, taken up by a once-a-second
    # tick: each may come up to 1 s early or late, never later.
    assert all(0 < g <= 3.1 for g in gaps), (gaps, f.log()[-3000:])
    assert all(g >= 0.9 for g in gaps[1:-1]), (gaps, f.log()[-3000:])
    log = f.log()
    assert log.count("event=relay-deferred") == len(times), log[-3000:]
    assert log.count("event=relay-expired") == 1
    assert wait_for(lambda: queue_empty(f), timeout=5), queue_list(f)
    stop_cleanly(f)


def test_retry_due_while_kept_connection_quits(ferry_factory,
                                               remote_factory, passwd):
    """The kept connection idles out (1 s) and the remote takes 1.5 s to
    answer its QUIT, so every retry (2 s) comes due while the previous
    connection is ending: they go over new connections, on schedule, and
    the message expires on time."""
    r = remote_factory(rcpt_reply=DEFER_451, quit_delay=1.5)
    f = relay_ferry(ferry_factory, passwd, [("slow.test", r.port)],
                    ["retry_min = 2s", "retry_max = 2s",
                     "max_queue_lifetime = 6s",
                     "connection_cache_time = 1s"])
    t0 = time.monotonic()
    submit(f, ["never@slow.test"])
    per_rcpt = status_blocks(dsn_in(f, timeout=20))[1]
    took = time.monotonic() - t0
    assert per_rcpt["Status"] == "4.4.7", f.log()[-3000:]
    assert abs(took - 6) <= 1.2, (took, f.log()[-3000:])
    times = [t - t0 for t, _ in r.rcpt_times]
    assert len(times) >= 3, (times, f.log()[-3000:])
    # Retries meet ending connections and open new ones (one may still
    # come just before the first connection's idle end and take it).
    assert len(r.sessions) >= len(times) - 1 >= 2, (r.sessions, times)
    assert r.quits >= 2
    assert wait_for(lambda: queue_empty(f), timeout=5), queue_list(f)
    stop_cleanly(f)


@pytest.mark.parametrize("cache_time", ["1s", "5s"])
def test_deferral_retried_on_kept_connection(ferry_factory, remote_factory,
                                             passwd, cache_time):
    """451 (greylisting) to every recipient: RSET, the connection is kept,
    and the retry a second later goes over it (5 s) or races its idle end
    (1 s, the same as retry_min): delivered either way, nothing left."""
    r = remote_factory()
    f = relay_ferry(ferry_factory, passwd, [("remote.test", r.port)],
                    [f"connection_cache_time = {cache_time}",
                     "destination_concurrency = 1"])
    rcpts = ["grey1@remote.test", "grey2@remote.test"]
    submit(f, rcpts)
    assert wait_for(lambda: r.all_rcpts() == rcpts, timeout=15), \
        f.log()[-3000:]
    if cache_time == "5s":
        assert len(r.sessions) == 1  # the retry used the kept connection
    assert f.log().count("event=relay-deferred") == 2
    assert wait_for(lambda: queue_empty(f), timeout=5), queue_list(f)
    stop_cleanly(f)


def test_452_split_continues_on_the_same_connection(ferry_factory,
                                                    remote_factory, passwd):
    """452 4.5.3 after three recipients: the rest go in new transactions
    at once, over the connection the first one kept."""
    r = remote_factory(rcpt_limit=3)
    f = relay_ferry(ferry_factory, passwd, [("remote.test", r.port)],
                    ["connection_cache_time = 5s",
                     "destination_concurrency = 1"])
    rcpts = [f"ok{i}@remote.test" for i in range(7)]
    submit(f, rcpts)
    assert wait_for(lambda: r.all_rcpts() == sorted(rcpts)), f.log()[-3000:]
    assert r.transactions == [3, 3, 1]
    assert len(r.sessions) == 1
    assert "relay-deferred" not in f.log()
    assert wait_for(lambda: queue_empty(f), timeout=5), queue_list(f)
    stop_cleanly(f)


@pytest.mark.parametrize("cache_time", ["1s", "5s"])
def test_rate_limit_back_off_then_kept_connection(ferry_factory,
                                                  remote_factory, passwd,
                                                  cache_time):
    """450 4.2.1 "too quickly": the destination backs off, the connection
    is kept (RSET), and the retry after the back-off takes it (5 s) or
    meets its idle end (1 s)."""
    r = remote_factory()
    f = relay_ferry(ferry_factory, passwd, [("remote.test", r.port)],
                    [f"connection_cache_time = {cache_time}",
                     "destination_concurrency = 1"])
    submit(f, ["rate1@remote.test"])
    submit(f, ["ok-after@remote.test"])
    assert wait_for(lambda: r.all_rcpts() ==
                    ["ok-after@remote.test", "rate1@remote.test"],
                    timeout=15), f.log()[-3000:]
    assert "event=relay-backoff domain=remote.test" in f.log()
    if cache_time == "5s":
        assert len(r.sessions) == 1
    assert f.maildir_files("alice") == []  # retried, never bounced
    assert wait_for(lambda: queue_empty(f), timeout=5), queue_list(f)
    stop_cleanly(f)


def test_drop_mid_data_on_kept_connection(ferry_factory, remote_factory,
                                          passwd):
    """The second message goes over the connection the first one kept,
    and the remote drops it in DATA: not delivered, not reused, retried on
    a new connection, delivered once."""
    r = remote_factory(drop_data_nth=[2])
    f = relay_ferry(ferry_factory, passwd, [("remote.test", r.port)],
                    ["connection_cache_time = 5s",
                     "destination_concurrency = 1"])
    submit(f, ["first@remote.test"])
    assert wait_for(lambda: len(r.received) == 1), f.log()[-3000:]
    submit(f, ["second@remote.test"])
    assert wait_for(lambda: r.all_rcpts() ==
                    ["first@remote.test", "second@remote.test"],
                    timeout=15), f.log()[-3000:]
    assert len(r.sessions) == 2
    assert r.ndata == 3
    assert f.log().count("event=relay-deferred") == 1
    assert wait_for(lambda: queue_empty(f), timeout=5), queue_list(f)
    stop_cleanly(f)


def test_sigterm_with_connections_in_every_state(ferry_factory,
                                                 remote_factory, passwd):
    """SIGTERM while some connections are kept idle, some are in a
    transaction (a slow remote) and some retries are pending: a clean
    exit, every recipient still queued or delivered."""
    fast = remote_factory()
    slow = remote_factory()
    f = relay_ferry(ferry_factory, passwd,
                    [("fast.test", fast.port), ("slow.test", slow.port)],
                    ["connection_cache_time = 30s"])
    submit(f, ["ok1@fast.test"])
    submit(f, ["grey1@fast.test"])
    submit(f, ["slow1@slow.test", "slow2@slow.test"])
    assert wait_for(lambda: "ok1@fast.test" in fast.all_rcpts())
    time.sleep(0.3)
    stop_cleanly(f)


class SlowDot(Remote):
    """A remote that keeps the message, then takes `delay` seconds to
    answer the final dot."""

    def __init__(self, delay):
        super().__init__()
        self.delay = delay
        self.data_started = threading.Event()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received.append((envelope.mail_from,
                                  list(envelope.rcpt_tos), envelope.content))
        self.data_started.set()
        await asyncio.sleep(self.delay)
        return "250 2.0.0 Ok: queued"


def test_sigterm_lets_a_transaction_at_the_final_dot_finish(
        ferry_factory, passwd):
    """SIGTERM while the remote has the whole message and has not yet
    answered the final dot: ferry waits for the answer and records the
    delivery before it exits, so the restart does not send the message a
    second time (a duplicate for the recipient)."""
    r = SlowDot(delay=2)
    port = free_port()
    c = Controller(r, hostname="127.0.0.1", port=port)
    c.start()
    try:
        r.port = port
        f = relay_ferry(ferry_factory, passwd, [("slow.test", port)])
        submit(f, ["once@slow.test"])
        assert r.data_started.wait(10), f.log()[-3000:]
        t0 = time.monotonic()
        stop_cleanly(f)
        took = time.monotonic() - t0
        log = f.log()
        assert "event=relay-delivered" in log, log[-3000:]
        assert "stage=\"relay transactions ended\"" in log, log[-3000:]
        assert 1.0 <= took < 10, took
        f.start()
        assert wait_for(lambda: queue_empty(f), timeout=5), queue_list(f)
        time.sleep(1.5)  # a retry (retry_min 1 s) would have come by now
        assert len(r.received) == 1, f.log()[-6000:]
        stop_cleanly(f)
    finally:
        c.stop()


def test_sigterm_does_not_wait_for_a_silent_remote(ferry_factory, passwd):
    """A remote that accepts the connection and never greets: nothing of
    the message has been sent, so SIGTERM ends that attempt at once
    instead of waiting out the greeting timeout, and the message stays
    queued."""
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(5)
    try:
        f = relay_ferry(ferry_factory, passwd,
                        [("silent.test", silent.getsockname()[1])])
        submit(f, ["later@silent.test"])
        silent.settimeout(10)
        conn, _ = silent.accept()
        t0 = time.monotonic()
        stop_cleanly(f)
        assert time.monotonic() - t0 < 5, f.log()[-3000:]
        conn.close()
        assert "later@silent.test" in queue_list(f)
    finally:
        silent.close()


# ---- bounded randomized run ----

class Flaky(Remote):
    """A remote that answers each RCPT at random: 250, 451, 550 or a
    dropped connection (and sometimes drops in DATA)."""

    def __init__(self, rng, lock, weights):
        # A slow answer to QUIT (up to 1.5 s) keeps connections that
        # idled out (1 s) ending while retries (2 s) come due.
        super().__init__(quit_delay=lambda: self.pick([0, 0.5, 1.5],
                                                      [1, 1, 2]))
        self.rng, self.rng_lock, self.weights = rng, lock, weights
        self.rcpt_calls = 0

    def pick(self, choices, weights):
        with self.rng_lock:
            return self.rng.choices(choices, weights)[0]

    async def handle_RCPT(self, server, session, envelope, address, options):
        with self.lock:
            self.rcpt_calls += 1
        what = self.pick(["250", "451", "550", "drop"], self.weights)
        if what == "drop":
            server.transport.close()
            return DEFER_451  # never read: the connection is gone
        if what == "451":
            return DEFER_451
        if what == "550":
            return ("550 5.1.1 <%s>: Recipient address rejected: "
                    "User unknown" % address)
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.pick([True, False], [1, 9]):
            server.transport.close()
            return "421 4.3.0 gone"
        with self.lock:
            self.received.append((envelope.mail_from,
                                  list(envelope.rcpt_tos), envelope.content))
        return "250 2.0.0 Ok: queued"


FINAL_EVENTS = ("relay-delivered", "relay-bounced", "relay-expired")


def final_events(log):
    """recipient -> list of final events in the daemon's log."""
    seen = collections.defaultdict(list)
    for m in re.finditer(r"event=(relay-\w+) id=\w+ to=(\S+)", log):
        if m.group(1) in FINAL_EVENTS:
            seen[m.group(2)].append(m.group(1))
    return seen


def dsn_recipients(f):
    """Final-Recipient of every failed report in the sender's mailbox."""
    out = []
    for path in f.maildir_files("alice"):
        with open(path, "rb") as fh:
            msg = email.message_from_bytes(fh.read(),
                                           policy=email.policy.default)
        for block in status_blocks(msg)[1:]:
            if block["Action"] == "failed":
                out.append(block["Final-Recipient"].split(";")[1].strip())
    return sorted(out)


def test_random_replies_every_recipient_accounted_for(ferry_factory, passwd):
    """Many messages to three destinations that answer each RCPT at random
    (250, 451, 550, dropped connection; sometimes a drop in DATA), with
    a 2 s retry, a 7 s lifetime, kept connections that idle out after
    1 s and remotes slow to answer QUIT, so that retries, reuse and
    connections that are ending meet all the time.  At the
    end every recipient is delivered, bounced or expired exactly once
    (none left in flight: the queue is empty), the remotes received
    exactly the delivered ones, and the sender got a failure report for
    exactly the bounced and expired ones."""
    seed = int(os.environ.get("FERRY_TEST_SEED", random.randrange(1 << 30)))
    rng, lock = random.Random(seed), threading.Lock()
    weights = {"a.test": [5, 3, 1, 1], "b.test": [3, 4, 1, 2],
               "c.test": [1, 7, 1, 1]}  # c: most of it expires
    remotes, controllers = {}, []
    try:
        for dom, w in weights.items():
            remotes[dom] = Flaky(rng, lock, w)
            port = free_port()
            c = Controller(remotes[dom], hostname="127.0.0.1", port=port)
            c.start()
            controllers.append(c)
            remotes[dom].port = port
        f = relay_ferry(ferry_factory, passwd,
                        [(d, r.port) for d, r in remotes.items()],
                        ["retry_min = 2s", "retry_max = 2s",
                         "max_queue_lifetime = 7s",
                         "connection_cache_time = 1s",
                         "destination_concurrency = 2",
                         "max_recipients = 3"])
        rcpts = []
        with smtplib.SMTP("127.0.0.1", f.submission_port, timeout=30) as s:
            s.ehlo("client.example")
            s.login("alice", "pw")
            for i in range(40):
                to = [f"m{i}r{j}@{rng.choice(list(weights))}"
                      for j in range(1 + i % 4)]
                rcpts += to
                s.sendmail("alice@example.test", to,
                           f"Subject: random {i}\r\n\r\nbody\r\n".encode())
        where = f"seed {seed} (FERRY_TEST_SEED)"

        def all_final():
            return len(final_events(f.log())) == len(rcpts)
        assert wait_for(all_final, timeout=25), (where, f.log()[-3000:])
        events = final_events(f.log())
        twice = {r: e for r, e in events.items() if len(e) != 1}
        assert not twice, (where, twice)
        outcome = collections.Counter(e[0] for e in events.values())
        assert sum(outcome.values()) == len(rcpts)
        delivered = sorted(r for r, e in events.items()
                           if e[0] == "relay-delivered")
        failed = sorted(r for r, e in events.items()
                        if e[0] != "relay-delivered")
        got = sorted(a for r in remotes.values() for a in r.all_rcpts())
        assert got == delivered, where
        assert wait_for(lambda: dsn_recipients(f) == failed, timeout=10), \
            (where, dsn_recipients(f), failed)
        assert wait_for(lambda: queue_empty(f), timeout=5), \
            (where, queue_list(f))
        assert outcome["relay-delivered"] > 0 and outcome["relay-bounced"] > 0
        assert sum(r.rcpt_calls for r in remotes.values()) > len(rcpts)
        stop_cleanly(f)
        print(where, dict(outcome))
    finally:
        for c in controllers:
            c.stop()
