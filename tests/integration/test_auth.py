"""AUTH (RFC 4954) and submission (RFC 6409) against the real daemon."""
import base64
import hashlib
import hmac
import os
import shutil
import smtplib
import ssl
import subprocess
import time

import pytest

from conftest import FERRY, make_workdir


def ctx():
    c = ssl.create_default_context()
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c


def hashed(password, scheme):
    r = subprocess.run([FERRY, "passwd", "--stdin", "--scheme", scheme],
                       input=password + "\n", capture_output=True, text=True,
                       check=True)
    return r.stdout.strip()


@pytest.fixture(scope="module")
def passwd_dir():
    d = make_workdir()
    path = os.path.join(d, "passwd")
    with open(path, "w") as f:
        f.write("# test users\n")
        f.write(f"alice:{hashed('alice-pw', 'yescrypt')}\n")
        f.write(f"bob:{hashed('bob-pw', 'bcrypt')}\n")
        f.write(f"demo:{hashed('demo-pw', 'sha512-crypt')}\n")
        f.write(f"scram:{hashed('pencil', 'scram-sha-256')}\n")
    os.chmod(path, 0o644)
    yield path
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def sub(ferry_factory, passwd_dir):
    # The file mixes schemes, so SCRAM-SHA-256 is offered only when listed.
    return ferry_factory(auth=["backend = passwd-file",
                               f"passwd_file = {passwd_dir}",
                               "mechanisms = PLAIN LOGIN SCRAM-SHA-256",
                               "smtp = yes",
                               "max_failures = 3",
                               "max_unauth_commands = 12",
                               "sender = alice: *@alice.example"])


def submission(f):
    s = smtplib.SMTP("127.0.0.1", f.submission_port, timeout=30)
    s.ehlo("client.example")
    s.starttls(context=ctx())
    s.ehlo("client.example")
    return s


def test_auth_not_offered_before_tls(sub):
    c = sub.connect()
    r = c.cmd("EHLO c.example")
    assert "AUTH" not in r
    assert c.cmd("AUTH PLAIN AGFsaWNlAGFsaWNlLXB3") == \
        "538 5.7.11 Encryption required for requested authentication mechanism"


def test_submission_requires_starttls_then_auth(sub):
    c = sub.connect.__self__  # noqa: the Ferry object
    import socket
    raw = socket.create_connection(("127.0.0.1", sub.submission_port))
    f = raw.makefile("rb")
    f.readline()
    raw.sendall(b"EHLO c.example\r\n")
    while f.readline()[3:4] == b"-":
        pass
    raw.sendall(b"MAIL FROM:<alice@example.test>\r\n")
    assert f.readline().startswith(b"530 5.7.0 Must issue a STARTTLS command first")
    raw.sendall(b"AUTH PLAIN\r\n")
    assert f.readline().startswith(b"530 5.7.0 Must issue a STARTTLS command first")
    raw.close()
    with submission(sub) as s:
        assert "plain" in s.esmtp_features["auth"].lower()
        code, msg = s.mail("alice@example.test")
        assert (code, msg) == (530, b"5.7.0 Authentication required")


@pytest.mark.parametrize("user,pw", [("alice", "alice-pw"), ("bob", "bob-pw"),
                                     ("demo", "demo-pw"), ("scram", "pencil")])
def test_login_each_scheme_and_send(sub, user, pw):
    with submission(sub) as s:
        assert s.login(user, pw)[0] == 235
        s.sendmail(f"{user}@example.test" if user != "scram" else "",
                   ["bob@example.test"], b"Subject: authed\r\n\r\nhi\r\n")
    data = open(sub.wait_maildir("bob", 1)[-1], "rb").read()
    assert b"with ESMTPSA id" in data
    assert f"user={user} result=ok".encode() in open(sub.log_path, "rb").read()


def test_auth_login_mechanism(sub):
    with submission(sub) as s:
        s.user, s.password = "alice", "alice-pw"
        code, _ = s.auth("LOGIN", s.auth_login, initial_response_ok=False)
        assert code == 235


def test_wrong_password_delay_and_limit(sub):
    bad = "PLAIN " + base64.b64encode(b"\0alice\0wrong").decode()
    with submission(sub) as s:
        t0 = time.time()
        for i in range(2):
            assert s.docmd("AUTH", bad) == (
                535, b"5.7.8 Authentication credentials invalid")
        # Failures are answered more and more slowly (1 s, then 2 s).
        assert time.time() - t0 >= 2.5
        code, msg = s.docmd("AUTH", bad)
        assert code == 421 and msg.startswith(b"4.7.0 ")
    log = open(sub.log_path, "rb").read()
    assert b"wrong" not in log  # no secret in the log
    assert b"result=failed" in log


