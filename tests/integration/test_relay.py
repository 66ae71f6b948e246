"""Outbound delivery against scripted remote servers on loopback.

The "remote" MX hosts are aiosmtpd servers on 127.0.0.1, reached through
[relay] transport entries; DNS answers (null MX, NXDOMAIN) come from
dns_local_data, so nothing leaves the machine.
"""
import email
import email.policy
import os
import shutil
import smtplib
import socket
import threading
import time

import pytest

aiosmtpd = pytest.importorskip("aiosmtpd.controller")
from aiosmtpd.controller import Controller  # noqa: E402

from conftest import FERRY, free_port, make_workdir, wait_for  # noqa: E402
import subprocess  # noqa: E402


class Remote:
    """A scripted remote MX: replies chosen by the recipient's local part."""

    def __init__(self, rcpt_limit=None, fail_first=0, drop_data_first=0,
                 rcpt_reply=None, drop_data_nth=(), quit_delay=0):
        self.received = []        # (mail_from, rcpt_tos, data)
        self.rcpt_reply = rcpt_reply  # the answer to every RCPT, if set
        self.rcpt_times = []      # (time.monotonic(), address) per RCPT
        self.drop_data_nth = set(drop_data_nth)  # DATA numbers to drop
        self.ndata = 0
        self.quit_delay = quit_delay  # seconds (or f()) before 221 to QUIT
        self.quits = 0
        self.transactions = []    # recipients per DATA
        self.rcpt_limit = rcpt_limit
        self.fail_first = fail_first
        self.drop_data_first = drop_data_first
        self.seen = {}
        self.sessions = []        # one per connection that sent RCPT
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, options):
        local = address.split("@")[0]
        with self.lock:
            self.seen[address] = self.seen.get(address, 0) + 1
            n = self.seen[address]
            if not any(x is session for x in self.sessions):
                self.sessions.append(session)
            self.rcpt_times.append((time.monotonic(), address))
        if self.rcpt_reply:
            return self.rcpt_reply
        if self.rcpt_limit and len(envelope.rcpt_tos) >= self.rcpt_limit:
            return "452 4.5.3 Error: too many recipients"
        if local.startswith("unknown"):
            return "550 5.1.1 <%s>: Recipient address rejected: User unknown" % address
        if local.startswith("full"):
            return "552 5.2.2 The email account that you tried to reach is over quota."
        if local.startswith("grey") and n == 1:
            return "451 4.7.1 Greylisting in action, please come back later"
        if local.startswith("busy") and n == 1:
            return "421 4.7.0 Try again later, closing connection."
        if local.startswith("rate") and n == 1:
            return ("450 4.2.1 The user you are trying to contact is receiving "
                    "mail too quickly. Please resend your message at a later time.")
        if local.startswith("policy"):
            return "554 5.7.1 Message rejected due to local policy"
        if local.startswith("slow"):
            import asyncio
            await asyncio.sleep(0.5)
        if local.startswith("always451"):
            return "451 4.3.0 Mail server temporarily rejected message."
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.ndata += 1
            if self.ndata in self.drop_data_nth:
                server.transport.close()
                return "421 4.3.0 gone"
            if self.drop_data_first > 0:
                self.drop_data_first -= 1
                server.transport.close()
                return "421 4.3.0 gone"
            self.received.append((envelope.mail_from, list(envelope.rcpt_tos),
                                  envelope.content))
            self.transactions.append(len(envelope.rcpt_tos))
        return "250 2.0.0 Ok: queued"

    async def handle_QUIT(self, server, session, envelope):
        with self.lock:
            self.quits += 1
        delay = self.quit_delay() if callable(self.quit_delay) \
            else self.quit_delay
        if delay:
            import asyncio
            await asyncio.sleep(delay)
        return "221 2.0.0 Bye"

    def all_rcpts(self):
        return sorted(r for _, rs, _ in self.received for r in rs)


@pytest.fixture
def remote_factory():
    started = []

    def make(idle_timeout=None, **kw):
        handler = Remote(**kw)
        port = free_port()
        smtp_kw = {"timeout": idle_timeout} if idle_timeout else {}
        c = Controller(handler, hostname="127.0.0.1", port=port, **smtp_kw)
        c.start()
        started.append(c)
        handler.port = port
        return handler

    yield make
    for c in started:
        c.stop()


