"""The DNS client checks (docs/policy.md), fed by local DNS data
([relay] dns_local_data, resolv_conf = none) instead of name servers.
Clients come from several loopback addresses (127.0.0.x), so each plays
a different host: one with good reverse DNS, one without, one whose PTR
lies, one on a block list, one on both lists."""
import os
import shutil
import smtplib

import pytest

from conftest import make_workdir

ZONE = """\
zone 0.0.127.in-addr.arpa. static
1.0.0.127.in-addr.arpa. 300 IN PTR client.example.net.
3.0.0.127.in-addr.arpa. 300 IN PTR liar.example.net.
4.0.0.127.in-addr.arpa. 300 IN PTR listed.example.net.
5.0.0.127.in-addr.arpa. 300 IN PTR other.example.net.
6.0.0.127.in-addr.arpa. 300 IN PTR friend.example.net.
zone example.net. static
client.example.net. 300 IN A 127.0.0.1
liar.example.net. 300 IN A 192.0.2.1
listed.example.net. 300 IN A 127.0.0.4
other.example.net. 300 IN A 127.0.0.5
friend.example.net. 300 IN A 127.0.0.6
example.net. 300 IN MX 10 mx.example.net.
zone bl.test. static
4.0.0.127.bl.test. 300 IN A 127.0.0.2
5.0.0.127.bl.test. 300 IN A 127.0.0.9
6.0.0.127.bl.test. 300 IN A 127.0.0.2
zone wl.test. static
6.0.0.127.wl.test. 300 IN A 127.0.10.1
zone exists.test. static
a.exists.test. 300 IN A 192.0.2.7
txt.exists.test. 300 IN TXT "no mail here"
zone nowhere.test. static
"""

OK = "250 2.1.5 Recipient ok"
NO_RDNS = "450 4.7.1 Client host rejected: cannot find your reverse hostname"


@pytest.fixture
def dns_ferry(ferry_factory):
    d = make_workdir()
    zone = os.path.join(d, "local.zone")
    with open(zone, "w") as f:
        f.write(ZONE)
    os.chmod(zone, 0o644)

    def make(*policy):
        return ferry_factory(extra=[
            "[relay]", "resolv_conf = none", f"dns_local_data = {zone}",
            "[policy]", "exempt_networks = none"] + list(policy))
    yield make
    shutil.rmtree(d, ignore_errors=True)


def rcpts_from(f, source, sender, rcpts):
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30,
                      source_address=(source, 0)) as s:
        s.ehlo("client.example.net")
        assert s.mail(sender)[0] == 250
        out = []
        for r in rcpts:
            code, msg = s.rcpt(r)
            out.append(f"{code} {msg.decode()}")
        if any(r.startswith("250") for r in out):
            assert s.data(b"Subject: dns\r\n\r\nhello\r\n")[0] == 250
    return out


def test_reverse_dns_forward_confirmed(dns_ferry):
    f = dns_ferry("reverse_dns = fcrdns")
    assert rcpts_from(f, "127.0.0.1", "a@example.net",
                      ["demo@example.test"]) == [OK]
    assert len(f.wait_maildir("demo", 1)) == 1
    # No PTR at all, and a PTR whose name does not lead back.
    for source in ("127.0.0.2", "127.0.0.3"):
        assert rcpts_from(f, source, "a@example.net",
                          ["bob@example.test"]) == [NO_RDNS]
    assert f.maildir_files("bob") == []
    assert "rule=reverse_dns key=127.0.0.3" in f.log()


def test_reverse_dns_ptr_only(dns_ferry):
    f = dns_ferry("reverse_dns = ptr")
    assert rcpts_from(f, "127.0.0.3", "a@example.net",
                      ["demo@example.test"]) == [OK]
    assert rcpts_from(f, "127.0.0.2", "a@example.net",
                      ["demo@example.test"]) == [NO_RDNS]
    assert len(f.wait_maildir("demo", 1)) == 1


def test_dnsbl_with_return_codes_and_dnswl(dns_ferry):
    f = dns_ferry("dnsbl = bl.test=127.0.0.2|127.0.0.3", "dnswl = wl.test",
                  "reverse_dns = fcrdns")
    assert rcpts_from(f, "127.0.0.4", "a@example.net",
                      ["demo@example.test", "bob@example.test"]) == \
        ["554 5.7.1 Service unavailable; Client host [127.0.0.4] blocked "
         "using bl.test"] * 2
    # Listed with a code the filter does not count: accepted.
    assert rcpts_from(f, "127.0.0.5", "a@example.net",
                      ["demo@example.test"]) == [OK]
    # On the block list and on the allow list: the allow list wins.
    assert rcpts_from(f, "127.0.0.6", "a@example.net",
                      ["alice@example.test"]) == [OK]
    assert len(f.wait_maildir("demo", 1)) == 1
    assert len(f.wait_maildir("alice", 1)) == 1
    assert f.maildir_files("bob") == []


def test_dnswl_skips_greylisting(dns_ferry):
    f = dns_ferry("dnswl = wl.test", "greylist = yes")
    assert rcpts_from(f, "127.0.0.6", "a@example.net",
                      ["demo@example.test"]) == [OK]
    assert rcpts_from(f, "127.0.0.5", "a@example.net",
                      ["demo@example.test"])[0].startswith("451 4.7.1")


def test_sender_domain_not_found(dns_ferry):
    f = dns_ferry("sender_domain_check = yes")
    assert rcpts_from(f, "127.0.0.1", "x@nowhere.test",
                      ["demo@example.test"]) == \
        ["553 5.1.8 Sender address rejected: Domain not found"]
    assert rcpts_from(f, "127.0.0.1", "x@txt.exists.test",
                      ["demo@example.test"]) == \
        ["450 4.1.8 Sender address rejected: Domain not found"]
    # An MX, or an address as the implicit MX, is enough; <> is never
    # checked.
    for sender in ("x@example.net", "x@a.exists.test", ""):
        assert rcpts_from(f, "127.0.0.1", sender,
                          ["demo@example.test"]) == [OK]
    assert len(f.wait_maildir("demo", 3)) == 3
    assert "rule=sender_domain key=nowhere.test" in f.log()


def test_policy_check_waits_for_the_dns(dns_ferry):
    import subprocess
    from conftest import FERRY
    f = dns_ferry("dnsbl = bl.test=127.0.0.2", "reverse_dns = fcrdns")

    def check(ip):
        r = subprocess.run([FERRY, "policy", "check", "--config",
                            f.config_path, "--ip", ip, "--helo",
                            "client.example.net", "--from", "a@example.net",
                            "--to", "demo@example.test"],
                           capture_output=True, text=True, timeout=30)
        assert r.returncode == 0, r.stderr
        return r.stdout.strip()
    assert check("127.0.0.4") == (
        "refused stage=rcpt rule=dnsbl key=127.0.0.4 reply=554 5.7.1 "
        "Service unavailable; Client host [127.0.0.4] blocked using bl.test")
    assert check("127.0.0.2") == (
        "refused stage=rcpt rule=reverse_dns key=127.0.0.2 reply=450 4.7.1 "
        "Client host rejected: cannot find your reverse hostname")
    assert check("127.0.0.1") == "passed"
    # A check counts nothing.
    assert "dnsbl                0" in subprocess.run(
        [FERRY, "policy", "stats", "--config", f.config_path],
        capture_output=True, text=True, timeout=30).stdout
