"""Smarthost credentials travel only over TLS whose certificate is verified.

A test CA signs a certificate for smarthost.tls.test; an aiosmtpd smarthost with
STARTTLS and AUTH records every login attempt.  Names resolve through
dns_local_data, so nothing leaves the machine.
"""
import os
import pathlib
import shutil
import ssl
import subprocess

import pytest

pytest.importorskip("aiosmtpd.controller")
from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult  # noqa: E402

from conftest import FERRY, free_port, make_workdir  # noqa: E402
from test_relay import Remote, relay_ferry, submit, wait_for  # noqa: E402,F401
from test_relay import passwd  # noqa: E402,F401  (fixture)


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki():
    """A CA, a certificate it signs for smarthost.tls.test, and a second CA
    that signs nothing ferry is shown; readable by the daemon's user."""
    d = pathlib.Path(make_workdir())
    p = {k: str(d / f"{k}.pem") for k in
         ("ca", "ca_key", "other_ca", "other_key", "cert", "key", "csr")}
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", p["ca_key"], "-out", p["ca"],
            "-days", "2", "-subj", "/CN=ferry test CA")
    openssl("req", "-x509", *ec, "-keyout", p["other_key"], "-out",
            p["other_ca"], "-days", "2", "-subj", "/CN=other CA")
    openssl("req", *ec, "-keyout", p["key"], "-out", p["csr"],
            "-subj", "/CN=smarthost.tls.test")
    ext = d / "ext.cnf"
    ext.write_text("subjectAltName=DNS:smarthost.tls.test\n"
                   "basicConstraints=CA:FALSE\n")
    openssl("x509", "-req", "-in", p["csr"], "-CA", p["ca"], "-CAkey",
            p["ca_key"], "-CAcreateserial", "-out", p["cert"], "-days", "2",
            "-extfile", str(ext))
    for path in p.values():
        os.chmod(path, 0o644)
    fp = subprocess.run(["openssl", "x509", "-in", p["cert"], "-noout",
                         "-fingerprint", "-sha256"], check=True,
                        capture_output=True, text=True).stdout
    p["fingerprint"] = fp.strip().split("=", 1)[1]
    zone = d / "local.zone"
    zone.write_text("zone tls.test. static\n"
                    "smarthost.tls.test. 300 IN A 127.0.0.1\n"
                    "wrongname.tls.test. 300 IN A 127.0.0.1\n")
    os.chmod(zone, 0o644)
    p["zone"] = str(zone)
    yield p
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def smarthost(pki):
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(pki["cert"], pki["key"])
    handler = Remote()
    handler.logins = []

    def authenticator(server, session, envelope, mechanism, data):
        handler.logins.append((mechanism, data.login, data.password))
        ok = data.login == b"relayuser" and data.password == b"relaypw"
        return AuthResult(success=ok)

    port = free_port()
    c = Controller(handler, hostname="127.0.0.1", port=port, tls_context=ctx,
                   require_starttls=True, authenticator=authenticator,
                   auth_require_tls=True)
    c.start()
    handler.port = port
    yield handler
    c.stop()


def smarthost_ferry(ferry_factory, passwd, pki, hostname, port, *extra):
    return relay_ferry(ferry_factory, passwd, [],
                       [f"smarthost = {hostname}:{port}",
                        "smarthost_user = relayuser",
                        "smarthost_password = relaypw",
                        f"dns_local_data = {pki['zone']}", *extra])


def deferred_line(f):
    assert wait_for(lambda: "event=relay-deferred" in f.log()), f.log()
    return [x for x in f.log().splitlines() if "relay-deferred" in x][0]


def test_verified_smarthost_gets_credentials(ferry_factory, passwd, pki,
                                            smarthost):
    f = smarthost_ferry(ferry_factory, passwd, pki, "smarthost.tls.test",
                        smarthost.port, f"smarthost_ca_file = {pki['ca']}")
    submit(f, ["anyone@far-away.example"])
    assert wait_for(lambda: smarthost.all_rcpts() ==
                    ["anyone@far-away.example"]), f.log()
    assert smarthost.logins[0][1:] == (b"relayuser", b"relaypw")
    assert "TLSv1." in f.log()


