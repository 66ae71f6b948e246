"""ARC (RFC 8617, docs/mail-auth.md "ARC"): ferry verifies the chains
dkimpy (python3-dkim, `dkim.arc_sign`) seals and agrees with dkimpy's
`dkim.arc_verify`; and what ferry seals when an alias forwards inbound mail
to a remote address, dkimpy's arc_verify accepts.

The DNS is local data ([relay] dns_local_data), the remote an aiosmtpd
server on loopback, the keys from `ferry dkim keygen` (test_dkim.py).
"""
import os
import re
import smtplib

import pytest

dkim = pytest.importorskip("dkim")
pytest.importorskip("aiosmtpd.controller")
pytest.importorskip("authres")  # dkim.arc_sign reads A-R fields with it

from test_dkim import dnsfunc_for, keys, received_by  # noqa: E402,F401
from test_mailauth import (auth_results, checking_ferry, message,  # noqa: E402
                           send, stored, zone)
from test_relay import remote_factory  # noqa: E402,F401

HOST = "mx.test.example"  # the hostname conftest gives every instance


def key_of(keydir, domain, selector):
    with open(os.path.join(keydir, domain, selector + ".pem"), "rb") as f:
        return f.read()


def dkimpy_seal(keydir, msg, srv_id, arc_result, domain="example.test",
                selector="rsa1"):
    """One hop: the hop's A-R (with its arc= verdict), then its ARC set."""
    msg = (f"Authentication-Results: {srv_id}; arc={arc_result}\r\n"
           .encode() + msg)
    sigs = dkim.arc_sign(msg, selector.encode(), domain.encode(),
                         key_of(keydir, domain, selector), srv_id.encode())
    assert len(sigs) == 3, sigs
    return b"".join(sigs) + msg


def dkimpy_cv(msg, records):
    cv, _, reason = dkim.arc_verify(msg, dnsfunc=dnsfunc_for(records))
    return (cv or b"fail").decode(), reason


def ferry_arc(f, msg, n):
    send(f, "alice@example.test", msg)
    ours = [a for a in auth_results(stored(f, n=n)) if f": {HOST};" in a]
    assert len(ours) == 1, ours
    m = re.search(r"; arc=(\w+)", ours[0])
    assert m, ours[0]
    return m.group(1), ours[0]


def chains(keydir):
    """name -> message: no chain, one hop, two hops, tampered ones."""
    base = message("Alice <alice@example.test>")
    one = dkimpy_seal(keydir, base, "hop1.test", "none")
    two = dkimpy_seal(keydir, one, "hop2.test", "pass", "test.example", "mx")
    head, body = two.split(b"\r\n\r\n", 1)
    # A list that adds a footer, then seals: the first AMS no longer
    # verifies, the chain does.
    footer = dkimpy_seal(keydir, one + b"-- \r\nlist footer\r\n",
                         "list.test", "pass", "test.example", "mx")
    return {
        "none": base,
        "one-hop": one,
        "two-hops": two,
        "list-footer": footer,
        "body-changed": head + b"\r\n\r\n" + body.replace(b"Hello",
                                                          b"Hallo"),
        # The first hop's AAR is covered by the newest seal only.
        "aar-changed": two.replace(b"hop1.test; arc=none",
                                   b"hop1.test; arc=pass"),
        # Set 1 gone: set 2 stands alone, the structure fails.
        "set-missing": b"".join(
            line for line in re.split(rb"(?m)^(?=\S)", two)
            if not re.match(rb"ARC-[A-Za-z-]+: i=1;", line)),
    }


def test_ferry_agrees_with_dkimpy_on_dkimpy_chains(ferry_factory, keys):
    keydir, records = keys
    f = checking_ferry(ferry_factory, keys)
    want = {"none": "none", "one-hop": "pass", "two-hops": "pass",
            "list-footer": "pass", "body-changed": "fail",
            "aar-changed": "fail", "set-missing": "fail"}
    # header.oldest-pass: 0 when every AMS verifies, else the oldest
    # instance whose AMS does (RFC 8617 s5.2 step 5).
    oldest = {"one-hop": 0, "two-hops": 0, "list-footer": 2}
    for n, (name, msg) in enumerate(chains(keydir).items(), 1):
        theirs, reason = dkimpy_cv(msg, records)
        ours, ar = ferry_arc(f, msg, n)
        assert (name, ours) == (name, theirs), (reason, ar)
        assert (name, ours) == (name, want[name]), (reason, ar)
        assert "smtp.remote-ip=127.0.0.1" in ar, ar
        if ours == "pass":
            assert re.search(r"arc=pass \(i=\d sealer=[a-z.]+\)", ar), ar
            assert f"header.oldest-pass={oldest[name]}" in ar, (name, ar)


def test_key_lookup_trouble_is_temporary_never_a_bounce(ferry_factory,
                                                         keys):
    keydir, records = keys
    # Sealed with example.test's key, but the sets name broken.test, whose
    # zone refuses (test_mailauth.zone): the key lookup fails temporarily.
    msg = dkimpy_seal(keydir, message("alice@example.test"), "hop1.test",
                      "none").replace(b"d=example.test", b"d=broken.test")
    f = checking_ferry(ferry_factory, keys, "enforce")
    ours, ar = ferry_arc(f, msg, 1)
    assert ours == "temperror", ar


