"""ferry queue, ferry sendmail and the control socket, against the real
daemon: submission as root and as an unprivileged user, the maildrop while
the daemon is down, hold/release/delete/flush, and the argv[0] names."""
import json
import os
import shutil
import socket
import subprocess
import tempfile
import time

from conftest import FERRY, free_port, wait_for

NOBODY = ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups"]

EX_USAGE, EX_NOINPUT, EX_NOUSER, EX_UNAVAILABLE, EX_TEMPFAIL = \
    64, 66, 67, 69, 75


def run(args, data=b"", user=None, argv0=None, env=None):
    cmd = (user or []) + [argv0 or FERRY] + args
    return subprocess.run(cmd, input=data, capture_output=True, timeout=30,
                          env=env)


def sendmail(f, args, data, user=None):
    if isinstance(data, str):
        data = data.encode()
    return run(["sendmail", "-C", f.config_path] + args, data, user)


def queue(f, *args):
    return run(["queue", "--config", f.config_path] + list(args))


def queue_json(f):
    r = queue(f, "list", "--json")
    assert r.returncode == 0, r.stderr
    return [json.loads(line) for line in r.stdout.decode().splitlines()]



def relay_settings():
    # remote.test goes to a port nobody listens on: the message stays
    # queued (retry_min 1h) for the queue commands to work on.
    return {"extra": ["[relay]",
                      f"transport = remote.test: 127.0.0.1:{free_port()}",
                      "retry_min = 1h"]}


def read(path):
    with open(path, "rb") as fh:
        return fh.read()


def test_sendmail_t_as_root(ferry):
    r = sendmail(ferry, ["-t"],
                 "Subject: t\nTo: Alice <alice@example.test>,\n"
                 " (folded) bob\nBcc: demo@example.test\n\nhello\n")
    assert r.returncode == 0, r.stderr
    for box in ("alice", "bob", "demo"):
        files = ferry.wait_maildir(box, 1)
        assert len(files) == 1, (box, ferry.log())
    msg = read(ferry.maildir_files("demo")[0])
    assert b"Bcc:" not in msg
    # Maildir files use the local line ending; the queue keeps CRLF.
    assert b"\nFrom: root@mx.test.example\n" in msg
    assert b"\nDate: " in msg and b"\nMessage-ID: <" in msg
    assert b"from userid 0" in msg and b"\n\nhello\n" in msg


def test_sendmail_unprivileged_user(ferry):
    r = sendmail(ferry, ["-F", "No Body", "alice"],
                 "Subject: from nobody\n\nhi\n", user=NOBODY)
    assert r.returncode == 0, r.stderr
    files = ferry.wait_maildir("alice", 1)
    assert len(files) == 1, ferry.log()
    msg = read(files[0])
    assert b"from userid 65534" in msg
    assert b'From: "No Body" <nobody@mx.test.example>' in msg
    assert b"Return-Path: <nobody@mx.test.example>" in msg


def test_sendmail_dot_handling(ferry):
    body = "Subject: dots\n\nline one\n.\nline two\n"
    assert sendmail(ferry, ["-i", "bob"], body).returncode == 0
    files = ferry.wait_maildir("bob", 1)
    assert b"\n.\nline two\n" in read(files[0])
    # Without -i the lone dot ends the message.
    assert sendmail(ferry, ["-f", "x@y.example", "alice"],
                    body).returncode == 0
    files = ferry.wait_maildir("alice", 1)
    msg = read(files[0])
    assert b"line one" in msg and b"line two" not in msg
    assert b"Return-Path: <x@y.example>" in msg


