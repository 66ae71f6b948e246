"""A DNS server on 127.0.0.1 (UDP and TCP, one port) whose behaviour a
test switches at run time: answer correctly, never answer, answer
SERVFAIL, answer garbage (malformed packets), or answer truncated (TC=1
over UDP, and the TCP retry hung up on).

Correct answers come from a dict of records: {(name, type): [rdata]},
type "MX" (rdata "PREF HOST"), "A", "TXT"; a name with no record of the
type asked gets NOERROR without answers (NODATA), a name unknown
altogether NXDOMAIN.
"""
import random
import socket
import struct
import threading

from conftest import free_port

TYPES = {"A": 1, "MX": 15, "TXT": 16, "PTR": 12, "AAAA": 28}
MODES = ("ok", "timeout", "servfail", "garbage", "truncate")


def encode_name(name):
    out = b""
    for label in name.rstrip(".").split("."):
        if label:
            out += bytes([len(label)]) + label.encode()
    return out + b"\0"


def parse_question(pkt):
    """(id, flags, qname lower-case without dot, qtype, end of question)."""
    qid, flags, qd = struct.unpack("!HHH", pkt[:6])
    if qd != 1:
        raise ValueError("not one question")
    i, labels = 12, []
    while pkt[i]:
        n = pkt[i]
        labels.append(pkt[i + 1:i + 1 + n].decode("ascii", "replace"))
        i += 1 + n
    qtype, = struct.unpack("!H", pkt[i + 1:i + 3])
    return qid, flags, ".".join(labels).lower(), qtype, i + 5


def rdata(rtype, text):
    if rtype == "A":
        return socket.inet_aton(text)
    if rtype == "MX":
        pref, host = text.split()
        return struct.pack("!H", int(pref)) + encode_name(host)
    if rtype == "PTR":
        return encode_name(text)
    if rtype == "TXT":
        raw = text.encode()
        return b"".join(bytes([len(raw[i:i + 255])]) + raw[i:i + 255]
                        for i in range(0, max(len(raw), 1), 255))
    raise ValueError(rtype)


class HostileDns:
    def __init__(self, records, mode="ok"):
        self.records = {(n.lower().rstrip("."), t): v
                        for (n, t), v in records.items()}
        self.mode = mode
        self.ttl = 60          # of every record served
        self.port = free_port()
        self.queries = []      # (mode, qname, qtype name) of each query
        self.stop_ev = threading.Event()
        self.udp = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.udp.bind(("127.0.0.1", self.port))
        self.udp.settimeout(0.2)
        self.tcp = socket.socket()
        self.tcp.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.tcp.bind(("127.0.0.1", self.port))
        self.tcp.listen(16)
        self.tcp.settimeout(0.2)
        self.threads = [threading.Thread(target=f, daemon=True)
                        for f in (self.serve_udp, self.serve_tcp)]
        for t in self.threads:
            t.start()

    @property
    def forwarder(self):
        return f"127.0.0.1@{self.port}"

    def answer(self, pkt, tcp):
        qid, flags, qname, qtype, end = parse_question(pkt)
        tname = {v: k for k, v in TYPES.items()}.get(qtype, str(qtype))
        mode = self.mode
        self.queries.append((mode, qname, tname))
        rd = flags & 0x0100
        head = lambda rcode, an, tc=0: struct.pack(  # noqa: E731
            "!HHHHHH", qid, 0x8000 | 0x0400 | rd | 0x0080 | tc | rcode,
            1, an, 0, 0) + pkt[12:end]
        if mode == "timeout":
            return None
        if mode == "servfail":
            return head(2, 0)
        if mode == "garbage":
            # The right id (so it is matched to the query), then nonsense:
            # counts that promise records which are not there, a label
            # pointer that loops.
            junk = bytes(random.getrandbits(8) for _ in range(40))
            return struct.pack("!HHHHHH", qid, 0x8180 | rd, 1, 7, 3, 9) + \
                b"\xc0\x0c\xc0\x0c" + junk
        if mode == "truncate" and not tcp:
            return head(0, 0, tc=0x0200)
        if mode == "truncate" and tcp:
            return b""  # hang up: no usable answer either way
        found = self.records.get((qname, tname))
        if found is None:
            known = any(n == qname for n, _ in self.records)
            return head(0 if known else 3, 0)
        body = b""
        for text in found:
            rd_ = rdata(tname, text)
            body += b"\xc0\x0c" + struct.pack("!HHIH", qtype, 1, self.ttl,
                                              len(rd_)) + rd_
        return head(0, len(found)) + body

    def serve_udp(self):
        while not self.stop_ev.is_set():
            try:
                pkt, peer = self.udp.recvfrom(4096)
            except socket.timeout:
                continue
            except OSError:
                return
            try:
                out = self.answer(pkt, tcp=False)
            except (ValueError, IndexError, struct.error):
                continue
            if out:
                self.udp.sendto(out, peer)

    def serve_tcp(self):
        while not self.stop_ev.is_set():
            try:
                c, _ = self.tcp.accept()
            except socket.timeout:
                continue
            except OSError:
                return
            threading.Thread(target=self.serve_conn, args=(c,),
                             daemon=True).start()

    def serve_conn(self, c):
        c.settimeout(5)
        try:
            while True:
                n = c.recv(2)
                if len(n) < 2:
                    return
                size, = struct.unpack("!H", n)
                pkt = b""
                while len(pkt) < size:
                    chunk = c.recv(size - len(pkt))
                    if not chunk:
                        return
                    pkt += chunk
                out = self.answer(pkt, tcp=True)
                if out == b"":
                    return
                if out:
                    c.sendall(struct.pack("!H", len(out)) + out)
        except (OSError, ValueError, IndexError, struct.error):
            pass
        finally:
            c.close()

    def count(self, mode=None):
        return sum(1 for q in self.queries if mode is None or q[0] == mode)

    def close(self):
        self.stop_ev.set()
        self.udp.close()
        self.tcp.close()
