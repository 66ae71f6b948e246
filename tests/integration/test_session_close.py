"""Every session ends in bounded time whatever the peer does.

Each case fills both slots of max_connections = 2 with a peer that misbehaves
in one way, then checks that once the command timeout (1 s) and the close
linger (SESSION_CLOSE_LINGER_SECONDS, 3 s) have passed, both sessions logged
their disconnect, the daemon holds no more descriptors than before, and a new
client on port 25 gets the greeting rather than 421 too-many-connections.
"""
import os
import re
import socket
import time

import pytest

from conftest import wait_for

LINGER = 3  # SESSION_CLOSE_LINGER_SECONDS in src/smtp/session_int.h


def open_fds(f):
    return len(os.listdir(f"/proc/{f.proc.pid}/fd"))


def disconnects(f):
    return re.findall(r"event=disconnect session=(\d+)", f.log())



def greeting(port):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as c:
        return c.recv(512).decode()


def settle(f):
    """Wait until the startup probe's session is gone; return the fd count."""
    assert wait_for(lambda: len(disconnects(f)) >= 1, 5)
    time.sleep(0.2)
    return open_fds(f)


def assert_released(f, before_fds, ndisconnects, bound):
    """Both stuck sessions end within `bound` seconds, and a new client is
    served."""
    start = time.time()
    assert wait_for(lambda: len(disconnects(f)) >= ndisconnects, bound), \
        f.log()
    assert time.time() - start <= bound
    assert wait_for(lambda: open_fds(f) <= before_fds, 2), \
        (open_fds(f), before_fds)
    assert greeting(f.port).startswith("220 ")


@pytest.fixture
def tight(ferry_factory):
    return ferry_factory(max_connections=2, timeout_command="1s")


def test_silent_before_tls_handshake(tight):
    f = tight
    before = settle(f)
    peers = [socket.create_connection(("127.0.0.1", f.submissions_port))
             for _ in range(2)]
    assert wait_for(lambda: f.log().count("event=connect") >= 3, 5)
    # Both slots are taken: a third client is refused.
    assert greeting(f.port).startswith("421 4.7.0 ")
    assert_released(f, before, 4, 1 + LINGER + 3)
    assert f.log().count('reply="421 4.4.2 ') == 2
    # Nothing can be written before the handshake: the 421s were dropped.
    assert len(re.findall(r"event=disconnect .* unsent=\d+", f.log())) == 2
    for p in peers:
        p.close()


def test_silent_after_starttls(tight):
    f = tight
    before = settle(f)
    peers = []
    for _ in range(2):
        c = f.connect()
        assert c.cmd("EHLO c.example").startswith("250")
        assert c.cmd("STARTTLS").startswith("220 2.0.0")
        peers.append(c)
    assert_released(f, before, 3, 1 + LINGER + 3)
    assert f.log().count('reply="421 4.4.2 ') == 2
    for c in peers:
        c.close()


def flood_without_reading(port, total=3 * 1024 * 1024, seconds=20):
    """Pipeline `EHLO a` lines and never read; stop after `total` octets, or
    once the server has taken nothing for 2 s (it stopped reading because
    its replies pile up)."""
    s = socket.create_connection(("127.0.0.1", port))
    s.setblocking(False)
    chunk = b"EHLO a\r\n" * 8192
    sent, stalled_since = 0, None
    deadline = time.time() + seconds
    while sent < total and time.time() < deadline:
        try:
            sent += s.send(chunk)
            stalled_since = None
        except BlockingIOError:
            stalled_since = stalled_since or time.time()
            if time.time() - stalled_since > 2:
                break
            time.sleep(0.02)
        except (BrokenPipeError, ConnectionResetError):
            break  # timed out, and dropped after the linger
    return s, sent


def test_client_that_never_reads(tight):
    f = tight
    before = settle(f)
    floods = [flood_without_reading(f.port) for _ in range(2)]
    peers = [p for p, _ in floods]
    assert all(sent >= 1024 * 1024 for _, sent in floods)
    # The server stopped reading; the timeout ends the sessions, and a 421
    # the socket buffers cannot take is dropped after the linger.
    assert_released(f, before, 3, 1 + LINGER + 4)
    assert f.log().count('reply="421 4.4.2 ') == 2
    for p in peers:
        p.close()