def test_sendmail_errors(ferry):
    r = sendmail(ferry, ["bad address@@x"], "Subject: x\n\nx\n")
    assert r.returncode == EX_NOUSER, r.stderr
    r = sendmail(ferry, ["-t"], "Subject: x\nTo: <a@b@c>\n\nx\n")
    assert r.returncode == EX_NOUSER
    r = sendmail(ferry, [], "Subject: x\n\nx\n")
    assert r.returncode == EX_USAGE
    # -bs with no input: the greeting, then the end of the dialogue.
    r = sendmail(ferry, ["-bs"], "")
    assert r.returncode == 0 and r.stdout.startswith(b"220 ")
    r = sendmail(ferry, ["-Z"], "")
    assert r.returncode == EX_USAGE
    # Accepted and ignored, as programs pass them.
    r = sendmail(ferry, ["-oem", "-odi", "-oi", "--", "alice"],
                 "Subject: x\n\nx\n")
    assert r.returncode == 0
    assert len(ferry.wait_maildir("alice", 1)) == 1


def test_maildrop_waits_for_the_daemon(ferry_factory):
    f = ferry_factory()
    f.stop()
    assert not os.path.exists(os.path.join(f.spool, "control.sock"))
    r = sendmail(f, ["bob"], "Subject: later\n\nqueued while down\n",
                 user=NOBODY)
    assert r.returncode == 0, r.stderr
    assert len(os.listdir(os.path.join(f.spool, "maildrop"))) == 1
    assert f.maildir_files("bob") == []
    # The control commands need the daemon; list does not.
    assert queue(f, "flush").returncode == EX_UNAVAILABLE
    assert b"not running" in queue(f, "flush").stderr
    assert queue(f, "list").returncode == 0
    f.start()
    files = f.wait_maildir("bob", 1)
    assert len(files) == 1, f.log()
    assert b"queued while down" in read(files[0])
    assert wait_for(lambda: os.listdir(
        os.path.join(f.spool, "maildrop")) == [])


def test_sendmail_without_spool():
    d = tempfile.mkdtemp(prefix="ferry-test-")
    try:
        conf = os.path.join(d, "ferry.conf")
        with open(conf, "w") as fh:
            fh.write(f"[queue]\nspool_dir = {d}/spool\n"
                     f"[domain example.test]\nmaildir_root = {d}/mail\n"
                     "mailbox = postmaster\n")
        r = run(["sendmail", "-C", conf, "postmaster"], b"x\n")
        assert r.returncode == EX_TEMPFAIL, r.stderr
    finally:
        shutil.rmtree(d)


def submit_remote(f):
    r = sendmail(f, ["-f", "alice@example.test", "carl@remote.test"],
                 "Subject: far\n\nto the relay\n")
    assert r.returncode == 0, r.stderr
    msgs = wait_for(lambda: queue_json(f))
    assert len(msgs) == 1, f.log()
    return msgs[0]


def test_queue_list_show_json(ferry_factory):
    f = ferry_factory(**relay_settings())
    m = submit_remote(f)
    assert m["status"] == "queued" and m["sender"] == "alice@example.test"
    assert [r["address"] for r in m["recipients"]] == ["carl@remote.test"]
    r = queue(f, "list")
    out = r.stdout.decode()
    assert r.returncode == 0
    assert m["id"] + " " in out and "alice@example.test" in out
    assert "carl@remote.test" in out
    assert out.rstrip().endswith("in 1 Request.")
    if "relay-deferred" in f.log() or wait_for(
            lambda: "relay-deferred" in f.log(), 5):
        # With the outbound manager running the attempt has a reply.
        rc = queue_json(f)[0]["recipients"][0]
        assert rc["state"] == "deferred" and rc["last_reply"]
        assert "(" + rc["last_reply"] in queue(f, "list").stdout.decode()
    show = queue(f, "show", m["id"])
    text = show.stdout.decode()
    assert show.returncode == 0
    assert "protocol:  local" in text and "Subject: far" in text
    js = json.loads(queue(f, "show", "--json", m["id"]).stdout)
    assert js["id"] == m["id"] and "\r\nSubject: far\r\n" in js["headers"]
    assert js["protocol"] == "local" and js["helo"] == "mx.test.example"
    assert queue(f, "show", "0123456789abcdef").returncode == EX_NOINPUT
    assert queue(f, "show", "nope").returncode == EX_USAGE


