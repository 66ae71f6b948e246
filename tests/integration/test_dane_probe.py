"""DANE out of the box: the default level (tls = dane) and the DNSSEC
availability probe, with real DNSSEC validation.

The signed zone of test_dane.py is served by NSD on loopback; a second
NSD serves the same names unsigned (a resolver that strips DNSSEC).
ferry's trust anchor is the signed zone's keys in both cases, so the probe
(the DNSKEY records of dane.example., the anchor's owner name) validates
through the first server and not through the second.  A UDP relay in
front of both lets a test switch ferry's resolver from one to the other
while it runs.  No test sets tls: the default is what is tested.
"""
import signal
import socket
import threading
import time

import pytest

pytest.importorskip("aiosmtpd.controller")

from conftest import free_port, wait_for  # noqa: E402
from dnssec_zone import DnssecServer, tools_missing  # noqa: E402
from test_dane import (HOSTS, line_of, pki, sinks, dns,  # noqa: E402,F401
                       Sinks)
from test_metrics import scrape, value  # noqa: E402
from test_relay import relay_ferry, submit  # noqa: E402
from test_relay import passwd  # noqa: E402,F401  (fixture)

if tools_missing():
    pytest.skip("needs " + ", ".join(tools_missing()) +
                " (nsd, ldnsutils)", allow_module_level=True)


class SwitchableDns:
    """Relays UDP DNS queries to one of two servers, switchable."""

    def __init__(self, port):
        self.target = port
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.sock.settimeout(0.2)
        self.running = True
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self):
        while self.running:
            try:
                pkt, peer = self.sock.recvfrom(4096)
            except OSError:
                continue
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as up:
                up.settimeout(2)
                try:
                    up.sendto(pkt, ("127.0.0.1", self.target))
                    self.sock.sendto(up.recv(65535), peer)
                except OSError:
                    pass

    def close(self):
        self.running = False
        self.thread.join(5)
        self.sock.close()


@pytest.fixture(scope="module")
def stripped(dns):
    """The names of the signed zone, served without DNSSEC."""
    zones = {}
    for name, (records, signed) in dns.zones.items():
        zones[name] = records
    server = DnssecServer()
    for name, records in zones.items():
        server.zone(name, records, signed=False)
    server.start()
    yield server
    server.stop()


def default_ferry(ferry_factory, passwd, dns_port, anchor, port, *extra):
    """No tls line: the default level.  f.metrics: its metrics port."""
    mport = free_port()
    f = relay_ferry(ferry_factory, passwd, [], [
        f"port = {port}", f"dns_forwarder = 127.0.0.1@{dns_port}",
        f"dnssec_trust_anchor = {anchor}", *extra],
        ["[metrics]", f"listen = 127.0.0.1:{mport}"])
    f.metrics = mport
    return f


def gauge(f):
    return value(scrape(f.metrics)[0], "ferry_relay_dnssec_available")


def events(f, name):
    return [x for x in f.log().splitlines() if f"event={name} " in x + " "]


def test_signed_answers_probe_available_and_mismatch_defers(
        ferry_factory, passwd, dns, sinks):
    before = len(sinks.tls.seen)
    f = default_ferry(ferry_factory, passwd, dns.port, dns.anchor,
                      sinks.tls_port)
    submit(f, ["x@bad.dane.example"])
    line = line_of(f, "relay-deferred", "x@bad.dane.example")
    assert "4.7.5" in line and "no matching DANE TLSA records" in line, line
    assert "tls_policy=" not in line, line
    assert len(sinks.tls.seen) == before  # not even RCPT
    assert "x@bad.dane.example" not in sinks.tls.all_rcpts()
    up = events(f, "dnssec-available")
    assert len(up) == 1 and "zone=dane.example." in up[0], f.log()
    assert events(f, "dnssec-unavailable") == []
    assert gauge(f) == 1
    submit(f, ["y@ok.dane.example"])
    assert "tls=dane-verified" in line_of(f, "relay-delivered",
                                          "y@ok.dane.example")


