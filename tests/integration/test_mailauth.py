"""Inbound sender authentication ([mailauth], docs/mail-auth.md): SPF at
MAIL, DKIM and DMARC at the end of DATA, one Authentication-Results field
on top of the stored message, and the replies of enforcement.

The DNS is local data ([relay] dns_local_data).  Messages are signed by
dkimpy (python3-dkim), by OpenDKIM (the opendkim milter) and by ferry
itself (a second instance that relays to the first), and the RFC 8463
appendix A message comes in with its own two signatures.
"""
import base64
import os
import re
import smtplib

import pytest

dkim = pytest.importorskip("dkim")
pytest.importorskip("aiosmtpd.controller")

from conftest import make_workdir, wait_for  # noqa: E402
from test_dkim import keys, zone_file  # noqa: E402,F401
from test_milter import milter_ferry, opendkim  # noqa: E402,F401
from test_relay import passwd  # noqa: E402,F401

HOST = "mx.test.example"  # the hostname conftest gives every instance

RFC8463_KEYS = {
    "brisbane._domainkey.football.example.com":
        "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=",
    "test._domainkey.football.example.com":
        "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWR"
        "iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutA"
        "CDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC"
        "3Ip3G+2kryOTIKT+l/K4w3QIDAQAB",
}

RFC8463_MESSAGE = (
    "DKIM-Signature: v=1; a=ed25519-sha256; c=relaxed/relaxed;\r\n"
    " d=football.example.com; i=@football.example.com;\r\n"
    " q=dns/txt; s=brisbane; t=1528637909; h=from : to :\r\n"
    " subject : date : message-id : from : subject : date;\r\n"
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
    " b=/gCrinpcQOoIfuHNQIbq4pgh9kyIK3AQUdt9OdqQehSwhEIug4D11Bus\r\n"
    " Fa3bT3FY5OsU7ZbnKELq+eXdp1Q1Dw==\r\n"
    "DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed;\r\n"
    " d=football.example.com; i=@football.example.com;\r\n"
    " q=dns/txt; s=test; t=1528637909; h=from : to : subject :\r\n"
    " date : message-id : from : subject : date;\r\n"
    " bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
    " b=F45dVWDfMbQDGHJFlXUNB2HKfbCeLRyhDXgFpEL8GwpsRe0IeIixNTe3\r\n"
    " DhCVlUrSjV4BwcVcOF6+FF3Zo9Rpo1tFOeS9mPYQTnGdaSGsgeefOsk2Jz\r\n"
    " dA+L10TeYt9BgDfQNZtKdN1WO//KgIqXP7OdEFE4LjFYNcUxZQ4FADY+8=\r\n"
    "From: Joe SixPack <joe@football.example.com>\r\n"
    "To: Suzie Q <suzie@shopping.example.net>\r\n"
    "Subject: Is dinner ready?\r\n"
    "Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
    "Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
    "\r\n"
    "Hi.\r\n"
    "\r\n"
    "We lost the game.  Are you hungry yet?\r\n"
    "\r\n"
    "Joe.\r\n")


def zone(records):
    recs = dict(records)
    recs.update(RFC8463_KEYS)
    recs.update({
        "example.test": "v=spf1 ip4:127.0.0.1 -all",
        "_dmarc.example.test": "v=DMARC1; p=reject; adkim=s",
        "forged.test": "v=spf1 ip4:192.0.2.1 -all",
        "_dmarc.forged.test": "v=DMARC1; p=reject",
        "quar.test": "v=spf1 -all",
        "_dmarc.quar.test": "v=DMARC1; p=quarantine",
        "sub.org.test": "v=spf1 ip4:127.0.0.1 -all",
        "_dmarc.org.test": "v=DMARC1; p=reject; sp=none",
    })
    return zone_file(recs, ["zone test. static", "zone com. static",
                            "zone broken.test. refuse"])


def checking_ferry(ferry_factory, keys, enforce="record", extra=(),
                   records=None):
    recs = dict(keys[1], **(records or {}))
    return ferry_factory(extra=["[mailauth]", "verify = yes",
                                f"enforce = {enforce}",
                                "[relay]", "resolv_conf = none",
                                f"dns_local_data = {zone(recs)}"]
                         + list(extra))


