"""ferry doctor: each check's outcomes, with local DNS data, local SMTP and
TLS servers (aiosmtpd, a test CA), the real daemon for the open-relay
self-test, and golden outputs for one healthy and one broken domain.

Nothing leaves the machine: [relay] resolv_conf = none, so every name is
answered from the test's DNS data (zones declared "static" answer
NXDOMAIN for the rest; a "refuse" zone makes lookups fail).
"""
import hashlib
import json
import os
import pathlib
import re
import shutil
import ssl
import subprocess
import threading

import pytest

pytest.importorskip("aiosmtpd.controller")
from aiosmtpd.controller import Controller  # noqa: E402

from conftest import FERRY, free_port, make_workdir  # noqa: E402

from dnssec_zone import DnssecServer, tools_missing  # noqa: E402
from test_mta_sts import PolicyServer, policy_text, port_443_free  # noqa

GOLDEN = pathlib.Path(__file__).resolve().parent.parent / "golden"
DOMAIN = "example.test"
GOOD_IP = "192.0.2.10"
BAD_IP = "198.51.100.7"

# Every zone a check asks in; names outside them fail as "refused".
ZONES = ["zone test static", "zone example static",
         "zone in-addr.arpa static", "zone spamhaus.org static",
         "zone barracudacentral.org static", "zone spamcop.net static",
         "zone fail.test refuse"]


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


@pytest.fixture(scope="module")
def pki():
    """A test CA with certificates for mx.example.test and for another
    name, and a self-signed certificate for mx.example.test."""
    d = pathlib.Path(make_workdir())
    ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes"]
    p = {"ca": str(d / "ca.pem"), "ca_key": str(d / "ca.key")}
    openssl("req", "-x509", *ec, "-keyout", p["ca_key"], "-out", p["ca"],
            "-days", "30", "-subj", "/CN=ferry doctor test CA")
    for name, cn in (("good", "mx.example.test"), ("wrong", "other.test"),
                     ("sts", "mta-sts.example.test")):
        key, csr, cert = (str(d / f"{name}.{x}") for x in
                          ("key", "csr", "pem"))
        ext = d / f"{name}.cnf"
        ext.write_text(f"subjectAltName=DNS:{cn}\nbasicConstraints=CA:FALSE\n")
        openssl("req", *ec, "-keyout", key, "-out", csr, "-subj", f"/CN={cn}")
        openssl("x509", "-req", "-in", csr, "-CA", p["ca"], "-CAkey",
                p["ca_key"], "-CAcreateserial", "-out", cert, "-days", "30",
                "-extfile", str(ext))
        p[name] = (cert, key)
    key, cert = str(d / "self.key"), str(d / "self.pem")
    openssl("req", "-x509", *ec, "-keyout", key, "-out", cert, "-days", "30",
            "-subj", "/CN=mx.example.test",
            "-addext", "subjectAltName=DNS:mx.example.test")
    p["self"] = (cert, key)
    yield p
    shutil.rmtree(d, ignore_errors=True)


STS_HOST = f"mta-sts.{DOMAIN}"
STS_A = f"{STS_HOST}. 300 IN A 127.0.0.1"


@pytest.fixture(scope="module")
def sts_server(pki):
    """The policy of example.test over HTTPS on 127.0.0.1:443 (enforce,
    its MX host listed); tests change sts_server.bodies."""
    port_443_free()
    cert, key = pki["sts"]
    server = PolicyServer({"cert": cert, "key": key}, bodies={})
    yield server
    server.stop()


@pytest.fixture
def sts(sts_server):
    sts_server.bodies.clear()
    sts_server.bodies[STS_HOST] = policy_text("enforce", "mx.example.test")
    yield sts_server


class Recorder:
    """An SMTP server that takes every recipient and records the dialogue;
    a doctor that sent mail would show up in `data`."""

    def __init__(self, rcpt_reply=None):
        self.rcpt_reply = rcpt_reply
        self.rcpts = []
        self.data = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, options):
        with self.lock:
            self.rcpts.append(address)
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.data.append(envelope.content)
        return "250 OK"


@pytest.fixture
def smtp_server():
    started = []

    def start(cert=None, rcpt_reply=None):
        ctx = None
        if cert:
            ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
            ctx.load_cert_chain(*cert)
        handler = Recorder(rcpt_reply)
        port = free_port()
        c = Controller(handler, hostname="127.0.0.1", port=port,
                       tls_context=ctx)
        c.start()
        started.append(c)
        handler.port = port
        return handler

    yield start
    for c in started:
        c.stop()


