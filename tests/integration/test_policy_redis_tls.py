"""The shared policy state over TLS: a real redis-server that listens only
on its tls-port, asks for a client certificate and a password.  The limit
holds across two nodes over TLS; a server certificate ferry cannot verify
(another CA, another name) or a wrong password gives each node its
redis_fail answer and a log line that names the reason."""
import os
import pathlib
import re
import shutil
import socket
import ssl
import subprocess

import pytest

from conftest import make_workdir
from test_policy import rcpt_replies, RATE_SHORT
from test_policy_redis import REDIS, Redis, accepted

pytestmark = pytest.mark.skipif(REDIS is None,
                                reason="redis-server is not installed")

CLOSED = "451 4.3.0 Temporary policy failure, try again later"


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def signed(d, ca, name, san):
    key, csr, cert = (str(d / f"{name}.{x}") for x in ("key", "csr", "pem"))
    openssl("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
            "-nodes", "-keyout", key, "-out", csr, "-subj", f"/CN={name}")
    ext = d / f"{name}.cnf"
    ext.write_text(f"subjectAltName={san}\nbasicConstraints=CA:FALSE\n")
    openssl("x509", "-req", "-in", csr, "-CA", ca["ca"], "-CAkey",
            ca["ca_key"], "-CAcreateserial", "-out", cert, "-days", "2",
            "-extfile", str(ext))
    return cert, key


@pytest.fixture(scope="module")
def pki():
    """A CA that signs Redis' certificate (for 127.0.0.1) and ferry's
    client certificate, and a second CA that signs nothing."""
    d = pathlib.Path(make_workdir())
    p = {k: str(d / f"{k}.pem") for k in ("ca", "ca_key", "other_ca",
                                           "other_key")}
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", p["ca_key"], "-out", p["ca"],
            "-days", "2", "-subj", "/CN=ferry test CA")
    openssl("req", "-x509", *ec, "-keyout", p["other_key"], "-out",
            p["other_ca"], "-days", "2", "-subj", "/CN=other CA")
    p["server"], p["server_key"] = signed(d, p, "redis", "IP:127.0.0.1")
    p["client"], p["client_key"] = signed(d, p, "ferry", "DNS:ferry.test")
    for path in d.iterdir():
        os.chmod(path, 0o644)
    yield p
    shutil.rmtree(d, ignore_errors=True)


class TlsRedis(Redis):
    """Only the TLS port; client certificates required (Redis' default)."""

    def __init__(self, pki):
        super().__init__()
        self.pki = pki

    def listen(self):
        return ["--port", "0", "--tls-port", str(self.port),
                "--tls-cert-file", self.pki["server"],
                "--tls-key-file", self.pki["server_key"],
                "--tls-ca-cert-file", self.pki["ca"]]

    def ready(self):
        ctx = ssl.create_default_context(cafile=self.pki["ca"])
        ctx.load_cert_chain(self.pki["client"], self.pki["client_key"])
        with socket.create_connection(("127.0.0.1", self.port), 1) as s:
            with ctx.wrap_socket(s, server_hostname="127.0.0.1") as t:
                t.sendall(b"AUTH t3st\r\nPING\r\n")
                data = b""
                while b"PONG" not in data:
                    chunk = t.recv(100)
                    if not chunk:
                        raise OSError("closed")
                    data += chunk
        return True


@pytest.fixture
def redis(pki):
    r = TlsRedis(pki).start()
    yield r
    r.cleanup()


def node(ferry_factory, redis, *lines, ca=None, password="t3st"):
    pki = redis.pki
    return ferry_factory(extra=[
        "[policy]", "test_clock = yes", "state = redis",
        f"redis_server = 127.0.0.1:{redis.port}",
        f"redis_password = {password}", "redis_timeout_ms = 300",
        "redis_tls = yes", f"redis_tls_ca_file = {ca or pki['ca']}",
        f"redis_tls_cert_file = {pki['client']}",
        f"redis_tls_key_file = {pki['client_key']}"] + list(lines))


def test_tls_limit_holds_across_two_nodes(ferry_factory, redis):
    a = node(ferry_factory, redis, "rate_sender = 3/1m", "redis_fail = closed")
    b = node(ferry_factory, redis, "rate_sender = 3/1m", "redis_fail = closed")
    assert rcpt_replies(a, "bulk@example.net", ["u0@example.test",
                                                "u1@example.test"]) == \
        accepted(2)
    assert rcpt_replies(b, "bulk@example.net", ["u2@example.test",
                                                "u3@example.test"]) == \
        accepted(1) + [RATE_SHORT.format("sender")]
    for m, f in (("u0", a), ("u1", a), ("u2", b)):
        assert len(f.wait_maildir(m, 1)) == 1
    assert b.maildir_files("u3") == []
    for f in (a, b):
        assert "event=policy-redis" not in f.log()


def test_tls_certificate_not_verified_fails_as_configured(ferry_factory,
                                                          redis):
    other = redis.pki["other_ca"]
    a = node(ferry_factory, redis, "rate_sender = 1/1m", "redis_fail = open",
             ca=other)
    b = node(ferry_factory, redis, "rate_sender = 1/1m",
             "redis_fail = closed", ca=other)
    c = node(ferry_factory, redis, "rate_sender = 1/1m",
             "redis_fail = closed", "redis_tls_server_name = redis.test")
    # Open: the limit of 1 is not enforced, nothing reached Redis.
    assert rcpt_replies(a, "x@example.net", ["u0@example.test",
                                             "u1@example.test"]) == \
        accepted(2)
    assert len(a.wait_maildir("u1", 1)) == 1
    assert rcpt_replies(b, "x@example.net", ["u2@example.test"]) == [CLOSED]
    assert rcpt_replies(c, "x@example.net", ["u3@example.test"]) == [CLOSED]
    for f in (a, b):
        log = f.log()
        assert "event=policy-redis" in log
        # OpenSSL's reason, then the certificate check's (Redis sends
        # the CA along, so the chain ends in one ferry does not trust).
        assert re.search(r'error="TLS: error:[0-9A-F]+:SSL routines::'
                         r'certificate verify failed \((self-signed '
                         r'certificate in certificate chain|unable to get '
                         r'local issuer certificate)\)"', log), log
    assert "hostname mismatch" in c.log()
    for f in (a, b, c):
        assert f.proc.poll() is None


def test_tls_wrong_password_fails_as_configured(ferry_factory, redis):
    a = node(ferry_factory, redis, "rate_sender = 1/1m", "redis_fail = open",
             password="wrong")
    b = node(ferry_factory, redis, "rate_sender = 1/1m",
             "redis_fail = closed", password="wrong")
    assert rcpt_replies(a, "y@example.net", ["u0@example.test",
                                             "u1@example.test"]) == \
        accepted(2)
    assert rcpt_replies(b, "y@example.net", ["u2@example.test"]) == [CLOSED]
    for f in (a, b):
        log = f.log()
        assert "event=policy-redis" in log
        assert "AUTH refused: WRONGPASS" in log