def test_auth_errors(sub):
    with submission(sub) as s:
        assert s.docmd("AUTH", "CRAM-MD5") == (504, b"5.5.4 Unrecognized authentication type")
        assert s.docmd("AUTH", "PLAIN !!!notbase64")[0:1] == (501,)
        assert s.docmd("AUTH", "PLAIN")[0] == 334
        assert s.docmd("*") == (501, b"5.7.0 Authentication cancelled by client")
        assert s.docmd("AUTH")[0] == 501
        assert s.docmd("AUTH", "PLAIN")[0] == 334
        assert s.docmd("x" * 13000)[0] == 500
        assert s.login("alice", "alice-pw")[0] == 235
        assert s.docmd("AUTH", "PLAIN") == (503, b"5.5.1 Already authenticated")


def test_auth_in_transaction(ferry_factory, passwd_dir):
    f = ferry_factory(auth=["backend = passwd-file",
                            f"passwd_file = {passwd_dir}",
                            "require_tls = no", "smtp = yes"])
    c = f.connect()
    c.cmd("EHLO c.example")
    c.cmd("MAIL FROM:<s@b.example>")
    assert c.cmd("AUTH PLAIN") == "503 5.5.1 AUTH not permitted during a mail transaction"


def test_sender_ownership(sub):
    with submission(sub) as s:
        s.login("alice", "alice-pw")
        assert s.mail("bob@example.test") == (
            553, b"5.7.1 <bob@example.test>: Sender address rejected: "
                 b"not owned by user alice")
        s.rset()
        assert s.mail("news@alice.example")[0] == 250
        s.rset()
        assert s.mail("alice@example.test")[0] == 250


def test_authenticated_relay_accepted(sub):
    with submission(sub) as s:
        s.login("alice", "alice-pw")
        s.mail("alice@example.test")
        assert s.rcpt("friend@elsewhere.example")[0] == 250
    c = sub.connect()  # port 25, unauthenticated: still no relay
    c.cmd("EHLO c.example")
    c.cmd("MAIL FROM:<s@b.example>")
    assert c.cmd("RCPT TO:<friend@elsewhere.example>").startswith("554 5.7.1")


def test_too_many_unauthenticated_commands(sub):
    c = sub.connect.__self__
    import socket
    raw = socket.create_connection(("127.0.0.1", sub.submission_port))
    f = raw.makefile("rb")
    f.readline()
    for i in range(12):
        raw.sendall(b"NOOP\r\n")
        assert f.readline().startswith(b"250")
    raw.sendall(b"NOOP\r\n")
    assert f.readline() == b"554 5.7.0 Too many unauthenticated commands\r\n"
    assert f.read() == b""


def test_implicit_tls_login(sub):
    with smtplib.SMTP_SSL("127.0.0.1", sub.submissions_port, context=ctx()) as s:
        s.ehlo("c.example")
        assert s.login("demo", "demo-pw")[0] == 235


def _scram_client(user, password, exchange):
    """SCRAM-SHA-256 client written from RFC 5802/7677, independent of ferry."""
    cnonce = base64.b64encode(os.urandom(18)).decode()
    first_bare = f"n={user},r={cnonce}"
    server_first = exchange("n,," + first_bare)
    attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
    assert attrs["r"].startswith(cnonce)
    salt, iters = base64.b64decode(attrs["s"]), int(attrs["i"])
    salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, iters)
    client_key = hmac.new(salted, b"Client Key", "sha256").digest()
    stored = hashlib.sha256(client_key).digest()
    final_wo_proof = f"c=biws,r={attrs['r']}"
    auth_msg = f"{first_bare},{server_first},{final_wo_proof}".encode()
    sig = hmac.new(stored, auth_msg, "sha256").digest()
    proof = bytes(a ^ b for a, b in zip(client_key, sig))
    server_final = exchange(final_wo_proof + ",p=" + base64.b64encode(proof).decode())
    server_key = hmac.new(salted, b"Server Key", "sha256").digest()
    expect = base64.b64encode(hmac.new(server_key, auth_msg, "sha256").digest()).decode()
    return server_final == "v=" + expect


