"""Fixtures that run the real ferry daemon on loopback with a private spool.

Every test talks to the daemon over sockets, as a real client would: with
Python's smtplib, with raw sockets for malformed input, or with swaks.
"""
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time

import pytest

FERRY = os.environ.get("FERRY_BIN") or os.path.join(
    os.path.dirname(__file__), "..", "..", "ferry")
DOMAIN = "example.test"
MAILBOXES = ["demo", "alice", "bob", "u0", "u1", "u2", "u3", "u4"]


_handed_out = set()

# Under pytest-xdist each worker hands out ports from a range of its own,
# below the kernel's ephemeral range (32768 and up), so two workers never
# pick the same port and no socket bound to port 0 can take one.
_WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_PORT_RANGE = 2000
_next_port = (10000 + int(_WORKER[2:]) * _PORT_RANGE
              if _WORKER.startswith("gw") else None)


def _port_is_free(port):
    with socket.socket() as s:
        try:
            s.bind(("127.0.0.1", port))
        except OSError:
            return False
    with socket.socket(socket.AF_INET6) as s:
        try:
            s.bind(("::1", port))
        except OSError:
            return False
    return True


def _worker_port():
    global _next_port
    start = _next_port
    while _next_port < start + _PORT_RANGE:
        port = _next_port
        _next_port += 1
        if port not in _handed_out and _port_is_free(port):
            _handed_out.add(port)
            return port
    raise RuntimeError("no fresh port in this worker's range")


def free_port():
    """A port nobody listens on now and this run has not handed out before:
    the kernel may give the same ephemeral port to two binds in a row once
    the first socket is closed."""
    if _next_port is not None:
        return _worker_port()
    for _ in range(100):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port
    raise RuntimeError("no fresh port")


# What a file uses (or defines) when it serves HTTPS on 127.0.0.1:443
# (test_mta_sts.py's policy server): only one worker may run those.
_USES_PORT_443 = ("PolicyServer", "policy_server", "port_443_free")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Keeps each file's tests in one xdist worker (module fixtures start
    once); the files that serve 127.0.0.1:443 share one group."""
    for item in items:
        if item.get_closest_marker("xdist_group") is not None:
            continue
        shared = any(hasattr(item.module, n) for n in _USES_PORT_443)
        group = "port443" if shared else item.module.__name__
        item.add_marker(pytest.mark.xdist_group(group))


def wait_for(cond, timeout=30, step=0.05):
    """Poll cond until it gives a true value (returned) or timeout seconds
    pass; then the last value it gave."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        value = cond()
        if value:
            return value
        time.sleep(step)
    return cond()


def subjects(f, mailbox):
    """The Subject of every message in mailbox, sorted."""
    out = []
    for path in f.maildir_files(mailbox):
        with open(path, "rb") as m:
            for line in m:
                if line.startswith(b"Subject: "):
                    out.append(line[9:].strip().decode())
    return sorted(out)


def make_workdir():
    """A private directory the unprivileged daemon user can reach."""
    d = tempfile.mkdtemp(prefix="ferry-test-")
    os.chmod(d, 0o755)
    return d


