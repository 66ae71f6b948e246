"""REQUIRETLS (RFC 8689): inbound and end to end between two ferry instances.

Ferry B hosts far.test and has a certificate of a test CA for
b.tls.test; ferry A relays to it as its smarthost, verified with that CA
(smarthost_ca_file) and with AUTH.  A message submitted to A with
MAIL ... REQUIRETLS reaches B with REQUIRETLS; one that cannot get
verified TLS to a server taking REQUIRETLS is returned with 5.7.30.
"""
import os
import pathlib
import shutil
import smtplib
import ssl
import subprocess

import pytest

pytest.importorskip("aiosmtpd.controller")
from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import AuthResult  # noqa: E402

from conftest import free_port, make_workdir, wait_for  # noqa: E402
from test_relay import Remote, dsn_in, relay_ferry, status_blocks  # noqa: E402
from test_relay import passwd  # noqa: E402,F401  (fixture)

BODY = (b"Subject: secret\r\nFrom: alice@example.test\r\n\r\n"
        b"for your eyes only\r\n")


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki():
    d = pathlib.Path(make_workdir())
    p = {k: str(d / f"{k}.pem") for k in ("ca", "ca_key", "cert", "key",
                                           "csr")}
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    openssl("req", "-x509", *ec, "-keyout", p["ca_key"], "-out", p["ca"],
            "-days", "2", "-subj", "/CN=ferry REQUIRETLS test CA")
    openssl("req", *ec, "-keyout", p["key"], "-out", p["csr"],
            "-subj", "/CN=b.tls.test")
    ext = d / "ext.cnf"
    ext.write_text("subjectAltName=DNS:b.tls.test,DNS:plain.tls.test\n"
                   "basicConstraints=CA:FALSE\n")
    openssl("x509", "-req", "-in", p["csr"], "-CA", p["ca"], "-CAkey",
            p["ca_key"], "-CAcreateserial", "-out", p["cert"], "-days", "2",
            "-extfile", str(ext))
    for path in p.values():
        os.chmod(path, 0o644)
    zone = d / "local.zone"
    zone.write_text("zone tls.test. static\n"
                    "b.tls.test. 300 IN A 127.0.0.1\n"
                    "plain.tls.test. 300 IN A 127.0.0.1\n")
    os.chmod(zone, 0o644)
    p["zone"] = str(zone)
    p["maildirs"] = str(d / "far")
    yield p
    shutil.rmtree(d, ignore_errors=True)


def ferry_b(ferry_factory, passwd, pki):
    return ferry_factory(
        tls=["submission = optional", f"cert_file = {pki['cert']}",
             f"key_file = {pki['key']}"],
        auth=["backend = passwd-file", f"passwd_file = {passwd}",
              "require_tls = yes"],
        extra=["[domain far.test]", f"maildir_root = {pki['maildirs']}",
               "mailbox = bob", "alias = postmaster: bob"])


def ferry_a(ferry_factory, passwd, pki, host, port, *extra):
    return relay_ferry(ferry_factory, passwd, [], [
        f"smarthost = {host}:{port}", "smarthost_user = alice",
        "smarthost_password = pw", f"smarthost_ca_file = {pki['ca']}",
        f"dns_local_data = {pki['zone']}", *extra])


def submit_requiretls(f, rcpts, body=BODY):
    with smtplib.SMTP("127.0.0.1", f.submission_port, timeout=30) as s:
        s.ehlo("client.example")
        assert "requiretls" not in s.esmtp_features
        s.starttls(context=ssl._create_unverified_context())
        s.ehlo("client.example")
        assert "requiretls" in s.esmtp_features
        s.login("alice", "pw")
        s.sendmail("alice@example.test", rcpts, body,
                   mail_options=["REQUIRETLS"])


def test_not_offered_nor_taken_without_tls(ferry_factory, passwd, pki):
    f = ferry_b(ferry_factory, passwd, pki)
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
        s.ehlo("client.example")
        assert "requiretls" not in s.esmtp_features
        code, msg = s.mail("alice@example.test", ["REQUIRETLS"])
        assert code == 555 and b"5.5.4" in msg, (code, msg)
        s.rset()
        s.starttls(context=ssl._create_unverified_context())
        s.ehlo("client.example")
        assert "requiretls" in s.esmtp_features
        code, msg = s.mail("alice@example.test", ["REQUIRETLS"])
        assert code == 250, (code, msg)
        code, msg = s.mail("alice@example.test",
                           ["REQUIRETLS", "REQUIRETLS"])
        assert code >= 500


