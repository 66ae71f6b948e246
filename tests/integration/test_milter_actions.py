"""The envelope actions of a real milter (python3-milter): quarantine (the
message is accepted and kept on hold, visible in `ferry queue`, delivered
only when released), change of the envelope sender (SMFIR_CHGFROM), and
recipients added and removed (SMFIR_ADDRCPT, SMFIR_DELRCPT)."""
import json
import smtplib
import subprocess
import time

import pytest

from conftest import FERRY, free_port, wait_for
from test_milter import HERE, PYTHON, message, milter_ferry, stop, wait_port


@pytest.fixture(scope="module")
def actions():
    try:
        subprocess.run([PYTHON, "-c", "import Milter"], check=True,
                       capture_output=True)
    except subprocess.CalledProcessError:
        pytest.skip("python3-milter is not installed (scripts/install-deps.sh)")
    port = free_port()
    proc = subprocess.Popen([PYTHON, str(HERE / "milter_actions.py"),
                             f"inet:{port}@127.0.0.1"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    wait_port(port, proc, "the test milter")
    yield f"inet:127.0.0.1:{port}"
    stop(proc)


def queue(f, *args):
    return subprocess.run([FERRY, "queue", "--config", f.config_path] +
                          list(args), capture_output=True, text=True,
                          timeout=30)


def listing(f):
    r = queue(f, "list", "--json")
    assert r.returncode == 0, r.stderr
    return [json.loads(x) for x in r.stdout.splitlines()]


def send(f, subject, rcpts=("alice@example.test",)):
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
        s.sendmail("demo@example.test", list(rcpts), message(subject))


def test_quarantine_holds_the_message(ferry_factory, actions):
    f = milter_ferry(ferry_factory, smtp=actions)
    send(f, "please quarantine me")
    held = wait_for(lambda: [m for m in listing(f) if m["status"] == "held"])
    assert len(held) == 1, (listing(f), f.log()[-2000:])
    qid = held[0]["id"]
    log = f.log()
    assert f"event=milter-quarantine id={qid}" in log
    assert 'reason="looks like phishing"' in log
    assert f"event=queue-held id={qid}" in log
    # held: not delivered, not even tried
    send(f, "an ordinary one")
    assert len(f.wait_maildir("alice", 1)) == 1
    time.sleep(0.5)
    assert len(f.maildir_files("alice")) == 1
    assert f"event=delivered id={qid}" not in f.log()
    # released by the administrator, it is delivered
    r = queue(f, "release", qid)
    assert r.returncode == 0, r.stderr
    assert len(f.wait_maildir("alice", 2)) == 2
    assert wait_for(lambda: f"event=delivered id={qid}" in f.log())


def test_chgfrom_changes_the_envelope_sender(ferry_factory, actions):
    f = milter_ferry(ferry_factory, smtp=actions)
    send(f, "chgfrom please")
    data = open(f.wait_maildir("alice", 1)[0], "rb").read()
    assert b"Return-Path: <changed@example.test>" in data, data[:400]
    assert "event=milter-chgfrom" in f.log()
    assert "to=changed@example.test" in f.log()


def test_recipients_added_and_removed(ferry_factory, actions):
    f = milter_ferry(ferry_factory, smtp=actions)
    send(f, "addrcpt and delrcpt", rcpts=("alice@example.test",
                                          "demo@example.test"))
    assert len(f.wait_maildir("bob", 1)) == 1, f.log()[-2000:]
    assert len(f.wait_maildir("demo", 1)) == 1
    time.sleep(0.5)
    assert f.maildir_files("alice") == []