def dkimpy_sign(keydir, msg, domain=b"example.test", selector=b"rsa1"):
    key = open(os.path.join(keydir, domain.decode(),
                            selector.decode() + ".pem"), "rb").read()
    sig = dkim.sign(msg, selector, domain, key,
                    include_headers=[b"from", b"to", b"subject", b"date"])
    return sig + msg


def message(frm, subject="in", extra=""):
    return (f"From: {frm}\r\nTo: demo@example.test\r\nSubject: {subject}\r\n"
            f"Date: Mon, 7 Dec 2026 03:00:00 +0000\r\n{extra}\r\n"
            "Hello.\r\n").encode()


def send(f, sender, msg, rcpt="demo@example.test"):
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
        s.ehlo("client.example.test")
        s.sendmail(sender, [rcpt], msg)


def stored(f, box="demo", n=1):
    files = f.wait_maildir(box, n)
    assert len(files) >= n, f.log()
    return open(files[n - 1], "rb").read()


def auth_results(data):
    """The Authentication-Results fields of a stored message, unfolded."""
    head = data.split(b"\n\n", 1)[0].split(b"\r\n\r\n", 1)[0]
    head = re.sub(rb"\r?\n[ \t]+", b" ", head).decode()
    return [line for line in head.splitlines()
            if line.lower().startswith("authentication-results:")]


def test_dkimpy_signed_mail_passes_everything(ferry_factory, keys):
    f = checking_ferry(ferry_factory, keys)
    forged = (f"Authentication-Results: {HOST}; dkim=pass "
              "header.d=evil.test\r\n"
              "Authentication-Results: other.example; spf=fail\r\n")
    msg = dkimpy_sign(keys[0], message("Alice <alice@example.test>",
                                       extra=""))
    send(f, "alice@example.test", forged.encode() + msg)
    ars = auth_results(stored(f))
    ours = [a for a in ars if f": {HOST};" in a]
    assert len(ours) == 1, ars
    a = ours[0]
    assert "spf=pass smtp.mailfrom=example.test" in a, a
    assert "dkim=pass header.d=example.test header.s=rsa1" in a, a
    assert "dmarc=pass (p=reject) header.from=example.test" in a, a
    assert "evil.test" not in " ".join(ars)
    # Another server's field stays: only ours is removed.
    assert any("other.example; spf=fail" in x for x in ars), ars
    # dkimpy agrees on the same message as stored (after our fields).
    data = stored(f)
    assert dkim.verify(data,
                       dnsfunc=lambda n, timeout=5: keys[1].get(
                           n.decode().rstrip(".")).encode())


def test_foreign_signature_values_cannot_add_results(ferry_factory, keys):
    """A DKIM-Signature whose s= carries "(" and "=": ferry's
    Authentication-Results quotes it, so a reader of the field finds no
    comment or result but ferry's own (RFC 8601 s2.2)."""
    f = checking_ferry(ferry_factory, keys)
    sig = ("DKIM-Signature: v=1; a=rsa-sha256; d=x;dkim=pass;"
           " s=s(1)=; h=from; bh=AAAA; b=AAAA\r\n")
    send(f, "alice@example.test",
         sig.encode() + message("alice@example.test"))
    a = auth_results(stored(f))
    assert len(a) == 1, a
    results = [part.strip().split("=", 1)[0]
               for part in re.sub(r'"(?:[^"\\]|\\.)*"', '""',
                                  a[0].split(";", 1)[1]).split(";")]
    assert results == ["spf", "dkim", "arc", "dmarc"], a
    assert 'header.s="s(1)="' in a[0], a


def test_record_only_delivers_failures_with_their_results(ferry_factory,
                                                         keys):
    f = checking_ferry(ferry_factory, keys)
    send(f, "x@forged.test", message("x@forged.test"))
    a = auth_results(stored(f))
    assert len(a) == 1, a
    assert "spf=fail smtp.mailfrom=forged.test" in a[0]
    assert "dkim=none" in a[0]
    assert "dmarc=fail (p=reject) header.from=forged.test" in a[0], a


def test_enforce_spf_fail_is_refused_at_rcpt(ferry_factory, keys):
    f = checking_ferry(ferry_factory, keys, "enforce")
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
        s.ehlo("client.example.test")
        assert s.mail("x@forged.test")[0] == 250
        code, text = s.rcpt("demo@example.test")
        assert code == 550, text
        assert text.startswith(b"5.7.23 SPF validation failed: forged.test "
                               b"does not designate 127.0.0.1"), text
    assert f.maildir_files("demo") == []


