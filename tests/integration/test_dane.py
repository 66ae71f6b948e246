"""DANE for SMTP (RFC 7672) with real DNSSEC validation.

The MX hosts' records live in a zone signed at test time (ldns-signzone)
and served by NSD on loopback; ferry's resolver forwards to it
(dns_forwarder) and validates with the zone's keys as trust anchor
(dnssec_trust_anchor).  The remote MX hosts are aiosmtpd servers on
127.0.0.1 with a certificate a test CA signed, offering STARTTLS (or not).

  ok.dane.example       TLSA 3 1 1 of the server's key     delivered, dane-verified
  ta.dane.example       TLSA 2 0 1 of the test CA           delivered, dane-verified
  bad.dane.example      TLSA 3 1 1 of another key           deferred 4.7.5, nothing sent
  bogus.dane.example    TLSA whose signature does not match deferred 4.7.5, nothing sent
  pkix.dane.example     TLSA 1 1 1 only (unusable in SMTP)  TLS required, not verified
  mx.plain.example      unsigned zone, wrong TLSA           opportunistic: untrusted
  strip.dane.example    valid TLSA, remote without STARTTLS deferred 4.7.5, nothing sent
"""
import pathlib
import smtplib
import shutil
import ssl
import subprocess

import pytest

pytest.importorskip("aiosmtpd.controller")
from aiosmtpd.controller import Controller  # noqa: E402

from conftest import free_port, make_workdir, wait_for  # noqa: E402
from dnssec_zone import DnssecServer, tlsa_digest, tools_missing  # noqa: E402
from tlsrpt_check import tls_report  # noqa: E402
from test_relay import Remote, relay_ferry, submit  # noqa: E402
from test_relay import passwd  # noqa: E402,F401  (fixture)

if tools_missing():
    pytest.skip("needs " + ", ".join(tools_missing()) +
                " (nsd, ldnsutils)", allow_module_level=True)

HOSTS = ("mx-ok", "mx-ta", "mx-bad", "mx-bogus", "mx-pkix", "mx-strip")


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki():
    """A CA, a server certificate it signs for every MX name, and an
    unrelated key (for the TLSA record that must not match)."""
    d = pathlib.Path(make_workdir())
    p = {k: str(d / f"{k}.pem") for k in
         ("ca", "ca_key", "cert", "key", "csr", "chain", "other_key",
          "other")}
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", p["ca_key"], "-out", p["ca"],
            "-days", "2", "-subj", "/CN=ferry DANE test CA")
    openssl("req", *ec, "-keyout", p["key"], "-out", p["csr"],
            "-subj", "/CN=mx-ok.dane.example")
    ext = d / "ext.cnf"
    names = ",".join(f"DNS:{h}.dane.example" for h in HOSTS)
    ext.write_text(f"subjectAltName={names},DNS:mx.plain.example\n"
                   "basicConstraints=CA:FALSE\n")
    openssl("x509", "-req", "-in", p["csr"], "-CA", p["ca"], "-CAkey",
            p["ca_key"], "-CAcreateserial", "-out", p["cert"], "-days", "2",
            "-extfile", str(ext))
    openssl("req", "-x509", *ec, "-keyout", p["other_key"], "-out",
            p["other"], "-days", "2", "-subj", "/CN=somebody else")
    # DANE-TA: the server sends its CA along (RFC 7671 s5.2.2).
    with open(p["chain"], "w") as f:
        f.write(open(p["cert"]).read() + open(p["ca"]).read())
    yield p
    shutil.rmtree(d, ignore_errors=True)


class Sinks:
    """Two remote MX hosts: one with STARTTLS, one without."""

    def __init__(self, pki):
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(pki["chain"], pki["key"])
        self.tls = Remote()
        self.plain = Remote()
        self.tls_port = free_port()
        self.plain_port = free_port()
        self.controllers = [
            Controller(self.tls, hostname="127.0.0.1", port=self.tls_port,
                       tls_context=ctx),
            Controller(self.plain, hostname="127.0.0.1",
                       port=self.plain_port),
        ]
        for c in self.controllers:
            c.start()

    def stop(self):
        for c in self.controllers:
            c.stop()


@pytest.fixture(scope="module")
def sinks(pki):
    s = Sinks(pki)
    yield s
    s.stop()


