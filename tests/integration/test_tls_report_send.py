"""Mailing and posting the daily SMTP TLS reports (RFC 8460 s3, s5).

Records come from real deliveries under MTA-STS (the policy server,
test CA and TLS remote of test_mta_sts.py): enforce.example delivered
over verified TLS, badcert.example deferred for its certificate.
enforce.example publishes

  _smtp._tls.enforce.example  "v=TLSRPTv1; rua=mailto:tlsrpt@badcert.example,
                               https://mta-sts.testing.example:PORT/tlsrpt"

so the report mail goes to a domain whose MTA-STS policy ferry's own
mail fails: the report says "TLS-Required: No" and must be delivered
all the same (RFC 8460 s5.3), without adding a record of its own.  The
https rua is a local HTTPS server with a certificate of the test CA.
"""
import datetime
import email
import email.policy
import gzip
import http.server
import json
import os
import re
import ssl
import subprocess
import threading
import time

import pytest

from conftest import FERRY, free_port, wait_for
from test_mta_sts import line_of, pki, policy_server, sink  # noqa: F401
from test_relay import passwd, relay_ferry, submit  # noqa: F401
from tlsrpt_check import SCHEMA, tls_report

jsonschema = pytest.importorskip("jsonschema")


class RuaServer:
    """HTTPS on a loopback port: keeps every POST (headers, body)."""

    def __init__(self, pki):
        self.posts = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                outer.posts.append((self.path, dict(self.headers),
                                    self.rfile.read(n)))
                self.send_response(201)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.port = free_port()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port),
                                                     Handler)
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(pki["cert"], pki["key"])
        self.httpd.socket = ctx.wrap_socket(self.httpd.socket,
                                            server_side=True)
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def rua(pki):
    server = RuaServer(pki)
    yield server
    server.stop()


def today():
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")


def report_ferry(ferry_factory, passwd, pki, sink, rua, *extra):
    zone = pki["zone"] + ".tlsrpt"
    with open(pki["zone"]) as z, open(zone, "w") as out:
        out.write(z.read())
        out.write('_smtp._tls.enforce.example. 300 IN TXT "v=TLSRPTv1; '
                  'rua=mailto:tlsrpt@badcert.example,https://'
                  f'mta-sts.testing.example:{rua.port}/tlsrpt"\n')
    os.chmod(zone, 0o644)
    return relay_ferry(ferry_factory, passwd, [], [
        "mta_sts = yes", f"mta_sts_ca_file = {pki['ca']}",
        f"port = {sink.port}", f"dns_local_data = {zone}", *extra])


def reports_in(sink):
    return [email.message_from_bytes(data, policy=email.policy.default)
            for _, rcpts, data in sink.received
            if "tlsrpt@badcert.example" in rcpts]


def check_json(raw):
    report = json.loads(gzip.decompress(raw))
    with open(SCHEMA) as s:
        jsonschema.validate(report, json.load(s))
    return report


def check_report_mail(msg, day):
    assert msg.get_content_type() == "multipart/report"
    assert msg.get_param("report-type") == "tlsrpt"
    assert msg["TLS-Report-Domain"] == "enforce.example"
    assert msg["TLS-Report-Submitter"] == "mx.test.example"
    assert msg["From"] == "postmaster@mx.test.example"
    assert msg["TLS-Required"] == "No"
    assert re.fullmatch(r"Report Domain: enforce\.example Submitter: "
                        r"mx\.test\.example Report-ID: <" + day +
                        r"_enforce\.example@mx\.test\.example>",
                        str(msg["Subject"])), msg["Subject"]
    parts = list(msg.iter_parts())
    assert parts[0].get_content_type() == "text/plain"
    gz = parts[1]
    assert gz.get_content_type() == "application/tlsrpt+gzip"
    start = int(datetime.datetime.strptime(day, "%Y-%m-%d").replace(
        tzinfo=datetime.timezone.utc).timestamp())
    assert gz.get_filename() == \
        f"mx.test.example!enforce.example!{start}!{start + 86399}.json.gz"
    return check_json(gz.get_content())


