"""ferry reload and SIGHUP: the daemon reads ferry.conf (and the aliases
file) again without a restart.  Sessions opened before keep their settings,
new sessions get the new ones, queued mail stays queued and is delivered,
and a broken file is refused with its line numbers while the old
configuration keeps serving."""
import json
import os
import signal
import smtplib
import subprocess

import pytest

from conftest import DOMAIN, FERRY, wait_for

pytest.importorskip("aiosmtpd.controller")

from test_relay import remote_factory  # noqa: E402,F401

EX_CONFIG = 78


def reload(f):
    return subprocess.run([FERRY, "reload", "--config", f.config_path],
                          capture_output=True, text=True, timeout=30)


def reloads_logged(f):
    return f.log().count("event=reload ")


def rewrite(f, **changes):
    f.settings.update(changes)
    f.write_config()


def open_session(f):
    s = smtplib.SMTP("127.0.0.1", f.port, timeout=30)
    s.ehlo("client.example")
    return s


def rcpt(s, address):
    s.mail("x@client.example")
    code, _ = s.rcpt(address)
    s.rset()
    return code


def change_and_check(f, apply):
    """Opens a session, changes the size limit and adds an alias, applies
    the change with apply(f), then checks the old session against the old
    settings and a new one against the new."""
    before = open_session(f)
    assert before.esmtp_features["size"] == str(1024 * 1024)
    assert rcpt(before, f"sales@{DOMAIN}") == 550
    rewrite(f, max_message_size="10K",
            extra=["alias = sales: bob"] + f.settings.get("extra", []))
    apply(f)
    # the session opened before still runs on what it started with
    assert before.noop()[0] == 250
    assert before.esmtp_features["size"] == str(1024 * 1024)
    assert rcpt(before, f"sales@{DOMAIN}") == 550
    big = b"Subject: big\r\n\r\n" + b"x" * 60 + (b"\r\n" + b"y" * 60) * 300
    before.sendmail("x@client.example", [f"alice@{DOMAIN}"], big)
    before.quit()
    # a new one gets the new settings
    with open_session(f) as after:
        assert after.esmtp_features["size"] == str(10 * 1024)
        with pytest.raises(smtplib.SMTPSenderRefused) as e:
            after.sendmail("x@client.example", [f"alice@{DOMAIN}"], big)
        assert e.value.smtp_code == 552
        after.sendmail("x@client.example", [f"sales@{DOMAIN}"],
                       b"Subject: to sales\r\n\r\nhi\r\n")
    assert f.wait_maildir("alice", 1)
    files = f.wait_maildir("bob", 1)
    assert len(files) == 1 and b"to sales" in open(files[0], "rb").read()


def test_reload_command_applies_to_new_sessions(ferry):
    def apply(f):
        r = reload(f)
        assert r.returncode == 0, (r.stdout, r.stderr, f.log())
        assert "configuration reloaded" in r.stdout
        assert "need a restart" not in r.stdout
    change_and_check(ferry, apply)
    assert "event=reload by=control result=applied" in ferry.log()


def test_sighup_reloads(ferry):
    def apply(f):
        n = reloads_logged(f)
        f.proc.send_signal(signal.SIGHUP)
        assert wait_for(lambda: reloads_logged(f) > n), f.log()
    change_and_check(ferry, apply)
    assert "event=reload by=SIGHUP result=applied" in ferry.log()


def test_broken_config_is_refused_and_the_old_one_serves(ferry):
    rewrite(ferry, extra=["alias = sales: bob", "[limits]",
                          "max_recipients = lots"])
    with open(ferry.config_path) as fh:
        lines = fh.read().splitlines()
    bad = lines.index("max_recipients = lots") + 1
    r = reload(ferry)
    assert r.returncode == EX_CONFIG, (r.stdout, r.stderr)
    assert "refused" in r.stderr and "running one stays" in r.stderr
    where = f"{ferry.config_path}:{bad}: "
    assert where in r.stderr, r.stderr
    # the same words as check-config
    c = subprocess.run([FERRY, "check-config", ferry.config_path],
                       capture_output=True, text=True, timeout=30)
    assert c.returncode == EX_CONFIG
    err = [x for x in c.stderr.splitlines() if where in x]
    assert err and err[0] in r.stderr
    log = ferry.log()
    assert "event=reload by=control error=" in log and where in log
    assert "result=refused" in log
    # still the old configuration: no sales alias, 1M size
    with open_session(ferry) as s:
        assert s.esmtp_features["size"] == str(1024 * 1024)
        assert rcpt(s, f"sales@{DOMAIN}") == 550
        assert rcpt(s, f"alice@{DOMAIN}") == 250
    # and SIGHUP refuses it the same way
    ferry.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: "by=SIGHUP result=refused" in ferry.log())
    with open_session(ferry) as s:
        assert rcpt(s, f"sales@{DOMAIN}") == 550


def test_restart_only_settings_are_reported(ferry):
    rewrite(ferry, max_connections=50,
            extra=["[relay]", "retry_min = 2h"])
    r = reload(ferry)
    assert r.returncode == 0, r.stderr
    assert "need a restart to change: [relay] retry_min" in r.stdout
    assert "max_connections" not in r.stdout  # that one applies
    assert "needs_restart=\"[relay] retry_min\"" in ferry.log() or \
        "needs_restart=[relay]" in ferry.log(), ferry.log()


def queue_ids(f):
    r = subprocess.run([FERRY, "queue", "--config", f.config_path, "list",
                        "--json"], capture_output=True, text=True,
                       timeout=30)
    assert r.returncode == 0, r.stderr
    return [json.loads(x)["id"] for x in r.stdout.splitlines()]


def test_queued_mail_survives_a_reload(ferry_factory, remote_factory):
    remote = remote_factory()
    f = ferry_factory(extra=["[relay]",
                             f"transport = remote.test: 127.0.0.1:"
                             f"{remote.port}",
                             "retry_min = 1h"])
    # greylisted at the first try: it waits in the queue for an hour
    r = subprocess.run([FERRY, "sendmail", "-C", f.config_path,
                        "grey@remote.test"], input=b"Subject: q\n\nwait\n",
                       capture_output=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert wait_for(lambda: "event=relay-deferred" in f.log()), f.log()
    ids = queue_ids(f)
    assert len(ids) == 1
    rewrite(f, max_recipients=5)
    assert reload(f).returncode == 0
    f.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: f.log().count("result=applied") == 2)
    assert queue_ids(f) == ids
    flush = subprocess.run([FERRY, "queue", "--config", f.config_path,
                            "flush"], capture_output=True, timeout=30)
    assert flush.returncode == 0, flush.stderr
    assert wait_for(lambda: remote.received, timeout=30), f.log()
    assert wait_for(lambda: queue_ids(f) == [])
    assert os.path.exists(f.spool)
