"""DNSSEC-signed test zones served by a real NSD on loopback.

DnssecServer signs zones with ldns-keygen/ldns-signzone (ldnsutils) at
test time, serves them with nsd (NSD 4) on 127.0.0.1 and writes a trust
anchor file (the signed zones' DNSKEYs) for ferry's resolver.  Unsigned
zones are served as they are: no trust anchor covers them, so answers
from them are insecure.  spoil() changes a record of a signed zone after
signing, so its signature no longer matches: a bogus answer.
"""
import os
import shutil
import signal
import socket
import subprocess
import time

from conftest import free_port, make_workdir


def tools_missing():
    """The programs the zones need that are not installed, or []."""
    return [t for t in ("nsd", "ldns-keygen", "ldns-signzone")
            if shutil.which(t) is None and
            not os.path.exists(os.path.join("/usr/sbin", t))]


def tlsa_digest(cert_path, selector):
    """SHA-256 of a certificate (selector 0) or its public key (1), hex."""
    if selector == 0:
        der = subprocess.run(["openssl", "x509", "-in", cert_path,
                              "-outform", "DER"], check=True,
                             capture_output=True).stdout
    else:
        pem = subprocess.run(["openssl", "x509", "-in", cert_path, "-noout",
                              "-pubkey"], check=True,
                             capture_output=True).stdout
        der = subprocess.run(["openssl", "pkey", "-pubin", "-outform",
                              "DER"], input=pem, check=True,
                             capture_output=True).stdout
    import hashlib
    return hashlib.sha256(der).hexdigest()


class DnssecServer:
    def __init__(self):
        self.dir = make_workdir()
        self.port = free_port()
        self.zones = {}      # name -> (records, signed)
        self.spoiled = []    # (owner, rrtype, new rdata)
        self.proc = None
        self.anchor = os.path.join(self.dir, "trust-anchor.key")

    def zone(self, name, records, signed=True):
        """records: lines relative to the zone ("mx A 127.0.0.1")."""
        self.zones[name] = (records, signed)

    def spoil(self, owner, rrtype, rdata):
        """After signing, owner's rrtype record gets rdata instead."""
        self.spoiled.append((owner.lower().rstrip(".") + ".", rrtype, rdata))

    def _write_zone(self, name, records):
        path = os.path.join(self.dir, name)
        head = [f"$ORIGIN {name}.", "$TTL 300",
                f"@ IN SOA ns.{name}. admin.{name}. 1 3600 600 86400 300",
                f"@ IN NS ns.{name}.", "ns IN A 127.0.0.1"]
        with open(path, "w") as f:
            f.write("\n".join(head + list(records)) + "\n")
        return path

    def _sign(self, name, path):
        keys = []
        for flags in (["-k"], []):  # a KSK, then a ZSK
            base = subprocess.run(["ldns-keygen", "-a", "ECDSAP256SHA256",
                                   *flags, name], cwd=self.dir, check=True,
                                  capture_output=True, text=True).stdout
            keys.append(os.path.join(self.dir, base.strip()))
        subprocess.run(["ldns-signzone", "-n", path, *keys], cwd=self.dir,
                       check=True, capture_output=True)
        with open(self.anchor, "a") as a:
            for k in keys:
                with open(k + ".key") as f:
                    a.write(f.read())
        return path + ".signed"

    def _apply_spoils(self, signed_path):
        lines = open(signed_path).read().splitlines()
        out = []
        for line in lines:
            parts = line.split()
            for owner, rrtype, rdata in self.spoiled:
                if len(parts) > 4 and parts[0].lower() == owner and \
                        parts[3] == rrtype:
                    line = " ".join(parts[:4]) + " " + rdata
            out.append(line)
        with open(signed_path, "w") as f:
            f.write("\n".join(out) + "\n")

    def start(self):
        conf = [
            "server:",
            f"  ip-address: 127.0.0.1@{self.port}",
            "  do-ip6: no",
            f"  zonesdir: \"{self.dir}\"",
            f"  pidfile: \"{self.dir}/nsd.pid\"",
            f"  zonelistfile: \"{self.dir}/zone.list\"",
            f"  xfrdfile: \"{self.dir}/xfrd.state\"",
            f"  xfrdir: \"{self.dir}\"",
            f"  logfile: \"{self.dir}/nsd.log\"",
            "  database: \"\"",
            "  username: \"\"",
            "  server-count: 1",
            "  verbosity: 1",
            "remote-control:",
            "  control-enable: no",
        ]
        open(self.anchor, "w").close()
        for name, (records, signed) in self.zones.items():
            path = self._write_zone(name, records)
            if signed:
                path = self._sign(name, path)
                self._apply_spoils(path)
            conf += ["zone:", f"  name: {name}",
                     f"  zonefile: \"{path}\""]
        conf_path = os.path.join(self.dir, "nsd.conf")
        with open(conf_path, "w") as f:
            f.write("\n".join(conf) + "\n")
        os.chmod(self.anchor, 0o644)
        nsd = shutil.which("nsd") or "/usr/sbin/nsd"
        self.proc = subprocess.Popen([nsd, "-d", "-c", conf_path],
                                     stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL)
        if not self._answers():
            log = open(os.path.join(self.dir, "nsd.log")).read() \
                if os.path.exists(os.path.join(self.dir, "nsd.log")) else ""
            self.stop()
            raise RuntimeError("nsd did not start: " + log)
        return self

    def _answers(self, timeout=10):
        """True once NSD answers a UDP query for a served zone's SOA."""
        name = next(iter(self.zones))
        qname = b"".join(bytes([len(p)]) + p.encode()
                         for p in name.split(".")) + b"\0"
        query = b"\x12\x34\x00\x00\x00\x01\x00\x00\x00\x00\x00\x00" + \
            qname + b"\x00\x06\x00\x01"
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                return False
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.settimeout(0.2)
                try:
                    s.sendto(query, ("127.0.0.1", self.port))
                    data = s.recv(512)
                    if data[:2] == b"\x12\x34" and data[3] & 15 == 0:
                        return True
                except OSError:
                    pass
            time.sleep(0.1)
        return False

    def stop(self):
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None
        shutil.rmtree(self.dir, ignore_errors=True)
