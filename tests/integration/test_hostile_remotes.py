"""Remote servers that misbehave: each delivery attempt ends in bounded
time and memory, the message stays queued and is retried, and once the
remote behaves it is delivered exactly once.

The remote is a plain socket server on 127.0.0.1: its first connections
misbehave as the test says, later ones speak just enough SMTP to take the
message.
"""
import socket
import threading
import time

import pytest

from conftest import free_port, wait_for
from test_relay import passwd, relay_ferry, submit  # noqa: F401 (fixture)

RCPT = "someone@hostile.test"


class Hostile:
    def __init__(self, misbehave, bad_connections=1):
        self.misbehave = misbehave
        self.bad = bad_connections
        self.port = free_port()
        self.conns = []          # time.monotonic() of each accept
        self.ends = []           # time.monotonic() when ferry gave up
        self.delivered = []      # message bodies taken
        self.stop = threading.Event()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.thread = threading.Thread(target=self.run, daemon=True)
        self.thread.start()

    def run(self):
        while not self.stop.is_set():
            try:
                c, _ = self.sock.accept()
            except socket.timeout:
                continue
            self.conns.append(time.monotonic())
            n = len(self.conns)
            threading.Thread(target=self.serve, args=(c, n),
                             daemon=True).start()

    def serve(self, c, n):
        try:
            if n <= self.bad:
                self.misbehave(c, self.stop)
                self.wait_closed(c)
            else:
                self.speak_smtp(c)
        except OSError:
            pass
        finally:
            self.ends.append(time.monotonic())
            c.close()

    def wait_closed(self, c):
        """Until ferry hangs up (bounded: the test's own limit)."""
        c.settimeout(0.2)
        deadline = time.monotonic() + 60
        while not self.stop.is_set() and time.monotonic() < deadline:
            try:
                if c.recv(65536) == b"":
                    return
            except socket.timeout:
                continue

    def speak_smtp(self, c):
        f = c.makefile("rb")
        c.sendall(b"220 good.example ESMTP\r\n")
        for line in f:
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                c.sendall(b"250 good.example\r\n")
            elif verb == b"DATA":
                c.sendall(b"354 go on\r\n")
                body = b""
                for dl in f:
                    if dl == b".\r\n":
                        break
                    body += dl
                self.delivered.append(body)
                c.sendall(b"250 2.0.0 Ok: queued\r\n")
            elif verb == b"QUIT":
                c.sendall(b"221 2.0.0 Bye\r\n")
                return
            else:
                c.sendall(b"250 2.0.0 Ok\r\n")

    def close(self):
        self.stop.set()
        self.sock.close()


def silent(c, stop):
    pass  # accepts, says nothing


def closed(c):
    c.setblocking(False)
    try:
        return c.recv(1) == b""
    except BlockingIOError:
        return False
    finally:
        c.setblocking(True)


def greeting_one_byte_a_second(c, stop):
    for b in b"220 slow.example ESMTP\r\n":
        for _ in range(10):  # a byte a second, watching for the hang-up
            if stop.wait(0.1) or closed(c):
                return
        c.sendall(bytes([b]))


def ten_megabytes_of_reply(c, stop):
    line = b"220-" + b"x" * 500 + b"\r\n"
    for _ in range(10 * 1024 * 1024 // len(line)):
        c.sendall(line)
    c.sendall(b"220 done\r\n")


def reset_mid_reply(c, stop):
    c.sendall(b"220 reset.example ESMTP\r\n")
    c.recv(512)  # EHLO
    c.sendall(b"250-reset.example\r\n250-PIPEL")
    # RST instead of FIN.
    c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                 b"\x01\x00\x00\x00\x00\x00\x00\x00")
    c.close()


def rss_kb(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


CONNECT_TIMEOUT = 3


@pytest.mark.parametrize("misbehave,slowest", [
    (silent, CONNECT_TIMEOUT),
    (greeting_one_byte_a_second, CONNECT_TIMEOUT),
    (ten_megabytes_of_reply, 2),
    (reset_mid_reply, 2),
])
def test_misbehaving_remote_is_left_and_retried(ferry_factory, passwd,
                                               misbehave, slowest):
    h = Hostile(misbehave)
    try:
        f = relay_ferry(ferry_factory, passwd, [("hostile.test", h.port)],
                        [f"connect_timeout = {CONNECT_TIMEOUT}s"])
        base = rss_kb(f.proc.pid)
        peak = base
        submit(f, [RCPT])
        deadline = time.monotonic() + 40
        while not h.delivered and time.monotonic() < deadline:
            peak = max(peak, rss_kb(f.proc.pid))
            time.sleep(0.05)
        assert len(h.delivered) == 1, f.log()
        assert "event=relay-deferred" in f.log()
        # The bad attempt ended in bounded time ...
        assert wait_for(lambda: h.ends, timeout=5)
        took = h.ends[0] - h.conns[0]
        print(f"{misbehave.__name__}: attempt {took:.1f} s, "
              f"RSS {base} -> {peak} kB")
        assert took < slowest + 2, took
        # ... and memory: a 10 MB reply is not kept.
        assert peak - base < 8 * 1024, (base, peak)
        time.sleep(1)
        assert len(h.delivered) == 1  # exactly once
    finally:
        h.close()
