"""MTA-STS (RFC 8461) against a local HTTPS policy server.

Policies are served by Python's http.server over TLS on 127.0.0.1:443 (the
port RFC 8461 fixes; the test needs root, as the suite does) with a
certificate of a test CA that ferry is given as mta_sts_ca_file.  The
_mta-sts TXT records, MX and address records come from dns_local_data.
The remote MX is an aiosmtpd server with STARTTLS whose certificate (same
CA) names mx.enforce.example, mx.testing.example and mx.persist.example,
not mx.badcert.example.

  enforce.example   enforce, MX listed, certificate fits   delivered, tls=verified
  badcert.example   enforce, certificate of other names     deferred 4.7.5, nothing sent
  unlisted.example  enforce, MX not in the policy           deferred 4.7.5, nothing sent
  testing.example   testing, MX not in the policy           delivered, reported
  testbad.example   testing, certificate of other names     delivered, reported
  persist.example   enforce; ferry restarted, policy server gone: cached policy used
  twoaddr.example   enforce; the policy host's first address refuses  fetched from the next
"""
import http.server
import os
import pathlib
import shutil
import socket
import ssl
import subprocess
import threading

import pytest

pytest.importorskip("aiosmtpd.controller")
from aiosmtpd.controller import Controller  # noqa: E402

from conftest import free_port, make_workdir, wait_for  # noqa: E402

from test_relay import Remote, relay_ferry, submit  # noqa: E402
from test_relay import passwd  # noqa: E402,F401  (fixture)
from tlsrpt_check import tls_report  # noqa: E402

DOMAINS = ("enforce", "badcert", "unlisted", "testing", "persist",
           "testbad", "twoaddr")
POLICIES = {
    "enforce": "enforce\nmx: mx.enforce.example",
    "badcert": "enforce\nmx: *.badcert.example",
    "unlisted": "enforce\nmx: mx.elsewhere.example",
    "testing": "testing\nmx: mx.other.example",
    "persist": "enforce\nmx: mx.persist.example",
    "testbad": "testing\nmx: mx.testbad.example",
    "twoaddr": "enforce\nmx: mx.twoaddr.example",
}


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki():
    d = pathlib.Path(make_workdir())
    p = {k: str(d / f"{k}.pem") for k in ("ca", "ca_key", "cert", "key",
                                           "csr")}
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", p["ca_key"], "-out", p["ca"],
            "-days", "2", "-subj", "/CN=ferry MTA-STS test CA")
    openssl("req", *ec, "-keyout", p["key"], "-out", p["csr"],
            "-subj", "/CN=mx.enforce.example")
    names = [f"mta-sts.{x}.example" for x in DOMAINS] + \
        ["mx.enforce.example", "mx.testing.example", "mx.persist.example",
         "mx.unlisted.example", "mx.twoaddr.example"]
    ext = d / "ext.cnf"
    ext.write_text("subjectAltName=" + ",".join(f"DNS:{n}" for n in names) +
                   "\nbasicConstraints=CA:FALSE\n")
    openssl("x509", "-req", "-in", p["csr"], "-CA", p["ca"], "-CAkey",
            p["ca_key"], "-CAcreateserial", "-out", p["cert"], "-days", "2",
            "-extfile", str(ext))
    for path in p.values():
        os.chmod(path, 0o644)
    zone = d / "local.zone"
    lines = []
    for x in DOMAINS:
        lines += [f"zone {x}.example. static",
                  f"{x}.example. 300 IN MX 10 mx.{x}.example.",
                  f"mx.{x}.example. 300 IN A 127.0.0.1",
                  f"mta-sts.{x}.example. 300 IN A 127.0.0.1",
                  f'_mta-sts.{x}.example. 300 IN TXT "v=STSv1; id=20261207"']
    # The policy host's first address (IPv6 is tried first) serves
    # nothing: the fetch goes on to the next one.
    lines.append("mta-sts.twoaddr.example. 300 IN AAAA ::1")
    zone.write_text("\n".join(lines) + "\n")
    os.chmod(zone, 0o644)
    p["zone"] = str(zone)
    yield p
    shutil.rmtree(d, ignore_errors=True)


def policy_text(mode, *mx, max_age=604800):
    """A policy file (RFC 8461 s3.2)."""
    return "".join([f"version: STSv1\r\nmode: {mode}\r\n"] +
                   [f"mx: {m}\r\n" for m in mx] +
                   [f"max_age: {max_age}\r\n"])


class PolicyServer:
    """HTTPS on 127.0.0.1:443: the policy of the Host asked for, from
    POLICIES or, when given, bodies (policy host name -> file text,
    changeable while the server runs)."""

    def __init__(self, pki, bodies=None):
        self.served = {k: True for k in DOMAINS}
        self.requests = []
        self.bodies = bodies
        outer = self

        def body_of(host):
            if outer.bodies is not None:
                return outer.bodies.get(host)
            name = host[len("mta-sts."):-len(".example")]
            if name not in POLICIES or not outer.served[name]:
                return None
            mode, mx = POLICIES[name].split("\n")
            return policy_text(mode, mx[len("mx: "):])

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                host = self.headers.get("Host", "").split(":")[0]
                outer.requests.append((host, self.path))
                text = body_of(host)
                if self.path != "/.well-known/mta-sts.txt" or text is None:
                    self.send_error(404)
                    return
                body = text.encode()
                self.send_response(200)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 443),
                                                     Handler)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(pki["cert"], pki["key"])
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket,
                                            server_side=True)
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def port_443_free():
    """Skips the test when 127.0.0.1:443 cannot be served."""
    if os.geteuid() != 0:
        pytest.skip("port 443 needs root")
    with socket.socket() as s:
        try:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind(("127.0.0.1", 443))
        except OSError as e:
            pytest.skip(f"127.0.0.1:443 not available: {e}")


