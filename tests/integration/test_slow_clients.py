"""Clients that trickle: [timeouts] command_line bounds a whole command line
from its first octet, and tls_handshake a TLS handshake from its start, so
a byte now and then no longer holds a connection slot for ever.
"""
import socket
import threading
import time

from conftest import wait_for


def deadlines(command_line="3s", handshake="2s"):
    return ["[timeouts]", f"command_line = {command_line}",
            f"tls_handshake = {handshake}"]


def trickle(sock, data, gap, stop):
    """One byte every gap seconds until closed; the time it was closed."""
    for b in data:
        if stop.wait(gap):
            break
        try:
            sock.sendall(bytes([b]))
        except OSError:
            break
    return time.monotonic()


def read_all(sock, limit):
    sock.settimeout(limit)
    out = b""
    try:
        while True:
            chunk = sock.recv(4096)
            if not chunk:
                return out, True
            out += chunk
    except socket.timeout:
        return out, False
    except ConnectionResetError:
        return out, True


def test_trickled_command_line_is_cut_off(ferry_factory):
    f = ferry_factory(timeout_command="10s", extra=deadlines("3s"))
    s = socket.create_connection(("127.0.0.1", f.port), timeout=10)
    s.recv(512)  # 220
    stop = threading.Event()
    start = time.monotonic()
    t = threading.Thread(target=trickle,
                         args=(s, b"EHLO slow.example\r\n", 1, stop))
    t.start()
    got, closed = read_all(s, 10)
    took = time.monotonic() - start
    stop.set()
    t.join()
    s.close()
    assert got.startswith(b"421 4.4.2 "), got
    assert closed
    assert 2.5 < took < 5, took  # the deadline, not the 10 s silence


def test_twenty_tricklers_do_not_starve_the_server(ferry_factory):
    """The issue's figure: 20 clients sending a byte every 2 s held all 20
    slots for 40 s with command = 10s.  Now they are gone after
    command_line, and the next client is served."""
    f = ferry_factory(max_connections=20, timeout_command="10s",
                      extra=deadlines("4s"))
    stop = threading.Event()
    socks, threads = [], []
    try:
        for _ in range(20):
            s = socket.create_connection(("127.0.0.1", f.port), timeout=10)
            s.recv(512)
            socks.append(s)
            t = threading.Thread(target=trickle,
                                 args=(s, b"HELO x" * 20, 2, stop))
            t.start()
            threads.append(t)
        time.sleep(0.5)
        c = socket.create_connection(("127.0.0.1", f.port), timeout=10)
        assert c.recv(512).startswith(b"421 4.7.0")  # every slot taken
        c.close()
        start = time.monotonic()

        def served():
            c = socket.create_connection(("127.0.0.1", f.port), timeout=10)
            try:
                return c.recv(512).startswith(b"220 ")
            finally:
                c.close()
        assert wait_for(served, timeout=15, step=0.5)
        waited = time.monotonic() - start
        print(f"slots free again after {waited:.1f} s")
        assert waited < 8, waited
    finally:
        stop.set()
        for t in threads:
            t.join()
        for s in socks:
            s.close()


def test_silent_client_on_implicit_tls_port(ferry_factory):
    f = ferry_factory(timeout_command="5m", extra=deadlines(handshake="2s"))
    s = socket.create_connection(("127.0.0.1", f.submissions_port),
                                 timeout=10)
    start = time.monotonic()
    got, closed = read_all(s, 10)
    took = time.monotonic() - start
    s.close()
    assert closed and got == b"", got  # nothing can be said before TLS
    assert 1.5 < took < 4, took
    assert wait_for(lambda: "event=disconnect" in f.log(), timeout=5)


def test_silent_client_after_starttls(ferry_factory):
    f = ferry_factory(timeout_command="5m", extra=deadlines(handshake="2s"))
    s = socket.create_connection(("127.0.0.1", f.port), timeout=10)
    s.recv(512)
    s.sendall(b"EHLO client.example\r\n")
    time.sleep(0.3)
    s.recv(4096)
    s.sendall(b"STARTTLS\r\n")
    assert s.recv(512).startswith(b"220 ")
    start = time.monotonic()
    _, closed = read_all(s, 10)
    took = time.monotonic() - start
    s.close()
    assert closed
    assert 1.5 < took < 4, took