@pytest.fixture(scope="module")
def passwd():
    d = make_workdir()
    path = os.path.join(d, "passwd")
    h = subprocess.run([FERRY, "passwd", "--stdin", "--scheme", "sha512-crypt"],
                       input="pw\n", capture_output=True, text=True,
                       check=True).stdout.strip()
    with open(path, "w") as f:
        f.write(f"alice:{h}\n")
    os.chmod(path, 0o644)
    yield path
    shutil.rmtree(d, ignore_errors=True)


def relay_ferry(ferry_factory, passwd, transports, extra_relay=(), extra=(),
                env=None):
    zone = os.path.join(make_workdir(), "local.zone")
    with open(zone, "w") as f:
        f.write("zone dns.test. static\n"
                "nullmx.dns.test. 300 IN MX 0 .\n"
                "mx.dns.test. 300 IN A 127.0.0.1\n")
    os.chmod(zone, 0o644)
    relay = [f"transport = {dom}: 127.0.0.1:{port}" for dom, port in transports]
    settings = {"resolv_conf": "none", "dns_local_data": zone,
                "retry_min": "1s", "retry_max": "2s", "connect_timeout": "5s"}
    for line in extra_relay:  # "key = value" overrides a default
        key, value = (x.strip() for x in line.split("=", 1))
        settings[key] = value
    relay += [f"{k} = {v}" for k, v in settings.items()]
    return ferry_factory(
        tls=["submission = optional"],
        auth=["backend = passwd-file", f"passwd_file = {passwd}",
              "require_tls = no"],
        extra=["[relay]"] + relay + list(extra),
        **({"env": env} if env else {}))


def submit(f, rcpts, subject="relay test", mail_options=(), rcpt_options=()):
    with smtplib.SMTP("127.0.0.1", f.submission_port, timeout=30) as s:
        s.ehlo("client.example")
        s.login("alice", "pw")
        return s.sendmail("alice@example.test", rcpts,
                          f"Subject: {subject}\r\nFrom: alice@example.test\r\n"
                          f"\r\nbody\r\n".encode(), mail_options=mail_options,
                          rcpt_options=rcpt_options)



def dsn_in(f, timeout=30):
    files = f.wait_maildir("alice", 1, timeout)
    assert files, "no DSN arrived for the sender:\n" + f.log()[-3000:]
    return email.message_from_bytes(open(files[-1], "rb").read(),
                                    policy=email.policy.default)


def status_blocks(dsn):
    assert dsn.get_content_type() == "multipart/report"
    assert dsn.get_param("report-type") == "delivery-status"
    part = [p for p in dsn.iter_parts()
            if p.get_content_type() == "message/delivery-status"][0]
    return part.get_payload()


def test_relay_delivers(ferry_factory, remote_factory, passwd):
    r = remote_factory()
    f = relay_ferry(ferry_factory, passwd, [("remote.test", r.port)])
    submit(f, ["ok1@remote.test", "ok2@remote.test"])
    assert wait_for(lambda: r.all_rcpts() == ["ok1@remote.test", "ok2@remote.test"])
    mail_from, _, data = r.received[0]
    assert mail_from == "alice@example.test"
    assert b"Subject: relay test" in data
    assert "event=relay-delivered" in f.log()


def test_connection_kept_for_the_next_message(ferry_factory, remote_factory,
                                              passwd):
    # One connection at a time to the destination, kept open between
    # messages: five messages, five transactions, one connection.
    r = remote_factory()
    f = relay_ferry(ferry_factory, passwd, [("remote.test", r.port)],
                    ["connection_cache_time = 10s",
                     "destination_concurrency = 1"])
    for i in range(5):
        submit(f, [f"ok{i}@remote.test"])
        assert wait_for(lambda: len(r.received) == i + 1), f.log()[-2000:]
    assert len(r.transactions) == 5
    assert len(r.sessions) == 1


def test_connection_cache_off_opens_one_per_message(ferry_factory,
                                                    remote_factory, passwd):
    r = remote_factory()
    f = relay_ferry(ferry_factory, passwd, [("remote.test", r.port)],
                    ["connection_cache_time = 0",
                     "destination_concurrency = 1"])
    for i in range(3):
        submit(f, [f"ok{i}@remote.test"])
        assert wait_for(lambda: len(r.received) == i + 1), f.log()[-2000:]
    assert len(r.sessions) == 3


