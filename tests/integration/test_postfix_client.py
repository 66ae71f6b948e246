"""A real Postfix SMTP client relaying into ferry's submission port.

Postfix 3.7 from the Debian package (postfix_instance.py) relays with
smtp_sasl_auth_enable = yes, smtp_send_dummy_mail_auth = yes and its
default mechanism choice, which is Cyrus SASL's: the strongest mechanism
both sides list.  Cyrus does not try another after a 535, so what ferry
offers decides whether the mail goes through (issue items 3 and 4):

- one relay account per passwd-file scheme of `ferry passwd --scheme`:
  the message arrives, over SCRAM-SHA-256 when the file holds SCRAM keys
  and over PLAIN/LOGIN otherwise, and Postfix's MAIL FROM ... AUTH=<> is
  accepted;
- a file that mixes schemes: SCRAM is not offered, every user logs in;
- the same file with SCRAM forced on (`mechanisms`): the crypt user's mail
  is deferred with 535, which is what the default avoids.
"""
import os
import re
import smtplib
import subprocess
import tempfile

import pytest

from conftest import DOMAIN, FERRY
from postfix_instance import Postfix, postfix_root

SCHEMES = ["yescrypt", "bcrypt", "sha512-crypt", "scram-sha-256"]


@pytest.fixture(scope="module")
def pf_root():
    root, why = postfix_root()
    if root is None:
        pytest.skip(why)
    return root


def passwd_line(user, password, scheme):
    return subprocess.run(
        [FERRY, "passwd", "--stdin", "--scheme", scheme, "--user", user],
        input=password + "\n", capture_output=True, text=True,
        check=True).stdout


@pytest.fixture
def workdir():
    d = tempfile.mkdtemp(prefix="ferry-pf-")
    os.chmod(d, 0o755)
    yield d
    import shutil
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture
def postfix_factory(pf_root, workdir):
    made = []

    def make(relay_port, user, password, **extra):
        settings = {
            "relayhost": f"[127.0.0.1]:{relay_port}",
            "smtp_tls_security_level": "encrypt",
            "smtp_tls_loglevel": "1",
            "smtp_sasl_auth_enable": "yes",
            "smtp_sasl_password_maps": f"static:{user}:{password}",
            # Postfix's default smtp_sasl_security_options exclude
            # PLAIN and LOGIN; every relay how-to allows them inside TLS.
            "smtp_sasl_tls_security_options": "noanonymous",
            "smtp_send_dummy_mail_auth": "yes",
        }
        settings.update(extra)
        pf = Postfix(pf_root, os.path.join(workdir, f"pf{len(made)}"),
                     settings)
        made.append(pf)
        return pf.start()

    yield make
    for pf in made:
        pf.stop()


def ferry_with(ferry_factory, workdir, users, mechanisms=None):
    path = os.path.join(workdir, "passwd")
    with open(path, "w") as f:
        for user, password, scheme in users:
            f.write(passwd_line(user, password, scheme))
    os.chmod(path, 0o644)
    auth = ["backend = passwd-file", f"passwd_file = {path}"]
    if mechanisms:
        auth.append(f"mechanisms = {mechanisms}")
    return ferry_factory(auth=auth)


def send_through(pf, sender, rcpt, subject):
    with smtplib.SMTP("127.0.0.1", pf.port, timeout=30) as s:
        s.sendmail(sender, [rcpt], f"From: {sender}\r\nTo: {rcpt}\r\n"
                   f"Subject: {subject}\r\n\r\nvia postfix\r\n".encode())


def auth_lines(f):
    """(user, mechanism, result) of each finished AUTH exchange."""
    found = re.findall(r"event=auth .*mech=(\S+) user=(\S+) result=(\S+)",
                       f.log())
    return [(user, mech, result) for mech, user, result in found]


@pytest.mark.parametrize("scheme", SCHEMES)
def test_postfix_relays_with_each_scheme(ferry_factory, postfix_factory,
                                         workdir, scheme):
    user, password = "u1", "relay-pw-" + scheme
    f = ferry_with(ferry_factory, workdir, [(user, password, scheme)])
    pf = postfix_factory(f.submission_port, user, password)
    send_through(pf, f"{user}@{DOMAIN}", f"bob@{DOMAIN}", scheme)
    files = f.wait_maildir("bob", 1, timeout=30)
    assert files, "not delivered:\n" + pf.log()[-3000:] + f.log()[-2000:]
    assert f"Subject: {scheme}".encode() in open(files[-1], "rb").read()
    assert pf.wait_log("status=sent"), pf.log()[-3000:]
    mechs = auth_lines(f)
    want = "SCRAM-SHA-256" if scheme == "scram-sha-256" else None
    assert len(mechs) == 1 and mechs[0][0] == user and mechs[0][2] == "ok", \
        mechs
    if want:
        assert mechs[0][1] == want
    else:
        assert mechs[0][1] in ("PLAIN", "LOGIN")
    # smtp_send_dummy_mail_auth: MAIL FROM:<...> AUTH=<> was accepted.
    assert "auth=<>" in f.log()
    assert "5.5.4" not in pf.log()


def test_postfix_mixed_file_default_offers_no_scram(ferry_factory,
                                                    postfix_factory, workdir):
    users = [(f"u{i}", f"pw-{s}", s) for i, s in enumerate(SCHEMES)]
    f = ferry_with(ferry_factory, workdir, users)
    for i, (user, password, scheme) in enumerate(users):
        pf = postfix_factory(f.submission_port, user, password)
        send_through(pf, f"{user}@{DOMAIN}", f"bob@{DOMAIN}", scheme)
        assert len(f.wait_maildir("bob", i + 1, timeout=30)) == i + 1, \
            pf.log()[-3000:]
        pf.stop()
    lines = auth_lines(f)
    assert [u for u, _, r in lines if r == "ok"] == [u for u, _, _ in users]
    assert all(m in ("PLAIN", "LOGIN") for _, m, _ in lines), lines


def test_postfix_defers_when_scram_is_forced_on_a_crypt_user(
        ferry_factory, postfix_factory, workdir):
    """Why the default follows the file: Cyrus picks SCRAM, gets 535 for
    a crypt user and does not fall back; the mail waits in Postfix."""
    f = ferry_with(ferry_factory, workdir, [("u2", "pw", "sha512-crypt")],
                   mechanisms="PLAIN, LOGIN, SCRAM-SHA-256")
    pf = postfix_factory(f.submission_port, "u2", "pw")
    send_through(pf, f"u2@{DOMAIN}", f"bob@{DOMAIN}", "forced")
    assert pf.wait_log("status=deferred"), pf.log()[-3000:]
    log = pf.log()
    assert "SASL authentication failed" in log and "535 5.7.8" in log, log
    assert ("u2", "SCRAM-SHA-256", "failed") in auth_lines(f), f.log()
    assert f.maildir_files("bob") == [], f.log()
