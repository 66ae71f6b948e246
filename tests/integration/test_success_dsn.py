"""Success reports for local delivery (RFC 3461 s5.2.2, RFC 3464).

RCPT TO:<x> NOTIFY=SUCCESS delivered to a Maildir here gets the sender a
multipart/report with Action: delivered, built by the same code as the
reports for relayed mail; no Remote-MTA, as no remote MTA was involved.
"""
import email
import email.policy
import smtplib
import time

from conftest import DOMAIN


def send(f, sender, rcpts, rcpt_options=None, mail_options=(),
         subject="success dsn"):
    rcpt_options = rcpt_options or {}
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
        s.ehlo("client.example")
        s.mail(sender, list(mail_options))
        for r in rcpts:
            code, msg = s.rcpt(r, list(rcpt_options.get(r, ())))
            assert code == 250, msg
        code, msg = s.data(f"From: <{sender}>\r\nSubject: {subject}\r\n"
                           "Message-ID: <m1@client.example>\r\n\r\n"
                           "body\r\n".encode())
        assert code == 250, msg


def parse(path):
    return email.message_from_bytes(open(path, "rb").read(),
                                    policy=email.policy.default)


def blocks(report):
    assert report.get_content_type() == "multipart/report"
    assert report.get_param("report-type") == "delivery-status"
    part = [p for p in report.iter_parts()
            if p.get_content_type() == "message/delivery-status"][0]
    return [{k: str(v) for k, v in b.items()} for b in part.get_payload()]


def test_notify_success_local_delivery_reports_delivered(ferry):
    send(ferry, f"alice@{DOMAIN}", [f"bob@{DOMAIN}", f"u1@{DOMAIN}"],
         rcpt_options={f"bob@{DOMAIN}": ["NOTIFY=SUCCESS,FAILURE",
                                         f"ORCPT=rfc822;Bob@{DOMAIN}"],
                       f"u1@{DOMAIN}": ["NOTIFY=FAILURE"]},
         mail_options=["RET=HDRS", "ENVID=env+2B1"])
    assert ferry.wait_maildir("bob", 1) and ferry.wait_maildir("u1", 1)
    files = ferry.wait_maildir("alice", 1)
    assert len(files) == 1, ferry.log()[-3000:]
    report = parse(files[0])
    assert report["To"] == f"<alice@{DOMAIN}>" or \
        report["To"].addresses[0].addr_spec == f"alice@{DOMAIN}"
    per_msg, *per_rcpt = blocks(report)
    assert per_msg["Reporting-MTA"] == "dns; mx.test.example"
    assert per_msg["Original-Envelope-Id"] == "env+2B1"
    # Only bob asked for it; u1 said FAILURE only.
    assert len(per_rcpt) == 1
    r = per_rcpt[0]
    assert r["Final-Recipient"] == f"rfc822; bob@{DOMAIN}"
    assert r["Original-Recipient"] == f"rfc822;Bob@{DOMAIN}"
    assert r["Action"] == "delivered"
    assert r["Status"] == "2.0.0"
    assert "Remote-MTA" not in r
    headers = [p for p in report.iter_parts()
               if p.get_content_type() == "text/rfc822-headers"]
    assert headers and "Subject: success dsn" in headers[0].get_content()
    # The report itself came from <> and asks for nothing more.
    raw = open(files[0], "rb").read()
    assert raw.startswith(b"Return-Path: <>")
    assert "event=dsn " in ferry.log()


def test_no_report_unless_asked_or_to_the_null_sender(ferry):
    send(ferry, f"alice@{DOMAIN}", [f"bob@{DOMAIN}"])
    send(ferry, f"alice@{DOMAIN}", [f"bob@{DOMAIN}"],
         rcpt_options={f"bob@{DOMAIN}": ["NOTIFY=NEVER"]})
    send(ferry, "", [f"bob@{DOMAIN}"],
         rcpt_options={f"bob@{DOMAIN}": ["NOTIFY=SUCCESS"]})
    assert len(ferry.wait_maildir("bob", 3)) == 3
    # A report would be queued within milliseconds of the delivery.
    time.sleep(1.0)
    assert ferry.maildir_files("alice") == []
    assert "event=dsn " not in ferry.log()


def test_ret_full_still_returns_only_headers(ferry):
    """RFC 3461 s4.3: RET says what a *failed* DSN returns; a success
    report carries the headers."""
    send(ferry, f"alice@{DOMAIN}", [f"bob@{DOMAIN}"],
         rcpt_options={f"bob@{DOMAIN}": ["NOTIFY=SUCCESS"]},
         mail_options=["RET=FULL"], subject="full one")
    files = ferry.wait_maildir("alice", 1)
    assert files, ferry.log()[-3000:]
    report = parse(files[0])
    types = [p.get_content_type() for p in report.iter_parts()]
    assert types == ["text/plain", "message/delivery-status",
                     "text/rfc822-headers"]
    assert "Subject: full one" in report.get_payload()[2].get_content()
    assert blocks(report)[1]["Action"] == "delivered"