@pytest.fixture(scope="module")
def policy_server(pki):
    port_443_free()
    server = PolicyServer(pki)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def sink(pki):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(pki["cert"], pki["key"])
    handler = Remote()
    handler.port = free_port()
    c = Controller(handler, hostname="127.0.0.1", port=handler.port,
                   tls_context=ctx)
    c.start()
    yield handler
    c.stop()


def sts_ferry(ferry_factory, passwd, pki, sink):
    return relay_ferry(ferry_factory, passwd, [], [
        "mta_sts = yes", f"mta_sts_ca_file = {pki['ca']}",
        f"port = {sink.port}", f"dns_local_data = {pki['zone']}"])


def line_of(f, event, rcpt):
    assert wait_for(lambda: any(f"event={event}" in x and rcpt in x
                                for x in f.log().splitlines())), f.log()
    return [x for x in f.log().splitlines()
            if f"event={event}" in x and rcpt in x][0]


def test_enforce_delivers_over_verified_tls(ferry_factory, passwd, pki, sink,
                                            policy_server):
    f = sts_ferry(ferry_factory, passwd, pki, sink)
    submit(f, ["a@enforce.example"])
    line = line_of(f, "relay-delivered", "a@enforce.example")
    assert "tls=verified" in line, line
    summary = tls_report(f, "enforce.example")["policies"][0]["summary"]
    assert summary["total-successful-session-count"] == 1
    assert ("mta-sts.enforce.example", "/.well-known/mta-sts.txt") in \
        policy_server.requests
    saved = os.path.join(f.spool, "mta-sts", "enforce.example")
    assert "mode: enforce" in open(saved).read()


@pytest.mark.parametrize("domain,why", [
    ("badcert", "certificate verification failed for mx.badcert.example"),
    ("unlisted", "no MX host of unlisted.example matches"),
])
def test_enforce_defers_and_sends_nothing(ferry_factory, passwd, pki, sink,
                                          policy_server, domain, why):
    f = sts_ferry(ferry_factory, passwd, pki, sink)
    rcpt = f"b@{domain}.example"
    submit(f, [rcpt])
    line = line_of(f, "relay-deferred", rcpt)
    assert "4.7.5" in line and why in line, line
    assert rcpt not in sink.seen
    report = tls_report(f, f"{domain}.example")["policies"][0]
    assert report["policy"]["policy-type"] == "sts"
    assert "mode: enforce" in report["policy"]["policy-string"]
    assert report["failure-details"][0]["result-type"] == \
        ("certificate-host-mismatch" if domain == "badcert"
         else "validation-failure")


def test_policy_fetch_tries_the_next_address(ferry_factory, passwd, pki,
                                            sink, policy_server):
    f = sts_ferry(ferry_factory, passwd, pki, sink)
    submit(f, ["n@twoaddr.example"])
    line = line_of(f, "relay-delivered", "n@twoaddr.example")
    assert "tls=verified" in line, line  # the policy was had, and applied
    tried = [x for x in f.log().splitlines()
             if "event=mta-sts" in x and "domain=twoaddr.example" in x]
    assert any("address=::1" in x and "next=127.0.0.1" in x
               for x in tried), tried
    assert any("fetched=20261207" in x and "mode=enforce" in x
               for x in tried), tried


def test_testing_mode_reports_only(ferry_factory, passwd, pki, sink,
                                   policy_server):
    f = sts_ferry(ferry_factory, passwd, pki, sink)
    submit(f, ["c@testing.example"])
    line = line_of(f, "relay-delivered", "c@testing.example")
    assert "tls=verified" in line, line  # checked, for the report
    assert "MX host not listed in the MTA-STS policy" in f.log()
    # Delivered, but counted: enforce would have refused that MX host.
    report = tls_report(f, "testing.example")["policies"][0]
    assert report["policy"]["policy-type"] == "sts"
    assert report["summary"] == {"total-successful-session-count": 0,
                                 "total-failure-session-count": 1}
    detail = report["failure-details"][0]
    assert detail["result-type"] == "validation-failure", detail
    assert detail["receiving-mx-hostname"] == "mx.testing.example", detail
    assert "not listed" in detail["failure-reason-code"], detail
    assert "c@testing.example" in sink.all_rcpts()
    # A certificate that would fail enforce: delivered, and reported.
    submit(f, ["t@testbad.example"])
    line = line_of(f, "relay-delivered", "t@testbad.example")
    assert "tls=untrusted" in line, line
    report = tls_report(f, "testbad.example")["policies"][0]
    assert "mode: testing" in report["policy"]["policy-string"]
    assert report["summary"]["total-failure-session-count"] == 1
    assert report["failure-details"][0]["result-type"] == \
        "certificate-host-mismatch"
    assert "t@testbad.example" in sink.all_rcpts()


def test_policy_cache_survives_restart(ferry_factory, passwd, pki, sink,
                                       policy_server):
    f = sts_ferry(ferry_factory, passwd, pki, sink)
    submit(f, ["d@persist.example"])
    assert "tls=verified" in line_of(f, "relay-delivered",
                                     "d@persist.example")
    f.stop()
    policy_server.served["persist"] = False  # the server has it no more
    before = len(policy_server.requests)
    open(f.log_path, "w").close()
    f.start()
    submit(f, ["e@persist.example"])
    line = line_of(f, "relay-delivered", "e@persist.example")
    assert "tls=verified" in line, line  # the policy still applied
    assert "mode=enforce" in f.log()
    assert len(policy_server.requests) == before  # from the disk cache
