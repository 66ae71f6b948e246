"""DKIM signing of outbound mail, checked by other implementations.

ferry relays to aiosmtpd "remote" servers on loopback; what arrives there
is verified with dkimpy (python3-dkim) and with OpenDKIM's own verifier
(`opendkim -t`, libopendkim, keys given through TestDNSData).  The keys
come from `ferry dkim keygen`, and `ferry dkim check` reads the records
through ferry's resolver from dns_local_data.
"""
import base64
import os
import re
import shutil
import smtplib
import stat
import subprocess

import pytest

dkim = pytest.importorskip("dkim")
pytest.importorskip("aiosmtpd.controller")

from conftest import FERRY, make_workdir  # noqa: E402
from test_relay import passwd, remote_factory, wait_for  # noqa: E402,F401

OPENDKIM = shutil.which("opendkim") or "/usr/sbin/opendkim"


def keygen(keydir, domain, selector, typ):
    p = subprocess.run([FERRY, "dkim", "keygen", "--dir", keydir, "--domain",
                        domain, "--selector", selector, "--type", typ],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    # The printed record: name, then quoted strings that join to the TXT.
    m = re.match(r'(\S+)\. IN TXT \((.*)\)\s*$', p.stdout.strip())
    assert m, p.stdout
    return m.group(1), "".join(re.findall(r'"([^"]*)"', m.group(2)))


@pytest.fixture(scope="module")
def keys():
    d = make_workdir()
    keydir = os.path.join(d, "keys")
    records = dict([keygen(keydir, "example.test", "rsa1", "rsa"),
                    keygen(keydir, "example.test", "ed1", "ed25519"),
                    keygen(keydir, "test.example", "mx", "rsa")])
    yield keydir, records
    shutil.rmtree(d, ignore_errors=True)


def zone_file(records, extra=()):
    path = os.path.join(make_workdir(), "local.zone")
    with open(path, "w") as f:
        f.write("zone dns.test. static\n")
        for name, txt in records.items():
            parts = " ".join(f'"{txt[i:i + 250]}"'
                             for i in range(0, len(txt), 250))
            f.write(f"{name}. 300 IN TXT {parts}\n")
        for line in extra:
            f.write(line + "\n")
    os.chmod(path, 0o644)
    return path


def signing_ferry(ferry_factory, passwd, keys, remote_port, networks=None):
    keydir, records = keys
    dkim_lines = ["[dkim]", f"key_dir = {keydir}"]
    if networks:
        dkim_lines.append(f"sign_networks = {networks}")
    return ferry_factory(
        tls=["submission = optional"],
        auth=["backend = passwd-file", f"passwd_file = {passwd}",
              "require_tls = no"],
        extra=["alias = fwd: unknown-fwd@remote.test, ok-fwd@remote.test"]
        + dkim_lines
        + ["[relay]", f"transport = remote.test: 127.0.0.1:{remote_port}",
           "resolv_conf = none", f"dns_local_data = {zone_file(records)}",
           "retry_min = 1s", "retry_max = 2s"])


def dnsfunc_for(records):
    def dnsfunc(name, timeout=5):
        name = name.decode() if isinstance(name, bytes) else name
        txt = records.get(name.rstrip("."))
        return txt.encode() if txt else None
    return dnsfunc


def signatures(msg):
    return re.findall(rb"^DKIM-Signature:.*?(?=^\S)", msg, re.M | re.S)


def dkimpy_verdicts(msg, records):
    """dkimpy's verdict on every DKIM-Signature of msg, in order."""
    out = []
    for i in range(len(signatures(msg))):
        try:
            out.append(dkim.DKIM(msg).verify(idx=i,
                                             dnsfunc=dnsfunc_for(records)))
        except dkim.DKIMException:  # how dkimpy reports a body mismatch
            out.append(False)
    return out


def opendkim_verdict(msg, records, selector):
    """What libopendkim (opendkim -t) says of the signature by selector."""
    d = make_workdir()
    try:
        with open(os.path.join(d, "dns"), "w") as f:
            for name, txt in records.items():
                f.write(f"{name} {txt}\n")
        with open(os.path.join(d, "conf"), "w") as f:
            f.write(f"TestDNSData file:{d}/dns\nSyslog no\nMode v\n")
        # OpenDKIM evaluates the first signature it can; keep only ours.
        lines, keep, out = msg.split(b"\r\n"), True, []
        for line in lines:
            if line.startswith(b"DKIM-Signature:"):
                keep = f"s={selector};".encode() in line or \
                    f"s={selector};".encode() in b"".join(
                        lines[lines.index(line):lines.index(line) + 3])
            elif not line[:1] in (b" ", b"\t"):
                keep = True
            if keep:
                out.append(line)
        path = os.path.join(d, "msg")
        with open(path, "wb") as f:
            f.write(b"\r\n".join(out))
        p = subprocess.run([OPENDKIM, "-x", os.path.join(d, "conf"), "-t",
                            path], capture_output=True, text=True,
                           timeout=30)
        return p.stdout + p.stderr
    finally:
        shutil.rmtree(d, ignore_errors=True)


def submit(f, sender, frm, rcpts, subject="signed", body="Hello.\r\n"):
    with smtplib.SMTP("127.0.0.1", f.submission_port, timeout=30) as s:
        s.login("alice", "pw")
        s.sendmail(sender, rcpts,
                   (f"From: Alice <{frm}>\r\nTo: {rcpts[0]}\r\n"
                    f"Subject: {subject}\r\nDate: Mon, 7 Dec 2026 03:00:00 "
                    f"+0000\r\nMessage-ID: <x1@example.test>\r\n\r\n"
                    f"{body}").encode())


def received_by(r, rcpt):
    assert wait_for(lambda: any(rcpt in rs for _, rs, _ in r.received))
    return [d for _, rs, d in r.received if rcpt in rs][0]


def test_submission_is_signed_rsa_and_ed25519(ferry_factory, remote_factory,
                                              passwd, keys):
    r = remote_factory()
    f = signing_ferry(ferry_factory, passwd, keys, r.port)
    submit(f, "alice@example.test", "alice@example.test",
           ["ok1@remote.test"], body="Hello.\r\n\r\nSecond  line \r\n\r\n")
    msg = received_by(r, "ok1@remote.test")
    sigs = signatures(msg)
    assert len(sigs) == 2, msg
    text = b"".join(sigs)
    assert b"a=rsa-sha256" in text and b"a=ed25519-sha256" in text
    assert b"c=relaxed/relaxed" in text and b"d=example.test" in text
    # From is oversigned: listed once more than it occurs.
    h = re.search(rb"h=([^;]*);", sigs[0]).group(1).replace(b"\r\n\t", b"")
    assert h.split(b":").count(b"from") == 2, h
    assert dkimpy_verdicts(msg, keys[1]) == [True, True]
    out = opendkim_verdict(msg, keys[1], "rsa1")
    assert "verification (s=rsa1, d=example.test, 2048-bit key) succeeded" \
        in out, out


@pytest.mark.parametrize("change", ["subject", "body", "extra-from"])
def test_tampering_breaks_the_signatures(ferry_factory, remote_factory,
                                         passwd, keys, change):
    r = remote_factory()
    f = signing_ferry(ferry_factory, passwd, keys, r.port)
    submit(f, "alice@example.test", "alice@example.test", ["ok2@remote.test"])
    msg = received_by(r, "ok2@remote.test")
    assert dkimpy_verdicts(msg, keys[1]) == [True, True]
    if change == "subject":
        bad = msg.replace(b"Subject: signed", b"Subject: signet")
    elif change == "body":
        bad = msg.replace(b"Hello.", b"Hallo.")
    else:  # a second From above the signed one
        bad = msg.replace(b"From: Alice", b"From: Mallory <m@evil.test>\r\n"
                          b"From: Alice", 1)
    assert bad != msg
    assert dkimpy_verdicts(bad, keys[1]) == [False, False]
    out = opendkim_verdict(bad, keys[1], "rsa1")
    assert "succeeded" not in out and "fail" in out, out


def test_forged_from_is_not_signed(ferry_factory, remote_factory, passwd,
                                   keys):
    r = remote_factory()
    f = signing_ferry(ferry_factory, passwd, keys, r.port)
    # alice owns alice@example.test, not bob@example.test.
    submit(f, "alice@example.test", "bob@example.test", ["ok3@remote.test"])
    msg = received_by(r, "ok3@remote.test")
    assert signatures(msg) == [], msg


def smtp25(f, sender, rcpt, frm):
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
        s.sendmail(sender, [rcpt],
                   (f"From: {frm}\r\nTo: {rcpt}\r\nSubject: in\r\n\r\n"
                    "inbound\r\n").encode())


def test_relayed_inbound_is_never_signed_but_its_bounce_is(
        ferry_factory, remote_factory, passwd, keys):
    r = remote_factory()
    f = signing_ferry(ferry_factory, passwd, keys, r.port)
    # Inbound on port 25 claiming a signed domain, forwarded by an alias
    # to remote addresses: one of them refuses it, so ferry bounces.
    smtp25(f, "sender@remote.test", "fwd@example.test", "alice@example.test")
    fwd = received_by(r, "ok-fwd@remote.test")
    assert signatures(fwd) == [], fwd
    dsn = received_by(r, "sender@remote.test")
    sigs = signatures(dsn)
    assert len(sigs) == 1 and b"d=test.example" in sigs[0], dsn
    assert dkimpy_verdicts(dsn, keys[1]) == [True]


def test_sign_networks(ferry_factory, remote_factory, passwd, keys):
    r = remote_factory()
    f = signing_ferry(ferry_factory, passwd, keys, r.port,
                      networks="10.0.0.0/8,127.0.0.0/30")
    smtp25(f, "alice@example.test", "fwd@example.test", "alice@example.test")
    msg = received_by(r, "ok-fwd@remote.test")
    assert dkimpy_verdicts(msg, keys[1]) == [True, True]


def run_check(f, *args):
    return subprocess.run([FERRY, "dkim", "--config", f.config_path, "check",
                           *args], capture_output=True, text=True, timeout=60)


def test_keygen_and_check(ferry_factory, remote_factory, passwd, keys):
    keydir, records = keys
    for name in ("rsa1", "ed1"):
        st = os.stat(os.path.join(keydir, "example.test", name + ".pem"))
        assert stat.S_IMODE(st.st_mode) == 0o600
    again = subprocess.run([FERRY, "dkim", "keygen", "--dir", keydir,
                            "--domain", "example.test", "--selector", "ed1",
                            "--type", "ed25519"], capture_output=True,
                           text=True)
    assert again.returncode != 0 and "never replaced" in again.stderr
    r = remote_factory()
    f = signing_ferry(ferry_factory, passwd, keys, r.port)
    for sel in ("rsa1", "ed1"):
        p = run_check(f, "--dir", keydir, "example.test", sel)
        assert p.returncode == 0 and "matches" in p.stdout, p.stdout + p.stderr
    # A record for another key, and none at all.
    wrong = dict(records)
    wrong["ed1._domainkey.example.test"] = \
        "v=DKIM1; k=ed25519; p=" + base64.b64encode(b"\1" * 32).decode()
    del wrong["rsa1._domainkey.example.test"]
    f.stop()
    f.settings["extra"] = [x if not x.startswith("dns_local_data") else
                           f"dns_local_data = {zone_file(wrong)}"
                           for x in f.settings["extra"]]
    f.write_config()
    p = run_check(f, "--dir", keydir, "example.test", "ed1")
    assert p.returncode == 65 and "does not match" in p.stdout, p.stdout
    p = run_check(f, "--dir", keydir, "example.test", "rsa1")
    assert p.returncode == 69 and "no DKIM record" in p.stdout, p.stdout


def test_local_sendmail_is_signed(ferry_factory, remote_factory, passwd,
                                  keys):
    r = remote_factory()
    f = signing_ferry(ferry_factory, passwd, keys, r.port)
    p = subprocess.run([FERRY, "sendmail", "-C", f.config_path, "-f",
                        "alice@example.test", "ok-local@remote.test"],
                       input=b"From: alice@example.test\nSubject: local\n\n"
                       b"from a script\n", capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr
    msg = received_by(r, "ok-local@remote.test")
    assert dkimpy_verdicts(msg, keys[1]) == [True, True]
    # Without -f the sender is the login at the host name, not the From.
    p = subprocess.run([FERRY, "sendmail", "-C", f.config_path,
                        "ok-local2@remote.test"],
                       input=b"From: alice@example.test\nSubject: local\n\n"
                       b"x\n", capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr
    assert signatures(received_by(r, "ok-local2@remote.test")) == []


def ferry_verify(f, msg):
    p = subprocess.run([FERRY, "dkim", "--config", f.config_path, "verify"],
                       input=msg, capture_output=True, timeout=60)
    return p.returncode, p.stdout.decode().splitlines()


def sign_dkimpy(keydir, msg, selector, canon, algo):
    key = open(os.path.join(keydir, "example.test", selector + ".pem"),
               "rb").read()
    if algo == b"ed25519-sha256":
        # dkimpy takes the bare 32-byte Ed25519 key, base64.
        der = subprocess.run(["openssl", "pkey", "-outform", "DER"],
                             input=key, capture_output=True,
                             check=True).stdout
        key = base64.b64encode(der[-32:])
    return dkim.sign(msg, selector.encode(), b"example.test", key,
                     canonicalize=canon, signature_algorithm=algo,
                     include_headers=[b"from", b"to", b"subject"]) + msg


MESSAGE = (b"From: Alice <alice@example.test>\r\nTo: bob@remote.test\r\n"
           b"Subject: verify me\r\n\r\nA  body with\t spaces \r\n\r\n\r\n")


@pytest.mark.parametrize("selector,algo", [("rsa1", b"rsa-sha256"),
                                           ("ed1", b"ed25519-sha256")])
@pytest.mark.parametrize("canon", [(b"relaxed", b"relaxed"),
                                   (b"simple", b"simple"),
                                   (b"relaxed", b"simple")])
def test_ferry_verifies_what_dkimpy_signs(ferry_factory, remote_factory,
                                          passwd, keys, selector, algo, canon):
    keydir, records = keys
    r = remote_factory()
    f = signing_ferry(ferry_factory, passwd, keys, r.port)
    signed = sign_dkimpy(keydir, MESSAGE, selector, canon, algo)
    for msg in (signed, signed.replace(b"verify me", b"verify m3"),
                signed.replace(b"A  body", b"A  bodY")):
        expect = dkimpy_verdicts(msg, records)
        rc, lines = ferry_verify(f, msg)
        got = [line.startswith("dkim=pass") for line in lines]
        assert got == expect, (lines, expect)
        assert (rc == 0) == expect[0]


def test_opendkim_testmsg_rsa_sha1_is_refused(ferry_factory, remote_factory,
                                             passwd, keys):
    """opendkim-testmsg (OpenDKIM 2.11) can only sign with rsa-sha1, which
    RFC 8301 s3.1 forbids verifiers to accept: ferry says permerror."""
    keydir, records = keys
    r = remote_factory()
    f = signing_ferry(ferry_factory, passwd, keys, r.port)
    msg = MESSAGE.replace(b"\r\n\r\n", b"\r\nDate: Mon, 7 Dec 2026 "
                          b"03:00:00 +0000\r\n\r\n", 1)
    p = subprocess.run(["opendkim-testmsg", "-C", "-d", "example.test", "-s",
                        "rsa1", "-k",
                        os.path.join(keydir, "example.test", "rsa1.pem")],
                       input=msg, capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr
    signed = p.stdout
    assert b"a=rsa-sha1;" in signed
    rc, lines = ferry_verify(f, signed)
    assert rc == 65 and lines == ["dkim=permerror (unsupported algorithm)"], \
        lines


def test_ferry_verifies_its_own_signatures(ferry_factory, remote_factory,
                                           passwd, keys):
    r = remote_factory()
    f = signing_ferry(ferry_factory, passwd, keys, r.port)
    submit(f, "alice@example.test", "alice@example.test", ["ok9@remote.test"])
    msg = received_by(r, "ok9@remote.test")
    rc, lines = ferry_verify(f, msg)
    assert rc == 0 and len(lines) == 2, lines
    assert all(line.startswith("dkim=pass") for line in lines), lines
    rc, lines = ferry_verify(f, b"From: a@example.test\r\n\r\nx\r\n")
    assert rc == 65 and lines == ["dkim=none"]
