"""The key processes (docs/security.md): the TLS private key and the
passwd-file's hashes live in ferry-keys and ferry-auth, never in the
daemon that parses what clients send.

The memory test reads each process's memory as root (/proc/PID/maps and
/proc/PID/mem) and looks for the key's private exponent or scalar and for
the password hashes: absent from the daemon, present in the key process
(so the search would find them if they were there).
"""
import base64
import hashlib
import hmac
import os
import re
import signal
import smtplib
import socket
import ssl
import subprocess
import tempfile
import time

import pytest

from conftest import DOMAIN, FERRY, wait_for

root_only = pytest.mark.skipif(os.geteuid() != 0,
                               reason="reads other processes' memory")


def secret_dir():
    d = tempfile.mkdtemp(prefix="ferry-secrets-")
    os.chmod(d, 0o755)
    return d


def make_pair(d, kind, cn="mx.test.example", name="server"):
    cert, key = os.path.join(d, f"{name}.crt"), os.path.join(d, f"{name}.key")
    newkey = ["-newkey", "rsa:2048"] if kind == "rsa" else \
        ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"]
    subprocess.run(["openssl", "req", "-x509", *newkey, "-nodes",
                    "-keyout", key, "-out", cert, "-days", "2",
                    "-subj", f"/CN={cn}"], check=True, capture_output=True)
    os.chmod(key, 0o644)  # only the sandbox keeps the daemon from it
    return cert, key


def private_number(key):
    """The private exponent (RSA) or scalar (EC), least significant byte
    first, as OpenSSL keeps a BIGNUM in memory on this machine."""
    text = subprocess.run(["openssl", "pkey", "-in", key, "-noout",
                           "-text"], check=True, capture_output=True,
                          text=True).stdout
    m = re.search(r"^(?:privateExponent|priv):\s*\n((?:\s+[0-9a-f:]+\n)+)",
                  text, re.M)
    digits = re.sub(r"[\s:]", "", m.group(1))
    return bytes.fromhex(digits).lstrip(b"\0")[::-1]


def key_pem_line(key):
    """A line from the end of the key file, where only private numbers
    are encoded."""
    lines = open(key).read().split("\n")
    return lines[-4].encode()


def hashed(password, scheme):
    r = subprocess.run([FERRY, "passwd", "--stdin", "--scheme", scheme],
                       input=password + "\n", capture_output=True, text=True,
                       check=True)
    return r.stdout.strip()


def write_passwd(d, users):
    path = os.path.join(d, "passwd")
    with open(path, "w") as f:
        for user, pw, scheme in users:
            f.write(f"{user}:{hashed(pw, scheme)}\n")
    os.chmod(path, 0o644)
    return path


def hashes_of(passwd):
    """The stored crypt(3) hash of each line, without the {SCHEME}
    prefix (SCRAM entries are kept as numbers: scram_keys())."""
    return [ln.split(":", 1)[1].split("}", 1)[-1].encode()
            for ln in open(passwd).read().splitlines()
            if ln and "{SCRAM-SHA-256}" not in ln]


def children(pid):
    """{name: pid} of the daemon's child processes."""
    out = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            status = open(f"/proc/{entry}/status").read()
        except OSError:
            continue
        ppid = re.search(r"^PPid:\s*(\d+)", status, re.M)
        name = re.search(r"^Name:\s*(\S+)", status, re.M)
        if ppid and int(ppid.group(1)) == pid:
            out[name.group(1)] = int(entry)
    return out


def memory_has(pid, needles):
    """Which of needles occur in the readable memory of pid."""
    found = set()
    with open(f"/proc/{pid}/maps") as maps, \
            open(f"/proc/{pid}/mem", "rb", 0) as mem:
        for line in maps:
            parts = line.split()
            lo, hi = (int(x, 16) for x in parts[0].split("-"))
            # Sanitizer shadow memory is terabytes of nothing.
            if "r" not in parts[1] or hi - lo > (256 << 20) or \
                    (len(parts) > 5 and parts[5] in ("[vvar]", "[vsyscall]")):
                continue
            try:
                mem.seek(lo)
                data = mem.read(hi - lo)
            except (OSError, OverflowError, ValueError):
                continue
            for n in needles:
                if n in data:
                    found.add(n)
    return found


def client_ctx(version=None):
    c = ssl.create_default_context()
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    if version is not None:
        c.minimum_version = c.maximum_version = version
    return c


def starttls_cert(port, version=None):
    """The certificate the daemon shows after STARTTLS, and the version."""
    with smtplib.SMTP("127.0.0.1", port, timeout=20) as s:
        s.ehlo("client.example")
        s.starttls(context=client_ctx(version))
        return s.sock.getpeercert(binary_form=True), s.sock.version()


