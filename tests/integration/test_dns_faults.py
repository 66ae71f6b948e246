"""DNS that misbehaves: a name server that never answers, answers
SERVFAIL, answers garbage, or answers truncated with nothing behind the
TCP retry (tests/integration/hostile_dns.py).

Outbound: each delivery attempt ends within [relay] dns_timeout, the
message is deferred with 4.4.3 (statuses.def, ST_ROUTE_DNS_TEMP), retried,
and delivered exactly once when DNS recovers; the daemon's memory stays
flat and it keeps taking mail meanwhile.

Inbound: with [mailauth] verify = yes the SPF check at MAIL and the DKIM
and DMARC checks after DATA are bounded by [mailauth] dns_timeout; under
enforce a check that runs out of time answers 451 4.7.24 (SPF), under
record the mail is taken with "temperror" in Authentication-Results.
"""
import os
import smtplib
import time

import pytest

from conftest import make_workdir, wait_for
from hostile_dns import HostileDns
from test_hostile_remotes import rss_kb
from test_relay import passwd, relay_ferry, remote_factory, submit  # noqa: F401

DNS_TIMEOUT = 2
RECORDS = {("faulty.example", "MX"): ["10 mx.faulty.example"],
           ("mx.faulty.example", "A"): ["127.0.0.1"]}


def dns_ferry(ferry_factory, passwd, dns, sink_port):
    return relay_ferry(ferry_factory, passwd, [], [
        f"port = {sink_port}", f"dns_forwarder = {dns.forwarder}",
        f"dns_timeout = {DNS_TIMEOUT}s"])


def deferrals(f, rcpt):
    return [x for x in f.log().splitlines()
            if "event=relay-deferred" in x and rcpt in x]


@pytest.mark.parametrize("mode", ["timeout", "servfail", "garbage",
                                  "truncate"])
def test_dns_fault_defers_then_delivers_once(ferry_factory, passwd,
                                             remote_factory, mode):
    sink = remote_factory()
    dns = HostileDns(RECORDS, mode)
    try:
        f = dns_ferry(ferry_factory, passwd, dns, sink.port)
        base = peak = rss_kb(f.proc.pid)
        t0 = time.monotonic()
        submit(f, ["far@faulty.example"])
        # Two failed attempts, each bounded by dns_timeout.
        while len(deferrals(f, "far@faulty.example")) < 2 and \
                time.monotonic() - t0 < 6 * DNS_TIMEOUT + 10:
            peak = max(peak, rss_kb(f.proc.pid))
            time.sleep(0.05)
        lines = deferrals(f, "far@faulty.example")
        took = time.monotonic() - t0
        assert len(lines) >= 2, f.log()
        assert "4.4.3" in lines[0], lines[0]
        assert took < 2 * (DNS_TIMEOUT + 2) + 4, took
        assert dns.count(mode) >= 1
        assert not sink.all_rcpts()
        # The daemon keeps taking mail while DNS is down.
        submit(f, ["demo@example.test"])
        assert f.wait_maildir("demo", 1, timeout=10)
        dns.mode = "ok"
        assert wait_for(lambda: sink.all_rcpts() == ["far@faulty.example"],
                        timeout=30), f.log()
        delivered = [x for x in f.log().splitlines()
                     if "event=relay-delivered" in x]
        print(f"{mode}: {len(lines)} deferrals in {took:.1f} s, "
              f"delivered {time.monotonic() - t0:.1f} s after submission, "
              f"RSS {base} -> {peak} kB, {dns.count()} queries")
        assert peak - base < 8 * 1024, (base, peak)
        time.sleep(1.5)
        assert sink.all_rcpts() == ["far@faulty.example"]  # exactly once
        assert len(delivered) == 1
    finally:
        dns.close()


def test_mta_sts_txt_is_reused_for_its_ttl(ferry_factory, passwd,
                                           remote_factory):
    """The _mta-sts TXT answer is used again for its TTL, not longer."""
    sink = remote_factory()
    name = "_mta-sts.faulty.example"
    # A record without id: no policy, no fetch, but an answer to keep.
    dns = HostileDns({**RECORDS, (name, "TXT"): ["v=STSv1;"]}, "ok")
    dns.ttl = 5
    try:
        f = dns_ferry(ferry_factory, passwd, dns, sink.port)

        def asked():
            return sum(1 for q in dns.queries if q[1:] == (name, "TXT"))

        def send(rcpt):
            submit(f, [rcpt])
            assert wait_for(lambda: rcpt in sink.all_rcpts(),
                            timeout=20), f.log()

        send("t1@faulty.example")
        send("t2@faulty.example")
        assert asked() == 1  # the second message used the first answer
        time.sleep(dns.ttl + 1.5)
        send("t3@faulty.example")
        assert asked() == 2, dns.queries  # expired with its TTL
    finally:
        dns.close()