def test_trusted_sealer_sets_dmarc_fail_aside(ferry_factory, keys):
    """forged.test publishes p=reject; a list that rewrote nothing but
    sealed (test.example) is trusted: the message is delivered."""
    keydir, records = keys
    msg = dkimpy_seal(keydir, message("x@forged.test"), "list.test", "none",
                      "test.example", "mx")
    f = checking_ferry(ferry_factory, keys, "enforce",
                       ["[mailauth]", "arc_trusted_sealers = test.example"])
    ours, ar = ferry_arc(f, msg, 1)
    assert ours == "pass", ar
    assert "dmarc=fail (p=reject overridden by ARC sealer test.example)" \
        in ar, ar
    # Without the option the same message is refused.
    g = checking_ferry(ferry_factory, keys, "enforce")
    with smtplib.SMTP("127.0.0.1", g.port, timeout=30) as s:
        s.ehlo("client.example.test")
        s.mail("alice@example.test")
        s.rcpt("demo@example.test")
        code, text = s.data(msg)
        assert code == 550 and text.startswith(b"5.7.26"), text


def forwarding_ferry(ferry_factory, keys, remote_port, verify=True):
    keydir, records = keys
    return ferry_factory(extra=[
        "alias = fwd: ok-fwd@remote.test",
        "[dkim]", f"key_dir = {keydir}",
        "[mailauth]", f"verify = {'yes' if verify else 'no'}",
        "[relay]", f"transport = remote.test: 127.0.0.1:{remote_port}",
        "resolv_conf = none", f"dns_local_data = {zone(records)}",
        "retry_min = 1s", "retry_max = 2s"])


def forward(f, msg):
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
        s.ehlo("client.example.test")
        s.sendmail("alice@example.test", ["fwd@example.test"], msg)


def arc_fields(msg, name):
    return re.findall(rb"(?ms)^" + name + rb":.*?(?=^\S)", msg)


def test_forwarded_mail_is_sealed_for_dkimpy(ferry_factory, remote_factory,
                                             keys):
    keydir, records = keys
    r = remote_factory()
    f = forwarding_ferry(ferry_factory, keys, r.port)
    # First hop: no chain yet, cv=none; sealed with test.example's key
    # (the host name mx.test.example's closest parent with keys).
    forward(f, message("Alice <alice@example.test>", "first"))
    out = received_by(r, "ok-fwd@remote.test")
    seal = arc_fields(out, b"ARC-Seal")
    assert len(seal) == 1 and b"i=1;" in seal[0] and b"cv=none" in seal[0]
    assert b"d=test.example" in seal[0] and b"s=mx" in seal[0], seal
    aar = arc_fields(out, b"ARC-Authentication-Results")[0]
    assert re.match(rb"ARC-Authentication-Results: i=1; " +
                    HOST.encode() + rb"; spf=", aar), aar
    assert dkimpy_cv(out, records)[0] == "pass"
    # Tampering breaks it.
    assert dkimpy_cv(out.replace(b"Hello", b"Hallo"), records)[0] == "fail"
    assert dkimpy_cv(out.replace(b"Subject: first", b"Subject: other"),
                     records)[0] == "fail"


def test_forwarding_extends_a_valid_chain(ferry_factory, remote_factory,
                                          keys):
    keydir, records = keys
    r = remote_factory()
    f = forwarding_ferry(ferry_factory, keys, r.port)
    forward(f, dkimpy_seal(keydir, message("alice@example.test"),
                           "hop1.test", "none"))
    out = received_by(r, "ok-fwd@remote.test")
    seals = arc_fields(out, b"ARC-Seal")
    assert len(seals) == 2, out[:2000]
    assert b"i=2;" in seals[0] and b"cv=pass" in seals[0], seals
    assert dkimpy_cv(out, records) == ("pass", "success")
    assert dkimpy_cv(out.replace(b"Hello", b"Hallo"), records)[0] == "fail"


def test_failed_chain_and_unverified_mail_are_not_sealed(
        ferry_factory, remote_factory, keys):
    keydir, records = keys
    r = remote_factory()
    f = forwarding_ferry(ferry_factory, keys, r.port)
    broken = dkimpy_seal(keydir, message("alice@example.test", "broken"),
                         "hop1.test", "none").replace(b"Hello", b"Hallo")
    forward(f, broken)
    out = received_by(r, "ok-fwd@remote.test")
    assert len(arc_fields(out, b"ARC-Seal")) == 1, out[:2000]
    assert b"arc=fail" in out
    # [mailauth] verify off: ferry knows nothing to seal.
    r2 = remote_factory()
    g = forwarding_ferry(ferry_factory, keys, r2.port, verify=False)
    forward(g, message("alice@example.test"))
    assert arc_fields(received_by(r2, "ok-fwd@remote.test"),
                      b"ARC-Seal") == []