def der(cert):
    return ssl.PEM_cert_to_DER_cert(open(cert).read())


def auth_plain(port, user, pw):
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        s.ehlo("client.example")
        s.starttls(context=client_ctx())
        s.ehlo("client.example")
        creds = f"\0{user}\0{pw}".encode()
        return s.docmd("AUTH", "PLAIN " + base64.b64encode(creds).decode())


def auth_scram(port, user, password):
    """A SCRAM-SHA-256 login (RFC 5802, RFC 7677), checking the server's
    signature too: True when both sides proved themselves."""
    with smtplib.SMTP("127.0.0.1", port, timeout=30) as s:
        s.ehlo("client.example")
        s.starttls(context=client_ctx())
        s.ehlo("client.example")

        def exchange(msg):
            code, text = s.docmd(base64.b64encode(msg.encode()).decode())
            if code != 334:
                assert (code, text) == \
                    (535, b"5.7.8 Authentication credentials invalid")
                return None
            return base64.b64decode(text).decode()

        code, _ = s.docmd("AUTH", "SCRAM-SHA-256")
        assert code == 334
        cnonce = base64.b64encode(os.urandom(18)).decode()
        first_bare = f"n={user},r={cnonce}"
        server_first = exchange("n,," + first_bare)
        attrs = dict(kv.split("=", 1) for kv in server_first.split(","))
        salt, iters = base64.b64decode(attrs["s"]), int(attrs["i"])
        salted = hashlib.pbkdf2_hmac("sha256", password.encode(), salt,
                                     iters)
        client_key = hmac.new(salted, b"Client Key", "sha256").digest()
        stored = hashlib.sha256(client_key).digest()
        final = f"c=biws,r={attrs['r']}"
        auth_msg = f"{first_bare},{server_first},{final}".encode()
        sig = hmac.new(stored, auth_msg, "sha256").digest()
        proof = bytes(a ^ b for a, b in zip(client_key, sig))
        server_final = exchange(final + ",p=" +
                                base64.b64encode(proof).decode())
        if server_final is None:
            return False
        server_key = hmac.new(salted, b"Server Key", "sha256").digest()
        want = hmac.new(server_key, auth_msg, "sha256").digest()
        ok = server_final == "v=" + base64.b64encode(want).decode()
        return ok and s.docmd("")[0] == 235


def scram_keys(passwd, user):
    """StoredKey and ServerKey of user's {SCRAM-SHA-256} entry, raw."""
    for ln in open(passwd).read().splitlines():
        if ln.startswith(user + ":"):
            fields = ln.split("}", 1)[1].split(":")[0].split(",")
            return [base64.b64decode(fields[2]), base64.b64decode(fields[3])]
    raise KeyError(user)


@pytest.fixture
def secrets():
    d = secret_dir()
    yield d
    subprocess.run(["rm", "-rf", d])


def start(ferry_factory, cert, key, passwd, extra=(), auth=(), **kw):
    return ferry_factory(tls=[f"cert_file = {cert}", f"key_file = {key}"],
                         auth=["backend = passwd-file",
                               f"passwd_file = {passwd}", "smtp = yes",
                               *auth],
                         extra=list(extra), **kw)


@root_only
@pytest.mark.parametrize("kind", ["rsa", "ec"])
def test_secrets_are_in_the_key_processes_only(ferry_factory, secrets, kind):
    cert, key = make_pair(secrets, kind)
    passwd = write_passwd(secrets, [("alice", "alice-pw", "sha512-crypt"),
                                    ("bob", "bob-pw", "yescrypt"),
                                    ("carol", "carol-pw", "scram-sha-256")])
    f = start(ferry_factory, cert, key, passwd,
              auth=["mechanisms = PLAIN LOGIN SCRAM-SHA-256"])
    # Exercise all: a handshake and logins, so each secret was used.
    assert starttls_cert(f.port)[0] == der(cert)
    assert auth_plain(f.port, "alice", "alice-pw")[0] == 235
    assert auth_plain(f.port, "bob", "wrong")[0] == 535
    assert auth_scram(f.port, "carol", "carol-pw")
    assert not auth_scram(f.port, "carol", "wrong")
    kids = children(f.proc.pid)
    assert set(kids) == {"ferry-keys", "ferry-auth"}, kids
    number = private_number(key)[:32]
    pem = key_pem_line(key)
    hashes = hashes_of(passwd) + scram_keys(passwd, "carol")
    daemon = memory_has(f.proc.pid, [number, pem] + hashes)
    assert daemon == set(), "secrets in the daemon's memory"
    assert number in memory_has(kids["ferry-keys"], [number])
    assert set(hashes) <= memory_has(kids["ferry-auth"], hashes)
    # And neither key process holds the other's secret.
    assert memory_has(kids["ferry-keys"], hashes) == set()
    assert memory_has(kids["ferry-auth"], [number]) == set()