class World:
    """A configuration, DNS data and DKIM keys in a private directory."""

    def __init__(self):
        self.dir = pathlib.Path(make_workdir())
        self.keys = self.dir / "dkim"
        self.spool = self.dir / "spool"
        self.spool.mkdir()
        self.dns = self.dir / "dns.txt"
        self.conf = self.dir / "ferry.conf"
        self.listen_port = free_port()
        self.write([])

    def keygen(self, selector, domain=DOMAIN):
        """A key in the key directory; returns its TXT record's text."""
        self.keys.mkdir(exist_ok=True)
        r = subprocess.run([FERRY, "dkim", "--config", str(self.conf),
                            "keygen", "--domain", domain, "--selector",
                            selector, "--type", "ed25519", "--dir",
                            str(self.keys)],
                           capture_output=True, text=True, check=True)
        return re.search(r'"(v=DKIM1[^"]*)"', r.stdout).group(1)

    def write(self, records, mx_port=None, hostname="mx.test.example",
              aliases=("postmaster: demo", "abuse: demo"), dkim=True,
              spool=None, extra=(), relay=()):
        self.dns.write_text("\n".join(ZONES + list(records)) + "\n")
        lines = ["[server]", f"hostname = {hostname}",
                 f"listen = 127.0.0.1:{self.listen_port}",
                 "[relay]", "resolv_conf = none",
                 f"port = {mx_port or free_port()}", *relay,
                 "[queue]", f"spool_dir = {spool or self.spool}"]
        if dkim:
            lines += ["[dkim]", f"key_dir = {self.keys}"]
        lines += list(extra)
        lines += [f"[domain {DOMAIN}]",
                  f"maildir_root = {self.dir / 'mail'}", "mailbox = demo"]
        lines += [f"alias = {a}" for a in aliases]
        self.conf.write_text("\n".join(lines) + "\n")

    def run(self, *args, ip=GOOD_IP, ca=None, skip=("clock",)):
        cmd = [FERRY, "doctor", "--config", str(self.conf), "--dns-data",
               str(self.dns), "--timeout", "3"]
        if ip:
            cmd += ["--ip", ip]
        if ca:
            cmd += ["--ca-file", ca]
        if skip:
            cmd += ["--skip", ",".join(skip)]
        r = subprocess.run(cmd + list(args), capture_output=True, text=True,
                           timeout=60)
        return r

    def checks(self, *args, **kw):
        """(exit status, {name: [check, ...]}) from --json."""
        r = self.run("--json", *args, **kw)
        assert r.stderr == "", r.stderr
        doc = json.loads(r.stdout)
        by = {}
        for c in doc["checks"]:
            by.setdefault(c["name"], []).append(c)
        assert doc["exit"] == r.returncode
        return r.returncode, by

    def cleanup(self):
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def world():
    w = World()
    yield w
    w.cleanup()


def healthy_records(dkim_txt):
    return [
        "10.2.0.192.in-addr.arpa. 300 IN PTR mx.test.example.",
        f"mx.test.example. 300 IN A {GOOD_IP}",
        f"{DOMAIN}. 300 IN MX 10 mx.example.test.",
        "mx.example.test. 300 IN A 127.0.0.1",
        f'{DOMAIN}. 300 IN TXT "v=spf1 include:_spf.{DOMAIN} -all"',
        f'_spf.{DOMAIN}. 300 IN TXT "v=spf1 a:mx.test.example -all"',
        f's1._domainkey.{DOMAIN}. 300 IN TXT "{dkim_txt}"',
        f'_dmarc.{DOMAIN}. 300 IN TXT "v=DMARC1; p=reject; '
        f'rua=mailto:dmarc@{DOMAIN}"',
        f'_mta-sts.{DOMAIN}. 300 IN TXT "v=STSv1; id=20261207"',
        f'_smtp._tls.{DOMAIN}. 300 IN TXT "v=TLSRPTv1; '
        f'rua=mailto:tls@{DOMAIN}"',
    ]


def broken_records(other_dkim_txt):
    return [
        "7.100.51.198.in-addr.arpa. 300 IN PTR "
        "dsl-198-51-100-7.dyn.isp.example.",
        f"mx.test.example. 300 IN A {GOOD_IP}",
        "7.100.51.198.zen.spamhaus.org. 300 IN A 127.0.0.4",
        "7.100.51.198.zen.spamhaus.org. 300 IN A 127.0.0.11",
        "7.100.51.198.b.barracudacentral.org. 300 IN A 127.0.0.2",
        "7.100.51.198.bl.spamcop.net. 300 IN A 127.255.255.254",
        f"{DOMAIN}.dbl.spamhaus.org. 300 IN A 127.0.1.2",
        f"{DOMAIN}. 300 IN MX 10 mx.example.test.",
        "mx.example.test. 300 IN A 127.0.0.1",
        f'{DOMAIN}. 300 IN TXT "v=spf1 ip4:{GOOD_IP} -all"',
        f's1._domainkey.{DOMAIN}. 300 IN TXT "{other_dkim_txt}"',
        f'_mta-sts.{DOMAIN}. 300 IN TXT "v=STSv1; id=20261207"',
    ]