def test_enforce_dmarc_reject_after_data(ferry_factory, keys):
    f = checking_ferry(ferry_factory, keys, "enforce")
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
        s.ehlo("client.example.test")
        # SPF passes for the envelope, but From names forged.test.
        s.mail("alice@example.test")
        s.rcpt("demo@example.test")
        code, text = s.data(message("x@forged.test"))
        assert code == 550, text
        assert text == (b"5.7.26 Unauthenticated email from forged.test is "
                        b"not accepted due to domain's DMARC policy"), text
    assert f.maildir_files("demo") == []


def test_enforce_quarantine_delivers_with_a_header(ferry_factory, keys):
    f = checking_ferry(ferry_factory, keys, "enforce")
    send(f, "alice@example.test", message("q@quar.test"))
    data = stored(f)
    assert b"X-Ferry-Quarantine: DMARC policy of quar.test" in data
    assert "dmarc=fail (p=quarantine)" in auth_results(data)[0]
    # With a Junk folder (Maildir++, as Dovecot makes it) it goes there.
    junk = os.path.join(f.maildir_root, "demo", ".Junk")
    for sub in ("new", "cur", "tmp"):
        os.makedirs(os.path.join(junk, sub))
    os.system(f"chown -R ferry: {junk} 2>/dev/null")
    send(f, "alice@example.test", message("q@quar.test", "second"))
    new = os.path.join(junk, "new")
    assert wait_for(lambda: os.listdir(new)), f.log()
    assert len(f.maildir_files("demo")) == 1
    # Mail that passes stays in the inbox.
    send(f, "alice@example.test", message("alice@example.test", "third"))
    assert len(f.wait_maildir("demo", 2)) == 2


def test_quarantine_field_from_outside_is_removed(ferry_factory, keys):
    f = checking_ferry(ferry_factory, keys)
    send(f, "alice@example.test", b"X-Ferry-Quarantine: forged\r\n" +
         message("alice@example.test"))
    assert b"X-Ferry-Quarantine" not in stored(f)


def remote_domain(enforce=None):
    """A second local domain, remote.test, with its Maildir root."""
    root = os.path.join(make_workdir(), "rt")
    lines = ["[domain remote.test]", f"maildir_root = {root}",
             "mailbox = bob", "alias = postmaster: bob"]
    if enforce:
        lines.append(f"mailauth_enforce = {enforce}")
    return root, lines


def wait_new(root, box="bob"):
    new = os.path.join(root, box, "new")
    assert wait_for(lambda: os.path.isdir(new) and os.listdir(new))
    return open(os.path.join(new, sorted(os.listdir(new))[0]), "rb").read()


def test_per_domain_record_overrides_enforce(ferry_factory, keys):
    root, lines = remote_domain("record")
    f = checking_ferry(ferry_factory, keys, "enforce", lines)
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
        s.ehlo("client.example.test")
        s.mail("x@forged.test")
        assert s.rcpt("demo@example.test")[0] == 550
        assert s.rcpt("bob@remote.test")[0] == 250
        assert s.data(message("x@forged.test"))[0] == 250
    assert "spf=fail" in auth_results(wait_new(root))[0]


def test_dns_trouble_is_temporary(ferry_factory, keys):
    f = checking_ferry(ferry_factory, keys, "enforce")
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
        s.ehlo("client.example.test")
        s.mail("x@broken.test")
        code, text = s.rcpt("demo@example.test")
        assert (code, text[:6]) == (451, b"4.7.24"), text


def test_subdomain_policy_and_relaxed_alignment(ferry_factory, keys):
    f = checking_ferry(ferry_factory, keys, "enforce")
    # sub.org.test has no record: org.test's sp=none applies.
    send(f, "a@sub.org.test", message("a@sub.org.test"))
    a = auth_results(stored(f))[0]
    assert "spf=pass" in a and "dmarc=pass (p=none)" in a, a
    # Relaxed SPF alignment: envelope sub.org.test, From org.test.
    send(f, "a@sub.org.test", message("a@org.test"))
    a = auth_results(stored(f, n=2))[0]
    assert "dmarc=pass (p=reject) header.from=org.test" in a, a