def test_hold_release_delete(ferry_factory):
    f = ferry_factory(**relay_settings())
    qid = submit_remote(f)["id"]
    r = queue(f, "hold", qid)
    assert r.returncode == 0, r.stderr
    assert not os.path.exists(os.path.join(f.spool, "queue", qid + ".env"))
    assert os.path.exists(os.path.join(f.spool, "hold", qid + ".env"))
    assert qid + "!" in queue(f, "list").stdout.decode()
    assert queue_json(f)[0]["status"] == "held"
    assert queue(f, "hold", qid).returncode == 1
    assert queue(f, "flush", qid).returncode == 1  # held: release first
    assert queue(f, "release", qid).returncode == 0
    assert os.path.exists(os.path.join(f.spool, "queue", qid + ".env"))
    assert queue_json(f)[0]["status"] == "queued"
    assert queue(f, "release", qid).returncode == 1
    assert queue(f, "delete", qid).returncode == 0
    assert queue_json(f) == []
    assert "Mail queue is empty" in queue(f, "list").stdout.decode()
    assert queue(f, "delete", qid).returncode == EX_NOINPUT
    log = f.log()
    for ev in ("queue-held", "queue-released", "queue-deleted"):
        assert f"event={ev} id={qid}" in log


def test_held_message_survives_restart(ferry_factory):
    f = ferry_factory(**relay_settings())
    qid = submit_remote(f)["id"]
    assert queue(f, "hold", qid).returncode == 0
    f.stop()
    f.start()
    assert queue_json(f)[0]["status"] == "held"
    assert queue(f, "release", qid).returncode == 0


def test_flush_retries_local_delivery(ferry):
    # Local delivery fails while the mailbox path is a plain file; after
    # the fix, flush delivers at once instead of after the 30 s back-off.
    blocker = os.path.join(ferry.maildir_root, "u1")
    os.makedirs(ferry.maildir_root, exist_ok=True)
    with open(blocker, "w") as fh:
        fh.write("in the way\n")
    assert sendmail(ferry, ["u1"], "Subject: retry\n\nx\n").returncode == 0
    assert wait_for(lambda: "event=deferred" in ferry.log()), ferry.log()
    os.unlink(blocker)
    time.sleep(1)
    assert ferry.maildir_files("u1") == []
    r = queue(ferry, "flush")
    assert r.returncode == 0, r.stderr
    assert len(ferry.wait_maildir("u1", 1, timeout=10)) == 1


def test_control_permissions_and_protocol(ferry):
    sock = os.path.join(ferry.spool, "control.sock")
    assert os.stat(sock).st_mode & 0o777 == 0o600
    r = run(["queue", "--config", ferry.config_path, "flush"], user=NOBODY)
    assert r.returncode == 77 and b"root" in r.stderr
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(sock)
        s.sendall(b"BOGUS\n")
        assert s.recv(100).startswith(b"ERR")
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(sock)
        s.sendall(b"X" * 4096)
        assert s.recv(100) == b"ERR line too long\n"
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(sock)
        s.sendall(b"DELETE ../../etc\n")
        assert s.recv(100) == b"ERR not a queue id\n"


def test_maildrop_rejects_forgeries(ferry):
    drop = os.path.join(ferry.spool, "maildrop")
    bad = os.path.join(drop, "a" * 32)
    with open(bad, "w") as fh:
        fh.write("ferry-maildrop 1\nuid 0\nsender <>\nrcpt <x y>\n"
                 "data\nhi\n")
    os.symlink("/etc/passwd", os.path.join(drop, "b" * 32))
    assert wait_for(lambda: os.listdir(drop) == []), os.listdir(drop)
    assert "event=maildrop-rejected" in ferry.log()
    assert "symbolic link" in ferry.log()