def test_kept_connection_closed_by_remote_is_replaced(ferry_factory,
                                                      remote_factory, passwd):
    # The remote hangs up on idle connections after 1 s (421 4.4.2, then
    # close): the next message goes over a new connection, at once.
    r = remote_factory(idle_timeout=1)
    f = relay_ferry(ferry_factory, passwd, [("remote.test", r.port)],
                    ["connection_cache_time = 30s"])
    submit(f, ["ok1@remote.test"])
    assert wait_for(lambda: len(r.received) == 1), f.log()[-2000:]
    time.sleep(2.5)
    t0 = time.time()
    submit(f, ["ok2@remote.test"])
    assert wait_for(lambda: len(r.received) == 2, timeout=10), f.log()[-2000:]
    assert time.time() - t0 < 5  # not a retry after a deferral
    assert len(r.sessions) == 2
    assert "relay-deferred" not in f.log()


def test_permanent_failure_bounces_with_dsn(ferry_factory, remote_factory, passwd):
    r = remote_factory()
    f = relay_ferry(ferry_factory, passwd, [("remote.test", r.port)])
    submit(f, ["unknown1@remote.test", "ok@remote.test"],
           rcpt_options=["NOTIFY=FAILURE"])
    dsn = dsn_in(f)
    blocks = status_blocks(dsn)
    per_rcpt = blocks[1]
    assert per_rcpt["Action"] == "failed"
    assert per_rcpt["Status"] == "5.1.1"
    assert "unknown1@remote.test" in per_rcpt["Final-Recipient"]
    assert "550 5.1.1" in per_rcpt["Diagnostic-Code"]
    assert blocks[0]["Reporting-MTA"] == "dns; mx.test.example"
    assert r.all_rcpts() == ["ok@remote.test"]


def test_452_splits_transaction_and_delivers_all(ferry_factory, remote_factory, passwd):
    r = remote_factory(rcpt_limit=3)
    f = relay_ferry(ferry_factory, passwd, [("remote.test", r.port)])
    rcpts = [f"ok{i}@remote.test" for i in range(7)]
    submit(f, rcpts)
    assert wait_for(lambda: r.all_rcpts() == sorted(rcpts))
    assert r.transactions == [3, 3, 1]


def test_temporary_failure_retried(ferry_factory, remote_factory, passwd):
    r = remote_factory()
    f = relay_ferry(ferry_factory, passwd, [("remote.test", r.port)])
    submit(f, ["grey1@remote.test"])
    assert wait_for(lambda: r.all_rcpts() == ["grey1@remote.test"])
    assert "event=relay-deferred" in f.log()
    assert f.maildir_files("alice") == []  # no bounce


def test_connection_dropped_mid_data_is_retried(ferry_factory, remote_factory, passwd):
    r = remote_factory(drop_data_first=1)
    f = relay_ferry(ferry_factory, passwd, [("remote.test", r.port)])
    submit(f, ["ok@remote.test"])
    assert wait_for(lambda: r.all_rcpts() == ["ok@remote.test"])


def test_unreachable_host_then_expiry_bounces_447(ferry_factory, remote_factory, passwd):
    dead = free_port()  # nothing listens there
    f = relay_ferry(ferry_factory, passwd, [("down.test", dead)],
                    ["max_queue_lifetime = 3s"])
    submit(f, ["someone@down.test"])
    dsn = dsn_in(f, timeout=40)
    per_rcpt = status_blocks(dsn)[1]
    assert per_rcpt["Status"] == "4.4.7"
    assert per_rcpt["Action"] == "failed"


def test_null_mx_and_nxdomain_bounce_at_once(ferry_factory, passwd):
    f = relay_ferry(ferry_factory, passwd, [])
    submit(f, ["a@nullmx.dns.test"], subject="nullmx")
    dsn = dsn_in(f)
    assert status_blocks(dsn)[1]["Status"] == "5.1.10"
    submit(f, ["b@nowhere.dns.test"], subject="nx")
    files = f.wait_maildir("alice", 2)
    dsn2 = email.message_from_bytes(open(files[-1], "rb").read(),
                                    policy=email.policy.default)
    statuses = {status_blocks(dsn)[1]["Status"], status_blocks(dsn2)[1]["Status"]}
    assert statuses == {"5.1.10", "5.1.2"}