def test_wrong_name_defers_without_credentials(ferry_factory, passwd, pki,
                                               smarthost):
    f = smarthost_ferry(ferry_factory, passwd, pki, "wrongname.tls.test",
                        smarthost.port, f"smarthost_ca_file = {pki['ca']}")
    submit(f, ["anyone@far-away.example"])
    line = deferred_line(f)
    assert "certificate verification failed for wrongname.tls.test" in line
    assert "hostname mismatch" in line
    assert smarthost.logins == [] and smarthost.all_rcpts() == []


def test_untrusted_ca_defers_without_credentials(ferry_factory, passwd, pki,
                                                 smarthost):
    # The system's CA store (no smarthost_ca_file), then a CA file that
    # does not hold the signer.
    for extra in ((), (f"smarthost_ca_file = {pki['other_ca']}",)):
        f = smarthost_ferry(ferry_factory, passwd, pki, "smarthost.tls.test",
                            smarthost.port, *extra)
        submit(f, ["anyone@far-away.example"])
        line = deferred_line(f)
        assert "certificate verification failed for smarthost.tls.test" in line
        assert "local issuer certificate" in line
        f.stop()
    assert smarthost.logins == [] and smarthost.all_rcpts() == []


def test_pinned_fingerprint(ferry_factory, passwd, pki, smarthost):
    # A numeric smarthost with a pinned certificate: neither CA nor name.
    f = smarthost_ferry(ferry_factory, passwd, pki, "127.0.0.1",
                        smarthost.port,
                        f"smarthost_fingerprint = {pki['fingerprint']}")
    submit(f, ["anyone@far-away.example"])
    assert wait_for(lambda: smarthost.all_rcpts() ==
                    ["anyone@far-away.example"]), f.log()
    assert smarthost.logins[0][1:] == (b"relayuser", b"relaypw")


def test_wrong_fingerprint_defers(ferry_factory, passwd, pki, smarthost):
    f = smarthost_ferry(ferry_factory, passwd, pki, "127.0.0.1",
                        smarthost.port, "smarthost_fingerprint = " + "ab" * 32)
    submit(f, ["anyone@far-away.example"])
    assert "is not smarthost_fingerprint" in deferred_line(f)
    assert smarthost.logins == []


def test_numeric_smarthost_checked_against_its_address(ferry_factory, passwd,
                                                       pki, smarthost):
    # The certificate names smarthost.tls.test, not 127.0.0.1.
    f = smarthost_ferry(ferry_factory, passwd, pki, "127.0.0.1",
                        smarthost.port, f"smarthost_ca_file = {pki['ca']}")
    submit(f, ["anyone@far-away.example"])
    assert "IP address mismatch" in deferred_line(f)
    assert smarthost.logins == []


def test_password_in_a_root_only_file(ferry_factory, passwd, pki, smarthost):
    """The password kept out of ferry.conf: serve reads it as root, and a
    user who is not root still submits with ferry sendmail."""
    secret = os.path.join(pki["zone"].rsplit("/", 1)[0], "smarthost.secret")
    with open(secret, "w") as f:
        f.write("relaypw\n")
    os.chmod(secret, 0o600)
    f = relay_ferry(ferry_factory, passwd, [],
                    [f"smarthost = smarthost.tls.test:{smarthost.port}",
                     "smarthost_user = relayuser",
                     f"smarthost_password_file = {secret}",
                     f"smarthost_ca_file = {pki['ca']}",
                     f"dns_local_data = {pki['zone']}"])
    os.chmod(f.config_path, 0o644)
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534",
                        "--clear-groups", FERRY, "sendmail", "-C",
                        f.config_path, "anyone@far-away.example"],
                       input=b"Subject: from nobody\n\nx\n",
                       capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert wait_for(lambda: smarthost.all_rcpts() ==
                    ["anyone@far-away.example"]), f.log()
    assert smarthost.logins[0][1:] == (b"relayuser", b"relaypw")
