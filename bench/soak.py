#!/usr/bin/python3
"""Soak run: ferry under mixed load for DURATION seconds, its RSS, open
descriptors and queue size sampled every INTERVAL seconds into a CSV; at
the end a summary and exit status 1 if any of them grows.

Run by bench/soak.sh (which documents the settings).  The load, all on
127.0.0.1:
- local delivery: port 25, plain, to the Maildirs of example.test;
- relay: submission with STARTTLS and AUTH PLAIN, and implicit TLS
  (submissions) with AUTH LOGIN, to far.example, routed to a sink that at
  random drops connections, greets 421, answers RCPT 451 or 550, or drops
  the connection in DATA (so ferry defers, retries and bounces; the
  bounces go to a local Maildir);
- garbage: clients that send random bytes, over-long lines, unknown
  commands, or connect and say nothing until ferry hangs up.

Growth: the means of the first and last thirds of the samples after a
warm-up (WARMUP seconds, default a tenth of the run, at least 30 s) are
compared, and a least-squares slope over the same samples is printed per
hour.  RSS may grow by at most 10% + 2 MB, descriptors by 25% + 10 (they
follow the sessions open at the moment), the queue by max(20, 50%) of
the first third's mean.
"""
import csv
import os
import random
import signal
import smtplib
import socket
import ssl
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))

from conftest import FERRY, Ferry, free_port, make_workdir  # noqa: E402

