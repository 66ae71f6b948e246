#!/usr/bin/python3
"""Relay rate with DANE next to opportunistic TLS, to the same TLS sink.

Signs a zone (ldns-signzone) with the MX host of dane.example and its
TLSA 3 1 1 record, serves it with NSD on loopback, starts an aiosmtpd
sink with STARTTLS and a matching certificate, then for each mode of
[relay] tls (optional, dane) starts ferry, submits N messages over
SESSIONS parallel submission sessions to u@dane.example and times from
the first submission to the last relay-delivered line.  Prints msg/s per
mode and the ratio dane/optional, and checks that every dane delivery
says tls=dane-verified.  Bounded: each mode gives up after TIMEOUT s.
Stops what it started by PID (ferry, nsd) or by its own handle (sink).

usage: bench/dane_rate.py   (env N=2000 SESSIONS=10 TIMEOUT=300
                             FERRY_BIN=./ferry; run as root, like the
                             integration tests)
"""
import os
import shutil
import smtplib
import ssl
import subprocess
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "integration"))
os.environ.setdefault("FERRY_BIN", os.path.join(HERE, "..", "ferry"))

from aiosmtpd.controller import Controller  # noqa: E402

from conftest import FERRY, Ferry, free_port, make_workdir  # noqa: E402
from dnssec_zone import DnssecServer, tlsa_digest  # noqa: E402

N = int(os.environ.get("N", "2000"))
SESSIONS = int(os.environ.get("SESSIONS", "10"))
TIMEOUT = float(os.environ.get("TIMEOUT", "300"))


class Sink:
    def __init__(self):
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server, session, envelope):
        with self.lock:
            self.count += 1
        return "250 2.0.0 Ok: queued"


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def make_cert(d):
    key, cert = os.path.join(d, "key.pem"), os.path.join(d, "cert.pem")
    openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
            "ec_paramgen_curve:P-256", "-nodes", "-keyout", key, "-out", cert,
            "-days", "2", "-subj", "/CN=mx.dane.example")
    return cert, key


def make_passwd(d):
    path = os.path.join(d, "passwd")
    h = subprocess.run([FERRY, "passwd", "--stdin", "--scheme",
                        "sha512-crypt"], input="pw\n", capture_output=True,
                       text=True, check=True).stdout.strip()
    with open(path, "w") as f:
        f.write(f"alice:{h}\n")
    os.chmod(path, 0o644)
    return path


def start_ferry(mode, passwd, dns, sink_port):
    relay = ["[relay]", f"tls = {mode}", f"port = {sink_port}",
             "resolv_conf = none", f"dns_forwarder = 127.0.0.1@{dns.port}",
             f"dnssec_trust_anchor = {dns.anchor}",
             f"destination_concurrency = {SESSIONS}"]
    f = Ferry(make_workdir(), free_port(),
              {"tls": ["submission = optional"],
               "auth": ["backend = passwd-file", f"passwd_file = {passwd}",
                        "require_tls = no"],
               "extra": relay})
    return f.start()


def submitter(f, count, errors):
    try:
        with smtplib.SMTP("127.0.0.1", f.submission_port, timeout=60) as s:
            s.login("alice", "pw")
            for i in range(count):
                s.sendmail("alice@example.test", ["u@dane.example"],
                           b"Subject: bench\r\nFrom: alice@example.test\r\n"
                           b"\r\n" + (b"x" * 78 + b"\r\n") * 50)
    except Exception as e:  # reported, not raised: the timing says it
        errors.append(repr(e))


def delivered(f):
    with open(f.log_path, errors="replace") as log:
        return sum(1 for line in log if "event=relay-delivered" in line)


def run(mode, passwd, dns, sink):
    f = start_ferry(mode, passwd, dns, sink.port)
    errors = []
    per = [N // SESSIONS + (1 if i < N % SESSIONS else 0)
           for i in range(SESSIONS)]
    start = time.monotonic()
    threads = [threading.Thread(target=submitter, args=(f, c, errors))
               for c in per]
    for t in threads:
        t.start()
    for t in threads:
        t.join(TIMEOUT)
    done = 0
    while time.monotonic() - start < TIMEOUT:
        done = delivered(f)
        if done >= N:
            break
        time.sleep(0.2)
    secs = time.monotonic() - start
    log = f.log()
    f.stop()
    shutil.rmtree(f.workdir, ignore_errors=True)
    verified = log.count("tls=dane-verified")
    return done, secs, errors, verified


def main():
    d = make_workdir()
    cert, key = make_cert(d)
    passwd = make_passwd(d)
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(cert, key)
    sink = Sink()
    sink.port = free_port()
    ctl = Controller(sink, hostname="127.0.0.1", port=sink.port,
                     tls_context=ctx)
    ctl.start()
    dns = DnssecServer()
    dns.zone("dane.example", [
        "@ IN MX 10 mx", "mx IN A 127.0.0.1",
        f"_{sink.port}._tcp.mx IN TLSA 3 1 1 {tlsa_digest(cert, 1)}"])
    dns.start()
    rates = {}
    try:
        for mode in ("optional", "dane"):
            done, secs, errors, verified = run(mode, passwd, dns, sink)
            rates[mode] = done / secs
            print(f"{mode:9} {done:6d}/{N} delivered  {secs:7.2f} s  "
                  f"{rates[mode]:8.1f} msg/s  tls=dane-verified lines: "
                  f"{verified}" + (f"  errors: {errors[:3]}" if errors
                                   else ""))
    finally:
        dns.stop()
        ctl.stop()
        shutil.rmtree(d, ignore_errors=True)
    if rates.get("optional"):
        print(f"ratio dane/optional: {rates['dane'] / rates['optional']:.3f}")


if __name__ == "__main__":
    main()