@pytest.fixture(scope="module")
def dns(pki, sinks):
    good = tlsa_digest(pki["cert"], 1)
    other = tlsa_digest(pki["other"], 1)
    ca = tlsa_digest(pki["ca"], 0)
    records = []
    for h in HOSTS:
        records += [f"{h[3:]} IN MX 10 {h}", f"{h} IN A 127.0.0.1"]
    tlsa = {"mx-ok": f"3 1 1 {good}", "mx-ta": f"2 0 1 {ca}",
            "mx-bad": f"3 1 1 {other}", "mx-bogus": f"3 1 1 {good}",
            "mx-pkix": f"1 1 1 {good}", "mx-strip": f"3 1 1 {good}"}
    for port in (sinks.tls_port, sinks.plain_port):
        records += [f"_{port}._tcp.{h} IN TLSA {rr}"
                    for h, rr in tlsa.items()]
    server = DnssecServer()
    server.zone("dane.example", records)
    server.zone("plain.example", [
        "@ IN MX 10 mx", "mx IN A 127.0.0.1",
        f"_{sinks.tls_port}._tcp.mx IN TLSA 3 1 1 {other}"], signed=False)
    # Signed over the good digest, served with another one: bogus.
    for port in (sinks.tls_port, sinks.plain_port):
        server.spoil(f"_{port}._tcp.mx-bogus.dane.example", "TLSA",
                     f"3 1 1 {other}")
    server.start()
    yield server
    server.stop()


def dane_ferry(ferry_factory, passwd, dns, port, *extra):
    return relay_ferry(ferry_factory, passwd, [], [
        "tls = dane", f"port = {port}",
        f"dns_forwarder = 127.0.0.1@{dns.port}",
        f"dnssec_trust_anchor = {dns.anchor}", *extra])


def line_of(f, event, rcpt):
    assert wait_for(lambda: any(f"event={event}" in x and rcpt in x
                                for x in f.log().splitlines())), f.log()
    return [x for x in f.log().splitlines()
            if f"event={event}" in x and rcpt in x][0]


def test_matching_tlsa_delivers_dane_verified(ferry_factory, passwd, dns,
                                              sinks):
    f = dane_ferry(ferry_factory, passwd, dns, sinks.tls_port)
    for rcpt in ("a@ok.dane.example", "b@ta.dane.example"):
        submit(f, [rcpt])
        line = line_of(f, "relay-delivered", rcpt)
        assert "tls=dane-verified" in line, line
        assert "cipher=\"TLSv1." in line, line
    assert "a@ok.dane.example" in sinks.tls.all_rcpts()
    assert "b@ta.dane.example" in sinks.tls.all_rcpts()
    assert "event=dane" in f.log() and "policy=verify" in f.log()


@pytest.mark.parametrize("domain,why", [
    ("bad.dane.example", "no matching DANE TLSA records"),
    ("bogus.dane.example", "DNSSEC validation failed for TLSA"),
])
def test_failing_dane_defers_and_sends_nothing(ferry_factory, passwd, dns,
                                               sinks, domain, why):
    before = len(sinks.tls.seen)
    f = dane_ferry(ferry_factory, passwd, dns, sinks.tls_port)
    rcpt = f"x@{domain}"
    submit(f, [rcpt])
    line = line_of(f, "relay-deferred", rcpt)
    assert "4.7.5" in line and why in line, line
    assert rcpt not in sinks.tls.seen and len(sinks.tls.seen) == before
    assert rcpt not in sinks.tls.all_rcpts()


def test_starttls_stripped_defers(ferry_factory, passwd, dns, sinks):
    f = dane_ferry(ferry_factory, passwd, dns, sinks.plain_port)
    submit(f, ["y@strip.dane.example"])
    line = line_of(f, "relay-deferred", "y@strip.dane.example")
    assert "4.7.5" in line and "does not offer" in line, line
    assert sinks.plain.all_rcpts() == []
    assert "y@strip.dane.example" not in sinks.plain.seen


def test_unusable_tlsa_requires_tls_without_verifying(ferry_factory, passwd,
                                                      dns, sinks):
    f = dane_ferry(ferry_factory, passwd, dns, sinks.tls_port)
    submit(f, ["p@pkix.dane.example"])
    line = line_of(f, "relay-delivered", "p@pkix.dane.example")
    assert "tls=untrusted" in line, line
    assert "policy=encrypt" in f.log()
    # RFC 8460 s4.3.2.1: delivered, but counted as tlsa-invalid.
    pkix = tls_report(f, "pkix.dane.example")["policies"][0]
    assert pkix["summary"] == {"total-successful-session-count": 0,
                               "total-failure-session-count": 1}
    assert pkix["failure-details"][0]["result-type"] == "tlsa-invalid"


def test_insecure_zone_is_opportunistic(ferry_factory, passwd, dns, sinks):
    # The zone is not signed: its (mismatching) TLSA record is ignored.
    f = dane_ferry(ferry_factory, passwd, dns, sinks.tls_port)
    submit(f, ["q@plain.example"])
    line = line_of(f, "relay-delivered", "q@plain.example")
    assert "tls=untrusted" in line, line
    assert "event=dane" not in f.log()
    assert "q@plain.example" in sinks.tls.all_rcpts()


