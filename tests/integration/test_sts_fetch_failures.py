"""MTA-STS policies that cannot be had, counted in the TLS report with
the result types of RFC 8460 s4.3.2.2.

The TXT record announces a policy (so the domain means to have one) but:

  unlisted.example  the policy host answers 404            sts-policy-fetch-error
  badcert.example   it serves a file that is no policy     sts-policy-invalid
  nocert.example    its certificate does not name it       sts-webpki-invalid

Each message is then sent as without a policy (nothing cached), and the
day's report counts one failure per attempt, with the reason.
"""
import os

import pytest

from test_mta_sts import (PolicyServer, line_of, pki, port_443_free,  # noqa
                          sink, sts_ferry)
from test_relay import passwd, submit  # noqa: F401
from tlsrpt_check import tls_report


@pytest.fixture
def broken_server(pki):
    port_443_free()
    server = PolicyServer(pki, bodies={
        "mta-sts.badcert.example": "version: STSv1\r\nmode: sometimes\r\n"})
    yield server
    server.stop()


@pytest.fixture
def zone(pki):
    with open(pki["zone"]) as z:
        text = z.read()
    text += ("zone nocert.example. static\n"
             "nocert.example. 300 IN MX 10 mx.enforce.example.\n"
             "mta-sts.nocert.example. 300 IN A 127.0.0.1\n"
             '_mta-sts.nocert.example. 300 IN TXT "v=STSv1; id=1"\n')
    path = pki["zone"] + ".nocert"
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, 0o644)
    return dict(pki, zone=path)


@pytest.mark.parametrize("domain,result,why", [
    ("unlisted", "sts-policy-fetch-error", "HTTP status 404"),
    ("badcert", "sts-policy-invalid", "mode"),
    ("nocert", "sts-webpki-invalid", "certificate verification failed"),
])
def test_fetch_failure_counted(ferry_factory, passwd, zone, sink,
                               broken_server, domain, result, why):
    f = sts_ferry(ferry_factory, passwd, zone, sink)
    rcpt = f"x@{domain}.example"
    submit(f, [rcpt])
    line = line_of(f, "relay-delivered", rcpt)  # as without a policy
    assert "mta-sts" in f.log()
    report = tls_report(f, f"{domain}.example")
    failed = [p for p in report["policies"]
              if p["policy"]["policy-type"] == "sts"
              and p["summary"]["total-failure-session-count"] > 0]
    assert failed, report
    detail = failed[0]["failure-details"][0]
    assert detail["result-type"] == result, report
    assert why in detail["failure-reason-code"], report
    assert failed[0]["policy"]["policy-domain"] == f"{domain}.example"
    assert line
