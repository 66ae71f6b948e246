"""MAIL FROM:<...> AUTH=... (RFC 4954 s5) on the receiving side and when
relaying.

The identity is accepted wherever AUTH is advertised, believed only from a
client that logged in (anyone else's is kept as <>), stored with the
envelope and passed on, xtext-encoded, to a next hop that lists AUTH.
"""
import base64
import json
import os
import shutil
import smtplib
import socket
import ssl
import subprocess
import zlib

import pytest

from conftest import DOMAIN, FERRY, free_port, make_workdir, wait_for


def hashed(password, scheme):
    return subprocess.run([FERRY, "passwd", "--stdin", "--scheme", scheme],
                          input=password + "\n", capture_output=True,
                          text=True, check=True).stdout.strip()


@pytest.fixture(scope="module")
def passwd():
    d = make_workdir()
    path = os.path.join(d, "passwd")
    with open(path, "w") as f:
        f.write(f"tester:{hashed('tester-pw', 'sha512-crypt')}\n")
    os.chmod(path, 0o644)
    yield path
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def sub(ferry_factory, passwd):
    return ferry_factory(auth=["backend = passwd-file",
                               f"passwd_file = {passwd}",
                               f"sender = tester: *@{DOMAIN}"])


def tls_ctx():
    c = ssl.create_default_context()
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c


class Lines:
    """The client side of the issue's dialogue, line by line, over TLS."""

    def __init__(self, port):
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.f = raw.makefile("rwb")
        assert self.reply().startswith("220 ")
        assert self.cmd("EHLO client.example").startswith("250")
        assert self.cmd("STARTTLS").startswith("220 ")
        self.sock = tls_ctx().wrap_socket(raw)
        self.f = self.sock.makefile("rwb")
        self.ehlo = self.cmd("EHLO client.example")

    def reply(self):
        lines = [self.f.readline().decode().rstrip("\r\n")]
        while lines[-1][3:4] == "-":
            lines.append(self.f.readline().decode().rstrip("\r\n"))
        return "\n".join(lines)

    def cmd(self, line):
        self.f.write(line.encode() + b"\r\n")
        self.f.flush()
        return self.reply()


def plain(user, pw):
    return base64.b64encode(f"\0{user}\0{pw}".encode()).decode()


def test_issue_lines_after_auth_plain(sub):
    c = Lines(sub.submission_port)
    assert "AUTH PLAIN" in c.ehlo
    assert c.cmd("AUTH PLAIN " + plain("tester", "tester-pw")).startswith(
        "235 2.7.0")
    assert c.cmd(f"MAIL FROM:<tester@{DOMAIN}> AUTH=<tester@{DOMAIN}>") == \
        "250 2.1.0 Sender ok"
    assert c.cmd("RSET").startswith("250")
    assert c.cmd(f"MAIL FROM:<tester@{DOMAIN}> AUTH=<>") == "250 2.1.0 Sender ok"
    assert c.cmd(f"RCPT TO:<bob@{DOMAIN}>").startswith("250")
    assert c.cmd("DATA").startswith("354")
    assert c.cmd("Subject: auth\r\n\r\nhi\r\n.").startswith("250 2.0.0")
    assert c.cmd("QUIT").startswith("221")
    assert sub.wait_maildir("bob", 1)
    log = sub.log()
    assert f"auth=<tester@{DOMAIN}>" in log and "auth=<>" in log


def test_bad_values_are_501_and_change_nothing(sub):
    c = Lines(sub.submission_port)
    c.cmd("AUTH PLAIN " + plain("tester", "tester-pw"))
    for bad in ["AUTH=<tester@", "AUTH=a+0D+0Ab@x", "AUTH=<@r:a@b>",
                "AUTH=<> AUTH=<>", "AUTH=nodomain"]:
        assert c.cmd(f"MAIL FROM:<tester@{DOMAIN}> {bad}") == \
            "501 5.5.4 Invalid parameter: AUTH", bad
    # The refused MAIL left no transaction behind.
    assert c.cmd("RCPT TO:<bob@example.test>").startswith("503 5.5.1")
    assert c.cmd(f"MAIL FROM:<tester@{DOMAIN}> AUTH=tester+40{DOMAIN}") == \
        "250 2.1.0 Sender ok"