def test_report_mailed_and_posted_on_demand(ferry_factory, passwd, pki, sink,
                                            policy_server, rua):
    f = report_ferry(ferry_factory, passwd, pki, sink, rua)
    submit(f, ["r1@enforce.example"])
    line_of(f, "relay-delivered", "r1@enforce.example")
    submit(f, ["r2@badcert.example"])
    line_of(f, "relay-deferred", "r2@badcert.example")
    before = tls_report(f, "enforce.example")["policies"][0]["summary"]
    out = subprocess.run([FERRY, "tls-report", "--send", "--date", today(),
                          "--config", f.config_path], capture_output=True,
                         text=True)
    assert out.returncode == 0, out.stderr
    assert wait_for(lambda: reports_in(sink) and rua.posts), f.log()
    report = check_report_mail(reports_in(sink)[0], today())
    assert report["policies"][0]["summary"] == before
    assert report["contact-info"] == "postmaster@mx.test.example"
    path, headers, body = rua.posts[0]
    assert path == "/tlsrpt"
    assert headers["Content-Type"] == "application/tlsrpt+gzip"
    assert check_json(body) == report
    # badcert.example has no TLSRPT record: looked up, nothing sent.
    assert wait_for(lambda: "domain=badcert.example" in f.log() and
                    "no TLSRPT record" in f.log()), f.log()
    # The report went to badcert.example despite its failing policy, and
    # no session of its own was recorded.
    assert wait_for(lambda: "relay-delivered" in f.log() and
                    "tlsrpt@badcert.example" in f.log()), f.log()
    assert tls_report(f, "enforce.example")["policies"][0]["summary"] == \
        before
    bad = tls_report(f, "badcert.example")["policies"][0]["summary"]
    assert bad["total-successful-session-count"] == 0
    # Asked again: already sent, not sent twice.
    subprocess.run([FERRY, "tls-report", "--send", "--date", today(),
                    "--config", f.config_path], check=True,
                   capture_output=True)
    time.sleep(1.5)
    assert len(reports_in(sink)) == 1 and len(rua.posts) == 1


def test_daily_report_once_across_restarts(ferry_factory, passwd, pki, sink,
                                           policy_server, rua):
    f = report_ferry(ferry_factory, passwd, pki, sink, rua,
                     "tls_report_hour = 0", "tls_report_https = no")
    submit(f, ["d1@enforce.example"])
    line_of(f, "relay-delivered", "d1@enforce.example")
    f.stop()
    # The day ends: its records become yesterday's.
    yesterday = (datetime.datetime.now(datetime.timezone.utc) -
                 datetime.timedelta(days=1)).strftime("%Y-%m-%d")
    rpt = os.path.join(f.spool, "tls-rpt")
    os.rename(os.path.join(rpt, today()), os.path.join(rpt, yesterday))
    already = len(reports_in(sink))
    f.start()
    assert wait_for(lambda: len(reports_in(sink)) > already), f.log()
    check_report_mail(reports_in(sink)[-1], yesterday)
    assert rua.posts == []  # tls_report_https = no
    assert open(os.path.join(rpt, yesterday + ".sent")).read() == \
        "enforce.example\n"
    f.stop()
    f.start()
    time.sleep(2.5)  # the catch-up run is 1 s after start
    assert len(reports_in(sink)) == already + 1
    assert f.log().count("result=sent") == 1


def test_records_pruned(ferry_factory, passwd, pki, sink, policy_server, rua):
    f = report_ferry(ferry_factory, passwd, pki, sink, rua)
    f.stop()
    rpt = os.path.join(f.spool, "tls-rpt")
    os.makedirs(rpt, exist_ok=True)
    for day in ("2001-01-01", "2001-01-01.sent"):
        open(os.path.join(rpt, day), "w").close()
    f.start()
    assert wait_for(lambda: "pruned-before" in f.log()), f.log()
    assert not os.path.exists(os.path.join(rpt, "2001-01-01"))
    assert not os.path.exists(os.path.join(rpt, "2001-01-01.sent"))