def test_rfc8463_example_passes(ferry_factory, keys):
    f = checking_ferry(ferry_factory, keys)
    send(f, "joe@football.example.com", RFC8463_MESSAGE.encode())
    a = auth_results(stored(f))[0]
    assert ("dkim=pass header.d=football.example.com header.s=brisbane "
            "header.a=ed25519-sha256") in a, a
    assert ("dkim=pass header.d=football.example.com header.s=test "
            "header.a=rsa-sha256") in a, a
    # A changed body fails both.
    send(f, "joe@football.example.com",
         RFC8463_MESSAGE.replace("hungry", "angry").encode())
    a = auth_results(stored(f, n=2))[0]
    assert a.count("dkim=fail") == 2, a


def test_ferry_signs_relays_and_ferry_verifies(ferry_factory, keys, passwd):
    """ferry A signs (rsa and ed25519) and relays to ferry B, which
    checks and delivers."""
    keydir, records = keys
    root, lines = remote_domain()
    b = checking_ferry(ferry_factory, keys, extra=lines)
    a = ferry_factory(
        tls=["submission = optional"],
        auth=["backend = passwd-file", f"passwd_file = {passwd}",
              "require_tls = no"],
        extra=["[dkim]", f"key_dir = {keydir}",
               "[relay]", f"transport = remote.test: 127.0.0.1:{b.port}",
               "resolv_conf = none", f"dns_local_data = {zone(records)}",
               "retry_min = 1s", "retry_max = 2s"])
    with smtplib.SMTP("127.0.0.1", a.submission_port, timeout=30) as s:
        s.login("alice", "pw")
        s.sendmail("alice@example.test", ["bob@remote.test"],
                   message("Alice <alice@example.test>").replace(
                       b"demo@example.test", b"bob@remote.test"))
    ar = auth_results(wait_new(root))
    assert len(ar) == 1, ar
    assert "spf=pass smtp.mailfrom=example.test" in ar[0], ar
    # example.test's DMARC asks adkim=s: both signatures are d=example.test.
    assert ar[0].count("dkim=pass header.d=example.test") == 2, ar
    assert "dmarc=pass (p=reject) header.from=example.test" in ar[0], ar


def test_opendkim_signed_mail_verifies(ferry_factory, keys, opendkim):
    """OpenDKIM (the milter, rsa-sha256, relaxed/simple) signs on one
    ferry; the other verifies what was delivered, and dkimpy agrees."""
    spec, txt = opendkim
    signer = milter_ferry(ferry_factory, smtp=spec)
    send(signer, "alice@example.test", message("alice@example.test"))
    signed = stored(signer)
    assert b"s=test;" in signed and b"a=rsa-sha256" in signed, signed[:600]
    signed = signed.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
    f = checking_ferry(ferry_factory, keys,
                       records={"test._domainkey.example.test":
                                txt.decode()})
    send(f, "alice@example.test", signed)
    a = auth_results(stored(f))[0]
    assert "dkim=pass header.d=example.test header.s=test" in a, a
    assert "dmarc=pass" in a, a
    assert dkim.verify(signed, dnsfunc=lambda n, timeout=5: txt)


def test_helo_is_checked_when_mail_from_has_no_spf(ferry_factory, keys):
    """RFC 7208 s2.3: the HELO identity is checked too, and recorded as
    smtp.helo, when the MAIL FROM domain publishes no SPF record."""
    f = checking_ferry(ferry_factory, keys, "enforce", records={
        "client.example.test": "v=spf1 ip4:127.0.0.1 -all",
        "bad-helo.example.test": "v=spf1 ip4:192.0.2.1 -all"})
    # nospf.test has no record: spf=none, then the HELO name passes.
    send(f, "x@nospf.test", message("x@nospf.test"))
    a = auth_results(stored(f))[0]
    assert ("spf=none smtp.mailfrom=nospf.test; "
            "spf=pass smtp.helo=client.example.test") in a, a
    # A domain that publishes SPF decides alone: no HELO check.
    send(f, "alice@example.test", message("alice@example.test", "two"))
    a = auth_results(stored(f, n=2))[0]
    assert "smtp.helo" not in a and "spf=pass smtp.mailfrom" in a, a
    # A failing HELO is recorded, never refused: MAIL FROM decides.
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
        s.ehlo("bad-helo.example.test")
        s.sendmail("x@nospf.test", ["demo@example.test"],
                   message("x@nospf.test", "three"))
    a = auth_results(stored(f, n=3))[0]
    assert "spf=fail smtp.helo=bad-helo.example.test" in a, a