def test_refused_where_auth_is_not_advertised(ferry_factory):
    f = ferry_factory()  # no [auth] backend: no AUTH keyword
    c = f.connect()
    assert "AUTH" not in c.cmd("EHLO client.example")
    assert c.cmd("MAIL FROM:<a@b.example> AUTH=<>") == \
        "555 5.5.4 Unsupported parameter: AUTH"


def test_identity_the_login_may_not_use_is_kept_as_null(sub):
    c = Lines(sub.submission_port)
    c.cmd("AUTH PLAIN " + plain("tester", "tester-pw"))
    assert c.cmd(f"MAIL FROM:<tester@{DOMAIN}> "
                 "AUTH=<ceo@elsewhere.example>") == "250 2.1.0 Sender ok"
    log = sub.log()
    assert "auth=<>" in log and "ceo@elsewhere.example" not in log


def test_untrusted_identity_is_kept_as_null(ferry_factory, passwd):
    f = ferry_factory(auth=["backend = passwd-file",
                            f"passwd_file = {passwd}", "require_tls = no",
                            "smtp = yes"])
    c = f.connect()
    assert "AUTH" in c.cmd("EHLO client.example")
    assert c.cmd("MAIL FROM:<x@elsewhere.example> "
                 f"AUTH=<tester@{DOMAIN}>") == "250 2.1.0 Sender ok"
    log = f.log()
    assert "auth=<>" in log and f"auth=<tester@{DOMAIN}>" not in log


def test_smtplib_with_the_parameter(sub):
    with smtplib.SMTP("127.0.0.1", sub.submission_port, timeout=30) as s:
        s.starttls(context=tls_ctx())
        s.login("tester", "tester-pw")
        refused = s.sendmail(f"tester@{DOMAIN}", [f"bob@{DOMAIN}"],
                             b"Subject: smtplib\r\n\r\nhi\r\n",
                             mail_options=[f"AUTH=tester+40{DOMAIN}"])
        assert refused == {}
    files = sub.wait_maildir("bob", 1)
    assert files and b"Subject: smtplib" in open(files[-1], "rb").read()
    assert f"auth=<tester@{DOMAIN}>" in sub.log()


# --- relaying -------------------------------------------------------------

aiosmtpd = pytest.importorskip("aiosmtpd.controller")
from aiosmtpd.controller import Controller  # noqa: E402
from aiosmtpd.smtp import SMTP, AuthResult  # noqa: E402


class AuthPeer(SMTP):
    """aiosmtpd that lists AUTH and records the MAIL lines it is sent;
    aiosmtpd itself would answer AUTH= with 555."""

    mail_lines = None

    async def smtp_MAIL(self, arg):
        self.mail_lines.append(arg)
        kept = [w for w in (arg or "").split(" ")
                if not w.upper().startswith("AUTH=")]
        return await super().smtp_MAIL(" ".join(kept))


class Sink:
    def __init__(self):
        self.received = []

    async def handle_DATA(self, server, session, envelope):
        self.received.append((envelope.mail_from, envelope.rcpt_tos))
        return "250 2.0.0 Ok: queued"


class AuthController(Controller):
    def __init__(self, handler, lines, advertise_auth, **kw):
        self.lines = lines
        self.advertise_auth = advertise_auth
        super().__init__(handler, **kw)

    def factory(self):
        kw = {}
        if self.advertise_auth:
            kw = {"authenticator": lambda *a: AuthResult(success=False),
                  "auth_require_tls": False}
        peer = AuthPeer(self.handler, **kw)
        peer.mail_lines = self.lines
        return peer


def relay_ferry(ferry_factory, passwd, port):
    return ferry_factory(
        auth=["backend = passwd-file", f"passwd_file = {passwd}",
              f"sender = tester: *@{DOMAIN}"],
        extra=["[relay]", f"transport = remote.test: 127.0.0.1:{port}",
               "retry_min = 1s", "retry_max = 2s"])