def test_disconnect_while_closing_is_noticed(tight):
    """A peer that leaves while the last reply is stuck frees its session
    at once, without waiting out the linger.  Before the TLS handshake the
    421 cannot be written at all, so the session is sure to be waiting."""
    f = tight
    before = settle(f)
    peers = [socket.create_connection(("127.0.0.1", f.submissions_port))
             for _ in range(2)]
    assert wait_for(lambda: f.log().count('reply="421 4.4.2 ') == 2, 5)
    assert len(disconnects(f)) == 1
    gone = time.time()
    for p in peers:
        p.close()
    assert wait_for(lambda: len(disconnects(f)) >= 3, LINGER)
    assert time.time() - gone < LINGER - 1
    assert_released(f, before, 3, 1)


def test_disconnect_with_replies_pending(tight):
    """Commands pipelined, then the peer closes before reading anything."""
    f = tight
    before = settle(f)
    for _ in range(2):
        p, _sent = flood_without_reading(f.port, total=256 * 1024)
        p.close()
    assert_released(f, before, 3, LINGER + 2)
    for _ in range(2):
        p = socket.create_connection(("127.0.0.1", f.port))
        p.sendall(b"EHLO a\r\nNOOP\r\nQUIT\r\n")
        p.shutdown(socket.SHUT_WR)
        p.close()
    assert_released(f, before, 5, LINGER + 2)


def test_refused_client_on_tls_port_is_released(ferry_factory):
    """The 421 of a refused TLS client waits for a handshake that never
    comes, for the linger only."""
    f = ferry_factory(max_connections=2)
    before = settle(f)
    a, b = f.connect(), f.connect()
    c = socket.create_connection(("127.0.0.1", f.submissions_port))
    assert wait_for(lambda: f.log().count("event=connect") >= 4, 5)
    assert wait_for(lambda: len(disconnects(f)) >= 2, LINGER + 2)
    assert "421 4.7.0" in f.log()
    first = int(re.search(r"event=connect session=(\d+)", f.log()).group(1))
    assert re.search(rf"event=disconnect session={first + 3} .* unsent=\d+",
                     f.log())
    for p in (a, b):
        assert p.cmd("QUIT").startswith("221 ")
    assert_released(f, before, 4, 2)
    for p in (a, b, c):
        p.close()


def test_shutdown_with_stuck_sessions_is_prompt(ferry_factory):
    f = ferry_factory(max_connections=2)
    settle(f)
    peers = [socket.create_connection(("127.0.0.1", f.submissions_port)),
             flood_without_reading(f.port)[0]]
    assert wait_for(lambda: f.log().count("event=connect") >= 3, 5)
    start = time.time()
    assert f.stop() == 0
    assert time.time() - start < LINGER + 3
    assert len(disconnects(f)) == 3
    for p in peers:
        p.close()


def test_tls_error_carries_openssl_reason(ferry):
    for probe, reason in ((b"GET / HTTP/1.0\r\n\r\n", "http request"),
                          (b"EHLO plain-text\r\n", "wrong version number")):
        raw = socket.create_connection(("127.0.0.1", ferry.submissions_port))
        raw.sendall(probe)
        raw.settimeout(5)
        try:
            raw.recv(100)
        except (ConnectionResetError, socket.timeout):
            pass
        raw.close()
        assert wait_for(lambda: reason in ferry.log(), 3), ferry.log()
    lines = [ln for ln in ferry.log().splitlines() if "event=tls-error" in ln]
    assert len(lines) == 2
    for ln in lines:
        assert "lib(0)" not in ln
        assert "SSL routines" in ln


def test_tls_error_peer_gone_during_handshake(ferry):
    raw = socket.create_connection(("127.0.0.1", ferry.submissions_port))
    raw.close()
    assert wait_for(lambda: "event=tls-error" in ferry.log(), 3)
    assert "SSL routines::unexpected eof while reading" in ferry.log()
    assert "lib(0)" not in ferry.log()