def probe_result(f):
    f.proc.send_signal(signal.SIGUSR2)
    lines = wait_for(lambda: [ln for ln in f.log().splitlines()
                              if "event=sandbox-probe" in ln], timeout=10)
    assert lines, f.log()
    return lines[-1]


@pytest.mark.parametrize("target", ["key", "cert", "passwd"])
def test_the_daemon_cannot_open_the_secret_files(ferry_factory, secrets,
                                                  monkeypatch, target):
    cert, key = make_pair(secrets, "ec")
    passwd = write_passwd(secrets, [("alice", "alice-pw", "sha512-crypt")])
    # A file the daemon does read, beside them: its directory is not
    # granted, the file alone is.
    ca = os.path.join(secrets, "ca.pem")
    with open(ca, "w") as out:
        out.write(open(cert).read())
    os.chmod(ca, 0o644)
    path = {"key": key, "cert": cert, "passwd": passwd}[target]
    monkeypatch.setenv("FERRY_SANDBOX_PROBE", path)
    f = start(ferry_factory, cert, key, passwd,
              extra=["[relay]", f"smarthost_ca_file = {ca}"])
    if "landlock=unavailable" in f.log():
        pytest.skip("this kernel has no Landlock ABI 2")
    assert "result=denied" in probe_result(f)
    assert "grant=file-only" in f.log()
    # The daemon goes on: TLS and AUTH through the key processes.
    assert starttls_cert(f.port)[0] == der(cert)
    assert auth_plain(f.port, "alice", "alice-pw")[0] == 235


def test_without_sandbox_the_probe_opens_the_key(ferry_factory, secrets,
                                                 monkeypatch):
    cert, key = make_pair(secrets, "ec")
    passwd = write_passwd(secrets, [("alice", "alice-pw", "sha512-crypt")])
    monkeypatch.setenv("FERRY_SANDBOX_PROBE", key)
    f = start(ferry_factory, cert, key, passwd,
              extra=["[server]", "sandbox = off"])
    assert "result=opened" in probe_result(f)


@pytest.mark.parametrize("kind", ["rsa", "ec"])
@pytest.mark.parametrize("version", [ssl.TLSVersion.TLSv1_2,
                                     ssl.TLSVersion.TLSv1_3])
def test_handshakes_sign_in_the_key_process(ferry_factory, secrets, kind,
                                            version):
    cert, key = make_pair(secrets, kind)
    passwd = write_passwd(secrets, [("alice", "alice-pw", "sha512-crypt")])
    f = start(ferry_factory, cert, key, passwd)
    got, v = starttls_cert(f.port, version)
    assert got == der(cert)
    assert v == {ssl.TLSVersion.TLSv1_2: "TLSv1.2",
                 ssl.TLSVersion.TLSv1_3: "TLSv1.3"}[version]
    with socket.create_connection(("127.0.0.1", f.submissions_port),
                                  timeout=20) as raw:
        with client_ctx(version).wrap_socket(raw) as tls:
            assert tls.getpeercert(binary_form=True) == der(cert)
            assert tls.recv(512).startswith(b"220 ")


@pytest.mark.parametrize("sigalg,version", [
    ("RSA+SHA256", "-tls1_2"),          # PKCS#1 v1.5
    ("RSA-PSS+SHA256", "-tls1_2"),      # rsa_pss_rsae_sha256
    ("rsa_pss_rsae_sha384", "-tls1_3"),
])
def test_rsa_signature_schemes_with_openssl(ferry_factory, secrets, sigalg,
                                            version):
    cert, key = make_pair(secrets, "rsa")
    passwd = write_passwd(secrets, [("alice", "alice-pw", "sha512-crypt")])
    f = start(ferry_factory, cert, key, passwd)
    r = subprocess.run(["openssl", "s_client", "-connect",
                        f"127.0.0.1:{f.submissions_port}", version,
                        "-sigalgs", sigalg, "-brief"],
                       input="QUIT\r\n", capture_output=True, text=True,
                       timeout=30)
    out = r.stdout + r.stderr
    assert "CONNECTION ESTABLISHED" in out, out
    expected = "RSA" if sigalg == "RSA+SHA256" else "RSA-PSS"
    assert f"Signature type: {expected}\n" in out, out


