"""The RFC 7208 test suite (pyspf's rfc7208-tests.yml, Debian python3-spf)
turned into local DNS data for `ferry spf check --dns-file`.

The suite's zone data becomes a dns_local_data file: every record in
zone-file syntax, a static root zone (so an unknown name is NXDOMAIN, as
in the suite), and a "refuse" zone for each name the
suite marks TIMEOUT (a lookup that fails: temperror).
"""
import gzip
import os
import socket
import subprocess

SUITE = "/usr/share/doc/python3-spf/rfc7208-tests.yml.gz"


def load():
    import yaml
    with gzip.open(SUITE, "rt", encoding="utf-8") as f:
        return list(yaml.safe_load_all(f))


def _quote(s):
    out = []
    for b in s.encode("utf-8"):
        c = chr(b)
        if b < 0x20 or b > 0x7e or c in '"\\;':
            out.append("\\%03d" % b)
        else:
            out.append(c)
    return '"' + "".join(out) + '"'


def _name(name):
    """A name in zone-file syntax: odd octets as \\DDD."""
    out = []
    for b in name.encode("utf-8"):
        c = chr(b)
        out.append(c if c.isalnum() or c in "-_.*" else "\\%03d" % b)
    return "".join(out)


def _txt(v):
    parts = [v] if isinstance(v, str) else list(v)
    chunks = []
    for p in parts:
        if p == "":
            chunks.append('""')
        for i in range(0, len(p), 250):
            chunks.append(_quote(p[i:i + 250]))
    return " ".join(chunks)


def _records(name, rrs):
    """Lines of local data for one name; None when it times out."""
    lines, have_txt, spf = [], False, []
    for rr in rrs:
        if rr == "TIMEOUT":
            # After records: only the other types time out; the TXT
            # query (the one that matters) only when there is no TXT.
            if not any(isinstance(r, dict) and r.get("TXT", "NONE") != "NONE"
                       for r in rrs):
                return None
            continue
        ((t, v),) = rr.items()
        if v == "TIMEOUT" and t != "SPF":
            return None
        if t == "TXT":
            have_txt = True
            if v != "NONE":
                lines.append(f"{name}. 300 IN TXT {_txt(v)}")
        elif t == "SPF":
            # Type SPF is never asked for (RFC 7208 s3.1): its trouble
            # does not count, nor does an empty one.
            if v not in ("NONE", "TIMEOUT") and v != []:
                spf.append(v)
        elif t == "A":
            lines.append(f"{name}. 300 IN A {v}")
        elif t == "AAAA":
            v6 = socket.inet_ntop(socket.AF_INET6,
                                  socket.inet_pton(socket.AF_INET6, v))
            lines.append(f"{name}. 300 IN AAAA {v6}")
        elif t == "MX":
            pref, host = v
            host = _name(host.rstrip(".")) + "." if host else "."
            lines.append(f"{name}. 300 IN MX {pref} {host}")
        elif t == "PTR":
            lines.append(f"{name}. 300 IN PTR {_name(v.rstrip('.'))}.")
        elif t == "CNAME":
            lines.append(f"{name}. 300 IN CNAME {_name(v.rstrip('.'))}.")
    if not have_txt:
        lines += [f"{name}. 300 IN TXT {_txt(v)}" for v in spf]
    return lines


def zone_file(scenario, path):
    zones, data, names = [], [], []
    for name, rrs in (scenario.get("zonedata") or {}).items():
        name = _name(name.rstrip(".").lower())
        lines = _records(name, rrs or [])
        if lines is None:
            zones.append(name)
        else:
            data += lines
            names.append(name)
    # A refuse zone covers its subtree: names below it that have data
    # get a static zone of their own, so only the name itself fails.
    below = [n for n in names if any(n.endswith("." + z) for z in zones)]
    zones = [f"zone {z}. refuse" for z in zones]
    zones += [f"zone {n}. static" for n in below]
    with open(path, "w") as f:
        f.write("zone . static\n")
        for z in zones:
            f.write(z + "\n")
        for line in data:
            f.write(line + "\n")


def run(ferry, zone, test):
    p = subprocess.run([ferry, "spf", "--dns-file", zone, "check",
                        str(test["host"]), test.get("mailfrom") or "<>",
                        str(test.get("helo") or "")],
                       capture_output=True, timeout=60)
    err = p.stderr.decode("utf-8", "replace")
    if "Sanitizer" in err:  # under `make SAN=1`
        return "(sanitizer report: %s)" % err, ""
    out = p.stdout.decode("utf-8", "replace").splitlines()
    result = out[0] if out else "(exit %d: %s)" % (
        p.returncode, p.stderr.decode(errors="replace"))
    expl = ""
    for line in out:
        if line.startswith("explanation: "):
            expl = line[len("explanation: "):]
    return result, expl


def verdict(test, result, expl):
    want = test["result"]
    want = [want] if isinstance(want, str) else list(want)
    if result not in want:
        return False
    # DEFAULT: the suite leaves the checker's own text open.
    if test.get("explanation", "DEFAULT") != "DEFAULT" and result == "fail":
        return expl == test["explanation"]
    return True