def test_scram_offered_only_when_every_user_can_use_it(ferry_factory,
                                                       passwd_dir):
    f = ferry_factory(auth=["backend = passwd-file",
                            f"passwd_file = {passwd_dir}"])
    with submission(f) as s:
        assert s.esmtp_features["auth"].split() == ["PLAIN", "LOGIN"]
        assert s.docmd("AUTH", "SCRAM-SHA-256") == (
            504, b"5.5.4 Unrecognized authentication type")
        assert s.login("demo", "demo-pw")[0] == 235
    d = make_workdir()
    try:
        path = os.path.join(d, "passwd")
        with open(path, "w") as out:
            out.write(f"scram:{hashed('pencil', 'scram-sha-256')}\n")
        os.chmod(path, 0o644)
        g = ferry_factory(auth=["backend = passwd-file",
                                f"passwd_file = {path}"])
        with submission(g) as s:
            assert "SCRAM-SHA-256" in s.esmtp_features["auth"].split()
        # A crypt user added later: SCRAM is withdrawn at the next EHLO.
        with open(path + ".new", "w") as out:
            out.write(f"scram:{hashed('pencil', 'scram-sha-256')}\n")
            out.write(f"demo:{hashed('demo-pw', 'yescrypt')}\n")
        os.chmod(path + ".new", 0o644)
        os.rename(path + ".new", path)
        time.sleep(1.1)  # the list looks at the file once a second
        with submission(g) as s:
            assert s.esmtp_features["auth"].split() == ["PLAIN", "LOGIN"]
            assert s.login("demo", "demo-pw")[0] == 235
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_scram_sha_256_with_independent_client(sub):
    with submission(sub) as s:
        assert "SCRAM-SHA-256" in s.esmtp_features["auth"]
        state = {"first": True}

        def exchange(msg):
            b = base64.b64encode(msg.encode()).decode()
            if state["first"]:
                state["first"] = False
                code, resp = s.docmd("AUTH", "SCRAM-SHA-256 " + b)
            else:
                code, resp = s.docmd(b)
            assert code == 334, (code, resp)
            return base64.b64decode(resp).decode()

        assert _scram_client("scram", "pencil", exchange)
        code, resp = s.docmd("")
        assert code == 235, resp
        # A wrong password fails.
    with submission(sub) as s:
        state = {"first": True}

        def exchange2(msg):
            b = base64.b64encode(msg.encode()).decode()
            if state["first"]:
                state["first"] = False
                return base64.b64decode(s.docmd("AUTH", "SCRAM-SHA-256 " + b)[1]).decode()
            code, resp = s.docmd(b)
            raise smtplib.SMTPAuthenticationError(code, resp)

        with pytest.raises(smtplib.SMTPAuthenticationError) as e:
            _scram_client("scram", "wrong", exchange2)
        assert e.value.smtp_code == 535


@pytest.mark.skipif(shutil.which("swaks") is None, reason="swaks missing")
@pytest.mark.parametrize("mech", ["PLAIN", "LOGIN"])
def test_swaks_auth(sub, mech):
    out = subprocess.run(
        ["swaks", "--server", f"127.0.0.1:{sub.submission_port}", "--tls",
         "--auth", mech, "--auth-user", "alice", "--auth-password", "alice-pw",
         "--from", "alice@example.test", "--to", "bob@example.test"],
        capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "235 2.7.0 Authentication successful" in out.stdout


@pytest.mark.parametrize("setting,offered", [(None, False), ("no", False),
                                             ("yes", True)])
def test_auth_on_port_25(ferry_factory, passwd_dir, setting, offered):
    """[auth] smtp: by default an MX with submission ports offers no AUTH
    on port 25; the submission port always does."""
    auth = ["backend = passwd-file", f"passwd_file = {passwd_dir}",
            "require_tls = no"]
    f = ferry_factory(auth=auth + ([f"smtp = {setting}"] if setting else []))
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
        s.ehlo("client.example")
        assert s.has_extn("auth") == offered
        code, msg = s.docmd("AUTH", "PLAIN AGFsaWNlAGFsaWNlLXB3")
        if offered:
            assert code == 235
        else:
            assert (code, msg) == (502, b"5.5.1 Command not implemented")
    with smtplib.SMTP("127.0.0.1", f.submission_port, timeout=30) as s:
        s.ehlo("client.example")
        assert s.has_extn("auth")
