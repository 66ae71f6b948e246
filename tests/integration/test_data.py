"""DATA and BDAT: content checks, dot-stuffing, smuggling, delivery."""
import email
import smtplib
import subprocess
import shutil

import pytest


def start_tx(ferry, rcpts=("demo@example.test",), mail="MAIL FROM:<s@b.example>"):
    c = ferry.connect()
    c.cmd("EHLO client.example")
    assert c.cmd(mail).startswith("250")
    for r in rcpts:
        assert c.cmd(f"RCPT TO:<{r}>").startswith("250")
    return c


def read(path):
    with open(path, "rb") as f:
        return f.read()


def test_smtplib_delivery_to_maildir(ferry):
    with smtplib.SMTP("127.0.0.1", ferry.port) as s:
        s.ehlo("client.example")
        refused = s.sendmail("sender@b.example", ["demo@example.test"],
                            b"Subject: hi\r\n\r\nbody line\r\n")
        assert refused == {}
    files = ferry.wait_maildir("demo", 1)
    assert len(files) == 1
    msg = email.message_from_bytes(read(files[0]))
    assert msg["Subject"] == "hi"
    assert msg["Return-Path"] == "<sender@b.example>"
    assert msg["Delivered-To"] == "demo@example.test"
    rec = msg.get_all("Received")[0]
    assert "from client.example ([127.0.0.1])" in rec
    assert "by mx.test.example (ferry) with ESMTP id" in rec
    assert "for <demo@example.test>" in rec


def test_queued_reply_and_helo_protocol(ferry):
    c = ferry.connect()
    c.cmd("HELO client.example")
    c.cmd("MAIL FROM:<s@b.example>")
    c.cmd("RCPT TO:<alice@example.test>")
    assert c.cmd("DATA") == "354 End data with <CR><LF>.<CR><LF>"
    c.send("Subject: x\r\n\r\nhello\r\n.\r\n")
    r = c.reply()
    assert r.startswith("250 2.0.0 Ok: queued as ")
    qid = r.rsplit(" ", 1)[1]
    assert len(qid) == 16
    files = ferry.wait_maildir("alice", 1)
    data = read(files[0])
    assert b"with SMTP id " + qid.encode() in data


def test_alias_expansion(ferry):
    c = start_tx(ferry, rcpts=("info@example.test", "alice@example.test"))
    c.cmd("DATA")
    c.send("Subject: alias\r\n\r\nx\r\n.\r\n")
    assert c.reply().startswith("250 2.0.0")
    assert len(ferry.wait_maildir("alice", 1)) == 1
    assert len(ferry.wait_maildir("bob", 1)) == 1
    import time
    time.sleep(0.3)
    assert len(ferry.maildir_files("alice")) == 1  # de-duplicated


def test_dot_unstuffing(ferry):
    c = start_tx(ferry)
    c.cmd("DATA")
    c.send("Subject: dots\r\n\r\n..leading dot\r\n.\r\n")
    assert c.reply().startswith("250 ")
    data = read(ferry.wait_maildir("demo", 1)[0])
    # Maildir files have UNIX line ends.
    assert data.endswith(b"\n\n.leading dot\n")
    assert b"\r" not in data


@pytest.mark.parametrize("payload", [
    b"Subject: a\r\n\r\nx\n.\nMAIL FROM:<evil@b.example>\r\n.\r\n",
    b"Subject: a\r\n\r\nx\r\n.\nRCPT TO:<x@y>\r\n.\r\n",
    b"Subject: a\r\n\r\nx\n.\r\nDATA\r\n.\r\n",
    b"Subject: a\r\n\r\nx\r.\r\nQUIT\r\n.\r\n",
    b"Subject: a\r\n\r\nbare\rcr\r\n.\r\n",
])
def test_smtp_smuggling_rejected(ferry, payload):
    c = start_tx(ferry)
    assert c.cmd("DATA").startswith("354")
    c.send(payload)
    # Only CRLF.CRLF ends the data: one reply, for the whole message.
    assert c.reply().startswith("554 5.6.0 ")
    assert c.cmd("NOOP") == "250 2.0.0 Ok"
    assert ferry.maildir_files("demo") == []


