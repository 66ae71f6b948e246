"""Milter verdicts at the stage where the milter gives them (connect,
HELO, MAIL, RCPT), over one conversation per milter per SMTP session,
against a milter written here with python3-milter (Debian's libmilter
binding)."""
import os
import smtplib
import subprocess
import time

import pytest

from conftest import free_port, make_workdir
from test_milter import PYTHON, milter_ferry, message, stop, wait_port

STAGE_MILTER = r'''
import sys
import time

import Milter

MODE = sys.argv[2]


class Stages(Milter.Base):
    """Refuses by stage; at the end of each message it says, in a header,
    what it saw over this one connection."""

    def __init__(self):
        self.rcpts = []
        self.messages = 0
        self.aborts = 0

    def connect(self, name, family, hostaddr):
        if MODE == "reject-connect":
            self.setreply("554", "5.7.1", "no mail from you today")
            return Milter.REJECT
        return Milter.CONTINUE

    def hello(self, name):
        if name == "bad.example":
            self.setreply("550", "5.7.1", "that name is not welcome")
            return Milter.REJECT
        if name == "later.example":
            return Milter.TEMPFAIL
        return Milter.CONTINUE

    def envfrom(self, mailfrom, *params):
        self.rcpts = []
        if mailfrom.lower().startswith("<spammer@"):
            return Milter.REJECT
        return Milter.CONTINUE

    def envrcpt(self, to, *params):
        to = to.lower()
        if to.startswith("<refuse@"):
            self.setreply("550", "5.1.1", "this one does not take mail")
            return Milter.REJECT
        if to.startswith("<later@"):
            return Milter.TEMPFAIL
        if to.startswith("<hang@"):
            time.sleep(5)
        self.rcpts.append(to)
        return Milter.CONTINUE

    def abort(self):
        self.aborts += 1
        return Milter.CONTINUE

    def eom(self):
        self.messages += 1
        self.addheader("X-Stages", "rcpts=%s messages=%d aborts=%d" % (
            ",".join(self.rcpts), self.messages, self.aborts))
        return Milter.ACCEPT


Milter.factory = Stages
Milter.set_flags(Milter.ADDHDRS)
Milter.runmilter("stages", sys.argv[1], 60)
'''

DOMAIN = ["[domain other.test]", "maildir_root = other-mail",
          "mailbox = keep, refuse, later, hang",
          "alias = postmaster: keep"]


