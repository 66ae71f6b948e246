"""The policy state shared through a real Redis by two ferry nodes: limits
hold across both, greylisting passed on one passes on the other, and a
Redis that goes away gives each node its configured answer (redis_fail),
until it comes back."""
import os
import shutil
import socket
import subprocess
import time

import pytest

from conftest import FERRY, free_port, make_workdir
from test_policy import advance, rcpt_replies, RATE_SHORT

REDIS = shutil.which("redis-server")
pytestmark = pytest.mark.skipif(REDIS is None,
                                reason="redis-server is not installed")


class Redis:
    """A redis-server of our own: plain TCP on a loopback port by default;
    listen() gives other listening arguments (TLS, a unix socket)."""

    def __init__(self, *extra, password="t3st"):
        self.dir = make_workdir()
        self.port = free_port()
        self.extra = list(extra)
        self.password = password
        self.proc = None

    def listen(self):
        return ["--port", str(self.port)]

    def ready(self):
        with socket.create_connection(("127.0.0.1", self.port), 1):
            return True

    def start(self):
        auth = ["--requirepass", self.password] if self.password else []
        self.proc = subprocess.Popen(
            [REDIS, *self.listen(), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", self.dir, *auth, *self.extra],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.time() + 10
        while time.time() < deadline:
            try:
                if self.ready():
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


class UnixRedis(Redis):
    """Only a unix socket, writable by the daemon's user."""

    def __init__(self, *extra, **kw):
        super().__init__(*extra, **kw)
        self.socket = os.path.join(self.dir, "redis.sock")

    def listen(self):
        return ["--port", "0", "--unixsocket", self.socket,
                "--unixsocketperm", "777"]

    def ready(self):
        with socket.socket(socket.AF_UNIX) as s:
            s.settimeout(1)
            s.connect(self.socket)
            return True


@pytest.fixture
def redis():
    r = Redis().start()
    yield r
    r.cleanup()


def node(ferry_factory, redis, *lines):
    return ferry_factory(extra=[
        "[policy]", "test_clock = yes", "state = redis",
        f"redis_server = 127.0.0.1:{redis.port}", "redis_password = t3st",
        "redis_timeout_ms = 300"] + list(lines))


def accepted(n):
    return ["250 2.1.5 Recipient ok"] * n


def test_sender_limit_holds_across_two_nodes(ferry_factory, redis):
    a = node(ferry_factory, redis, "rate_sender = 4/1m")
    b = node(ferry_factory, redis, "rate_sender = 4/1m")
    assert rcpt_replies(a, "bulk@example.net", ["u0@example.test",
                                                "u1@example.test"]) == \
        accepted(2)
    assert rcpt_replies(b, "bulk@example.net", ["u2@example.test",
                                                "u3@example.test",
                                                "u4@example.test"]) == \
        accepted(2) + [RATE_SHORT.format("sender")]
    assert rcpt_replies(a, "bulk@example.net", ["u4@example.test"]) == \
        [RATE_SHORT.format("sender")]
    for m, f in (("u0", a), ("u1", a), ("u2", b), ("u3", b)):
        assert len(f.wait_maildir(m, 1)) == 1
    assert b.maildir_files("u4") == [] and a.maildir_files("u4") == []
    # The window is on the policy clock the node passes along.
    advance(a, 67)
    assert rcpt_replies(a, "bulk@example.net", ["u4@example.test"]) == \
        accepted(1)


def test_greylisting_passed_on_one_node_passes_on_the_other(ferry_factory,
                                                             redis):
    lines = ("greylist = yes", "exempt_networks = none",
             "greylist_delay = 5m", "greylist_auto_allow = 0")
    a = node(ferry_factory, redis, *lines)
    b = node(ferry_factory, redis, *lines)
    first = rcpt_replies(a, "s@example.net", ["demo@example.test"])
    assert first == ["451 4.7.1 <demo@example.test>: Recipient address "
                     "rejected: Greylisted, try again in 300 seconds"]
    # Node b saw the first attempt too: too early there as well.
    assert rcpt_replies(b, "s@example.net", ["demo@example.test"])[0] \
        .startswith("451 4.7.1")
    advance(b, 301)
    assert rcpt_replies(b, "s@example.net", ["demo@example.test"]) == \
        accepted(1)
    # Passed on b: a lets the triplet through without its own wait.
    assert rcpt_replies(a, "s@example.net", ["demo@example.test"]) == \
        accepted(1)
    assert len(b.wait_maildir("demo", 1)) == 1
    assert len(a.wait_maildir("demo", 1)) == 1
    # `ferry policy check` asks Redis too: a new triplet would wait.
    r = subprocess.run([FERRY, "policy", "check", "--config", a.config_path,
                        "--ip", "192.0.2.1", "--helo", "c.example.net",
                        "--from", "s@example.net", "--to",
                        "demo@example.test"],
                       capture_output=True, text=True, timeout=30)
    assert r.stdout.startswith("refused stage=rcpt rule=greylist "
                               "key=gt:192.0.2.0/24,s@example.net,"), r


def test_redis_down_fail_open_and_closed_then_back(ferry_factory, redis):
    a = node(ferry_factory, redis, "rate_sender = 1/1m", "redis_fail = open")
    b = node(ferry_factory, redis, "rate_sender = 1/1m",
             "redis_fail = closed")
    assert rcpt_replies(a, "x@example.net", ["u0@example.test"]) == \
        accepted(1)
    redis.stop()
    # Open: the limit is not enforced while Redis is away.
    assert rcpt_replies(a, "x@example.net", ["u1@example.test",
                                             "u2@example.test"]) == \
        accepted(2)
    # Closed: a temporary refusal, and the session goes on.
    assert rcpt_replies(b, "y@example.net", ["u3@example.test"]) == \
        ["451 4.3.0 Temporary policy failure, try again later"]
    assert len(a.wait_maildir("u2", 1)) == 1
    assert b.maildir_files("u3") == []
    for f in (a, b):
        assert "event=policy-state" in f.log()
        assert f.proc.poll() is None
    # Back: both nodes reconnect by themselves and the limit holds again.
    redis.start()
    deadline = time.time() + 15
    got = None
    while time.time() < deadline:
        got = rcpt_replies(b, "z@example.net", ["u4@example.test"])
        if got == accepted(1):
            break
        time.sleep(0.2)
    assert got == accepted(1)
    assert rcpt_replies(a, "z@example.net", ["u4@example.test"]) == \
        [RATE_SHORT.format("sender")]


def test_unix_socket_and_acl_user(ferry_factory):
    """redis_socket instead of a port, and AUTH as an ACL user: the limit
    is counted in Redis (a second node sees it), under that user."""
    r = UnixRedis("--user", "ferry", "on", ">p4ss", "~ferry:*", "+@all",
                  "--user", "default", "off", password=None).start()
    try:
        lines = ["[policy]", "test_clock = yes", "state = redis",
                 f"redis_socket = {r.socket}", "redis_username = ferry",
                 "redis_password = p4ss", "redis_timeout_ms = 300",
                 "redis_fail = closed", "rate_sender = 2/1m"]
        a = ferry_factory(extra=lines)
        b = ferry_factory(extra=lines)
        assert rcpt_replies(a, "s@example.net", ["u0@example.test"]) == \
            accepted(1)
        assert rcpt_replies(b, "s@example.net", ["u1@example.test",
                                                 "u2@example.test"]) == \
            accepted(1) + [RATE_SHORT.format("sender")]
        assert len(b.wait_maildir("u1", 1)) == 1
        assert "event=policy-redis" not in a.log() + b.log()
    finally:
        r.cleanup()