def test_nul_and_long_header(ferry):
    c = start_tx(ferry)
    c.cmd("DATA")
    c.send(b"Subject: a\x00b\r\n\r\nx\r\n.\r\n")
    assert c.reply() == ("554 5.6.0 Mail message is malformed: NUL byte. "
                         "Not accepted")
    c.cmd("MAIL FROM:<s@b.example>")
    c.cmd("RCPT TO:<demo@example.test>")
    c.cmd("DATA")
    c.send(b"X-Long: " + b"a" * 1000 + b"\r\n\r\nx\r\n.\r\n")
    assert c.reply().startswith("554 5.6.0 ")


def test_mail_loop(ferry):
    hops = b"".join(b"Received: from h%d by h%d; Mon, 1 Jan 2024 00:00:00 +0000\r\n" % (i, i)
                    for i in range(50))
    c = start_tx(ferry)
    c.cmd("DATA")
    c.send(hops + b"Subject: loop\r\n\r\nx\r\n.\r\n")
    assert c.reply().startswith("554 5.4.6 ")
    # 49 hops plus ours is 50: still fine.
    c.cmd("MAIL FROM:<s@b.example>")
    c.cmd("RCPT TO:<demo@example.test>")
    c.cmd("DATA")
    c.send(hops.split(b"\r\n", 1)[1] + b"Subject: ok\r\n\r\nx\r\n.\r\n")
    assert c.reply().startswith("250 2.0.0")


def test_message_too_big(ferry):
    c = start_tx(ferry)
    c.cmd("DATA")
    body = (b"x" * 998 + b"\r\n") * 1100
    c.send(b"Subject: big\r\n\r\n" + body + b".\r\n")
    assert c.reply().startswith("552 5.3.4 ")
    assert c.cmd("RSET") == "250 2.0.0 Ok"


def test_pipelining_replies_in_order(ferry):
    c = ferry.connect()
    c.send("EHLO c.example\r\nMAIL FROM:<s@b.example>\r\n"
           "RCPT TO:<demo@example.test>\r\nRCPT TO:<nobody@example.test>\r\n"
           "RCPT TO:<bob@example.test>\r\nDATA\r\n")
    assert c.reply().startswith("250-")
    assert c.reply().startswith("250 2.1.0")
    assert c.reply().startswith("250 2.1.5")
    assert c.reply().startswith("550 5.1.1")
    assert c.reply().startswith("250 2.1.5")
    assert c.reply().startswith("354")
    c.send("Subject: p\r\n\r\nx\r\n.\r\nMAIL FROM:<>\r\nRCPT TO:<alice@example.test>\r\n"
           "DATA\r\nSubject: q\r\n\r\ny\r\n.\r\nQUIT\r\n")
    assert c.reply().startswith("250 2.0.0 Ok: queued")
    assert c.reply().startswith("250 2.1.0")
    assert c.reply().startswith("250 2.1.5")
    assert c.reply().startswith("354")
    assert c.reply().startswith("250 2.0.0 Ok: queued")
    assert c.reply() == "221 2.0.0 Bye"
    assert len(ferry.wait_maildir("demo", 1)) == 1
    assert len(ferry.wait_maildir("bob", 1)) == 1
    assert len(ferry.wait_maildir("alice", 1)) == 1


def test_bdat_chunks(ferry):
    c = start_tx(ferry)
    part1 = b"Subject: chunked\r\n\r\n"
    part2 = b"line one\r\n.not stuffed\r\n"
    c.send(b"BDAT %d\r\n" % len(part1) + part1)
    assert c.reply() == "250 2.0.0 %d octets received" % len(part1)
    c.send(b"BDAT %d LAST\r\n" % len(part2) + part2)
    assert c.reply().startswith("250 2.0.0 Ok: queued as ")
    data = read(ferry.wait_maildir("demo", 1)[0])
    assert data.endswith((part1 + part2).replace(b"\r\n", b"\n"))