def start_milter(mode):
    try:
        subprocess.run([PYTHON, "-c", "import Milter"], check=True,
                       capture_output=True)
    except subprocess.CalledProcessError:
        pytest.skip("python3-milter is not installed (scripts/install-deps.sh)")
    script = os.path.join(make_workdir(), "stages.py")
    with open(script, "w") as fh:
        fh.write(STAGE_MILTER)
    port = free_port()
    proc = subprocess.Popen([PYTHON, script, f"inet:{port}@127.0.0.1", mode],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    wait_port(port, proc, "the stage milter")
    return proc, f"inet:127.0.0.1:{port}"


@pytest.fixture
def stages():
    proc, spec = start_milter("stages")
    yield spec
    stop(proc)


@pytest.fixture
def connect_rejecter():
    proc, spec = start_milter("reject-connect")
    yield spec
    stop(proc)


def mailbox(f, box, n=1, wait=20):
    d = os.path.join(f.workdir, "other-mail", box, "new")
    deadline = time.time() + wait
    while time.time() < deadline and not (os.path.isdir(d)
                                          and len(os.listdir(d)) >= n):
        time.sleep(0.05)
    if not os.path.isdir(d):
        return []
    return [open(os.path.join(d, p), "rb").read() for p in sorted(os.listdir(d))]


def test_milter_rejects_at_connect(ferry_factory, connect_rejecter):
    """The client hears the milter's reply instead of the greeting, and
    the connection ends (as a refusal by the policy at connect does)."""
    f = milter_ferry(ferry_factory, smtp=connect_rejecter)
    with pytest.raises(smtplib.SMTPConnectError) as e:
        smtplib.SMTP("127.0.0.1", f.port, timeout=30)
    assert (e.value.smtp_code, e.value.smtp_error) == (
        554, b"5.7.1 no mail from you today")
    assert "event=milter-reject" in f.log() and "stage=connect" in f.log()


def test_milter_refuses_helo_mail_and_one_rcpt(ferry_factory, stages):
    f = milter_ferry(ferry_factory, smtp=stages, domain=DOMAIN)
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
        assert s.ehlo("bad.example") == (550, b"5.7.1 that name is not welcome")
        assert s.ehlo("client.example")[0] == 250
        # MAIL: a plain reject gets the registry's reply; the session goes on.
        assert s.mail("spammer@example.test") == (
            550, b"5.7.1 Sender address rejected by content filter")
        assert s.mail("demo@example.test")[0] == 250
        # RCPT: that recipient only, with the milter's text.
        assert s.rcpt("refuse@other.test") == (
            550, b"5.7.1 this one does not take mail")
        assert s.rcpt("later@other.test") == (
            451, b"4.7.1 Service unavailable, try again later")
        assert s.rcpt("keep@other.test")[0] == 250
        assert s.data(message("two asked, one kept"))[0] == 250
        # Next transaction over the same conversation, after an RSET.
        assert s.mail("demo@example.test")[0] == 250
        assert s.rset()[0] == 250
        assert s.mail("demo@example.test")[0] == 250
        assert s.rcpt("keep@other.test")[0] == 250
        assert s.data(message("second"))[0] == 250
    got = mailbox(f, "keep", 2)
    assert len(got) == 2, f.log()[-3000:]
    heads = sorted(m.split(b"\r\n\r\n")[0].split(b"\n\n")[0] for m in got)
    stamps = sorted(l for h in heads for l in h.splitlines()
                    if l.startswith(b"X-Stages:"))
    # One conversation: the second message is its second, after the RSET
    # was aborted (libmilter calls no abort for a MAIL it refused itself).
    assert stamps == [b"X-Stages: rcpts=<keep@other.test> messages=1 aborts=0",
                      b"X-Stages: rcpts=<keep@other.test> messages=2 aborts=1"]
    assert mailbox(f, "refuse", wait=0) == []
    assert mailbox(f, "later", wait=0) == []
    log = f.log()
    assert "event=milter-rcpt-refused" in log and "to=refuse@other.test" in log
    assert "stage=helo" in log and "stage=mail" in log


def test_milter_tempfail_at_helo_closes(ferry_factory, stages):
    """RFC 5321 allows no 4xx to EHLO/HELO but 421: the session ends."""
    f = milter_ferry(ferry_factory, smtp=stages)
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
        code, text = s.ehlo("later.example")
        assert code == 421 and text.startswith(b"4.7.1 ") and text.endswith(
            b" Service unavailable, closing connection"), text
        with pytest.raises(smtplib.SMTPServerDisconnected):
            s.noop()
    assert "event=milter-tempfail" in f.log() and "stage=helo" in f.log()


@pytest.mark.parametrize("default", ["accept", "tempfail"])
def test_milter_hanging_at_rcpt_times_out(ferry_factory, stages, default):
    f = milter_ferry(ferry_factory, smtp=stages, domain=DOMAIN,
                     timeout="1s", default=default)
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
        s.ehlo("client.example")
        assert s.mail("demo@example.test")[0] == 250
        t0 = time.time()
        assert s.rcpt("hang@other.test")[0] == 250
        assert 0.8 < time.time() - t0 < 10
        code, text = s.data(message("after the timeout"))
        if default == "accept":  # delivered without that milter
            assert code == 250, text
        else:
            assert (code, text) == (451, b"4.7.1 Service unavailable, "
                                    b"try again later")
        assert s.noop()[0] == 250  # the session survived
    log = f.log()
    assert "error=timeout" in log and f"action={default}" in log
    got = mailbox(f, "hang", wait=5 if default == "accept" else 0.5)
    assert len(got) == (1 if default == "accept" else 0)
    if got:
        assert b"X-Stages:" not in got[0]
