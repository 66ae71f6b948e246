"""Relay control: who may relay without AUTH ([relay] trusted_networks),
the domains ferry forwards for ([relay_domain NAME]) and the lookup tables
behind them (text and CDB maps), driven by smtplib.

The outside client is the same host seen from a second loopback address:
smtplib binds its end to 127.0.0.2 (source_address), which the whole
127.0.0.0/8 routes to on Linux, so ferry sees a client outside a
127.0.0.1/32 trusted network.
"""
import os
import smtplib
import subprocess
import threading
import time

import pytest

aiosmtpd = pytest.importorskip("aiosmtpd.controller")
from aiosmtpd.controller import Controller  # noqa: E402

from conftest import FERRY, free_port, make_workdir, wait_for  # noqa: E402

OUTSIDE = ("127.0.0.2", 0)
DENIED = b"Relay access denied"


class Sink:
    """The next hop: takes every message and remembers it."""

    def __init__(self):
        self.received = []  # (mail_from, rcpt_tos, data)
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received.append((envelope.mail_from,
                                  list(envelope.rcpt_tos), envelope.content))
        return "250 2.0.0 Ok: queued"

    def rcpts(self):
        with self.lock:
            return sorted(r for _, rs, _ in self.received for r in rs)


@pytest.fixture
def sink():
    handler = Sink()
    port = free_port()
    c = Controller(handler, hostname="127.0.0.1", port=port)
    c.start()
    handler.port = port
    yield handler
    c.stop()


def relay_settings(*lines):
    return ["[relay]", "resolv_conf = none", "retry_min = 1s",
            "retry_max = 2s", "connect_timeout = 5s"] + list(lines)


def rcpt(f, to, source=None, sender="app@example.test"):
    """The RCPT reply (code, text) for one recipient, then QUIT."""
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30,
                      source_address=source) as s:
        s.ehlo("client.example")
        s.mail(sender)
        return s.rcpt(to)


def send(f, rcpts, source=None, subject="relay control"):
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30,
                      source_address=source) as s:
        s.ehlo("client.example")
        return s.sendmail("app@example.test", rcpts,
                          f"Subject: {subject}\r\nFrom: app@example.test\r\n"
                          f"\r\nbody\r\n".encode())


def test_trusted_network_relays_without_auth(ferry_factory, sink):
    f = ferry_factory(extra=relay_settings(
        "trusted_networks = 127.0.0.1/32, ::1/128",
        f"transport = remote.test: 127.0.0.1:{sink.port}"))
    assert send(f, ["someone@remote.test"]) == {}
    assert wait_for(lambda: sink.rcpts() == ["someone@remote.test"]), \
        f.log()[-3000:]
    assert b"Subject: relay control" in sink.received[0][2]
    # The same server seen from outside the trusted network: refused.
    code, text = rcpt(f, "someone@remote.test", source=OUTSIDE)
    assert code == 554 and text.startswith(b"5.7.1 ") and DENIED in text
    assert "rule=recipient" in f.log()


def test_closed_relay_by_default(ferry_factory, sink):
    f = ferry_factory(extra=relay_settings(
        f"transport = remote.test: 127.0.0.1:{sink.port}"))
    code, text = rcpt(f, "someone@remote.test")
    assert (code, text) == (
        554, b"5.7.1 <someone@remote.test>: Relay access denied")
    # Local mail still flows.
    assert rcpt(f, "demo@example.test")[0] == 250


def test_trusted_network_keeps_routing_refusals(ferry_factory, sink):
    f = ferry_factory(extra=relay_settings(
        "trusted_networks = 127.0.0.0/8",
        f"transport = remote.test: 127.0.0.1:{sink.port}"))
    # %-hack and source routes stay refused, trusted or not.
    route = b"Source routes and % addressing are not accepted"
    for to in ("user%other.test@remote.test", "other.test!user@remote.test"):
        code, text = rcpt(f, to)
        assert code == 550 and text.startswith(b"5.7.1 ") and route in text
    assert rcpt(f, "someone@remote.test", source=OUTSIDE)[0] == 250


def test_old_policy_key_is_refused_with_its_new_name(tmp_path):
    conf = tmp_path / "ferry.conf"
    conf.write_text("[policy]\ntrusted_networks = 127.0.0.0/8\n")
    r = subprocess.run([FERRY, "check-config", "--config", str(conf)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert "ferry.conf:2: [policy] trusted_networks is now " \
        "exempt_networks" in r.stderr
