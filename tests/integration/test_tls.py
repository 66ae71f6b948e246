"""STARTTLS (RFC 3207), implicit TLS (RFC 8314), TLS policy and reload."""
import shutil
import smtplib
import socket
import ssl
import subprocess
import time

import pytest


def client_context():
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    return ctx


def test_starttls_advertised_and_works(ferry):
    with smtplib.SMTP("127.0.0.1", ferry.port) as s:
        s.ehlo("c.example")
        assert s.has_extn("starttls")
        code, msg = s.starttls(context=client_context())
        assert code == 220 and msg == b"2.0.0 Ready to start TLS"
        s.ehlo("c.example")
        assert not s.has_extn("starttls")
        s.sendmail("s@b.example", ["demo@example.test"],
                   b"Subject: over tls\r\n\r\nsecret\r\n")
    data = open(ferry.wait_maildir("demo", 1)[0], "rb").read()
    assert b"with ESMTPS id" in data
    assert b"(using TLSv1.3 with cipher" in data
    assert "event=tls " in ferry.log()


def test_state_reset_after_starttls(ferry):
    c = ferry.connect()
    c.cmd("EHLO c.example")
    assert c.cmd("STARTTLS") == "220 2.0.0 Ready to start TLS"
    tls = client_context().wrap_socket(c.sock)
    tls.sendall(b"MAIL FROM:<s@b.example>\r\n")
    assert tls.recv(512).startswith(b"503 5.5.1 EHLO/HELO first")
    tls.sendall(b"EHLO c.example\r\n")
    assert b"STARTTLS" not in tls.recv(4096)
    tls.sendall(b"STARTTLS\r\n")
    assert tls.recv(512).startswith(b"503 5.5.1 ")
    tls.close()


def test_starttls_with_pipelined_commands_refused(ferry):
    """CVE-2011-0411: commands behind STARTTLS in the same packet."""
    c = ferry.connect()
    c.cmd("EHLO c.example")
    c.send(b"STARTTLS\r\nMAIL FROM:<evil@b.example>\r\n")
    assert c.reply() == ("454 4.5.0 SMTP protocol violation, no commands "
                         "allowed to pipeline after STARTTLS")
    assert c.closed()


def test_starttls_syntax(ferry):
    c = ferry.connect()
    c.cmd("EHLO c.example")
    assert c.cmd("STARTTLS now").startswith("501 5.5.4 ")


def test_tls_required_policy(ferry_factory):
    f = ferry_factory(tls_smtp="required")
    c = f.connect()
    c.cmd("EHLO c.example")
    assert c.cmd("MAIL FROM:<s@b.example>") == \
        "530 5.7.0 Must issue a STARTTLS command first"
    with smtplib.SMTP("127.0.0.1", f.port) as s:
        s.starttls(context=client_context())
        s.sendmail("s@b.example", ["bob@example.test"], b"Subject: x\r\n\r\ny\r\n")
    assert len(f.wait_maildir("bob", 1)) == 1


def test_tls_none_policy(ferry_factory):
    f = ferry_factory(tls_smtp="none")
    c = f.connect()
    assert "STARTTLS" not in c.cmd("EHLO c.example")
    assert c.cmd("STARTTLS").startswith("502 5.5.1")


def test_implicit_tls_submissions(ferry):
    with smtplib.SMTP_SSL("127.0.0.1", ferry.submissions_port,
                          context=client_context()) as s:
        code, banner = s.ehlo("c.example")
        assert code == 250
        assert not s.has_extn("starttls")
        assert s.sock.version() in ("TLSv1.2", "TLSv1.3")


def _tls12_only(ciphers):
    ctx = client_context()
    ctx.maximum_version = ssl.TLSVersion.TLSv1_2
    ctx.set_ciphers(ciphers)
    return ctx


# Both key types the generated or configured pair may have.
CBC = "ECDHE-RSA-AES128-SHA:ECDHE-ECDSA-AES128-SHA"
AEAD = "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES128-GCM-SHA256"