def test_no_bounce_to_null_sender(ferry_factory, remote_factory, passwd):
    r = remote_factory()
    f = relay_ferry(ferry_factory, passwd, [("remote.test", r.port)],
                    [])
    with smtplib.SMTP("127.0.0.1", f.submission_port, timeout=30) as s:
        s.ehlo("c.example")
        s.login("alice", "pw")
        s.sendmail("", ["unknown9@remote.test"], b"Subject: x\r\n\r\ny\r\n")
    assert wait_for(lambda: "event=dsn-suppressed" in f.log())


@pytest.mark.parametrize("local,status", [("full1", "5.2.2"),
                                          ("policy1", "5.7.1")])
def test_other_permanent_replies_bounce(ferry_factory, remote_factory, passwd,
                                        local, status):
    r = remote_factory()
    f = relay_ferry(ferry_factory, passwd, [("remote.test", r.port)])
    submit(f, [f"{local}@remote.test"])
    per_rcpt = status_blocks(dsn_in(f))[1]
    assert per_rcpt["Status"] == status
    assert per_rcpt["Action"] == "failed"


@pytest.mark.parametrize("local", ["busy1", "rate1"])
def test_421_and_rate_limit_back_off_then_deliver(ferry_factory, remote_factory,
                                                  passwd, local):
    r = remote_factory()
    f = relay_ferry(ferry_factory, passwd, [("remote.test", r.port)])
    submit(f, [f"{local}@remote.test"])
    assert wait_for(lambda: r.all_rcpts() == [f"{local}@remote.test"])
    log = f.log()
    assert "event=relay-backoff domain=remote.test" in log
    assert f.maildir_files("alice") == []  # retried, never bounced


def test_crash_mid_delivery_loses_nothing(ferry_factory, remote_factory, passwd):
    """kill -9 while transactions are in flight; after a restart every
    recipient arrives at least once."""
    r = remote_factory()
    f = relay_ferry(ferry_factory, passwd, [("remote.test", r.port)])
    rcpts = [f"slow{i}@remote.test" for i in range(6)]
    for rc in rcpts:
        submit(f, [rc])
    time.sleep(0.7)
    f.kill9()
    f.start()
    assert wait_for(lambda: set(r.all_rcpts()) == set(rcpts), timeout=40)
    assert f.maildir_files("alice") == []


def test_retry_time_survives_restart(ferry_factory, remote_factory, passwd):
    """A deferred recipient is not retried early after a restart: its next
    attempt time is part of the queue state."""
    r = remote_factory()
    f = relay_ferry(ferry_factory, passwd, [("remote.test", r.port)],
                    ["retry_min = 1h", "retry_max = 2h"])
    submit(f, ["always451-x@remote.test"])
    assert wait_for(lambda: r.seen.get("always451-x@remote.test") == 1)
    time.sleep(0.5)
    f.stop()
    f.start()
    time.sleep(3)
    assert r.seen.get("always451-x@remote.test") == 1
    out = subprocess.run([FERRY, "queue", "--config", f.config_path, "list"],
                         capture_output=True, text=True)
    assert "always451-x@remote.test" in out.stdout


def test_tls_required_destination_defers_without_starttls(ferry_factory,
                                                         remote_factory, passwd):
    r = remote_factory()  # offers no STARTTLS
    f = relay_ferry(ferry_factory, passwd, [("remote.test", r.port)],
                    ["tls_required_domains = other.test,remote.test"])
    submit(f, ["ok@remote.test"])
    assert wait_for(lambda: "event=relay-deferred" in f.log())
    assert r.all_rcpts() == []
    assert "TLS" in [l for l in f.log().splitlines()
                     if "relay-deferred" in l][0]