def test_argv0_names(ferry):
    d = tempfile.mkdtemp(prefix="ferry-names-")
    try:
        for name in ("sendmail", "mailq", "newaliases"):
            os.symlink(os.path.abspath(FERRY), os.path.join(d, name))
        r = run(["-C", ferry.config_path, "-t"],
                b"To: bob@example.test\nSubject: via link\n\nx\n",
                argv0=os.path.join(d, "sendmail"))
        assert r.returncode == 0, r.stderr
        assert len(ferry.wait_maildir("bob", 1)) == 1
        # The Maildir file shows before the queue entry goes: the removal
        # follows the batch's sync.
        assert wait_for(lambda: b"Mail queue is empty" in run(
            ["--config", ferry.config_path],
            argv0=os.path.join(d, "mailq")).stdout)
        r = run([], argv0=os.path.join(d, "newaliases"))
        assert r.returncode == 0 and b"aliases" in r.stdout
        r = run(["-C", ferry.config_path, "-bp"],
                argv0=os.path.join(d, "sendmail"))
        assert r.returncode == 0 and b"Mail queue is empty" in r.stdout
        r = run(["-C", ferry.config_path, "-q"],
                argv0=os.path.join(d, "sendmail"))
        assert r.returncode == 0, r.stderr
    finally:
        shutil.rmtree(d)


def test_sendmail_bs_smtp_on_stdin(ferry):
    """sendmail -bs: a program speaks SMTP on a pipe, replies come back with
    the server's codes, and the message reaches the Maildir."""
    script = ("EHLO prog.local\r\nMAIL FROM:<app@example.test>\r\n"
              "RCPT TO:<bob@example.test>\r\nRCPT TO:<bad@>\r\nDATA\r\n"
              "Subject: via -bs\r\n\r\n..dot line\r\nbody\r\n.\r\nQUIT\r\n")
    r = sendmail(ferry, ["-bs"], script.encode())
    assert r.returncode == 0, r.stderr
    lines = r.stdout.decode().splitlines()
    codes = [l[:3] for l in lines]
    assert codes == ["220", "250", "250", "250", "501", "354", "250", "221"]
    assert lines[4].startswith("501 5.1.3")
    files = ferry.wait_maildir("bob", 1)
    data = open(files[0], "rb").read()
    assert b"Subject: via -bs" in data and b"\n.dot line\n" in data


def test_bulk_delete_by_filter(ferry_factory):
    """delete --sender / --recipient-domain / --all-deferred: each takes
    exactly the messages it names, through the daemon (logged)."""
    settings = relay_settings()
    settings["extra"].insert(
        2, f"transport = other.test: 127.0.0.1:{free_port()}")
    f = ferry_factory(**settings)
    for sender, rcpt in (("alice@example.test", "a@remote.test"),
                         ("bob@example.test", "b@remote.test"),
                         ("alice@example.test", "c@other.test")):
        r = sendmail(f, ["-f", sender, rcpt], "Subject: x\n\nx\n")
        assert r.returncode == 0, r.stderr
    assert len(wait_for(lambda: len(queue_json(f)) == 3 and
                        queue_json(f))) == 3
    ids = {m["recipients"][0]["address"]: m["id"] for m in queue_json(f)}
    hold = queue(f, "hold", ids["c@other.test"])
    assert hold.returncode == 0
    # held messages are left alone
    r = queue(f, "delete", "--recipient-domain", "other.test")
    assert r.returncode == 0 and r.stdout == b"0 messages deleted\n"
    assert queue(f, "release", ids["c@other.test"]).returncode == 0
    r = queue(f, "delete", "--sender", "bob@example.test")
    assert r.returncode == 0 and r.stdout == b"1 message deleted\n"
    left = {m["id"] for m in queue_json(f)}
    assert left == {ids["a@remote.test"], ids["c@other.test"]}
    assert f"event=queue-deleted id={ids['b@remote.test']}" in f.log()
    r = queue(f, "delete", "--recipient-domain", "OTHER.test",
              "--sender", "alice@example.test")
    assert r.stdout == b"1 message deleted\n"
    # the last one is deferred once its attempt failed
    assert wait_for(lambda: queue_json(f)[0]["recipients"][0]["state"]
                    == "deferred", 20), f.log()
    r = queue(f, "delete", "--all-deferred")
    assert r.returncode == 0 and r.stdout == b"1 message deleted\n"
    assert queue_json(f) == []
    assert queue(f, "delete", "--all-deferred", ids["a@remote.test"]) \
        .returncode == EX_USAGE
    assert queue(f, "list", "--all-deferred").returncode == EX_USAGE