class Ferry:
    def __init__(self, workdir, port, settings):
        self.workdir = workdir
        self.port = port
        self.submission_port = free_port()
        self.submissions_port = free_port()
        self.settings = settings
        self.proc = None
        self.sigsys_expected = False
        self.log_path = os.path.join(workdir, "ferry.log")
        self.config_path = os.path.join(workdir, "ferry.conf")
        self.maildir_root = os.path.join(workdir, "mail", DOMAIN)
        self.spool = os.path.join(workdir, "spool")

    def write_config(self):
        s = self.settings
        lines = [
            "[server]",
            "hostname = mx.test.example",
            f"listen = 127.0.0.1:{self.port}",
            f"submission = 127.0.0.1:{self.submission_port}",
            f"submissions = 127.0.0.1:{self.submissions_port}",
            f"user = {s.get('user', 'ferry')}",
            f"max_connections = {s.get('max_connections', 100)}",
            "[limits]",
            f"max_message_size = {s.get('max_message_size', '1M')}",
            f"max_recipients = {s.get('max_recipients', 100)}",
            f"max_errors = {s.get('max_errors', 10)}",
            "[timeouts]",
            f"command = {s.get('timeout_command', '5m')}",
            f"data_block = {s.get('timeout_data_block', '3m')}",
            "[queue]",
            f"spool_dir = {self.spool}",
            f"sync_mode = {s.get('sync_mode', 'syncfs')}",
            f"min_free_space = {s.get('min_free_space', '1M')}",
        ] + ([f"direct_delivery = {s['direct_delivery']}"]
             if "direct_delivery" in s else []) + [
            "[tls]",
            f"smtp = {s.get('tls_smtp', 'optional')}",
        ] + s.get("tls", []) + [
            "[auth]",
        ] + s.get("auth", []) + [
            f"[domain {DOMAIN}]",
            f"maildir_root = {self.maildir_root}",
        ]
        lines += [f"mailbox = {m}" for m in MAILBOXES]
        lines += ["disabled = carol", "alias = postmaster: demo",
                  "alias = info: alice, bob"]
        lines += s.get("extra", [])
        with open(self.config_path, "w") as f:
            f.write("\n".join(lines) + "\n")

    def start(self):
        # A port picked by free_port() can be taken by someone else before
        # the daemon binds it: pick new ones and try again.
        for attempt in range(3):
            try:
                return self._start_once()
            except RuntimeError as e:
                clash = ("event=listen" in str(e) and "error=" in str(e)) \
                    or "listed twice" in str(e)
                if not clash or attempt == 2:
                    raise
                self.port = free_port()
                self.submission_port = free_port()
                self.submissions_port = free_port()

    def _start_once(self):
        self.write_config()
        log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(
            [FERRY, "serve", "--config", self.config_path],
            stdout=log, stderr=log, cwd=self.workdir,
            env=dict(os.environ, **self.settings.get("env", {})))
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("ferry exited: " + self.log())
            gone = self.log().count("disconnect")
            try:
                with socket.create_connection(("127.0.0.1", self.port),
                                              timeout=1) as c:
                    # The kernel accepts before the daemon's loop runs: wait
                    # for the greeting on this connection rather than open
                    # another, so the start costs exactly one session.
                    c.settimeout(max(1, deadline - time.time()))
                    c.recv(512)
            except OSError:
                time.sleep(0.05)
                continue
            # The probe counts as a client until the daemon has seen it
            # leave: tests of connection limits start after that.
            wait_for(lambda: self.log().count("disconnect") > gone, 2)
            return self
        raise RuntimeError("ferry did not start: " + self.log())

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else None
        self.proc.send_signal(sig)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait()

    def log(self):
        try:
            with open(self.log_path, errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def maildir_files(self, mailbox):
        d = os.path.join(self.maildir_root, mailbox, "new")
        try:
            return sorted(os.path.join(d, n) for n in os.listdir(d))
        except FileNotFoundError:
            return []

    def wait_maildir(self, mailbox, count, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            files = self.maildir_files(mailbox)
            if len(files) >= count:
                return files
            time.sleep(0.05)
        return self.maildir_files(mailbox)

    def connect(self):
        return RawClient(self.port)


class RawClient:
    """A socket client for malformed and pipelined input."""

    def __init__(self, port):
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
        self.greeting = self.reply()

    def send(self, data):
        if isinstance(data, str):
            data = data.encode()
        self.sock.sendall(data)

    def line(self):
        while b"\n" not in self.buf:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise EOFError("connection closed; got %r" % self.buf)
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line.rstrip(b"\r").decode("utf-8", "replace")

    def reply(self):
        """One whole (possibly multi-line) reply, lines joined by \\n."""
        lines = [self.line()]
        while len(lines[-1]) > 3 and lines[-1][3] == "-":
            lines.append(self.line())
        return "\n".join(lines)

    def cmd(self, text):
        self.send(text + "\r\n")
        return self.reply()

    def closed(self, timeout=5):
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(1) == b"" and not self.buf
        except ConnectionResetError:
            return True
        except socket.timeout:
            return False

    def close(self):
        self.sock.close()


SANITIZER_MARKS = ("ERROR: AddressSanitizer", "ERROR: LeakSanitizer",
                   "runtime error:")


def sanitizer_reports(log):
    """The sanitizer reports in a daemon log, with some context."""
    out = []
    for mark in SANITIZER_MARKS:
        at = log.find(mark)
        if at >= 0:
            out.append(log[max(0, at - 200):at + 3000])
    return out


@pytest.fixture
def ferry_factory():
    made = []

    def make(**settings):
        f = Ferry(make_workdir(), free_port(), settings)
        made.append(f)
        return f.start()

    yield make
    reports = []
    for f in made:
        try:
            f.stop()
        except Exception:
            pass
        reports += sanitizer_reports(f.log())
        # A system call outside the sandbox's list kills the daemon.
        if f.proc is not None and f.proc.returncode == -signal.SIGSYS \
                and not f.sigsys_expected:
            reports.append("ferry was killed by SIGSYS (sandbox)")
        shutil.rmtree(f.workdir, ignore_errors=True)
    # Under `make SAN=1` a daemon's memory error or leak fails the test.
    assert not reports, "sanitizer or sandbox report from ferry:\n" + "\n".join(reports)


@pytest.fixture
def ferry(ferry_factory):
    return ferry_factory()
