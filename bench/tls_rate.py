#!/usr/bin/python3
"""TLS handshake rate next to the plain-text session rate.

Starts ferry on loopback ports with a generated configuration, then for
SECONDS each runs PROCS client processes that open sessions back to back:
  plain     connect, greeting, EHLO, QUIT
  starttls  connect, greeting, EHLO, STARTTLS, TLS handshake, EHLO, QUIT
  implicit  connect to the submissions port, TLS handshake, greeting, EHLO, QUIT
and prints sessions/s for each and the ratio to plain, and the server's
CPU time per session (the daemon and its key processes together, from
/proc/PID/stat): on a loaded machine the rate follows the load, the CPU
time per session much less.  Bounded in time, stops ferry (by PID) at the
end.

usage: bench/tls_rate.py [FERRY_BIN]   (env SECONDS=5 PROCS=4 KEY=generated)

KEY=rsa or KEY=ec makes a pair with openssl (RSA 2048, EC P-256) and
configures it; the default is the pair ferry generates (EC P-256).
"""
import multiprocessing
import os
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time

SECONDS = float(os.environ.get("SECONDS_EACH", os.environ.get("SECONDS", "5")))
PROCS = int(os.environ.get("PROCS", "4"))
KEY = os.environ.get("KEY", "generated")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def reply(f):
    while True:
        line = f.readline()
        if not line:
            raise EOFError
        if line[3:4] != b"-":
            return line


def ctx():
    c = ssl.create_default_context()
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    return c


def session(kind, port, sport, context):
    if kind == "implicit":
        raw = socket.create_connection(("127.0.0.1", sport))
        sock = context.wrap_socket(raw)
    else:
        sock = socket.create_connection(("127.0.0.1", port))
    f = sock.makefile("rb")
    reply(f)
    sock.sendall(b"EHLO bench.example\r\n")
    reply(f)
    if kind == "starttls":
        sock.sendall(b"STARTTLS\r\n")
        reply(f)
        sock = context.wrap_socket(sock)
        f = sock.makefile("rb")
        sock.sendall(b"EHLO bench.example\r\n")
        reply(f)
    sock.sendall(b"QUIT\r\n")
    reply(f)
    sock.close()


def worker(args):
    kind, port, sport, deadline = args
    context, n = ctx(), 0
    while time.time() < deadline:
        session(kind, port, sport, context)
        n += 1
    return n


def server_cpu(pid):
    """User and system CPU seconds of pid and its child processes (the
    key processes)."""
    pids = [pid]
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if entry.isdigit() and int(fields[1]) == pid:
                pids.append(int(entry))
        except (OSError, IndexError, ValueError):
            pass
    total = 0
    for p in pids:
        try:
            with open(f"/proc/{p}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])
        except OSError:
            pass
    return total / os.sysconf("SC_CLK_TCK")


def measure(kind, port, sport, pid):
    deadline = time.time() + SECONDS
    t0, cpu0 = time.time(), server_cpu(pid)
    with multiprocessing.Pool(PROCS) as pool:
        n = sum(pool.map(worker, [(kind, port, sport, deadline)] * PROCS))
    return n, time.time() - t0, server_cpu(pid) - cpu0


def main():
    ferry = sys.argv[1] if len(sys.argv) > 1 else "./ferry"
    work = tempfile.mkdtemp(prefix="ferry-tlsbench-")
    os.chmod(work, 0o755)
    port, sport = free_port(), free_port()
    conf = os.path.join(work, "ferry.conf")
    tls = ""
    if KEY in ("rsa", "ec"):
        cert, key = os.path.join(work, "cert.pem"), os.path.join(work, "key.pem")
        newkey = ["rsa:2048"] if KEY == "rsa" else \
            ["ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
        subprocess.run(["openssl", "req", "-x509", "-newkey", *newkey,
                        "-nodes", "-keyout", key, "-out", cert, "-days", "2",
                        "-subj", "/CN=mx.bench.test"], check=True,
                       capture_output=True)
        tls = f"[tls]\ncert_file = {cert}\nkey_file = {key}\n"
    with open(conf, "w") as f:
        f.write(f"""[server]
hostname = mx.bench.test
listen = 127.0.0.1:{port}
submissions = 127.0.0.1:{sport}
max_connections = 1000
[queue]
spool_dir = {work}/spool
[domain bench.test]
maildir_root = {work}/mail
mailbox = u
alias = postmaster: u
""" + tls)
    log = open(os.path.join(work, "ferry.log"), "w")
    proc = subprocess.Popen([ferry, "serve", "--config", conf], stderr=log)
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", port)).close()
                break
            except OSError:
                time.sleep(0.05)
        rates = {}
        for kind in ("plain", "starttls", "implicit"):
            n, dt, cpu = measure(kind, port, sport, proc.pid)
            rates[kind] = n / dt
            print(f"{kind:9s} {n:7d} sessions {dt:6.2f} s {rates[kind]:9.1f} "
                  f"sessions/s  ratio {rates[kind] / rates['plain']:.3f} of plain"
                  f"  server {1000 * cpu / max(n, 1):.3f} ms CPU/session")
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(30)
        except subprocess.TimeoutExpired:
            proc.kill()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