def test_missing_trust_anchor_is_a_config_error(ferry_factory, passwd, dns,
                                                sinks):
    with pytest.raises(RuntimeError) as e:
        dane_ferry(ferry_factory, passwd, dns, sinks.tls_port,
                   "dnssec_trust_anchor = /nonexistent/root.key")
    assert "dnssec_trust_anchor: cannot read" in str(e.value)


def test_tls_required_no_header_waives_dane(ferry_factory, passwd, dns,
                                            sinks):
    # RFC 8689 s5: the sender asks that the recipient's TLS policy be
    # ignored; the mismatching TLSA record then stops nothing.
    f = dane_ferry(ferry_factory, passwd, dns, sinks.tls_port)
    with smtplib.SMTP("127.0.0.1", f.submission_port, timeout=30) as s:
        s.login("alice", "pw")
        s.sendmail("alice@example.test", ["w@bad.dane.example"],
                   b"Subject: waived\r\nFrom: alice@example.test\r\n"
                   b"TLS-Required: No\r\n\r\nbody\r\n")
    line = line_of(f, "relay-delivered", "w@bad.dane.example")
    assert "tls=untrusted" in line, line
    assert "w@bad.dane.example" in sinks.tls.all_rcpts()


def test_tls_report_of_a_day(ferry_factory, passwd, dns, sinks):
    f = dane_ferry(ferry_factory, passwd, dns, sinks.tls_port)
    for rcpt in ("r1@ok.dane.example", "r2@ok.dane.example",
                 "r3@bad.dane.example", "r4@bogus.dane.example"):
        submit(f, [rcpt])
    for rcpt, event in (("r1@", "relay-delivered"), ("r2@", "relay-delivered"),
                        ("r3@", "relay-deferred"), ("r4@", "relay-deferred")):
        line_of(f, event, rcpt)
    ok = tls_report(f, "ok.dane.example")["policies"]
    assert len(ok) == 1 and ok[0]["policy"]["policy-type"] == "tlsa"
    assert ok[0]["summary"] == {"total-successful-session-count": 2,
                                "total-failure-session-count": 0}
    assert ok[0]["policy"]["mx-host"] == ["mx-ok.dane.example"]
    assert ok[0]["policy"]["policy-string"][0].startswith("3 1 1 ")
    bad = tls_report(f, "bad.dane.example")["policies"][0]
    assert bad["summary"]["total-failure-session-count"] >= 1
    assert bad["failure-details"][0]["result-type"] == "validation-failure"
    assert bad["failure-details"][0]["receiving-ip"] == "127.0.0.1"
    bogus = tls_report(f, "bogus.dane.example")["policies"][0]
    assert bogus["failure-details"][0]["result-type"] == "dnssec-invalid"
    assert tls_report(f, "plain.example")["policies"] == []


@pytest.mark.parametrize("host,event,text", [
    ("mx-ok", "relay-delivered", "tls=dane-verified"),
    ("mx-bad", "relay-deferred", "4.7.5 DANE verification failed"),
])
def test_smarthost_by_name_gets_dane(ferry_factory, passwd, dns, sinks,
                                     host, event, text):
    # RFC 7672 s2.2.3: a next hop given by name, whose address records
    # validate, is protected by its own TLSA records.
    before = len(sinks.tls.seen)
    f = dane_ferry(ferry_factory, passwd, dns, sinks.tls_port,
                   f"smarthost = {host}.dane.example:{sinks.tls_port}")
    rcpt = f"s@{host}.elsewhere.example"
    submit(f, [rcpt])
    line = line_of(f, event, rcpt)
    assert text in line, line
    if event == "relay-deferred":
        assert len(sinks.tls.seen) == before  # not even RCPT


def test_dane_level_from_the_policy_map(ferry_factory, passwd, dns, sinks):
    policy = pathlib.Path(make_workdir()) / "tls_policy"
    policy.write_text("ok.dane.example dane\n")
    policy.chmod(0o644)
    f = dane_ferry(ferry_factory, passwd, dns, sinks.tls_port, "tls = may",
                   f"tls_policy_map = {policy}")
    submit(f, ["m@ok.dane.example"])
    assert "tls=dane-verified" in line_of(f, "relay-delivered",
                                          "m@ok.dane.example")
    submit(f, ["n@bad.dane.example"])  # tls = may: TLSA records ignored
    assert "tls=untrusted" in line_of(f, "relay-delivered",
                                      "n@bad.dane.example")
    shutil.rmtree(policy.parent, ignore_errors=True)