def test_submission_ports_refuse_cbc_suites(ferry):
    """[tls] submission_ciphers: AEAD with forward secrecy only on 465 and
    587 (CBC is what scanners flag as LUCKY13); port 25 keeps CBC for old
    senders, for whom the alternative is plain text."""
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        smtplib.SMTP_SSL("127.0.0.1", ferry.submissions_port,
                         context=_tls12_only(CBC), timeout=10)
    with smtplib.SMTP("127.0.0.1", ferry.submission_port, timeout=10) as s:
        s.ehlo("c.example")
        with pytest.raises((ssl.SSLError, ConnectionResetError)):
            s.starttls(context=_tls12_only(CBC))
    with smtplib.SMTP_SSL("127.0.0.1", ferry.submissions_port,
                          context=_tls12_only(AEAD), timeout=10) as s:
        assert "GCM" in s.sock.cipher()[0]
    with smtplib.SMTP("127.0.0.1", ferry.port, timeout=10) as s:
        s.ehlo("c.example")
        assert s.starttls(context=_tls12_only(CBC))[0] == 220
        assert s.sock.cipher()[0].endswith("AES128-SHA")
        assert s.noop()[0] == 250


def test_handshake_failure_is_logged_and_harmless(ferry):
    raw = socket.create_connection(("127.0.0.1", ferry.submissions_port))
    raw.sendall(b"EHLO plain-text-on-a-tls-port\r\n")
    raw.settimeout(5)
    try:
        raw.recv(100)
    except (ConnectionResetError, socket.timeout):
        pass
    raw.close()
    time.sleep(0.3)
    assert "event=tls-error" in ferry.log()
    # TLS 1.1 is refused too.
    ctx = client_context()
    ctx.maximum_version = ssl.TLSVersion.TLSv1_1
    ctx.minimum_version = ssl.TLSVersion.TLSv1
    with pytest.raises((ssl.SSLError, ConnectionResetError)):
        smtplib.SMTP_SSL("127.0.0.1", ferry.submissions_port, context=ctx,
                         timeout=5)
    assert ferry.connect().greeting.startswith("220 ")


@pytest.mark.skipif(shutil.which("openssl") is None, reason="no openssl")
def test_openssl_s_client_starttls(ferry):
    out = subprocess.run(
        ["openssl", "s_client", "-starttls", "smtp", "-connect",
         f"127.0.0.1:{ferry.port}", "-quiet"],
        input=b"EHLO c.example\r\nQUIT\r\n", capture_output=True, timeout=20)
    assert b"250-mx.test.example" in out.stdout
    assert b"221 2.0.0 Bye" in out.stdout


@pytest.mark.skipif(shutil.which("swaks") is None, reason="swaks missing")
def test_swaks_tls(ferry):
    out = subprocess.run(
        ["swaks", "--server", f"127.0.0.1:{ferry.port}", "--tls",
         "--to", "alice@example.test", "--from", "s@b.example"],
        capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "TLS started" in out.stdout
    out = subprocess.run(
        ["swaks", "--server", f"127.0.0.1:{ferry.submissions_port}", "--tlsc",
         "--quit-after", "EHLO"],
        capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stdout + out.stderr


def _cert_der(port):
    with socket.create_connection(("127.0.0.1", port)) as raw:
        with client_context().wrap_socket(raw) as tls:
            return tls.getpeercert(binary_form=True)


def _make_cert(path_cert, path_key, cn):
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", path_key,
                    "-out", path_cert, "-days", "2", "-subj", f"/CN={cn}"],
                   check=True, capture_output=True)


def test_configured_certificate_and_sighup_reload(ferry_factory):
    import os
    from conftest import make_workdir
    d = make_workdir()  # reachable by the unprivileged daemon user
    cert, key = os.path.join(d, "cert.pem"), os.path.join(d, "key.pem")
    _make_cert(cert, key, "first.example")
    os.chmod(key, 0o644)
    f = ferry_factory(tls=[f"cert_file = {cert}", f"key_file = {key}"])
    first = _cert_der(f.submissions_port)
    _make_cert(cert, key, "second.example")
    os.chmod(key, 0o644)
    f.proc.send_signal(1)  # SIGHUP
    time.sleep(0.5)
    second = _cert_der(f.submissions_port)
    assert first != second
    assert "event=tls reloaded=" in f.log()
    shutil.rmtree(d)