def test_mailq_for_unprivileged_users(ferry_factory):
    """Any user lists the queue (envelopes only, as Postfix's showq), through
    the daemon's showq socket; the message itself and the queue commands
    stay root's."""
    f = ferry_factory(**relay_settings())
    m = submit_remote(f)
    held = sendmail(f, ["-f", "alice@example.test", "dora@remote.test"],
                    "Subject: held one\n\nsecret body\n")
    assert held.returncode == 0
    ids = wait_for(lambda: [x["id"] for x in queue_json(f)
                            if x["recipients"][0]["address"] ==
                            "dora@remote.test"])
    assert queue(f, "hold", ids[0]).returncode == 0
    sock = os.path.join(f.spool, "showq.sock")
    assert os.stat(sock).st_mode & 0o777 == 0o666
    root_view = queue(f, "list").stdout.decode()
    r = run(["queue", "--config", f.config_path, "list"], user=NOBODY)
    out = r.stdout.decode()
    assert r.returncode == 0, r.stderr
    assert out == root_view  # the same summaries, from the daemon
    assert m["id"] in out and ids[0] + "!" in out and "carl@remote.test" in out
    assert "secret body" not in out and "Subject" not in out
    # through the mailq name as well
    d = tempfile.mkdtemp(prefix="ferry-names-")
    try:
        os.symlink(os.path.abspath(FERRY), os.path.join(d, "mailq"))
        r = run(["--config", f.config_path], user=NOBODY,
                argv0=os.path.join(d, "mailq"))
        assert r.returncode == 0 and r.stdout.decode() == root_view
    finally:
        shutil.rmtree(d)
    # the socket takes no command: what is written there changes nothing
    with socket.socket(socket.AF_UNIX) as s:
        s.connect(sock)
        listing = b""
        while True:
            chunk = s.recv(65536)
            if not chunk:
                break
            listing += chunk
        assert b"Request" in listing
        try:  # the daemon has closed its end: it never reads a command
            s.sendall(b"DELETE " + m["id"].encode() + b"\n")
        except (BrokenPipeError, ConnectionResetError):
            pass
    assert m["id"] in queue(f, "list").stdout.decode()
    # show (the content) and JSON stay refused to nobody
    r = run(["queue", "--config", f.config_path, "show", m["id"]],
            user=NOBODY)
    assert r.returncode != 0 and b"secret" not in r.stdout
    r = run(["queue", "--config", f.config_path, "flush"], user=NOBODY)
    assert r.returncode == 77


def test_mailq_unprivileged_without_daemon(ferry_factory):
    f = ferry_factory()
    f.stop()
    assert not os.path.exists(os.path.join(f.spool, "showq.sock"))
    r = run(["queue", "--config", f.config_path, "list"], user=NOBODY)
    assert r.returncode == EX_UNAVAILABLE
    assert b"is ferry running?" in r.stderr


def test_show_refuses_bytes_of_another_message(ferry_factory):
    """`queue show` reads the envelope, then the message file.  If the
    message left the queue in between, its file may already hold the next
    message's bytes (spool files are recycled): it must say the message
    is gone, not print another message under its envelope.  The file is
    spoilt in place here, as a recycled one would be."""
    f = ferry_factory(**relay_settings())
    m = submit_remote(f)
    name = os.path.join(f.spool, "queue", m["id"] + ".msg")
    assert queue(f, "show", m["id"]).returncode == 0
    with open(name, "r+b") as fh:
        data = fh.read()
        fh.seek(0)
        fh.write(data.replace(b"to the relay", b"TO THE RELAY"))
    r = queue(f, "show", m["id"])
    assert r.returncode == EX_NOINPUT, r.stdout
    assert b"TO THE RELAY" not in r.stdout
    assert f"no message {m['id']}".encode() in r.stderr
    with open(name, "ab") as fh:  # and a length that differs
        fh.write(b"more\r\n")
    assert queue(f, "show", m["id"]).returncode == EX_NOINPUT
