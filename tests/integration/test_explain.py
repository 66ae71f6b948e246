"""ferry explain: the real binary, its output formats and exit statuses."""
import json
import os
import pathlib
import subprocess
import sys

import pytest

FERRY = os.environ.get("FERRY_BIN", "./ferry")
ROOT = pathlib.Path(__file__).resolve().parents[2]
SEEDS = pathlib.Path("/work/shared/seeds")


def run(*args, stdin=None):
    return subprocess.run([FERRY, "explain", *args], input=stdin,
                          capture_output=True, timeout=30)


def explain_json(*args):
    p = run("--json", *args)
    return p.returncode, json.loads(p.stdout)


def test_plain_code():
    rc, d = explain_json("550")
    assert rc == 0
    assert d["basic_code"] == 550
    assert d["permanence"] == "permanent"
    assert d["enhanced_code"] is None


def test_stable_keys():
    _, d = explain_json("550 5.1.1 User unknown")
    assert set(d) == {
        "input", "basic_code", "basic_meaning", "enhanced_code",
        "enhanced_name", "enhanced_meaning", "class", "subject", "text",
        "permanence", "reason", "reason_meaning", "actor", "provider",
        "provider_note", "advice", "action", "hardbounce", "warnings"}
    assert d["reason"] == "userunknown"
    assert d["actor"] == "sender"
    assert d["action"] == "bounce"


def test_args_are_joined():
    _, d = explain_json("550", "5.7.26", "DMARC", "policy", "reject")
    assert d["enhanced_code"] == "5.7.26"
    assert d["reason"] == "authfailure"


def test_gmail_help_line():
    _, d = explain_json('421, "4.7.0", Try again later, closing connection.'
                        ' This usually indicates a Denial of Service (DoS)'
                        ' for the SMTP relay at the HELO stage.')
    assert d["basic_code"] == 421
    assert d["reason"] == "toomanyconn"
    assert "Gmail" in d["provider"]
    assert d["action"] == "backoff_destination"


def test_multiline_from_stdin():
    reply = (b"550-5.7.1 [192.0.2.1] Our system has detected that this\r\n"
             b"550-5.7.1 message is likely unsolicited mail. To reduce\r\n"
             b"550 5.7.1 the amount of spam sent to Gmail. - gsmtp\r\n")
    p = run("--json", stdin=reply)
    d = json.loads(p.stdout)
    assert d["reason"] == "spamdetected"
    assert "Gmail" in d["provider"]
    assert "likely unsolicited mail" in d["text"]


def test_human_output():
    p = run("452 4.2.2 The email account that you tried to reach is over"
            " quota. - gsmtp")
    out = p.stdout.decode()
    assert p.returncode == 0
    assert "Reason:        mailboxfull" in out
    assert "Identified:    Gmail" in out
    assert "Who acts:" in out and "Advice:" in out


def test_unknown_input_is_not_a_crash():
    p = run("--json", "hello there")
    assert p.returncode == 1
    d = json.loads(p.stdout)
    assert d["reason"] == "undefined"
    assert d["warnings"]
    assert b"no SMTP reply code" in p.stderr


@pytest.mark.parametrize("blob", [b"\xff\xfe\x00garbage 5", b"5.", b"\x00" * 10,
                                  bytes(range(256))])
def test_binary_input(blob):
    p = run("--json", stdin=blob)
    assert p.returncode in (0, 1)
    json.loads(p.stdout)  # always valid JSON


def test_usage():
    p = run("--nope")
    assert p.returncode == 64
    p = run("--help")
    assert p.returncode == 0 and b"--bounce" in p.stdout


def test_reasons_list():
    p = run("--reasons")
    names = [l.split()[0] for l in p.stdout.decode().splitlines()]
    assert "userunknown" in names and "ratelimited" in names
    assert "hasmoved" in names and "virusdetected" in names
    assert len(names) == 36


def test_bounce_json():
    msg = (ROOT / "tests/data/bounces/dsn-postfix.eml").read_bytes()
    p = run("--bounce", "--json", stdin=msg)
    assert p.returncode == 0
    rows = json.loads(p.stdout)
    assert rows == [{
        "recipient": "nobody@example.net", "status": "5.1.1",
        "reply_code": 550,
        "diagnostic": "smtp; 550 5.1.1 <nobody@example.net>: Recipient "
                      "address rejected: User unknown in virtual alias table",
        "reason": "userunknown", "hardbounce": True,
        "reporting_mta": "mail.example.org", "format": "postfix"}]


def test_bounce_families_in_order():
    """Each recipient of a family's notice, in the order it lists them."""
    msg = (ROOT / "tests/data/bounces/opensmtpd.eml").read_bytes()
    p = run("--bounce", "--json", stdin=msg)
    assert p.returncode == 0
    rows = json.loads(p.stdout)
    assert [(r["recipient"], r["status"], r["reason"], r["hardbounce"],
             r["format"]) for r in rows] == [
        ("dave@example.com", "5.2.2", "mailboxfull", False, "opensmtpd"),
        ("erin@nonexistent.example", "5.0.0", "hostunknown", True,
         "opensmtpd")]
    msg = (ROOT / "tests/data/bounces/arf-two.eml").read_bytes()
    rows = json.loads(run("--bounce", "--json", stdin=msg).stdout)
    assert [r["recipient"] for r in rows] == ["amy@fbl.example.net",
                                              "ben@fbl.example.net"]
    assert {r["reason"] for r in rows} == {"feedback"}


def test_bounce_crlf_and_human_output():
    msg = (ROOT / "tests/data/bounces/dragonfly.eml").read_bytes()
    p = run("--bounce", stdin=msg.replace(b"\n", b"\r\n"))
    out = p.stdout.decode()
    assert p.returncode == 0
    assert "Format:        dragonfly" in out
    assert "Recipient:     anna@example.net" in out
    assert "Reason:        userunknown" in out
    assert "Bounce:        hard" in out


def test_bounce_file_argument_and_missing_file():
    p = run("--bounce", str(ROOT / "tests/data/bounces/qmail.eml"))
    assert p.returncode == 0 and b"ghost@example.org" in p.stdout
    p = run("--bounce", "/nonexistent/x.eml")
    assert p.returncode == 66


def test_not_a_bounce():
    msg = (ROOT / "tests/data/bounces/not-a-bounce.eml").read_bytes()
    p = run("--bounce", "--json", stdin=msg)
    assert p.returncode == 1
    assert json.loads(p.stdout) == []


@pytest.mark.skipif(not SEEDS.is_dir(), reason="seed documents not present")
def test_seed_table_is_current(tmp_path):
    """The checked-in table equals a fresh extraction from the seeds."""
    out = subprocess.run([sys.executable,
                          str(ROOT / "scripts/extract-seed-replies.py"),
                          str(SEEDS)], capture_output=True, check=True)
    current = (ROOT / "tests/data/seed-replies.tsv").read_bytes()
    assert out.stdout == current