DURATION = int(os.environ.get("DURATION", "1800"))
INTERVAL = float(os.environ.get("INTERVAL", "10"))
WARMUP = int(os.environ.get("WARMUP", str(max(30, DURATION // 10))))
CLIENTS = int(os.environ.get("CLIENTS", "3"))      # per kind of load
PAUSE = float(os.environ.get("PAUSE", "1.0"))     # between messages
OUT = os.environ.get("OUT") or os.path.join(
    HERE, "out", "soak-" + time.strftime("%Y%m%dT%H%M%S", time.gmtime()))


class Sink:
    """A remote MX that misbehaves at random (seeded)."""

    def __init__(self, seed):
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.port = free_port()
        self.counts = {}
        self.stop = threading.Event()
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", self.port))
        self.sock.listen(64)
        self.sock.settimeout(0.5)
        threading.Thread(target=self.run, daemon=True).start()

    def roll(self):
        with self.lock:
            return self.rng.random()

    def count(self, what):
        with self.lock:
            self.counts[what] = self.counts.get(what, 0) + 1

    def run(self):
        while not self.stop.is_set():
            try:
                c, _ = self.sock.accept()
            except (socket.timeout, OSError):
                continue
            threading.Thread(target=self.serve, args=(c,),
                             daemon=True).start()

    def serve(self, c):
        c.settimeout(60)
        try:
            r = self.roll()
            if r < 0.05:
                self.count("dropped")
                return
            if r < 0.10:
                self.count("421")
                c.sendall(b"421 4.3.2 busy, try later\r\n")
                return
            self.session(c, c.makefile("rb"))
        except OSError:
            pass
        finally:
            c.close()

    def session(self, c, f):
        c.sendall(b"220 sink.example ESMTP\r\n")
        for line in f:
            verb = line[:4].upper()
            if verb in (b"EHLO", b"HELO"):
                c.sendall(b"250-sink.example\r\n250 PIPELINING\r\n")
            elif verb == b"RCPT":
                r = self.roll()
                if r < 0.10:
                    self.count("451")
                    c.sendall(b"451 4.3.0 try again later\r\n")
                elif r < 0.15:
                    self.count("550")
                    c.sendall(b"550 5.1.1 no such user\r\n")
                else:
                    c.sendall(b"250 2.1.5 ok\r\n")
            elif verb == b"DATA":
                c.sendall(b"354 go on\r\n")
                drop = self.roll() < 0.03
                for dl in f:
                    if drop:
                        self.count("dropped in DATA")
                        return
                    if dl == b".\r\n":
                        break
                self.count("accepted")
                c.sendall(b"250 2.0.0 queued\r\n")
            elif verb == b"QUIT":
                c.sendall(b"221 2.0.0 bye\r\n")
                return
            else:
                c.sendall(b"250 2.0.0 ok\r\n")

    def close(self):
        self.stop.set()
        self.sock.close()


class Load:
    def __init__(self, f, seed):
        self.f = f
        self.rng = random.Random(seed)
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.counts = {}
        self.ctx = ssl.create_default_context()
        self.ctx.check_hostname = False
        self.ctx.verify_mode = ssl.CERT_NONE
        self.threads = []
        for kind in (self.local, self.starttls_auth, self.implicit_tls,
                     self.garbage):
            for i in range(CLIENTS):
                t = threading.Thread(target=self.loop, args=(kind, i),
                                     daemon=True)
                self.threads.append(t)

    def count(self, what):
        with self.lock:
            self.counts[what] = self.counts.get(what, 0) + 1

    def loop(self, kind, i):
        n = 0
        while not self.stop.is_set():
            n += 1
            try:
                kind(i, n)
                self.count(kind.__name__)
            except (OSError, smtplib.SMTPException, ssl.SSLError) as e:
                self.count(f"{kind.__name__} error {type(e).__name__}")
            self.stop.wait(PAUSE)

    def message(self, i, n):
        body = "x" * self.rng.randrange(100, 20000)
        return (f"Subject: soak {i}.{n}\r\nFrom: alice@example.test\r\n"
                f"\r\n{body}\r\n").encode()

    def local(self, i, n):
        with smtplib.SMTP("127.0.0.1", self.f.port, timeout=60) as s:
            s.sendmail("sender@client.example", [f"u{i % 5}@example.test"],
                       self.message(i, n))

    def starttls_auth(self, i, n):
        with smtplib.SMTP("127.0.0.1", self.f.submission_port,
                          timeout=60) as s:
            s.starttls(context=self.ctx)
            s.login("alice", "pw")
            s.sendmail("alice@example.test", [f"r{i}.{n}@far.example"],
                       self.message(i, n))

    def implicit_tls(self, i, n):
        with smtplib.SMTP_SSL("127.0.0.1", self.f.submissions_port,
                              timeout=60, context=self.ctx) as s:
            s.ehlo("soak.example")
            s.esmtp_features["auth"] = "LOGIN"
            s.login("alice", "pw")
            s.sendmail("alice@example.test",
                       [f"t{i}.{n}@far.example", f"demo@example.test"],
                       self.message(i, n))

    def garbage(self, i, n):
        r = self.rng.random()
        with socket.create_connection(("127.0.0.1", self.f.port),
                                      timeout=30) as c:
            c.recv(512)
            if r < 0.25:
                c.sendall(bytes(self.rng.getrandbits(8)
                                for _ in range(self.rng.randrange(1, 4096))))
            elif r < 0.5:
                c.sendall(b"EHLO " + b"a" * 70000 + b"\r\n")
            elif r < 0.75:
                c.sendall(b"EHLO x\r\nWHAT\r\nMAIL FROM:<<>>\r\nRCPT TO:\r\n"
                          b"DATA\r\nBDAT 10 LAST\r\n\x00\x01\r\n")
            else:
                self.stop.wait(3)  # silent for a while, then gone
            try:
                c.recv(65536)
            except OSError:
                pass

    def start(self):
        for t in self.threads:
            t.start()

    def finish(self):
        self.stop.set()
        for t in self.threads:
            t.join(90)


def passwd_file(d):
    h = subprocess.run([FERRY, "passwd", "--stdin", "--scheme",
                        "sha512-crypt"], input="pw\n", capture_output=True,
                       text=True, check=True).stdout.strip()
    path = os.path.join(d, "passwd")
    with open(path, "w") as f:
        f.write(f"alice:{h}\n")
    os.chmod(path, 0o644)
    return path


def sample(f):
    pid = f.proc.pid
    rss = 0
    with open(f"/proc/{pid}/status") as st:
        for line in st:
            if line.startswith("VmRSS:"):
                rss = int(line.split()[1])
    fds = len(os.listdir(f"/proc/{pid}/fd"))
    qdir = os.path.join(f.spool, "queue")
    queue = sum(1 for n in os.listdir(qdir) if n.endswith(".env")) \
        if os.path.isdir(qdir) else 0
    return rss, fds, queue


def mean(xs):
    return sum(xs) / len(xs) if xs else 0.0


def slope_per_hour(ts, ys):
    if len(ts) < 2:
        return 0.0
    mt, my = mean(ts), mean(ys)
    den = sum((t - mt) ** 2 for t in ts)
    return 3600 * sum((t - mt) * (y - my) for t, y in zip(ts, ys)) / den \
        if den else 0.0


def summarize(rows):
    """Prints the table; returns the names of what grew."""
    steady = [r for r in rows if r["t"] >= WARMUP]
    third = max(1, len(steady) // 3)
    first, last = steady[:third], steady[-third:]
    limits = {"rss_kb": lambda a: a * 1.10 + 2048,
              "fds": lambda a: a * 1.25 + 10,
              "queue": lambda a: a + max(20, a * 0.5)}
    grew = []
    print(f"{'':8} {'first third':>12} {'last third':>12} "
          f"{'slope/hour':>12} {'max':>8}")
    for k, limit in limits.items():
        a = mean([r[k] for r in first])
        b = mean([r[k] for r in last])
        s = slope_per_hour([r["t"] for r in steady],
                           [r[k] for r in steady])
        flag = ""
        if b > limit(a):
            grew.append(k)
            flag = "  GROWS"
        print(f"{k:8} {a:12.1f} {b:12.1f} {s:12.1f} "
              f"{max(r[k] for r in steady):8}{flag}")
    return grew


def main():
    os.makedirs(OUT, exist_ok=True)
    work = make_workdir()
    sink = Sink(1652)
    pw = passwd_file(work)
    f = Ferry(work, free_port(), {
        "max_connections": 200, "timeout_command": "20s",
        "max_message_size": "1M",
        "tls": ["submission = optional"],
        "auth": ["backend = passwd-file", f"passwd_file = {pw}",
                 "require_tls = yes"],
        "extra": ["[relay]", f"transport = far.example: 127.0.0.1:{sink.port}",
                  "retry_min = 5s", "retry_max = 30s",
                  "destination_concurrency = 10",
                  "max_queue_lifetime = 3m", "delay_warning = 1m",
                  "connect_timeout = 10s", "resolv_conf = none"]})
    f.start()
    print(f"soak: {DURATION} s, sample every {INTERVAL} s, warm-up "
          f"{WARMUP} s, {CLIENTS} clients per kind; ferry pid "
          f"{f.proc.pid}; out {OUT}", flush=True)
    load = Load(f, 5321)
    load.start()
    rows = []
    t0 = time.monotonic()
    csv_path = os.path.join(OUT, "samples.csv")
    died = False
    with open(csv_path, "w", newline="") as out:
        w = csv.writer(out)
        w.writerow(["t", "rss_kb", "fds", "queue", "sessions_done"])
        next_at = t0
        while time.monotonic() - t0 < DURATION:
            next_at += INTERVAL
            time.sleep(max(0, next_at - time.monotonic()))
            if f.proc.poll() is not None:
                died = True
                break
            rss, fds, queue = sample(f)
            t = round(time.monotonic() - t0)
            with load.lock:
                done = sum(v for k, v in load.counts.items()
                           if "error" not in k)
            rows.append({"t": t, "rss_kb": rss, "fds": fds, "queue": queue})
            w.writerow([t, rss, fds, queue, done])
            out.flush()
            print(f"t={t:5} rss={rss} kB fds={fds} queue={queue} "
                  f"sessions={done}", flush=True)
    load.finish()
    print("load:", dict(sorted(load.counts.items())))
    print("sink:", dict(sorted(sink.counts.items())))
    status = 0
    if died:
        print(f"ferry died: {f.proc.returncode}\n{f.log()[-3000:]}")
        status = 2
    else:
        grew = summarize(rows)
        if grew:
            print("GROWS:", ", ".join(grew))
            status = 1
        f.proc.send_signal(signal.SIGTERM)
        print("ferry exit status after SIGTERM:", f.proc.wait(60))
    log = f.log()
    for mark in ("AddressSanitizer", "LeakSanitizer", "runtime error:"):
        if mark in log:
            print("sanitizer report in the log:", mark)
            status = status or 3
    with open(os.path.join(OUT, "ferry.log.tail"), "w") as t:
        t.write(log[-20000:])
    print(f"samples: {csv_path}")
    sink.close()
    subprocess.run(["rm", "-rf", work])
    return status


if __name__ == "__main__":
    sys.exit(main())
