"""Relay control: who may relay without AUTH ([relay] trusted_networks),
the domains ferry forwards for ([relay_domain NAME]) and the lookup tables
behind them (text and CDB maps), driven by smtplib.

The outside client is the same host seen from a second loopback address:
smtplib binds its end to 127.0.0.2 (source_address), which the whole
127.0.0.0/8 routes to on Linux, so ferry sees a client outside a
127.0.0.1/32 trusted network.
"""
import os
import smtplib
import subprocess
import threading
import time

import pytest

aiosmtpd = pytest.importorskip("aiosmtpd.controller")
from aiosmtpd.controller import Controller  # noqa: E402

from conftest import FERRY, free_port, make_workdir, wait_for  # noqa: E402

OUTSIDE = ("127.0.0.2", 0)
DENIED = b"Relay access denied"


class Sink:
    """The next hop: takes every message and remembers it."""

    def __init__(self):
        self.received = []  # (mail_from, rcpt_tos, data)
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.received.append((envelope.mail_from,
                                  list(envelope.rcpt_tos), envelope.content))
        return "250 2.0.0 Ok: queued"

    def rcpts(self):
        with self.lock:
            return sorted(r for _, rs, _ in self.received for r in rs)


@pytest.fixture
def sink():
    handler = Sink()
    port = free_port()
    c = Controller(handler, hostname="127.0.0.1", port=port)
    c.start()
    handler.port = port
    yield handler
    c.stop()


def relay_settings(*lines):
    return ["[relay]", "resolv_conf = none", "retry_min = 1s",
            "retry_max = 2s", "connect_timeout = 5s"] + list(lines)


def rcpt(f, to, source=None, sender="app@example.test"):
    """The RCPT reply (code, text) for one recipient, then QUIT."""
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30,
                      source_address=source) as s:
        s.ehlo("client.example")
        s.mail(sender)
        return s.rcpt(to)


def send(f, rcpts, source=None, subject="relay control"):
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30,
                      source_address=source) as s:
        s.ehlo("client.example")
        return s.sendmail("app@example.test", rcpts,
                          f"Subject: {subject}\r\nFrom: app@example.test\r\n"
                          f"\r\nbody\r\n".encode())


def test_trusted_network_relays_without_auth(ferry_factory, sink):
    f = ferry_factory(extra=relay_settings(
        "trusted_networks = 127.0.0.1/32, ::1/128",
        f"transport = remote.test: 127.0.0.1:{sink.port}"))
    assert send(f, ["someone@remote.test"]) == {}
    assert wait_for(lambda: sink.rcpts() == ["someone@remote.test"]), \
        f.log()[-3000:]
    assert b"Subject: relay control" in sink.received[0][2]
    # The same server seen from outside the trusted network: refused.
    code, text = rcpt(f, "someone@remote.test", source=OUTSIDE)
    assert code == 554 and text.startswith(b"5.7.1 ") and DENIED in text
    assert "rule=recipient" in f.log()


def test_closed_relay_by_default(ferry_factory, sink):
    f = ferry_factory(extra=relay_settings(
        f"transport = remote.test: 127.0.0.1:{sink.port}"))
    code, text = rcpt(f, "someone@remote.test")
    assert (code, text) == (
        554, b"5.7.1 <someone@remote.test>: Relay access denied")
    # Local mail still flows.
    assert rcpt(f, "demo@example.test")[0] == 250


def test_trusted_network_keeps_routing_refusals(ferry_factory, sink):
    f = ferry_factory(extra=relay_settings(
        "trusted_networks = 127.0.0.0/8",
        f"transport = remote.test: 127.0.0.1:{sink.port}"))
    # %-hack and source routes stay refused, trusted or not.
    route = b"Source routes and % addressing are not accepted"
    for to in ("user%other.test@remote.test", "other.test!user@remote.test"):
        code, text = rcpt(f, to)
        assert code == 550 and text.startswith(b"5.7.1 ") and route in text
    assert rcpt(f, "someone@remote.test", source=OUTSIDE)[0] == 250