def test_delay_warning_when_asked(ferry_factory, remote_factory, passwd):
    r = remote_factory()
    f = relay_ferry(ferry_factory, passwd, [("remote.test", r.port)],
                    ["delay_warning = 1s", "retry_min = 1s"])
    submit(f, ["always451-d@remote.test"], rcpt_options=["NOTIFY=DELAY,FAILURE"])
    per_rcpt = status_blocks(dsn_in(f))[1]
    assert per_rcpt["Action"] == "delayed"
    assert per_rcpt["Status"].startswith("4.")
    assert "451 4.3.0" in per_rcpt["Diagnostic-Code"]


def test_delay_warning_is_sent_once_across_a_restart(ferry_factory,
                                                     remote_factory, passwd):
    """The "delayed" report is recorded with the recipient's state: after
    a restart the retries go on and the sender gets no second one."""
    r = remote_factory()
    f = relay_ferry(ferry_factory, passwd, [("remote.test", r.port)],
                    ["delay_warning = 1s", "retry_min = 1s",
                     "retry_max = 1s"])
    submit(f, ["always451-r@remote.test"],
           rcpt_options=["NOTIFY=DELAY,FAILURE"])
    assert status_blocks(dsn_in(f))[1]["Action"] == "delayed"
    time.sleep(0.5)  # the attempt's state record follows the report
    assert f.stop() == 0
    f.start()
    tries = len(r.rcpt_times)
    assert wait_for(lambda: len(r.rcpt_times) >= tries + 2, timeout=10), \
        f.log()[-3000:]
    time.sleep(0.5)  # a second report would be in the Maildir by now
    assert len(f.maildir_files("alice")) == 1, f.log()[-3000:]


def test_success_dsn_relayed_when_remote_has_no_dsn(ferry_factory,
                                                   remote_factory, passwd):
    r = remote_factory()  # aiosmtpd does not offer DSN
    f = relay_ferry(ferry_factory, passwd, [("remote.test", r.port)])
    submit(f, ["ok-s@remote.test"], rcpt_options=["NOTIFY=SUCCESS"])
    per_rcpt = status_blocks(dsn_in(f))[1]
    assert per_rcpt["Action"] == "relayed"
    assert per_rcpt["Status"] == "2.0.0"
    # RFC 3464 s2.3.5: a host name; the transport names only an address,
    # so it is the address literal, never "127.0.0.1 [127.0.0.1]".
    assert per_rcpt["Remote-MTA"] == "dns; [127.0.0.1]"
    assert r.all_rcpts() == ["ok-s@remote.test"]


def test_smarthost_with_starttls_and_auth(ferry_factory, passwd, tmp_path):
    """Everything goes through one relay host; ferry logs in there only
    inside TLS (its self-signed certificate pinned; test_smarthost_tls.py
    has the verification cases)."""
    import ssl as ssl_mod
    from aiosmtpd.smtp import AuthResult
    cert, key = str(tmp_path / "c.pem"), str(tmp_path / "k.pem")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "2", "-subj", "/CN=smarthost.test"],
                   check=True, capture_output=True)
    fingerprint = subprocess.run(
        ["openssl", "x509", "-in", cert, "-noout", "-fingerprint",
         "-sha256"], check=True, capture_output=True,
        text=True).stdout.strip().split("=", 1)[1]
    ctx = ssl_mod.create_default_context(ssl_mod.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    logins = []

    def authenticator(server, session, envelope, mechanism, data):
        logins.append((mechanism, data.login, data.password))
        ok = data.login == b"relayuser" and data.password == b"relaypw"
        return AuthResult(success=ok)

    handler = Remote()
    port = free_port()
    c = Controller(handler, hostname="127.0.0.1", port=port, tls_context=ctx,
                   require_starttls=True, authenticator=authenticator,
                   auth_require_tls=True)
    c.start()
    try:
        f = relay_ferry(ferry_factory, passwd, [],
                        [f"smarthost = 127.0.0.1:{port}",
                         "smarthost_user = relayuser",
                         "smarthost_password = relaypw",
                         f"smarthost_fingerprint = {fingerprint}"])
        submit(f, ["anyone@far-away.example"])
        assert wait_for(lambda: handler.all_rcpts() == ["anyone@far-away.example"])
        assert logins and logins[0][1:] == (b"relayuser", b"relaypw")
        # The delivery line is logged after the remote's 250 has arrived,
        # which can be after the handler has seen the message.
        assert wait_for(lambda: "TLSv1." in f.log())
    finally:
        c.stop()