def test_reload_reads_a_new_pair(ferry_factory, secrets):
    cert, key = make_pair(secrets, "ec", cn="first.example")
    passwd = write_passwd(secrets, [("alice", "alice-pw", "sha512-crypt")])
    f = start(ferry_factory, cert, key, passwd)
    assert starttls_cert(f.port)[0] == der(cert)
    # A renewal that replaces both files by rename, with another key type.
    new_cert, new_key = make_pair(secrets, "rsa", cn="second.example",
                                  name="next")
    os.replace(new_key, key)
    os.replace(new_cert, cert)
    f.proc.send_signal(signal.SIGHUP)
    assert wait_for(lambda: "reloaded=\"certificate and key\"" in f.log(),
                    timeout=10), f.log()
    for v in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        assert starttls_cert(f.port, v)[0] == der(cert)
    # A pair that does not match is refused; the running one stays.
    _, other_key = make_pair(secrets, "ec", name="other")
    os.replace(other_key, key)
    r = subprocess.run([FERRY, "reload", "--config", f.config_path],
                       capture_output=True, text=True, timeout=30)
    assert "could not be read again" in r.stdout + r.stderr, r
    assert starttls_cert(f.port)[0] == der(cert)


def read_reply(sock_file):
    lines = []
    while True:
        line = sock_file.readline()
        lines.append(line)
        if line[3:4] != b"-":
            return b"".join(lines)


def test_dead_key_process_tls_unavailable(ferry_factory, secrets):
    cert, key = make_pair(secrets, "ec")
    passwd = write_passwd(secrets, [("alice", "alice-pw", "sha512-crypt")])
    f = start(ferry_factory, cert, key, passwd)
    os.kill(children(f.proc.pid)["ferry-keys"], signal.SIGKILL)
    assert wait_for(lambda: "event=keyproc-lost role=tls" in f.log(),
                    timeout=10), f.log()
    with smtplib.SMTP("127.0.0.1", f.port, timeout=20) as s:
        s.ehlo("client.example")
        assert s.docmd("STARTTLS") == \
            (454, b"4.7.0 TLS not available due to temporary reason")
        # Mail in clear still goes through.
        s.sendmail("a@client.test", [f"alice@{DOMAIN}"],
                   b"Subject: no tls\r\n\r\nbody\r\n")
    assert len(f.wait_maildir("alice", 1)) == 1
    with socket.create_connection(("127.0.0.1", f.submissions_port),
                                  timeout=20) as raw:
        with pytest.raises((ssl.SSLError, ConnectionError, OSError)):
            client_ctx().wrap_socket(raw).recv(512)
    assert f.proc.poll() is None
    assert f.stop() == 0


def test_dead_key_process_auth_tempfail(ferry_factory, secrets):
    cert, key = make_pair(secrets, "ec")
    passwd = write_passwd(secrets, [("alice", "alice-pw", "sha512-crypt")])
    f = start(ferry_factory, cert, key, passwd)
    assert auth_plain(f.port, "alice", "alice-pw")[0] == 235
    os.kill(children(f.proc.pid)["ferry-auth"], signal.SIGKILL)
    assert wait_for(lambda: "event=keyproc-lost role=auth" in f.log(),
                    timeout=10), f.log()
    assert auth_plain(f.port, "alice", "alice-pw") == \
        (454, b"4.7.0 Temporary authentication failure")
    assert f.proc.poll() is None
    assert f.stop() == 0


def test_key_processes_leave_with_the_daemon(ferry_factory, secrets):
    cert, key = make_pair(secrets, "ec")
    passwd = write_passwd(secrets, [("alice", "alice-pw", "sha512-crypt")])
    f = start(ferry_factory, cert, key, passwd)
    kids = children(f.proc.pid)
    assert set(kids) == {"ferry-keys", "ferry-auth"}
    f.kill9()
    # The end of their sockets tells them to go.
    assert wait_for(lambda: not any(os.path.exists(f"/proc/{p}/status") and
                                    "State:\tZ" not in
                                    open(f"/proc/{p}/status").read()
                                    for p in kids.values()), timeout=10)


@root_only
def test_generated_pair_is_roots_alone(ferry_factory):
    """The pair ferry makes in <spool_dir>/tls stays root's: the daemon,
    which runs as the user and may read and write the spool, cannot open
    its key, even though the spool is given to that user."""
    f = ferry_factory()
    tls = os.path.join(f.spool, "tls")
    st = os.stat(tls)
    assert (st.st_uid, st.st_mode & 0o777) == (0, 0o700)
    key = os.stat(os.path.join(tls, "key.pem"))
    assert key.st_uid == 0 and key.st_mode & 0o077 == 0
    assert os.stat(os.path.join(f.spool, "queue")).st_uid != 0
    # And it is the pair the daemon shows.
    assert starttls_cert(f.port)[0] == der(os.path.join(tls, "cert.pem"))