@pytest.mark.parametrize("advertise", [True, False])
def test_relay_passes_it_on(ferry_factory, passwd, advertise):
    lines, sink, port = [], Sink(), free_port()
    c = AuthController(sink, lines, advertise, hostname="127.0.0.1",
                       port=port)
    c.start()
    try:
        f = relay_ferry(ferry_factory, passwd, port)
        with smtplib.SMTP("127.0.0.1", f.submission_port, timeout=30) as s:
            s.starttls(context=tls_ctx())
            s.login("tester", "tester-pw")
            s.sendmail(f"tester@{DOMAIN}", ["one@remote.test"],
                       b"Subject: 1\r\n\r\nx\r\n",
                       mail_options=[f"AUTH=<tester+2Bx@{DOMAIN}>"])
            s.sendmail(f"tester@{DOMAIN}", ["two@remote.test"],
                       b"Subject: 2\r\n\r\nx\r\n", mail_options=["AUTH=<>"])
            s.sendmail(f"tester@{DOMAIN}", ["three@remote.test"],
                       b"Subject: 3\r\n\r\nx\r\n")
        assert wait_for(lambda: len(sink.received) == 3), f.log()[-2000:]
    finally:
        c.stop()
    for arg in lines:
        assert arg.startswith(f"FROM:<tester@{DOMAIN}>")
    auth = [[w for w in arg.split(" ") if w.startswith("AUTH=")]
            for arg in lines]
    if advertise:
        # Sent in the order queued; the identity xtext-encoded ('+').
        assert sorted(map(tuple, auth)) == sorted(
            [(f"AUTH=tester+2Bx@{DOMAIN}",), ("AUTH=<>",), ()])
    else:
        assert auth == [[], [], []]


# --- the envelope on disk ---------------------------------------------------

def queue_cmd(f, *args):
    return subprocess.run([FERRY, "queue", "--config", f.config_path]
                          + list(args), capture_output=True, text=True,
                          timeout=30)


def test_identity_is_stored_in_the_envelope(ferry_factory, passwd):
    # remote.test goes to a port nobody listens on: the message stays.
    f = ferry_factory(
        auth=["backend = passwd-file", f"passwd_file = {passwd}",
              f"sender = tester: *@{DOMAIN}"],
        extra=["[relay]", f"transport = remote.test: 127.0.0.1:{free_port()}",
               "retry_min = 1h"])
    with smtplib.SMTP("127.0.0.1", f.submission_port, timeout=30) as s:
        s.starttls(context=tls_ctx())
        s.login("tester", "tester-pw")
        s.sendmail(f"tester@{DOMAIN}", ["x@remote.test"], b"Subject: q\r\n\r\n",
                   mail_options=[f"AUTH=<tester@{DOMAIN}>"])
    queue_dir = os.path.join(f.spool, "queue")
    envs = [n for n in os.listdir(queue_dir) if n.endswith(".env")]
    assert len(envs) == 1
    text = open(os.path.join(queue_dir, envs[0])).read()
    assert text.startswith("ferry-envelope 4\n")
    assert f"\nauth tester@{DOMAIN}\n" in text
    # The message's CRC-32 and the envelope's own, on its end line.
    data = open(os.path.join(queue_dir, envs[0][:-4] + ".msg"), "rb").read()
    assert f"\ncrc {zlib.crc32(data):08x}\n" in text
    body, end = text.rsplit("end ", 1)
    assert end == f"{zlib.crc32(body.encode()):08x}\n"
    qid = envs[0][:-4]
    r = queue_cmd(f, "show", "--json", qid)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["auth"] == f"tester@{DOMAIN}"
    assert f"auth:      <tester@{DOMAIN}>" in queue_cmd(f, "show", qid).stdout


def test_version_1_spool_is_still_delivered(ferry_factory):
    """An envelope written before the upgrade (no auth line) is read."""
    f = ferry_factory()
    f.stop()
    qid = "0000000000000001"
    msg = b"Subject: old spool\r\n\r\nfrom before\r\n"
    queue_dir = os.path.join(f.spool, "queue")
    with open(os.path.join(queue_dir, qid + ".msg"), "wb") as out:
        out.write(msg)
    with open(os.path.join(queue_dir, qid + ".env"), "w") as out:
        out.write("ferry-envelope 1\n"
                  f"id {qid}\narrival 1700000000\nsender alice@{DOMAIN}\n"
                  "helo c.example\nclient 127.0.0.1\nprotocol ESMTP\n"
                  "envid -\nret unspec\nbody 7bit\nsmtputf8 0\n"
                  f"size {len(msg)}\n"
                  f"rcpt pending 0 0 bob@{DOMAIN} bob@{DOMAIN} - -\nend\n")
    for name in os.listdir(queue_dir):
        shutil.chown(os.path.join(queue_dir, name), "ferry", "ferry")
    f.start()
    files = f.wait_maildir("bob", 1)
    assert files, f.log()[-2000:]
    assert b"from before" in open(files[0], "rb").read()
    assert "spool_debris" not in f.log()
    assert "spool_damaged" not in f.log()
