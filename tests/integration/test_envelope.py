"""MAIL and RCPT: addresses, parameters, recipients, relay, limits."""
import pytest


@pytest.fixture
def sess(ferry):
    c = ferry.connect()
    c.cmd("EHLO client.example")
    return c


@pytest.mark.parametrize("path", [
    "<>", "<a@b.example>", '<"john doe"@b.example>',
    "<a@[192.0.2.1]>", "<a@[IPv6:2001:db8::1]>", "<@r1.example,@r2.example:a@b.example>",
    "<a.b+tag@sub.b.example>",
])
def test_mail_paths_accepted(sess, path):
    assert sess.cmd(f"MAIL FROM:{path}") == "250 2.1.0 Sender ok"


@pytest.mark.parametrize("path", [
    "<a@>", "<@b.example>", "<a..b@c.example>", "<a@b..c>", "<a b@c.example>",
    "<a@-b.example>", "a@b.example", "<a@b.example", '<"unterminated@b.example>',
    "<" + "x" * 65 + "@b.example>",
])
def test_mail_bad_address(sess, path):
    assert sess.cmd(f"MAIL FROM:{path}").startswith("501 5.1.7 ")


@pytest.mark.parametrize("args", ["", "TO:<a@b.example>", "FROM", "FROM:"])
def test_mail_syntax(sess, args):
    assert sess.cmd(f"MAIL {args}").startswith("501 5.5.4 ")


def test_rcpt_bad_address(sess):
    sess.cmd("MAIL FROM:<a@b.example>")
    assert sess.cmd("RCPT TO:<a@>").startswith("501 5.1.3 ")
    assert sess.cmd("RCPT TO:<>").startswith("501 5.1.3 ")
    assert sess.cmd("RCPT FROM:<demo@example.test>").startswith("501 5.5.4 ")


def test_rcpt_local_users(sess):
    sess.cmd("MAIL FROM:<a@b.example>")
    assert sess.cmd("RCPT TO:<demo@example.test>") == "250 2.1.5 Recipient ok"
    assert sess.cmd("RCPT TO:<DEMO@Example.TEST>") == "250 2.1.5 Recipient ok"
    assert sess.cmd("RCPT TO:<nosuch@example.test>") == (
        "550 5.1.1 <nosuch@example.test>: Recipient address rejected: "
        "User unknown in local recipient table")
    assert sess.cmd("RCPT TO:<carol@example.test>").startswith("550 5.2.1 ")
    assert sess.cmd("RCPT TO:<someone@foreign.example>") == \
        "554 5.7.1 <someone@foreign.example>: Relay access denied"


def test_postmaster_always_accepted(sess):
    sess.cmd("MAIL FROM:<>")
    assert sess.cmd("RCPT TO:<postmaster>").startswith("250 2.1.5")
    assert sess.cmd("RCPT TO:<PostMaster@example.test>").startswith("250 2.1.5")


def test_no_relay_via_routing_hacks(sess):
    sess.cmd("MAIL FROM:<a@b.example>")
    assert sess.cmd("RCPT TO:<user%foreign.example@example.test>").startswith("550 5.7.1 ")
    assert sess.cmd("RCPT TO:<foreign.example!user@example.test>").startswith("550 5.7.1 ")
    # A source route is ignored; the final mailbox decides.
    assert sess.cmd("RCPT TO:<@example.test:user@foreign.example>").startswith("554 5.7.1 ")
    assert sess.cmd("RCPT TO:<user@[127.0.0.1]>").startswith("554 5.7.1 ")


def test_size_parameter(sess):
    assert sess.cmd("MAIL FROM:<a@b.example> SIZE=2000000").startswith("552 5.3.4 ")
    assert sess.cmd("MAIL FROM:<a@b.example> SIZE=abc").startswith("501 5.5.4 ")
    assert sess.cmd("MAIL FROM:<a@b.example> SIZE=1000").startswith("250 2.1.0")


def test_unknown_parameter(sess):
    assert sess.cmd("MAIL FROM:<a@b.example> FOO=bar").startswith("555 5.5.4 ")
    sess.cmd("MAIL FROM:<a@b.example>")
    assert sess.cmd("RCPT TO:<demo@example.test> BAR").startswith("555 5.5.4 ")


def test_params_not_allowed_after_helo(ferry):
    c = ferry.connect()
    c.cmd("HELO c.example")
    assert c.cmd("MAIL FROM:<a@b.example> SIZE=10").startswith("555 5.5.4 ")


def test_dsn_parameters(sess):
    assert sess.cmd("MAIL FROM:<a@b.example> RET=HDRS ENVID=QQ+2Bx").startswith("250")
    assert sess.cmd("RCPT TO:<demo@example.test> NOTIFY=SUCCESS,FAILURE "
                    "ORCPT=rfc822;demo+40example.test").startswith("250")
    assert sess.cmd("RCPT TO:<alice@example.test> NOTIFY=NEVER,DELAY").startswith("501 5.5.4 ")
    assert sess.cmd("RCPT TO:<alice@example.test> ORCPT=bogus").startswith("501 5.5.4 ")
    assert sess.cmd("RCPT TO:<alice@example.test> NOTIFY=SOMETIMES").startswith("501 5.5.4 ")


def test_dsn_bad_mail_params(sess):
    assert sess.cmd("MAIL FROM:<a@b.example> RET=ALL").startswith("501 5.5.4 ")
    assert sess.cmd("MAIL FROM:<a@b.example> ENVID=a+zz").startswith("501 5.5.4 ")
    assert sess.cmd("MAIL FROM:<a@b.example> BODY=9BIT").startswith("501 5.5.4 ")
    assert sess.cmd("MAIL FROM:<a@b.example> BODY=8BITMIME BODY=7BIT").startswith("501 5.5.4 ")


def test_smtputf8(sess):
    assert sess.cmd("MAIL FROM:<jöran@b.example>").startswith("553 5.6.7 ")
    assert sess.cmd("MAIL FROM:<jöran@b.example> SMTPUTF8").startswith("250 2.1.0")
    assert sess.cmd("RCPT TO:<dëmo@example.test>").startswith("550 5.1.1")


def test_invalid_utf8_rejected(sess):
    sess.send(b"MAIL FROM:<j\xff@b.example> SMTPUTF8\r\n")
    assert sess.reply().startswith("501 5.1.7 ")


def test_recipient_limit(ferry_factory):
    f = ferry_factory(max_recipients=3)
    c = f.connect()
    c.cmd("EHLO c.example")
    c.cmd("MAIL FROM:<a@b.example>")
    for m in ("u0", "u1", "u2"):
        assert c.cmd(f"RCPT TO:<{m}@example.test>").startswith("250")
    assert c.cmd("RCPT TO:<u3@example.test>") == "452 4.5.3 Error: too many recipients"
    assert c.cmd("DATA").startswith("354")
    c.send("Subject: limit\r\n\r\nhello\r\n.\r\n")
    assert c.reply().startswith("250 2.0.0 Ok: queued as ")
    for m in ("u0", "u1", "u2"):
        assert len(f.wait_maildir(m, 1)) == 1
    assert f.maildir_files("u3") == []