def test_end_to_end_between_two_ferries(ferry_factory, passwd, pki):
    b = ferry_b(ferry_factory, passwd, pki)
    a = ferry_a(ferry_factory, passwd, pki, "b.tls.test", b.submission_port)
    submit_requiretls(a, ["bob@far.test"])
    maildir = os.path.join(pki["maildirs"], "bob", "new")
    assert wait_for(lambda: os.path.isdir(maildir) and os.listdir(maildir)), \
        a.log() + b.log()
    line = [x for x in a.log().splitlines()
            if "event=relay-delivered" in x and "bob@far.test" in x][0]
    assert "tls=verified" in line, line
    assert any("event=mail" in x and "requiretls=yes" in x
               for x in b.log().splitlines()), b.log()


def test_next_hop_without_requiretls_bounces(ferry_factory, passwd, pki):
    # A verified smarthost that does not offer REQUIRETLS.
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(pki["cert"], pki["key"])
    handler = Remote()
    port = free_port()
    c = Controller(handler, hostname="127.0.0.1", port=port, tls_context=ctx,
                   require_starttls=True, auth_require_tls=True,
                   authenticator=lambda *a: AuthResult(success=True))
    c.start()
    try:
        a = ferry_a(ferry_factory, passwd, pki, "b.tls.test", port)
        submit_requiretls(a, ["bob@far.test"])
        blocks = status_blocks(dsn_in(a))
        assert "5.7.30" in "".join(b.as_string() for b in blocks), "".join(b.as_string() for b in blocks)
        assert "does not offer REQUIRETLS" in "".join(b.as_string() for b in blocks)
        assert handler.all_rcpts() == [] and handler.seen == {}
    finally:
        c.stop()


def test_unverified_next_hop_bounces(ferry_factory, passwd, pki):
    # A transport entry: no DANE, MTA-STS or verified smarthost for it.
    r = Remote()
    port = free_port()
    c = Controller(r, hostname="127.0.0.1", port=port)
    c.start()
    try:
        a = relay_ferry(ferry_factory, passwd, [("far.test", port)])
        submit_requiretls(a, ["bob@far.test"])
        dsn = dsn_in(a)
        blocks = status_blocks(dsn)
        assert "5.7.30" in "".join(b.as_string() for b in blocks), "".join(b.as_string() for b in blocks)
        assert r.seen == {}
        # RFC 8689 s5: the report returns the header, not the content.
        assert "Subject: secret" in dsn.as_string()
        assert "for your eyes only" not in dsn.as_string()
    finally:
        c.stop()


def test_bounce_of_requiretls_mail_requires_tls(ferry_factory, passwd, pki):
    # RFC 8689 s5: the report to a remote sender is itself sent with
    # REQUIRETLS: over an unverified hop it goes nowhere either.
    far, home = Remote(), Remote()
    ports = free_port(), free_port()
    cs = [Controller(far, hostname="127.0.0.1", port=ports[0]),
          Controller(home, hostname="127.0.0.1", port=ports[1])]
    for c in cs:
        c.start()
    try:
        a = ferry_factory(
            tls=["submission = optional"],
            auth=["backend = passwd-file", f"passwd_file = {passwd}",
                  "require_tls = no", "sender = alice: *"],
            extra=["[relay]", f"transport = far.test: 127.0.0.1:{ports[0]}",
                   f"transport = home.test: 127.0.0.1:{ports[1]}",
                   "resolv_conf = none", "retry_min = 1s",
                   "retry_max = 2s"])
        with smtplib.SMTP("127.0.0.1", a.submission_port, timeout=30) as s:
            s.starttls(context=ssl._create_unverified_context())
            s.login("alice", "pw")
            s.sendmail("carl@home.test", ["bob@far.test"], BODY,
                       mail_options=["REQUIRETLS"])
        assert wait_for(lambda: any(
            "event=relay-bounced" in x and "to=carl@home.test" in x and
            "5.7.30" in x for x in a.log().splitlines())), a.log()
        assert far.seen == {} and home.seen == {}
    finally:
        for c in cs:
            c.stop()
