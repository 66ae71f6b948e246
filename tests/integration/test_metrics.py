"""The Prometheus endpoint: off by default, loopback only, and what it
shows after real traffic, parsed with prometheus_client's own parser
(python3-prometheus-client)."""
import smtplib
import subprocess
import time
import urllib.request

import pytest

from conftest import FERRY, free_port

parser = pytest.importorskip(
    "prometheus_client.parser",
    reason="python3-prometheus-client is not installed "
           "(scripts/install-deps.sh)")


def scrape(port):
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics",
                                timeout=10) as r:
        assert r.headers["Content-Type"].startswith("text/plain")
        text = r.read().decode()
    samples = {}
    types = {}
    for fam in parser.text_string_to_metric_families(text):
        types[fam.name] = fam.type
        for s in fam.samples:
            samples[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return samples, types


def value(samples, name, **labels):
    return samples.get((name, tuple(sorted(labels.items()))))


def test_off_by_default(ferry):
    assert "metrics" not in ferry.log()


def test_metrics_after_traffic(ferry_factory):
    mport = free_port()
    f = ferry_factory(extra=["[metrics]", f"listen = 127.0.0.1:{mport}"],
                      max_message_size="10K")
    samples, types = scrape(mport)
    assert types["ferry_commit_seconds"] == "histogram"
    assert types["ferry_connections"] == "counter"
    before = value(samples, "ferry_connections_total")
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
        s.ehlo("client.example")
        s.starttls()
        s.ehlo("client.example")
        for i in range(3):
            s.sendmail("demo@example.test", ["alice@example.test"],
                       b"Subject: m\r\n\r\nbody\r\n")
        s.mail("demo@example.test")  # no SIZE: refused at the dot
        s.rcpt("alice@example.test")
        code, _ = s.data(b"Subject: big\r\n\r\n" + b"x" * 20000 + b"\r\n")
        assert code == 552
    with smtplib.SMTP("127.0.0.1", f.submission_port, timeout=30) as s:
        s.ehlo("client.example")
    f.wait_maildir("alice", 3)
    time.sleep(0.3)
    samples, _ = scrape(mport)
    assert value(samples, "ferry_connections_total") == before + 2
    assert value(samples, "ferry_sessions_total", port="smtp") >= 2
    assert value(samples, "ferry_sessions_total", port="submission") == 1
    assert value(samples, "ferry_messages_total", result="accepted",
                 code="250") == 3
    assert value(samples, "ferry_messages_total", result="refused",
                 code="552") == 1
    assert value(samples, "ferry_commit_seconds_count") == 3
    assert value(samples, "ferry_commit_seconds_bucket", le="+Inf") == 3
    assert value(samples, "ferry_commit_seconds_sum") > 0
    assert value(samples, "ferry_tls_handshakes_total") == 1
    assert value(samples, "ferry_deliveries_total", transport="local",
                 result="delivered") == 3
    assert value(samples, "ferry_queue_messages") == 0
    assert value(samples, "ferry_queue_oldest_seconds") == 0
    assert value(samples, "ferry_relay_connections_total") == 0
    # Only GET and HEAD, and only /metrics.
    req = urllib.request.Request(f"http://127.0.0.1:{mport}/metrics",
                                 data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError):
        urllib.request.urlopen(req, timeout=10)
    with pytest.raises(urllib.error.HTTPError) as e:
        urllib.request.urlopen(f"http://127.0.0.1:{mport}/other", timeout=10)
    assert e.value.code == 404


def test_only_loopback(tmp_path):
    conf = tmp_path / "ferry.conf"
    conf.write_text("[metrics]\nlisten = 0.0.0.0:9125\n"
                    "[domain a.example]\nmaildir_root = m\nmailbox = a\n"
                    "alias = postmaster: a\n")
    r = subprocess.run([FERRY, "check-config", str(conf)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 78
    assert f"{conf}:2: listen: '0.0.0.0' is not a loopback address" \
        in r.stderr