def test_old_policy_key_is_refused_with_its_new_name(tmp_path):
    conf = tmp_path / "ferry.conf"
    conf.write_text("[policy]\ntrusted_networks = 127.0.0.0/8\n")
    r = subprocess.run([FERRY, "check-config", "--config", str(conf)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    assert "ferry.conf:2: [policy] trusted_networks is now " \
        "exempt_networks" in r.stderr


def write_map(path, text):
    """Replaced the way an editor or `ferry map build` does: renamed in."""
    tmp = f"{path}.new"
    with open(tmp, "w") as f:
        f.write(text)
    os.chmod(tmp, 0o644)
    os.replace(tmp, path)


def map_build(src, dst):
    r = subprocess.run([FERRY, "map", "build", src, dst],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    os.chmod(dst, 0o644)


def relay_domain(name, *lines):
    return [f"[relay_domain {name}]"] + list(lines)


UNKNOWN = (550, b"5.1.1 <%s>: Recipient address rejected: "
           b"User unknown in relay recipient table")


def test_relay_domain_forwards_to_its_next_hop(ferry_factory, sink):
    d = make_workdir()
    recipients = os.path.join(d, "recipients")
    write_map(recipients, "# who works at backup.test\n"
                          "carol@backup.test  ok\n")
    f = ferry_factory(extra=relay_settings() + relay_domain(
        "backup.test", "recipients = alice, Bob@Backup.test",
        f"recipient_map = text:{recipients}",
        f"next_hop = 127.0.0.1:{sink.port}"))
    # Anyone may send to a relay domain's recipients, without AUTH.
    assert send(f, ["alice@backup.test", "bob@backup.test",
                    "Carol@backup.test"], source=OUTSIDE) == {}
    assert wait_for(lambda: len(sink.rcpts()) == 3), f.log()[-3000:]
    assert sink.rcpts() == ["Carol@backup.test", "alice@backup.test",
                            "bob@backup.test"]
    # Unknown ones are refused at RCPT: nothing to bounce later.
    for to in ("dave@backup.test", "alice+x@backup.test"):
        code, text = rcpt(f, to, source=OUTSIDE)
        assert (code, text) == (UNKNOWN[0], UNKNOWN[1] % to.encode())
    # A relay domain does not open the relay for other domains.
    code, text = rcpt(f, "x@elsewhere.test", source=OUTSIDE)
    assert code == 554 and DENIED in text
    # The map changes; the running server follows within a second or so.
    write_map(recipients, "carol@backup.test ok\ndave@backup.test ok\n")
    assert wait_for(lambda: rcpt(f, "dave@backup.test",
                                 source=OUTSIDE)[0] == 250, timeout=10)
    assert "event=map-reload" in f.log()


def test_relay_domain_without_list_takes_all_and_resolves_its_hop(
        ferry_factory, sink):
    zone = os.path.join(make_workdir(), "local.zone")
    with open(zone, "w") as fh:
        fh.write("zone dns.test. static\n"
                 "exchange.dns.test. 300 IN A 127.0.0.1\n")
    os.chmod(zone, 0o644)
    f = ferry_factory(extra=relay_settings(f"dns_local_data = {zone}") +
                      relay_domain("corp.test",
                                   f"next_hop = exchange.dns.test:"
                                   f"{sink.port}"))
    assert send(f, ["anyone@corp.test"], source=OUTSIDE) == {}
    assert wait_for(lambda: sink.rcpts() == ["anyone@corp.test"]), \
        f.log()[-3000:]


@pytest.mark.parametrize("kind", ["cdb", "lmdb"])
def test_relay_domain_built_recipient_map(ferry_factory, sink, kind):
    d = make_workdir()
    src, cdb = os.path.join(d, "rcpts"), os.path.join(d, f"rcpts.{kind}")
    write_map(src, "alice@backup.test 1\n@team.backup.test 1\n")
    map_build(src, cdb)
    r = subprocess.run([FERRY, "map", "lookup", f"{kind}:{cdb}",
                        "ALICE@backup.test"], capture_output=True,
                       text=True, timeout=30)
    assert (r.returncode, r.stdout) == (0, "1\n")
    r = subprocess.run([FERRY, "map", "lookup", cdb, "bob@backup.test"],
                       capture_output=True, text=True, timeout=30)
    assert (r.returncode, r.stdout) == (1, "")
    f = ferry_factory(extra=relay_settings() + relay_domain(
        "backup.test", f"recipient_map = {cdb}",
        f"next_hop = 127.0.0.1:{sink.port}"))
    assert rcpt(f, "alice@backup.test", source=OUTSIDE)[0] == 250
    code, text = rcpt(f, "bob@backup.test", source=OUTSIDE)
    assert (code, text) == (UNKNOWN[0], UNKNOWN[1] % b"bob@backup.test")
    # Rebuilt in place (written beside it, renamed): taken up at once.
    write_map(src, "alice@backup.test 1\nbob@backup.test 1\n")
    map_build(src, cdb)
    assert wait_for(lambda: rcpt(f, "bob@backup.test",
                                 source=OUTSIDE)[0] == 250, timeout=10)
    assert send(f, ["bob@backup.test"], source=OUTSIDE) == {}
    assert wait_for(lambda: sink.rcpts() == ["bob@backup.test"])


def test_domain_alias_map(ferry_factory):
    d = make_workdir()
    aliases = os.path.join(d, "aliases")
    write_map(aliases, "sales alice, bob\n"
                       "office@example.test demo\n"
                       "# a ferry.conf alias wins over the map:\n"
                       "info nobody\n")
    f = ferry_factory(extra=[f"alias_map = text:{aliases}"])
    # info is accepted: its ferry.conf alias (alice, bob), not the map's
    # "nobody", which is no mailbox.  One copy per mailbox per message.
    assert send(f, ["sales@example.test", "office@example.test",
                    "info@example.test"]) == {}
    assert len(f.wait_maildir("alice", 1)) == 1
    assert len(f.wait_maildir("bob", 1)) == 1
    assert len(f.wait_maildir("demo", 1)) == 1
    code, _ = rcpt(f, "support@example.test")
    assert code == 550
    write_map(aliases, "support demo\n")
    assert wait_for(lambda: rcpt(f, "support@example.test")[0] == 250,
                    timeout=10)
    # An alias the new file no longer has is gone too.
    assert wait_for(lambda: rcpt(f, "sales@example.test")[0] == 550,
                    timeout=10)


def test_relay_domain_config_errors(tmp_path):
    conf = tmp_path / "ferry.conf"
    conf.write_text("[relay_domain backup.test]\n"
                    "recipients = alice@other.test\n"
                    "recipient_map = hash:/etc/x\n"
                    "next_hop = not a host\n"
                    "[domain backup.test]\n"
                    "maildir_root = /tmp/x\n"
                    "mailbox = postmaster\n"
                    "alias_map = /nonexistent/aliases\n")
    r = subprocess.run([FERRY, "check-config", "--config", str(conf)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode != 0
    err = r.stderr
    assert "ferry.conf:2: recipients: 'alice@other.test' is not a local " \
        "part or an address of backup.test" in err
    assert "ferry.conf:3: recipient_map: 'hash:/etc/x' is not a map" in err
    assert "ferry.conf:4: next_hop: " in err
    assert "ferry.conf:8: alias_map: /nonexistent/aliases: " in err
    assert "ferry.conf:1: [relay_domain backup.test] is also a [domain]" \
        in err


def test_unreadable_recipient_map_defers(ferry_factory, sink):
    """A table the daemon cannot read (after dropping root) refuses
    nobody for good: 451 4.3.0, and the sender tries again."""
    d = make_workdir()
    recipients = os.path.join(d, "recipients")
    write_map(recipients, "alice@backup.test ok\n")
    os.chmod(recipients, 0o600)  # root's; the daemon runs as ferry
    f = ferry_factory(extra=relay_settings() + relay_domain(
        "backup.test", f"recipient_map = {recipients}",
        f"next_hop = 127.0.0.1:{sink.port}"))
    code, text = rcpt(f, "alice@backup.test", source=OUTSIDE)
    assert (code, text) == (451, b"4.3.0 Local error in processing, "
                                 b"try again later")
    assert "event=map" in f.log()


def policy_check(f, ip, to):
    r = subprocess.run([FERRY, "policy", "check", "--ip", ip, "--helo",
                        "client.example.net", "--from", "app@example.net",
                        "--to", to, "--config", f.config_path],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    return r.stdout.strip()


def test_relay_permission_is_a_policy_rule_for_ipv4_and_ipv6(ferry_factory):
    """`ferry policy check` asks the running daemon's rule table: the
    relay decision is the recipient rule's, for made-up clients of both
    address families."""
    f = ferry_factory(extra=relay_settings(
        "trusted_networks = 192.0.2.0/24, 2001:db8:1::/48"))
    assert policy_check(f, "192.0.2.77", "x@remote.test") == "passed"
    assert policy_check(f, "2001:db8:1:2::5", "x@remote.test") == "passed"
    for ip in ("198.51.100.1", "2001:db8:2::5"):
        assert policy_check(f, ip, "x@remote.test") == (
            "refused stage=rcpt rule=recipient key=x@remote.test "
            "reply=554 5.7.1 <x@remote.test>: Relay access denied")


def test_domain_mailbox_map(ferry_factory):
    """Virtual mailboxes from a table: delivered into Maildirs made at the
    first delivery; a mailbox added to the file takes mail at once."""
    d = make_workdir()
    mailboxes = os.path.join(d, "mailboxes")
    write_map(mailboxes, "erin@example.test ok\nfrank ok\n../etc ok\n")
    f = ferry_factory(extra=[f"mailbox_map = text:{mailboxes}"])
    assert send(f, ["erin@example.test", "Frank@example.test"]) == {}
    assert len(f.wait_maildir("erin", 1)) == 1
    assert len(f.wait_maildir("frank", 1)) == 1
    # A key that would leave maildir_root is no mailbox.
    for to in ("gina@example.test", '"../etc"@example.test'):
        code, text = rcpt(f, to)
        assert code == 550 and text.startswith(b"5.1.1 ") and \
            b"User unknown in local recipient table" in text
    write_map(mailboxes, "erin ok\nfrank ok\ngina ok\n")
    assert wait_for(lambda: rcpt(f, "gina@example.test")[0] == 250,
                    timeout=10)
    assert send(f, ["gina@example.test"]) == {}
    assert len(f.wait_maildir("gina", 1)) == 1
