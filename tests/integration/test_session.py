"""Greeting, EHLO/HELO, session commands, sequence and syntax errors."""
import smtplib

import pytest


def test_greeting_and_ehlo_extensions(ferry):
    c = ferry.connect()
    assert c.greeting == "220 mx.test.example ESMTP ferry"
    r = c.cmd("EHLO client.example")
    lines = r.split("\n")
    assert lines[0] == "250-mx.test.example"
    kws = [l[4:] for l in lines[1:]]
    for kw in ("PIPELINING", "SIZE 1048576", "8BITMIME", "SMTPUTF8",
               "ENHANCEDSTATUSCODES", "CHUNKING", "DSN",
               "LIMITS RCPTMAX=100"):
        assert kw in kws
    assert lines[-1].startswith("250 ")


def test_smtplib_ehlo(ferry):
    with smtplib.SMTP("127.0.0.1", ferry.port) as s:
        code, _ = s.ehlo("client.example")
        assert code == 250
        assert s.has_extn("enhancedstatuscodes")
        assert s.has_extn("chunking")
        assert s.esmtp_features["size"] == "1048576"


@pytest.mark.parametrize("cmd", ["EHLO", "HELO", "EHLO bad..name",
                                 "EHLO -bad", "HELO a b"])
def test_helo_argument_invalid(ferry, cmd):
    c = ferry.connect()
    assert c.cmd(cmd).startswith("501 5.5.4 ")


def test_helo_plain(ferry):
    c = ferry.connect()
    assert c.cmd("HELO client.example") == "250 mx.test.example"
    assert c.cmd("HELO [127.0.0.1]") == "250 mx.test.example"


def test_quit(ferry):
    c = ferry.connect()
    assert c.cmd("QUIT") == "221 2.0.0 Bye"
    assert c.closed()


def test_noop_rset_help_vrfy_expn(ferry):
    c = ferry.connect()
    c.cmd("EHLO c.example")
    assert c.cmd("NOOP") == "250 2.0.0 Ok"
    assert c.cmd("RSET") == "250 2.0.0 Ok"
    assert c.cmd("HELP").startswith("214 2.0.0 ")
    # VRFY never tells whether a mailbox exists (no user enumeration).
    known = c.cmd("VRFY demo@example.test")
    unknown = c.cmd("VRFY nobody@example.test")
    assert known == unknown
    assert known.startswith("252 2.5.2 ")
    assert c.cmd("VRFY").startswith("501 5.5.4")
    assert c.cmd("EXPN list").startswith("502 5.5.1")


@pytest.mark.parametrize("cmd,expected", [
    ("MAIL FROM:<a@b.example>", "503 5.5.1 EHLO/HELO first"),
    ("RCPT TO:<demo@example.test>", "503 5.5.1 EHLO/HELO first"),
    ("DATA", "503 5.5.1 EHLO/HELO first"),
])
def test_helo_first(ferry, cmd, expected):
    c = ferry.connect()
    assert c.cmd(cmd) == expected


def test_sequence_errors(ferry):
    c = ferry.connect()
    c.cmd("EHLO c.example")
    assert c.cmd("RCPT TO:<demo@example.test>") == "503 5.5.1 MAIL first"
    assert c.cmd("DATA") == "503 5.5.1 MAIL first"
    assert c.cmd("MAIL FROM:<a@b.example>").startswith("250 2.1.0")
    assert c.cmd("MAIL FROM:<a@b.example>") == \
        "503 5.5.1 Sender already specified"
    assert c.cmd("DATA") == "503 5.5.1 RCPT first"
    assert c.cmd("RCPT TO:<nobody@example.test>").startswith("550 5.1.1")
    assert c.cmd("DATA") == "554 5.5.1 No valid recipients"


def test_unknown_and_unimplemented_commands(ferry):
    c = ferry.connect()
    assert c.cmd("FOO bar") == "500 5.5.2 Command unrecognized"
    assert c.cmd("TURN") == "502 5.5.1 Command not implemented"


def test_line_too_long(ferry):
    c = ferry.connect()
    c.cmd("EHLO c.example")
    assert c.cmd("NOOP " + "x" * 600).startswith("500 5.5.6 ")
    # Far past any limit: discarded to its end, answered once.
    assert c.cmd("NOOP " + "y" * 10000).startswith("500 5.5.6 ")
    assert c.cmd("NOOP") == "250 2.0.0 Ok"


def test_too_many_errors_closes(ferry_factory):
    f = ferry_factory(max_errors=3)
    c = f.connect()
    assert c.cmd("BOGUS1").startswith("500 5.5.2")
    assert c.cmd("BOGUS2").startswith("500 5.5.2")
    c.send("BOGUS3\r\n")
    assert c.reply().startswith("500 5.5.2")
    r = c.reply()
    assert r.startswith("421 4.7.0 mx.test.example ")
    assert c.closed()
    # The server keeps serving others.
    assert f.connect().greeting.startswith("220 ")


def test_command_timeout(ferry_factory):
    f = ferry_factory(timeout_command="1s")
    c = f.connect()
    r = c.reply()
    assert r.startswith("421 4.4.2 mx.test.example ")
    assert c.closed()


def test_max_connections(ferry_factory):
    f = ferry_factory(max_connections=2)
    a, b = f.connect(), f.connect()
    import socket
    s = socket.create_connection(("127.0.0.1", f.port), timeout=5)
    data = s.recv(512).decode()
    assert data.startswith("421 4.7.0 ")
    a.close(), b.close(), s.close()
