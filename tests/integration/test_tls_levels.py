"""TLS security levels per destination (Postfix's smtp_tls_security_level
and smtp_tls_policy_maps): [relay] tls and tls_policy_map.

Four remotes on loopback, reached through transport entries (so the
name a verified certificate must carry is the address 127.0.0.1):

  plain    offers no STARTTLS
  self     STARTTLS, a self-signed certificate
  wrong    STARTTLS, a certificate of the test CA for wrong.example
  good     STARTTLS, a certificate of the test CA for IP:127.0.0.1

and a tls_policy_map giving each destination domain a level:

  level    plain            self             wrong            good
  none     -                -                -                clear
  may      clear            untrusted        -                -
  encrypt  deferred 4.7.5   untrusted        -                -
  verify   -                deferred 4.7.5   deferred 4.7.5   verified
  dane     clear (no DNSSEC: may)
"""
import os
import pathlib
import shutil
import ssl
import subprocess

import pytest

pytest.importorskip("aiosmtpd.controller")
from aiosmtpd.controller import Controller  # noqa: E402

from conftest import free_port, make_workdir  # noqa: E402
from test_mta_sts import line_of  # noqa: E402
from test_relay import Remote, passwd, relay_ferry, submit  # noqa: E402,F401


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def certs():
    d = pathlib.Path(make_workdir())
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    p = {"ca": str(d / "ca.pem"), "ca_key": str(d / "ca.key")}
    openssl("req", "-x509", *ec, "-keyout", p["ca_key"], "-out", p["ca"],
            "-days", "2", "-subj", "/CN=ferry levels test CA")
    openssl("req", "-x509", *ec, "-keyout", str(d / "self.key"), "-out",
            str(d / "self.pem"), "-days", "2", "-subj", "/CN=127.0.0.1",
            "-addext", "subjectAltName=IP:127.0.0.1")
    for name, san in (("wrong", "DNS:wrong.example"),
                      ("good", "IP:127.0.0.1")):
        openssl("req", *ec, "-keyout", str(d / f"{name}.key"), "-out",
                str(d / f"{name}.csr"), "-subj", f"/CN={name}")
        ext = d / f"{name}.cnf"
        ext.write_text(f"subjectAltName={san}\nbasicConstraints=CA:FALSE\n")
        openssl("x509", "-req", "-in", str(d / f"{name}.csr"), "-CA",
                p["ca"], "-CAkey", p["ca_key"], "-CAcreateserial", "-out",
                str(d / f"{name}.pem"), "-days", "2", "-extfile", str(ext))
    for f in d.iterdir():
        os.chmod(f, 0o644)
    p["dir"] = d
    yield p
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def remotes(certs):
    made, out = [], {}
    for name in ("plain", "self", "wrong", "good"):
        ctx = None
        if name != "plain":
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(str(certs["dir"] / f"{name}.pem"),
                                str(certs["dir"] / f"{name}.key"))
        handler = Remote()
        handler.port = free_port()
        c = Controller(handler, hostname="127.0.0.1", port=handler.port,
                       tls_context=ctx)
        c.start()
        made.append(c)
        out[name] = handler
    yield out
    for c in made:
        c.stop()


CASES = [  # domain, level, remote, outcome, tls= or reply text
    ("none-good.example", "none", "good", "delivered", "tls=none"),
    ("may-plain.example", "may", "plain", "delivered", "tls=none"),
    ("may-self.example", "may", "self", "delivered", "tls=untrusted"),
    ("enc-plain.example", "encrypt", "plain", "deferred",
     "4.7.5 TLS required but the remote does not offer it (TLS required "
     "by the security level encrypt of enc-plain.example)"),
    ("enc-self.example", "encrypt", "self", "delivered", "tls=untrusted"),
    ("ver-self.example", "verify", "self", "deferred",
     "4.7.5 certificate verification failed for 127.0.0.1: self-signed "
     "certificate"),
    ("ver-wrong.example", "verify", "wrong", "deferred",
     "4.7.5 certificate verification failed for 127.0.0.1"),
    ("ver-good.example", "verify", "good", "delivered", "tls=verified"),
    ("dane-plain.example", "dane", "plain", "delivered", "tls=none"),
    ("x.sub.example", None, "self", "deferred",  # .sub.example verify
     "4.7.5 certificate verification failed"),
    ("bad.example", "sometimes", "good", "deferred",
     "4.3.5 tls_policy_map gives the destination no valid TLS security "
     "level: bad.example"),
]


@pytest.fixture
def levels_ferry(ferry_factory, passwd, certs, remotes):
    policy = certs["dir"] / "tls_policy"
    policy.write_text("".join(f"{d} {lvl}\n" for d, lvl, *_ in CASES
                              if lvl) + ".sub.example verify\n")
    os.chmod(policy, 0o644)
    return relay_ferry(
        ferry_factory, passwd,
        [(d, remotes[r].port) for d, _, r, *_ in CASES],
        [f"tls_policy_map = text:{policy}", f"tls_ca_file = {certs['ca']}"])


def test_each_level_against_each_remote(levels_ferry, remotes):
    f = levels_ferry
    for domain, level, remote, outcome, text in CASES:
        rcpt = f"u@{domain}"
        submit(f, [rcpt])
        line = line_of(f, f"relay-{outcome}", rcpt)
        assert text in line, (level, remote, line)
        got = rcpt in remotes[remote].all_rcpts()
        assert got == (outcome == "delivered"), (level, remote, line)
        if outcome == "deferred":
            assert rcpt not in remotes[remote].seen  # not even RCPT


def test_postfix_level_names_as_default(ferry_factory, passwd, certs,
                                        remotes):
    f = relay_ferry(ferry_factory, passwd,
                    [("p.example", remotes["plain"].port),
                     ("g.example", remotes["good"].port)],
                    ["tls = encrypt", f"tls_ca_file = {certs['ca']}"])
    submit(f, ["a@p.example"])
    assert "security level encrypt" in line_of(f, "relay-deferred",
                                               "a@p.example")
    submit(f, ["b@g.example"])
    assert "tls=untrusted" in line_of(f, "relay-delivered", "b@g.example")
    g = relay_ferry(ferry_factory, passwd,
                    [("g.example", remotes["good"].port)],
                    ["tls = verify", f"tls_ca_file = {certs['ca']}"])
    submit(g, ["c@g.example"])
    assert "tls=verified" in line_of(g, "relay-delivered", "c@g.example")