def test_bdat_errors(ferry):
    c = ferry.connect()
    c.cmd("EHLO c.example")
    # Without MAIL the chunk is read and thrown away, then refused.
    c.send(b"BDAT 5\r\nhello")
    assert c.reply() == "503 5.5.1 MAIL first"
    assert c.cmd("BDAT x").startswith("501 5.5.4")
    c.cmd("MAIL FROM:<s@b.example>")
    c.cmd("RCPT TO:<demo@example.test>")
    c.send(b"BDAT 3\r\nabc")
    assert c.reply().startswith("250 2.0.0 3 octets")
    assert c.cmd("DATA").startswith("503 5.5.1 ")
    c.send(b"BDAT 0 LAST\r\n")
    assert c.reply().startswith("250 2.0.0 Ok: queued as ")


def test_smtplib_bdat_not_needed_8bit(ferry):
    with smtplib.SMTP("127.0.0.1", ferry.port) as s:
        s.ehlo("c.example")
        body = "Subject: 8bit\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nпривет\r\n"
        s.sendmail("s@b.example", ["bob@example.test"], body.encode(),
                   mail_options=["BODY=8BITMIME"])
    data = read(ferry.wait_maildir("bob", 1)[0])
    assert "привет".encode() in data


def test_smtputf8_delivery(ferry):
    with smtplib.SMTP("127.0.0.1", ferry.port) as s:
        s.ehlo("c.example")
        s.sendmail("jöran@b.example", ["demo@example.test"],
                   "Subject: utf8\r\n\r\nhej\r\n".encode(),
                   mail_options=["SMTPUTF8"])
    data = read(ferry.wait_maildir("demo", 1)[0])
    assert b"with UTF8SMTP id" in data


@pytest.mark.skipif(shutil.which("swaks") is None, reason="swaks missing")
def test_swaks(ferry):
    out = subprocess.run(
        ["swaks", "--server", f"127.0.0.1:{ferry.port}", "--to",
         "bob@example.test", "--from", "s@b.example", "--helo", "c.example",
         "--pipeline", "--header", "Subject: swaks"],
        capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "250 2.0.0 Ok: queued as" in out.stdout
    assert len(ferry.wait_maildir("bob", 1)) == 1


@pytest.mark.skipif(shutil.which("swaks") is None, reason="swaks missing")
def test_swaks_unknown_user(ferry):
    out = subprocess.run(
        ["swaks", "--server", f"127.0.0.1:{ferry.port}", "--to",
         "ghost@example.test", "--from", "s@b.example"],
        capture_output=True, text=True, timeout=30)
    assert out.returncode != 0
    assert "550 5.1.1 <ghost@example.test>" in out.stdout


def test_maildir_readable_by_mail_readers(ferry):
    """The Maildir layout and files parse with the stdlib Maildir reader."""
    import mailbox
    for i in range(3):
        with smtplib.SMTP("127.0.0.1", ferry.port) as s:
            s.sendmail("s@b.example", ["bob@example.test"],
                       f"Subject: m{i}\r\nFrom: s@b.example\r\n\r\nbody {i}\r\n".encode())
    ferry.wait_maildir("bob", 3)
    md = mailbox.Maildir(ferry.maildir_root + "/bob", create=False)
    subjects = sorted(m["Subject"] for m in md)
    assert subjects == ["m0", "m1", "m2"]
    for key in md.keys():
        assert "," in key and "S=" in key  # size in the unique name
        msg = md[key]
        assert msg.get_payload().startswith("body ")
        assert msg["Return-Path"] == "<s@b.example>"
