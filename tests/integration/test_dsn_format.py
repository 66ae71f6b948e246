"""Delivery status notifications as a standard MIME parser sees them.

The cmocka test build/rel/unit/test_dsn writes every report it builds into
$FERRY_DSN_OUT as <case>.eml; this module runs it once and reads the files
back with Python's email package: multipart/report structure, the
message/delivery-status field blocks, and the returned original per RET.
Nothing is built here; without the binary (run `make unit` first) the
module is skipped.
"""
import email
import email.policy
import pathlib
import subprocess

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
DRIVER = ROOT / "build" / "rel" / "unit" / "test_dsn"


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    if not DRIVER.is_file():
        pytest.skip(f"{DRIVER.relative_to(ROOT)} missing; run `make unit`")
    out = tmp_path_factory.mktemp("dsn")
    p = subprocess.run([str(DRIVER)], env={"FERRY_DSN_OUT": str(out)},
                       capture_output=True, timeout=120)
    assert p.returncode == 0, p.stdout.decode() + p.stderr.decode()
    files = {f.stem: f.read_bytes() for f in out.glob("*.eml")}
    assert files, "the unit test wrote no reports"
    return files


def parse(raw):
    return email.message_from_bytes(raw, policy=email.policy.default)


def raw_header(msg, name):
    """The field's value as written, before address parsing."""
    values = [v for k, v in msg.raw_items() if k.lower() == name.lower()]
    assert len(values) == 1, (name, values)
    return values[0]


def status_blocks(msg):
    """(per-message fields, [per-recipient fields]) as plain dicts."""
    part = msg.get_payload()[1]
    assert part.get_content_type() == "message/delivery-status"
    blocks = part.get_payload()
    assert isinstance(blocks, list) and len(blocks) >= 2
    as_dict = [{k: str(v) for k, v in b.items()} for b in blocks]
    return as_dict[0], as_dict[1:]


def test_every_report_is_a_well_formed_multipart_report(reports):
    for name, raw in reports.items():
        msg = parse(raw)
        assert msg.get_content_type() == "multipart/report", name
        assert msg.get_param("report-type") == "delivery-status", name
        assert msg["Auto-Submitted"] == "auto-replied", name
        assert msg["MIME-Version"] == "1.0", name
        assert str(msg["From"]).startswith(
            "Mail Delivery System <MAILER-DAEMON@"), name
        parts = msg.get_payload()
        assert len(parts) == 3, name
        assert parts[0].get_content_type() == "text/plain", name
        assert parts[2].get_content_type() in (
            "message/rfc822", "text/rfc822-headers"), name
        assert not msg.defects, (name, msg.defects)
        for line in raw.split(b"\r\n")[:-1]:
            assert b"\n" not in line and b"\r" not in line, name
            assert len(line) <= 998, name


def test_failed_headers_only(reports):
    msg = parse(reports["failed_hdrs"])
    assert msg["Subject"] == "Undelivered Mail Returned to Sender"
    assert raw_header(msg, "To") == "<alice@example.org>"
    assert msg["To"].addresses[0].addr_spec == "alice@example.org"
    assert msg["Date"].datetime.timestamp() == 1700000000
    per_msg, rcpts = status_blocks(msg)
    assert per_msg == {
        "Reporting-MTA": "dns; mx.example.org",
        "X-Ferry-Queue-ID": "0123456789abcdef",
        "Arrival-Date": "Tue, 14 Nov 2023 21:13:20 +0000",
    }
    assert rcpts == [{
        "Final-Recipient": "rfc822; bob@example.com",
        "Action": "failed",
        "Status": "5.1.1",
        "Remote-MTA": "dns; mx.example.com",
        "Diagnostic-Code": "smtp; 550 5.1.1 <bob@example.com>: Recipient "
                           "address rejected: User unknown in virtual "
                           "mailbox table",
        "Last-Attempt-Date": "Tue, 14 Nov 2023 22:12:20 +0000",
    }]
    text = msg.get_payload()[0].get_content()
    assert "This is the mail system at mx.example.org." in text
    assert "<bob@example.com>: delivery failed" in text
    headers = msg.get_payload()[2]
    assert headers.get_content_type() == "text/rfc822-headers"
    returned = headers.get_payload(decode=True)
    assert returned.startswith(b"From: Alice <alice@example.org>\r\n")
    assert b"Subject: lunch\r\n" in returned
    assert b"See you at noon" not in returned


def test_envid_orcpt_and_ret_full(reports):
    msg = parse(reports["full_envid_orcpt"])
    per_msg, rcpts = status_blocks(msg)
    assert per_msg["Original-Envelope-Id"] == "QQ314159+20id+3D1+2B2"
    assert rcpts[0]["Original-Recipient"] == \
        "rfc822;Bob+2Blists+3Dx@Example.COM"
    assert rcpts[0]["Final-Recipient"] == "rfc822; bob@example.com"
    part3 = msg.get_payload()[2]
    assert part3.get_content_type() == "message/rfc822"
    inner = part3.get_payload()[0]
    assert inner["Subject"] == "lunch"
    assert inner.get_content() == "See you at noon.\r\n"