def test_stripped_answers_probe_unavailable_and_deliver_opportunistically(
        ferry_factory, passwd, dns, stripped, sinks):
    f = default_ferry(ferry_factory, passwd, stripped.port, dns.anchor,
                      sinks.tls_port, "dnssec_probe_interval = 1s")
    # The mismatching TLSA record cannot be validated: opportunistic TLS.
    submit(f, ["u@bad.dane.example"])
    line = line_of(f, "relay-delivered", "u@bad.dane.example")
    assert "tls=untrusted" in line, line
    assert "tls_policy=dane-unavailable" in line, line
    assert "u@bad.dane.example" in sinks.tls.all_rcpts()
    down = events(f, "dnssec-unavailable")
    assert len(down) == 1, f.log()
    assert "zone=dane.example." in down[0] and "reason=" in down[0], down[0]
    assert gauge(f) == 0
    # Probes go on every second: the state is logged once, not each time.
    time.sleep(2.5)
    submit(f, ["v@ok.dane.example"])
    assert "tls=untrusted" in line_of(f, "relay-delivered",
                                      "v@ok.dane.example")
    assert len(events(f, "dnssec-unavailable")) == 1, f.log()
    assert events(f, "dnssec-available") == []


def test_probe_notices_dnssec_coming_back(ferry_factory, passwd, dns,
                                          stripped, sinks):
    relay = SwitchableDns(stripped.port)
    try:
        f = default_ferry(ferry_factory, passwd, relay.port, dns.anchor,
                          sinks.tls_port, "dnssec_probe_interval = 1s")
        assert wait_for(lambda: events(f, "dnssec-unavailable"),
                        timeout=10), f.log()
        relay.target = dns.port
        assert wait_for(lambda: events(f, "dnssec-available"),
                        timeout=10), f.log()
        before = len(sinks.tls.seen)
        submit(f, ["z@bad.dane.example"])
        line = line_of(f, "relay-deferred", "z@bad.dane.example")
        assert "4.7.5" in line and "tls_policy=" not in line, line
        assert len(sinks.tls.seen) == before
    finally:
        relay.close()


def test_reload_probes_again(ferry_factory, passwd, dns, stripped, sinks):
    # A long interval: only the reload can notice the mended resolver.
    relay = SwitchableDns(stripped.port)
    try:
        f = default_ferry(ferry_factory, passwd, relay.port, dns.anchor,
                          sinks.tls_port, "dnssec_probe_interval = 1h")
        assert wait_for(lambda: events(f, "dnssec-unavailable"),
                        timeout=10), f.log()
        relay.target = dns.port
        f.proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: events(f, "dnssec-available"),
                        timeout=10), f.log()
    finally:
        relay.close()


@pytest.mark.parametrize("server,rcpt", [
    ("stripped", "o1@ok.dane.example"),   # no DNSSEC at all
    ("signed", "o2@plain.example"),       # an unsigned destination
])
def test_dane_only_never_degrades(ferry_factory, passwd, dns, stripped,
                                  sinks, server, rcpt):
    before = len(sinks.tls.seen)
    f = default_ferry(ferry_factory, passwd,
                      (stripped if server == "stripped" else dns).port,
                      dns.anchor, sinks.tls_port, "tls = dane-only")
    submit(f, [rcpt])
    line = line_of(f, "relay-deferred", rcpt)
    if server == "stripped":  # the MX records themselves are bogus
        assert "4.4.3 DNSSEC validation failed for MX" in line, line
    else:
        assert "4.7.5" in line and "dane-only" in line, line
    assert len(sinks.tls.seen) == before
    submit(f, ["o3@ok.dane.example"])
    if server == "signed":
        assert "tls=dane-verified" in line_of(f, "relay-delivered",
                                              "o3@ok.dane.example")