def normalise(text, w, *ports):
    """The parts of an output that change from run to run."""
    text = text.replace(str(w.dir), "WORKDIR")
    for name, port in ports:
        text = re.sub(rf"(?<!\d){port}(?!\d)", name, text)
    return re.sub(r"p=[A-Za-z0-9+/]{20,}=*", "p=KEY", text)


def compare_golden(name, text):
    path = GOLDEN / name
    if os.environ.get("FERRY_UPDATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text(), f"differs from {path}:\n{text}"


# ---- golden outputs ---------------------------------------------------


def test_golden_healthy(world, pki, smtp_server, ferry_factory, sts):
    txt = world.keygen("s1")
    mx = smtp_server(cert=pki["good"])
    daemon = ferry_factory()
    world.listen_port = daemon.port
    # No TLSA record: from unsigned local data it would not apply (a
    # warning); test_dane_dnssec covers signed ones.
    world.write(healthy_records(txt) + [STS_A], mx_port=mx.port)
    r = world.run(ca=pki["ca"])
    out = normalise(r.stdout, world, ("LISTEN", daemon.port),
                    ("MXPORT", mx.port))
    compare_golden("doctor-healthy.txt", out)
    assert r.returncode == 0, r.stdout
    assert mx.data == [] and mx.rcpts == []


def test_golden_broken(world, pki, smtp_server, ferry_factory, sts):
    world.keygen("s1")
    other = World()
    try:
        other.write([])
        published = other.keygen("s1")
    finally:
        other.cleanup()
    mx = smtp_server(cert=None)
    daemon = ferry_factory()
    world.listen_port = daemon.port
    world.write(broken_records(published) + [STS_A], mx_port=mx.port,
                hostname="mx.test.example", aliases=("postmaster: demo",))
    r = world.run(ip=BAD_IP, ca=pki["ca"])
    out = normalise(r.stdout, world, ("LISTEN", daemon.port),
                    ("MXPORT", mx.port))
    compare_golden("doctor-broken.txt", out)
    assert r.returncode == 2, r.stdout
    assert mx.data == []


# ---- identity ------------------------------------------------------------

IDENTITY = ("clock", "dnsbl", "dbl", "spf", "dkim", "dmarc", "mx",
            "mta-sts", "tls-rpt", "open-relay", "queue")


def test_identity_pass(world):
    world.write(["10.2.0.192.in-addr.arpa. 300 IN PTR mx.test.example.",
                 f"mx.test.example. 300 IN A {GOOD_IP}"])
    rc, c = world.checks(skip=IDENTITY + ("abuse", "postmaster"))
    assert rc == 0
    for name in ("ptr", "fcrdns", "generic-name", "helo"):
        assert c[name][0]["status"] == "pass", c[name]


def test_no_ptr_fails_with_the_reverse_hostname_reply(world):
    world.write([f"mx.test.example. 300 IN A {GOOD_IP}"])
    rc, c = world.checks(skip=IDENTITY)
    assert rc == 2
    ptr = c["ptr"][0]
    assert ptr["status"] == "fail"
    assert ptr["details"] == ["10.2.0.192.in-addr.arpa: NXDOMAIN"]
    assert "cannot find your reverse hostname" in ptr["leads_to"]["reply"]
    assert ptr["leads_to"]["reason"] == "requireptr"
    assert "fcrdns" not in c and c["helo"][0]["status"] == "pass"


def test_ptr_lookup_failure_warns(world):
    world.write(["zone 2.0.192.in-addr.arpa refuse"])
    rc, c = world.checks(skip=IDENTITY + ("helo",))
    assert c["ptr"][0]["status"] == "warn"
    assert rc == 1


def test_fcrdns_and_generic_name(world):
    world.write(["7.100.51.198.in-addr.arpa. 300 IN PTR "
                 "dsl-198-51-100-7.dyn.isp.example.",
                 f"mx.test.example. 300 IN A {GOOD_IP}"])
    rc, c = world.checks(ip=BAD_IP, skip=IDENTITY)
    assert rc == 2
    assert c["fcrdns"][0]["status"] == "fail"
    g = c["generic-name"][0]
    assert g["status"] == "warn"
    assert g["leads_to"]["provider"] == "Gmail"
    h = c["helo"][0]
    assert h["status"] == "fail" and "other addresses" in h["summary"]
    assert "Helo command rejected" in h["leads_to"]["reply"]


def test_helo_not_the_ptr_name_warns(world):
    world.write(["10.2.0.192.in-addr.arpa. 300 IN PTR other.test.example.",
                 f"other.test.example. 300 IN A {GOOD_IP}",
                 f"mx.test.example. 300 IN A {GOOD_IP}"])
    rc, c = world.checks(skip=IDENTITY)
    assert rc == 1
    assert c["fcrdns"][0]["status"] == "pass"
    assert c["helo"][0]["status"] == "warn"


def test_helo_name_without_address_fails(world):
    world.write(["10.2.0.192.in-addr.arpa. 300 IN PTR mx.test.example."])
    rc, c = world.checks(skip=IDENTITY)
    assert c["helo"][0]["status"] == "fail"
    assert "does not resolve" in c["helo"][0]["summary"]


# ---- reputation --------------------------------------------------------

REPUTATION = ("clock", "ptr", "fcrdns", "generic-name", "helo", "spf",
              "dkim", "dmarc", "mx", "mta-sts", "tls-rpt", "open-relay",
              "queue", "postmaster", "abuse", "hostname")


def test_blocklists(world):
    world.write(["7.100.51.198.zen.spamhaus.org. 300 IN A 127.0.0.2",
                 "7.100.51.198.bl.spamcop.net. 300 IN A 127.255.255.254",
                 f"{DOMAIN}.dbl.spamhaus.org. 300 IN A 127.0.1.4"])
    rc, c = world.checks(ip=BAD_IP, skip=REPUTATION)
    assert rc == 2
    by_zone = {x["summary"].split()[-1]: x for x in c["dnsbl"]}
    zen = by_zone["zen.spamhaus.org"]
    assert zen["status"] == "fail"
    assert zen["details"] == ["127.0.0.2: SBL: a known spam source"]
    assert "blocked using zen.spamhaus.org" in zen["leads_to"]["reply"]
    assert zen["leads_to"]["provider"] == "Spamhaus"
    assert by_zone["b.barracudacentral.org"]["status"] == "pass"
    spamcop = by_zone["bl.spamcop.net"]
    assert spamcop["status"] == "warn"
    assert "refused the query" in spamcop["details"][0]
    dbl = c["dbl"][0]
    assert dbl["status"] == "fail"
    assert dbl["details"] == ["127.0.1.4: DBL: phishing domain"]


def test_blocklists_from_config_with_return_codes(world):
    world.write(["7.100.51.198.list.test. 300 IN A 127.0.0.3",
                 "7.100.51.198.other.test. 300 IN A 127.0.0.3"],
                extra=["[doctor]",
                       "ip_blocklists = list.test=127.0.0.2, other.test",
                       "domain_blocklists = none"])
    rc, c = world.checks(ip=BAD_IP, skip=REPUTATION)
    assert [x["status"] for x in c["dnsbl"]] == ["pass", "fail"]
    assert c["dnsbl"][1]["details"] == ["127.0.0.3: listed"]
    assert "dbl" not in c


def test_blocklist_lookup_failure_warns(world):
    world.write([], extra=["[doctor]", "ip_blocklists = fail.test",
                           "domain_blocklists = fail.test"])
    rc, c = world.checks(ip=BAD_IP, skip=REPUTATION)
    assert rc == 1
    assert c["dnsbl"][0]["status"] == "warn"
    assert c["dbl"][0]["status"] == "warn"


# ---- authentication ----------------------------------------------------

AUTH = ("clock", "ptr", "fcrdns", "generic-name", "helo", "dnsbl", "dbl",
        "mx", "mta-sts", "tls-rpt", "open-relay", "queue", "postmaster",
        "abuse", "hostname")


@pytest.mark.parametrize("record,ip,status,reply", [
    (f"v=spf1 ip4:{GOOD_IP} -all", GOOD_IP, "pass", None),
    (f"v=spf1 ip4:{GOOD_IP} -all", BAD_IP, "fail", "hard fail policy"),
    (f"v=spf1 ip4:{GOOD_IP} ~all", BAD_IP, "warn", "SPF or DKIM"),
    ("v=spf1 include:l1.test include:l1.test include:l1.test "
     "include:l1.test include:l1.test include:l1.test -all", GOOD_IP,
     "fail", "SPF or DKIM"),
    ("v=spf1 ip4:192.0.2.0/24 mechanism:x -all", GOOD_IP, "fail", None),
    ("v=spf1 include:fail.test -all", GOOD_IP, "warn", None),
])
def test_spf(world, record, ip, status, reply):
    world.write([f'{DOMAIN}. 300 IN TXT "{record}"',
                 'l1.test. 300 IN TXT "v=spf1 a mx -all"'])
    rc, c = world.checks(ip=ip, skip=AUTH + ("dkim", "dmarc"))
    spf = c["spf"][0]
    assert spf["status"] == status, spf
    if reply:
        assert reply in spf["leads_to"]["reply"]
    if "include:l1.test" in record:
        assert "more than 10 DNS lookups" in spf["summary"]


def test_spf_missing(world):
    world.write([])
    rc, c = world.checks(skip=AUTH + ("dkim", "dmarc"))
    assert c["spf"][0]["status"] == "fail"
    assert "publishes no SPF record" in c["spf"][0]["summary"]


def test_dkim_outcomes(world):
    good = world.keygen("s1")
    world.keygen("s2")
    world.write([f's1._domainkey.{DOMAIN}. 300 IN TXT "{good}"',
                 f's2._domainkey.{DOMAIN}. 300 IN TXT "{good}"'])
    rc, c = world.checks(skip=AUTH + ("spf", "dmarc"))
    by_sel = {x["subject"].split(".")[0]: x for x in c["dkim"]}
    assert by_sel["s1"]["status"] == "pass"
    assert by_sel["s2"]["status"] == "fail"
    assert "does not match" in by_sel["s2"]["summary"]
    world.write([f's1._domainkey.{DOMAIN}. 300 IN TXT "{good}"'])
    rc, c = world.checks(skip=AUTH + ("spf", "dmarc"))
    by_sel = {x["subject"].split(".")[0]: x for x in c["dkim"]}
    assert "is not published" in by_sel["s2"]["summary"]
    assert by_sel["s2"]["details"][0].startswith(
        f"publish: s2._domainkey.{DOMAIN} IN TXT")


def test_dkim_not_configured(world):
    world.write([], dkim=False)
    rc, c = world.checks(skip=AUTH + ("spf", "dmarc"))
    d = c["dkim"][0]
    assert d["status"] == "fail"
    assert d["details"] == ["[dkim] key_dir is not set"]
    assert d["leads_to"]["reason"] == "authfailure"


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root for setpriv")
def test_dkim_keys_unreadable_warns(world):
    world.keygen("s1")
    os.chmod(world.keys, 0o700)
    world.write([])
    r = subprocess.run(["setpriv", "--reuid=65534", "--regid=65534",
                        "--clear-groups", FERRY, "doctor", "--json",
                        "--config", str(world.conf), "--dns-data",
                        str(world.dns), "--ip", GOOD_IP, "--skip",
                        ",".join(AUTH + ("spf", "dmarc", "clock"))],
                       capture_output=True, text=True, timeout=60)
    d = [c for c in json.loads(r.stdout)["checks"]
         if c["name"] == "dkim"][0]
    assert d["name"] == "dkim" and d["status"] == "warn", d
    assert d["details"] == [f"{world.keys}: cannot read the key directory"]
    assert r.returncode == 1


def test_dmarc_and_alignment(world):
    # The key of example.test signs for sub.example.test: aligned only
    # when alignment is relaxed.
    txt = world.keygen("s1")
    sub = "sub." + DOMAIN
    base = [f'{sub}. 300 IN TXT "v=spf1 ip4:{GOOD_IP} -all"',
            f's1._domainkey.{DOMAIN}. 300 IN TXT "{txt}"']
    world.write(base + [f'_dmarc.{DOMAIN}. 300 IN TXT "v=DMARC1; p=none"'])
    rc, c = world.checks("--domain", sub, skip=AUTH)
    assert rc == 0
    assert c["dmarc"][0]["status"] == "pass"
    assert c["dmarc"][0]["details"] == [
        f"_dmarc.{DOMAIN}: v=DMARC1; p=none"]
    a = c["alignment"][0]
    assert a["status"] == "pass" and "DKIM and SPF" in a["summary"], a

    world.write(base + [f'_dmarc.{DOMAIN}. 300 IN TXT '
                        '"v=DMARC1; p=reject; adkim=s"'])
    rc, c = world.checks("--domain", sub, ip=BAD_IP, skip=AUTH)
    a = c["alignment"][0]
    assert a["status"] == "fail", a
    assert "DMARC policy" in a["leads_to"]["reply"]
    assert a["details"] == [
        f"DKIM d={DOMAIN} does not align with {sub} (adkim=s)"]

    world.write(base + [f'_dmarc.{DOMAIN}. 300 IN TXT "v=DMARC1; rua=x"'])
    rc, c = world.checks("--domain", sub, skip=AUTH)
    assert c["dmarc"][0]["status"] == "fail"
    assert "no valid policy" in c["dmarc"][0]["summary"]
    assert "alignment" not in c

    world.write(base)
    rc, c = world.checks("--domain", sub, skip=AUTH)
    assert c["dmarc"][0]["status"] == "fail"
    assert "publishes no DMARC record" in c["dmarc"][0]["summary"]

    world.write(base + [f'_dmarc.{sub}. 300 IN TXT "v=DMARC1; p=quarantine"',
                        f'_dmarc.{DOMAIN}. 300 IN TXT "v=DMARC1; p=none"'])
    rc, c = world.checks("--domain", sub, skip=AUTH)
    assert c["dmarc"][0]["summary"].endswith("p=quarantine")


# ---- receiving side ----------------------------------------------------

RECEIVING = ("clock", "ptr", "fcrdns", "generic-name", "helo", "dnsbl",
             "dbl", "spf", "dkim", "dmarc", "open-relay", "queue",
             "postmaster", "abuse", "hostname")
MX = [f"{DOMAIN}. 300 IN MX 10 mx.example.test.",
      "mx.example.test. 300 IN A 127.0.0.1"]


@pytest.mark.parametrize("cert,status,text", [
    ("good", "pass", "offers STARTTLS with a valid certificate"),
    ("wrong", "fail", "is not valid for its name"),
    ("self", "fail", "is not valid for its name"),
    (None, "fail", "does not offer STARTTLS"),
])
def test_starttls(world, pki, smtp_server, cert, status, text):
    mx = smtp_server(cert=pki[cert] if cert else None)
    world.write(MX, mx_port=mx.port)
    rc, c = world.checks(ca=pki["ca"], skip=RECEIVING)
    assert c["mx"][0]["status"] == "pass"
    assert c["mx"][0]["details"] == ["MX 10 mx.example.test"]
    s = c["starttls"][0]
    assert s["status"] == status, s
    assert text in s["summary"]
    if status == "fail":
        assert "TLS required" in s["leads_to"]["reply"]
    assert mx.rcpts == [] and mx.data == []


def test_mx_not_answering_and_missing(world):
    world.write(MX)
    rc, c = world.checks(skip=RECEIVING)
    assert c["starttls"][0]["status"] == "fail"
    assert "does not answer SMTP" in c["starttls"][0]["summary"]
    world.write([f"{DOMAIN}. 300 IN MX 0 ."])
    rc, c = world.checks(skip=RECEIVING)
    assert c["mx"][0]["status"] == "warn"
    world.write([f"{DOMAIN}. 300 IN MX 10 nowhere.test."])
    rc, c = world.checks(skip=RECEIVING)
    assert c["mx"][0]["status"] == "fail"


def test_mta_sts_and_tls_rpt(world, pki, smtp_server, sts):
    mx = smtp_server(cert=pki["good"])
    txt = f'_mta-sts.{DOMAIN}. 300 IN TXT "v=STSv1; id=abc123"'
    world.write(MX + [txt, STS_A], mx_port=mx.port)
    rc, c = world.checks(ca=pki["ca"], skip=RECEIVING)
    assert c["mta-sts"][0]["status"] == "pass", c["mta-sts"]
    assert c["mta-sts"][0]["details"] == [
        f"_mta-sts.{DOMAIN}: v=STSv1; id=abc123",
        "policy: mode enforce, max_age 604800", "mx: mx.example.test"]
    assert c["tls-rpt"][0]["status"] == "warn"
    world.write(MX + [f'_mta-sts.{DOMAIN}. 300 IN TXT "v=STSv1; id=;"',
                      f'_smtp._tls.{DOMAIN}. 300 IN TXT "v=TLSRPTv1;"'],
                mx_port=mx.port)
    rc, c = world.checks(ca=pki["ca"], skip=RECEIVING)
    assert c["mta-sts"][0]["status"] == "fail"
    assert c["tls-rpt"][0]["status"] == "fail"
    # MTA-STS enforced while the MX host's certificate names another host.
    bad = smtp_server(cert=pki["wrong"])
    world.write(MX + [txt, STS_A], mx_port=bad.port)
    rc, c = world.checks(ca=pki["ca"], skip=RECEIVING)
    assert c["starttls"][0]["status"] == "fail"
    assert c["mta-sts"][0]["status"] == "fail"
    assert "enforces MTA-STS but its MX hosts fail TLS" in \
        c["mta-sts"][0]["summary"]
    assert mx.rcpts == [] and mx.data == []


@pytest.mark.parametrize("policy,status,text", [
    (("enforce", "*.example.test"), "pass", "enforces MTA-STS"),
    (("enforce", "mx.elsewhere.test"), "fail",
     "MX host mx.example.test of example.test is not in its MTA-STS"),
    (("testing", "mx.example.test"), "warn", "is in mode testing"),
    (("none", "mx.example.test"), "warn", "is in mode none"),
    (("enforce", "mx.example.test", 3600), "warn", "has max_age 3600"),
    (None, "fail", "its policy cannot be fetched"),
])
def test_mta_sts_policy(world, pki, smtp_server, sts, policy, status, text):
    mx = smtp_server(cert=pki["good"])
    if policy is None:
        sts.bodies.clear()
    else:
        mode, pattern, *age = policy
        sts.bodies[STS_HOST] = policy_text(mode, pattern,
                                           max_age=age[0] if age
                                           else 604800)
    world.write(MX + [f'_mta-sts.{DOMAIN}. 300 IN TXT "v=STSv1; id=1"',
                      STS_A], mx_port=mx.port)
    rc, c = world.checks(ca=pki["ca"], skip=RECEIVING)
    assert c["starttls"][0]["status"] == "pass"
    m = c["mta-sts"][0]
    assert m["status"] == status, m
    assert text in m["summary"], m
    if status == "fail" and policy:
        assert "TLS required" in m["leads_to"]["reply"]
    assert (STS_HOST, "/.well-known/mta-sts.txt") in sts.requests


def test_mta_sts_policy_host_certificate_verified(world, pki, smtp_server,
                                                   sts):
    """Without the test CA the policy host's certificate fails: no
    policy, as for a sender."""
    mx = smtp_server(cert=pki["good"])
    world.write(MX + [f'_mta-sts.{DOMAIN}. 300 IN TXT "v=STSv1; id=1"',
                      STS_A], mx_port=mx.port)
    rc, c = world.checks(skip=RECEIVING)
    assert c["mta-sts"][0]["status"] == "fail"
    assert "cannot be fetched" in c["mta-sts"][0]["summary"]


def der(*cmd, data=None):
    return subprocess.run(["openssl", *cmd], input=data, check=True,
                          capture_output=True).stdout


def spki_sha256(cert):
    pem = der("x509", "-in", cert, "-noout", "-pubkey")
    return hashlib.sha256(der("pkey", "-pubin", "-outform", "DER",
                              data=pem)).hexdigest()


def cert_sha256(cert):
    return hashlib.sha256(der("x509", "-in", cert, "-outform",
                              "DER")).hexdigest()


def test_dane_unsigned(world, pki, smtp_server):
    """Without tls = dane nothing is validated: the records are matched,
    and doctor says DANE was not checked."""
    chain = world.dir / "chain.pem"
    chain.write_text(pathlib.Path(pki["good"][0]).read_text() +
                     pathlib.Path(pki["ca"]).read_text())
    cases = [
        # (certificate, record, starttls, dane, detail)
        (pki["good"], "3 1 1 " + spki_sha256(pki["good"][0]), "pass",
         "warn", "a record matches"),
        # DANE-EE needs no CA: a self-signed certificate is fine for it.
        (pki["self"], "3 1 1 " + spki_sha256(pki["self"][0]), "fail",
         "warn", "a record matches"),
        ((str(chain), pki["good"][1]), "2 0 1 " + cert_sha256(pki["ca"]),
         "pass", "warn", "a record matches"),
        (pki["good"], "3 1 1 " + "00" * 32, "pass", "warn",
         "no record matches"),
        (pki["good"], None, "pass", "skip", None),
    ]
    for cert, record, starttls, dane, detail in cases:
        mx = smtp_server(cert=cert)
        tlsa = [f"_{mx.port}._tcp.mx.example.test. 300 IN TLSA {record}"] \
            if record else []
        world.write(MX + tlsa, mx_port=mx.port)
        rc, c = world.checks(ca=pki["ca"], skip=RECEIVING)
        assert c["starttls"][0]["status"] == starttls, (record, c)
        assert c["dane"][0]["status"] == dane, (record, c["dane"])
        if record:
            assert "not DNSSEC-validated here" in c["dane"][0]["summary"]
            name = f"_{mx.port}._tcp.mx.example.test"
            assert c["dane"][0]["details"] == [
                f"{name}: {detail} the certificate",
                f"{name} TLSA {record}"]


@pytest.mark.skipif(bool(tools_missing()),
                    reason="DNSSEC zones need nsd and ldnsutils")
def test_dane_dnssec(world, pki, smtp_server):
    """Signed and unsigned zones served by nsd, validated by doctor."""
    mx = smtp_server(cert=pki["good"])
    good = "3 1 1 " + spki_sha256(pki["good"][0])
    wrong = "3 1 1 " + spki_sha256(pki["self"][0])
    tlsa = f"_{mx.port}._tcp.mx IN TLSA"
    server = DnssecServer()
    for zone, record, signed in [("ok.internal", good, True),
                                 ("bad.internal", wrong, True),
                                 ("bogus.internal", good, True),
                                 ("plain.internal", good, False)]:
        server.zone(zone, ["@ IN MX 10 mx", "mx IN A 127.0.0.1",
                           f"{tlsa} {record}"], signed=signed)
    server.spoil(f"_{mx.port}._tcp.mx.bogus.internal", "TLSA", wrong)
    server.start()
    try:
        world.write([], mx_port=mx.port, relay=[
            "tls = dane", f"dns_forwarder = 127.0.0.1@{server.port}",
            f"dnssec_trust_anchor = {server.anchor}"])
        got = {}
        for zone in ("ok", "bad", "bogus", "plain"):
            rc, c = world.checks("--domain", f"{zone}.internal",
                                 ca=pki["ca"], skip=RECEIVING)
            # The certificate names mx.example.test: only DANE-EE
            # (which ignores names) can vouch for it here.
            got[zone] = c["dane"][0]
    finally:
        server.stop()
    name = f"_{mx.port}._tcp.mx.ok.internal"
    assert got["ok"]["status"] == "pass", got["ok"]
    assert got["ok"]["details"] == [f"{name}: DNSSEC secure"]
    assert got["bad"]["status"] == "fail", got["bad"]
    assert f"mx.bad.internal TLSA {wrong}" in got["bad"]["details"][1]
    assert "TLS required" in got["bad"]["leads_to"]["reply"]
    assert got["bogus"]["status"] == "fail", got["bogus"]
    assert "fail DNSSEC validation" in got["bogus"]["summary"]
    assert got["plain"]["status"] == "warn", got["plain"]
    assert "DANE does not apply" in got["plain"]["summary"]
    assert "TLSA records are not DNSSEC-signed" in got["plain"]["summary"]
    assert mx.rcpts == [] and mx.data == []


# ---- open relay ----------------------------------------------------------

ONLY_RELAY = ("clock", "ptr", "fcrdns", "generic-name", "helo", "dnsbl",
              "dbl", "spf", "dkim", "dmarc", "mx", "mta-sts", "tls-rpt",
              "queue", "postmaster", "abuse", "hostname")


def test_ferry_is_no_open_relay(world, ferry_factory):
    daemon = ferry_factory()
    world.listen_port = daemon.port
    world.write([])
    rc, c = world.checks(skip=ONLY_RELAY)
    o = c["open-relay"][0]
    assert o["status"] == "pass", o
    assert "Relay access denied" in o["details"][0]
    assert rc == 0


def test_open_relay_is_found_without_sending(world, smtp_server):
    relay = smtp_server()
    world.listen_port = relay.port
    world.write([])
    rc, c = world.checks(skip=ONLY_RELAY)
    o = c["open-relay"][0]
    assert rc == 2 and o["status"] == "fail"
    assert relay.rcpts == ["doctor-relay-test@relay-test.invalid"]
    assert relay.data == []
    assert o["leads_to"]["reason"] == "badreputation"


def test_open_relay_deferred_or_unreachable_warns(world, smtp_server):
    relay = smtp_server(rcpt_reply="451 4.3.0 try later")
    world.listen_port = relay.port
    world.write([])
    rc, c = world.checks(skip=ONLY_RELAY)
    assert c["open-relay"][0]["status"] == "warn"
    world.listen_port = free_port()
    world.write([])
    rc, c = world.checks(skip=ONLY_RELAY)
    assert c["open-relay"][0]["status"] == "warn"
    assert "could not reach" in c["open-relay"][0]["summary"]


# ---- configuration -----------------------------------------------------

ONLY_CONFIG = ("ptr", "fcrdns", "generic-name", "helo", "dnsbl", "dbl",
               "spf", "dkim", "dmarc", "mx", "mta-sts", "tls-rpt",
               "open-relay", "clock")


def test_config_sanity(world):
    world.write([])
    rc, c = world.checks(skip=ONLY_CONFIG)
    assert rc == 0
    for name in ("postmaster", "abuse", "hostname", "queue"):
        assert c[name][0]["status"] == "pass", c[name]
    world.write([], aliases=("postmaster: demo",), hostname="mail.local")
    rc, c = world.checks(skip=ONLY_CONFIG)
    assert rc == 2
    assert c["abuse"][0]["status"] == "warn"
    assert c["hostname"][0]["status"] == "fail"
    assert "local-only" in c["hostname"][0]["details"][0]
    world.write([], hostname="mailhost")
    rc, c = world.checks(skip=ONLY_CONFIG)
    assert "not fully qualified" in c["hostname"][0]["details"][0]


def test_queue_not_writable(world):
    missing = world.dir / "no-spool"
    world.write([], spool=missing)
    rc, c = world.checks(skip=ONLY_CONFIG)
    q = c["queue"][0]
    assert q["status"] == "fail"
    assert "No such file or directory" in q["details"][0]


def test_clock_is_judged(world):
    world.write([])
    rc, c = world.checks(skip=ONLY_CONFIG[:-1] + ("postmaster", "abuse",
                                                  "hostname", "queue"))
    assert c["clock"][0]["status"] in ("pass", "warn")
    assert "the kernel" in c["clock"][0]["summary"]


# ---- the command -------------------------------------------------------


def test_usage_and_help(world):
    world.write([])
    r = subprocess.run([FERRY, "doctor", "--skip", "nonsense", "--config",
                        str(world.conf)], capture_output=True, text=True)
    assert r.returncode == 64
    assert "unknown check 'nonsense'" in r.stderr
    r = subprocess.run([FERRY, "help", "doctor"], capture_output=True,
                       text=True)
    assert r.returncode == 0 and "--dns-data" in r.stdout
    r = subprocess.run([FERRY, "doctor", "--config",
                        str(world.dir / "none.conf")],
                       capture_output=True, text=True)
    assert r.returncode == 78


def test_human_output_has_no_colour_off_a_terminal(world):
    world.write([])
    r = world.run(skip=ONLY_CONFIG)
    assert "\033[" not in r.stdout
    assert r.stdout.splitlines()[-1] == \
        "5 passed, 0 warnings, 0 failures, 0 skipped"