def test_delayed_has_will_retry_until(reports):
    msg = parse(reports["delayed"])
    assert msg["Subject"] == "Delayed Mail (still being retried)"
    per_msg, rcpts = status_blocks(msg)
    assert "Original-Envelope-Id" not in per_msg
    assert rcpts[0]["Action"] == "delayed"
    assert rcpts[0]["Status"] == "4.4.1"
    assert rcpts[0]["Will-Retry-Until"] == "Sat, 18 Nov 2023 22:13:20 +0000"
    # RET=FULL, but a delay report returns headers only (RFC 3461 s4.3).
    assert msg.get_payload()[2].get_content_type() == "text/rfc822-headers"


def test_several_recipients(reports):
    msg = parse(reports["several"])
    _, rcpts = status_blocks(msg)
    got = [(r["Final-Recipient"], r["Action"], r["Status"]) for r in rcpts]
    assert got == [
        ("rfc822; a@example.com", "delivered", "2.0.0"),
        ("rfc822; b@example.com", "failed", "5.2.2"),
        ("rfc822; c@example.com", "delayed", "4.7.0"),
        ("rfc822; d@example.com", "relayed", "2.0.0"),
        ("rfc822; e@example.com", "expanded", "2.0.0"),
    ]
    assert [("Will-Retry-Until" in r) for r in rcpts] == \
        [False, False, True, False, False]
    assert rcpts[0]["Diagnostic-Code"] == "smtp; 250 2.0.0 Ok: queued as 4F2"
    assert rcpts[1]["Diagnostic-Code"] == "smtp; 552 5.2.2 Mailbox full"


def test_success_report(reports):
    msg = parse(reports["success"])
    assert msg["Subject"] == "Successful Mail Delivery Report"
    per_msg, rcpts = status_blocks(msg)
    assert per_msg["Original-Envelope-Id"] == "ENV-1"
    assert rcpts[0]["Action"] == "delivered"
    assert "Will-Retry-Until" not in rcpts[0]


def test_injection_stays_inside_values(reports):
    msg = parse(reports["injection"])
    for name in ("Bcc", "X-Injected", "X-Host", "X-Q", "X-Env"):
        assert msg[name] is None
    assert raw_header(msg, "To") == "<alice@example.orgBcc:all@evil.test>"
    per_msg, rcpts = status_blocks(msg)
    assert set(per_msg) <= {"Reporting-MTA", "X-Ferry-Queue-ID",
                            "Original-Envelope-Id", "Arrival-Date"}
    assert per_msg["Original-Envelope-Id"] == "e+0D+0AX-Env:+201"
    assert set(rcpts[0]) == {"Original-Recipient", "Final-Recipient",
                             "Action", "Status", "Remote-MTA",
                             "Diagnostic-Code"}
    assert rcpts[0]["Status"] == "5.0.0"
    assert rcpts[0]["Final-Recipient"] == \
        "rfc822; bob@example.com Bcc: x@evil.test"
    assert rcpts[0]["Diagnostic-Code"] == (
        "smtp; 550 no X-Injected: yes --fake Content-Type: text/html [31m")


def test_utf8_addresses(reports):
    msg = parse(reports["utf8"])
    part1 = msg.get_payload()[0]
    assert part1.get_content_charset() == "utf-8"
    assert "<jos\u00e9@exampl\u00e9.com>: delivery failed" in \
        part1.get_content()
    _, rcpts = status_blocks(msg)
    assert rcpts[0]["Final-Recipient"] == \
        "utf-8; jos\\x{E9}@exampl\\x{E9}.com"


def test_bare_line_ends_and_8bit_original(reports):
    inner = parse(reports["bare_lf"]).get_payload()[2].get_payload()[0]
    assert inner["Subject"] == "hi"
    msg = parse(reports["eightbit_full"])
    part3 = msg.get_payload()[2]
    assert part3.get_content_type() == "message/rfc822"
    assert part3["Content-Transfer-Encoding"] == "8bit"
    assert msg["Content-Transfer-Encoding"] == "8bit"


def test_size_cap_and_binary_return_headers(reports):
    for name, note in (("too_big", "too large to return in full"),
                       ("binary", "contains binary data")):
        msg = parse(reports[name])
        assert msg.get_payload()[2].get_content_type() == \
            "text/rfc822-headers"
        text = " ".join(msg.get_payload()[0].get_content().split())
        assert note in text, name


def test_empty_original(reports):
    msg = parse(reports["empty"])
    part3 = msg.get_payload()[2]
    assert part3.get_content_type() == "text/rfc822-headers"
    assert part3.get_payload(decode=True).strip() == b""