@pytest.fixture
def auth_dns():
    dns = HostileDns({}, "timeout")
    yield dns
    dns.close()


def inbound_ferry(ferry_factory, dns, *sections):
    d = make_workdir()
    zone = os.path.join(d, "local.zone")
    with open(zone, "w") as f:
        # libunbound answers 127.in-addr.arpa itself; let it ask instead.
        f.write("zone 127.in-addr.arpa. transparent\n")
    os.chmod(zone, 0o644)
    return ferry_factory(extra=[
        "[relay]", f"dns_forwarder = {dns.forwarder}",
        f"dns_local_data = {zone}"] + list(sections))


def timed(fn):
    t0 = time.monotonic()
    out = fn()
    return out, time.monotonic() - t0


def send_from(f, source, rcpt, body=b"Subject: t\r\nFrom: a@sender.example"
              b"\r\n\r\nhello\r\n"):
    """(MAIL reply, RCPT reply, DATA reply or None, seconds of each)."""
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30,
                      source_address=(source, 0)) as s:
        s.ehlo("client.example.net")
        mail, t_mail = timed(lambda: s.mail("a@sender.example"))
        rcpt_r, t_rcpt = timed(lambda: s.rcpt(rcpt))
        data, t_data = None, 0
        if rcpt_r[0] == 250:
            data, t_data = timed(lambda: s.data(body))
    return mail, rcpt_r, data, (t_mail, t_rcpt, t_data)


@pytest.mark.parametrize("enforce", ["record", "enforce"])
def test_mailauth_with_silent_dns_is_bounded(ferry_factory, auth_dns,
                                             enforce):
    f = inbound_ferry(ferry_factory, auth_dns, "[mailauth]", "verify = yes",
                      f"enforce = {enforce}", f"dns_timeout = {DNS_TIMEOUT}s")
    mail, rcpt, data, t = send_from(f, "127.0.0.1", "demo@example.test")
    print(f"{enforce}: MAIL {t[0]:.1f} s, RCPT {t[1]:.1f} s, "
          f"DATA {t[2]:.1f} s")
    assert auth_dns.count("timeout") >= 1  # the checks did ask
    assert mail[0] == 250
    assert max(t) < DNS_TIMEOUT + 1.5, t
    if enforce == "enforce":
        assert rcpt[0] == 451 and rcpt[1].startswith(b"4.7.24"), rcpt
        assert f.maildir_files("demo") == []
    else:
        assert rcpt[0] == 250 and data[0] == 250, (rcpt, data)
        files = f.wait_maildir("demo", 1)
        text = open(files[0], "rb").read().decode()
        assert "spf=temperror" in text and "dmarc=temperror" in text, text
    # The daemon keeps serving: the same again answers as fast.
    assert send_from(f, "127.0.0.1", "bob@example.test")[1][0] == rcpt[0]


def test_policy_dns_checks_with_silent_dns_are_bounded(ferry_factory,
                                                      auth_dns):
    f = inbound_ferry(ferry_factory, auth_dns, "[policy]",
                      "exempt_networks = none", "dns_timeout_ms = 1500",
                      "dnsbl = bl.example", "reverse_dns = ptr")
    mail, rcpt, data, t = send_from(f, "127.0.0.2", "demo@example.test")
    print(f"dnsbl + reverse_dns: RCPT {t[1]:.1f} s")
    # The block list that cannot be asked does not block; the reverse
    # name that cannot be found is a temporary refusal (450 4.7.1).
    assert rcpt[0] == 450 and rcpt[1].startswith(b"4.7.1"), rcpt
    assert t[1] < 2 * 1.5 + 1.5, t
    assert {q[1] for q in auth_dns.queries} >= {
        "2.0.0.127.bl.example", "2.0.0.127.in-addr.arpa"}
