"""ferry check-config on real files: exit status, messages, summaries."""
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import FERRY, make_workdir
SRCDIR = Path(__file__).resolve().parents[2]
EX_USAGE, EX_CONFIG = 64, 78

GOOD = """\
[server]
hostname = mx.example.org
listen = 127.0.0.1:2600, [::1]:2600

[domain example.org]
maildir_root = mail
mailbox = alice, bob
alias = postmaster: alice
"""


def run(*args, cwd=None):
    return subprocess.run([FERRY, "check-config", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=30)


def write(tmp_path, text, name="ferry.conf"):
    path = tmp_path / name
    path.write_text(text)
    return path


def test_builtin_default_is_valid(tmp_path):
    r = run("--demo", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "(demo): ok" in r.stdout
    assert "listen: 127.0.0.1:2525" in r.stdout
    assert f"spool_dir: {tmp_path}/var/spool" in r.stdout
    assert "domain example.test: 4 mailboxes (1 disabled)" in r.stdout


def test_good_file_summary(tmp_path):
    path = write(tmp_path, GOOD)
    r = run(str(path))
    assert r.returncode == 0, r.stderr
    assert r.stderr == ""
    assert "listen: 127.0.0.1:2600 [::1]:2600" in r.stdout
    assert f"maildir_root: {tmp_path}/mail" in r.stdout
    assert run("-q", "--config", str(path)).stdout == ""


def test_every_error_is_reported(tmp_path):
    path = write(tmp_path, GOOD + "bogus = 1\n[limits]\n"
                 "max_message_size = lots\n[nowhere]\n")
    r = run(str(path))
    assert r.returncode == EX_CONFIG
    assert r.stdout == ""
    assert r.stderr.splitlines() == [
        f"{path}:9: unknown key 'bogus' in [domain example.org]",
        f"{path}:11: max_message_size: 'lots' is not a size "
        "(a number with optional suffix K, M or G)",
        f"{path}:12: unknown section [nowhere] (expected server, tls, "
        "auth, relay, limits, timeouts, queue, policy, milter, metrics, dkim, "
        "mailauth, doctor, domain NAME or relay_domain NAME)",
    ]


def test_alias_loop_and_missing_maildir_root(tmp_path):
    path = write(tmp_path, "[domain a.example]\nmailbox = x\n"
                 "alias = postmaster: p1\nalias = p1: p2\nalias = p2: p1\n")
    r = run(str(path))
    assert r.returncode == EX_CONFIG
    assert f"{path}:1: [domain a.example]: maildir_root is required" \
        in r.stderr
    assert f"{path}:5: alias loop: p1@a.example -> p2@a.example -> " \
        "p1@a.example" in r.stderr


def test_aliases_file_errors_name_their_file(tmp_path):
    aliases = write(tmp_path, "postmaster: alice\nlist: :include:/x\n",
                    "aliases")
    path = write(tmp_path, GOOD.replace(
        "[server]\n", "[server]\naliases_file = aliases\n"))
    r = run(str(path))
    assert r.returncode == EX_CONFIG
    assert f"{aliases}:2: alias 'list': ':include:/x': No such file or " \
        "directory" in r.stderr


def test_unreadable_file(tmp_path):
    r = run(str(tmp_path / "missing.conf"))
    assert r.returncode == EX_CONFIG
    assert "missing.conf" in r.stderr


@pytest.mark.parametrize("args", [["--bogus"], ["a", "b"],
                                  ["--print-reference", "--html"]])
def test_usage_errors(args):
    r = run(*args)
    assert r.returncode == EX_USAGE
    assert "usage: ferry check-config" in r.stderr


def test_print_default_round_trips(tmp_path):
    r = run("--print-default")
    assert r.returncode == 0
    path = write(tmp_path, r.stdout)
    again = run(str(path), cwd=tmp_path)
    builtin = run("--demo", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert again.stdout.split("\n", 1)[1] == builtin.stdout.split("\n", 1)[1]


def test_reference_documents_every_key():
    md = run("--print-reference").stdout
    man = run("--print-reference", "--man").stdout
    for line in run("--print-default").stdout.splitlines():
        key = line.lstrip("#").split("=")[0].strip()
        if "=" in line and not line.startswith("# "):
            assert f"### `{key}`" in md
            assert f".It Ic {key} " in man


def test_checked_in_docs_are_current():
    r = subprocess.run([str(SRCDIR / "scripts/gen-config-docs.sh"),
                        "--check", FERRY], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr


# What serve would refuse on this host, check-config refuses first.

@pytest.fixture
def workdir():
    """A directory the daemon's user can reach (pytest's tmp_path is in a
    directory only root can enter)."""
    d = make_workdir()
    yield Path(d)
    shutil.rmtree(d, ignore_errors=True)


def make_pair(tmp_path, name):
    cert, key = tmp_path / f"{name}.crt", tmp_path / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-keyout", str(key),
                    "-out", str(cert), "-days", "2", "-subj",
                    "/CN=mx.example.org"], check=True, capture_output=True)
    return cert, key


def with_tls(tmp_path, cert, key):
    os.chmod(tmp_path, 0o755)
    return write(tmp_path, GOOD.replace(
        "[domain", f"[tls]\ncert_file = {cert}\nkey_file = {key}\n\n[domain"))


def serve_status(path):
    """Exit status of `ferry serve` on path, or None if it started."""
    p = subprocess.Popen([FERRY, "serve", "--config", str(path)],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                         text=True)
    try:
        p.wait(timeout=3)
    except subprocess.TimeoutExpired:
        p.terminate()
        p.wait(timeout=30)
        return None
    return p.returncode


def test_certificate_that_does_not_load(tmp_path):
    cert, key = make_pair(tmp_path, "a")
    _, other_key = make_pair(tmp_path, "b")
    for c, k, why in ((tmp_path / "none.crt", key, "cannot load certificate"),
                      (cert, other_key, "cannot load private key")):
        path = with_tls(tmp_path, c, k)
        r = run(str(path), cwd=tmp_path)
        assert r.returncode == EX_CONFIG, r.stdout
        assert f"{path}: [tls] {why}" in r.stderr
        assert r.stdout == ""


def test_cert_without_key(tmp_path):
    path = write(tmp_path, GOOD.replace("[domain",
                                        "[tls]\ncert_file = c.pem\n[domain"))
    r = run(str(path))
    assert r.returncode == EX_CONFIG
    assert f"{path}:6: cert_file: key_file is not set" in r.stderr


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root, as serve does")
def test_user_that_does_not_exist(tmp_path):
    os.chmod(tmp_path, 0o755)
    path = write(tmp_path, GOOD.replace(
        "[server]\n", "[server]\nuser = no-such-ferry-user\n").replace(
        "2600", "2611"))
    r = run(str(path))
    assert r.returncode == EX_CONFIG
    assert "[server] user: no-such-ferry-user is not a user of this " \
        "system" in r.stderr
    assert serve_status(path) == 77  # what check-config warned about


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root, as serve does")
def test_files_the_daemon_user_cannot_read(workdir):
    tmp_path = workdir
    cert, key = make_pair(tmp_path, "a")
    os.chmod(cert, 0o600)
    os.chmod(key, 0o600)  # root's: the key process reads them, at SIGHUP too
    path = with_tls(tmp_path, cert, key)
    r = run(str(path))
    assert r.returncode == 0, r.stderr
    assert "cannot read" not in r.stderr
    pw = tmp_path / "passwd"
    pw.write_text("alice:{PLAIN}x\n")
    os.chmod(pw, 0o600)
    path = write(tmp_path, GOOD.replace(
        "[domain", f"[auth]\nbackend = passwd-file\npasswd_file = {pw}\n"
        "[domain"))
    r = run(str(path))
    assert r.returncode == 0, r.stderr
    assert "cannot read" not in r.stderr
    # The Redis connection is made after the switch, TLS files included.
    ca = tmp_path / "redis-ca.pem"
    ca.write_text(open(cert).read())
    os.chmod(ca, 0o600)
    path = write(tmp_path, GOOD.replace(
        "[domain", f"[policy]\nstate = redis\nredis_tls = yes\n"
        f"redis_tls_ca_file = {ca}\n[domain"))
    r = run(str(path))
    assert r.returncode == EX_CONFIG
    assert f"[policy] redis_tls_ca_file: {ca}: user ferry cannot read " \
        "it" in r.stderr


# Every configuration example in the docs is valid.

def doc_examples():
    """(where, text) of each fenced block in docs/*.md and README.md, and
    each literal display in ferry.conf(5), whose first section header is a
    ferry section."""
    sections = ("server", "tls", "auth", "relay", "limits", "timeouts",
                "queue", "policy", "milter", "metrics", "dkim", "mailauth", "doctor",
                "domain")
    blocks = []
    for md in sorted(SRCDIR.glob("docs/*.md")) + [SRCDIR / "README.md"]:
        lines, start = md.read_text().splitlines(), None
        for i, line in enumerate(lines):
            if line.startswith("```"):
                if start is None:
                    start = i + 1
                else:
                    blocks.append((f"{md.name}:{start}", lines[start:i]))
                    start = None
    man = (SRCDIR / "docs/man/ferry.conf.5.in").read_text().splitlines()
    for i, line in enumerate(man):
        if line.startswith(".Bd -literal"):
            end = man.index(".Ed", i)
            blocks.append((f"ferry.conf.5.in:{i + 1}", man[i + 1:end]))
    out = []
    for where, body in blocks:
        heads = [x.strip()[1:-1].split()[0] for x in body
                 if x.strip().startswith("[") and x.strip().endswith("]")]
        if heads and heads[0] in sections:
            out.append((where, "\n".join(body) + "\n"))
    return out


def test_doc_examples_found():
    where = [w for w, _ in doc_examples()]
    assert any(w.startswith("submission.md") for w in where)
    assert any(w.startswith("configuration.md") for w in where)
    assert any(w.startswith("ferry.conf.5.in") for w in where)


@pytest.mark.parametrize("where,text", doc_examples(),
                         ids=[w for w, _ in doc_examples()])
def test_doc_example_is_valid(tmp_path, where, text):
    """A fragment gets a minimal [domain] so that it is a whole file; the
    files and users it names need not exist on this host, but everything
    else must be right."""
    if "[domain " not in text:
        text += ("\n[domain example.org]\nmaildir_root = mail\n"
                 "mailbox = alice\nalias = postmaster: alice\n")
    path = write(tmp_path, text)
    r = run("-q", str(path))
    real = [x for x in r.stderr.splitlines()
            if "cannot read it" not in x and "[tls] cannot load" not in x
            and "note: " not in x and "is not a user" not in x
            and not x.startswith("smarthost_password_file: ")]
    assert real == [], f"{where}:\n{text}"


def test_print_shows_what_the_file_sets(tmp_path):
    path = write(tmp_path, GOOD.replace(
        "[server]\n", "[relay]\nretry_min = 1m   # sooner\n[server]\n") +
        "[limits]\nmax_errors = 5\n")
    r = run("--print", str(path))
    assert r.returncode == 0, r.stderr
    assert r.stdout == (
        "[server]\nhostname = mx.example.org\n"
        "listen = 127.0.0.1:2600, [::1]:2600\n\n"
        "[relay]\nretry_min = 1m\n\n[limits]\nmax_errors = 5\n\n"
        "[domain example.org]\nmaildir_root = mail\nmailbox = alice, bob\n"
        "alias = postmaster: alice\n")
    again = write(tmp_path, r.stdout, "again.conf")
    assert run("--print", str(again)).stdout == r.stdout
    assert run("--print", "--demo").stdout.startswith(
        "[server]\nlisten = 127.0.0.1:2525\n")
    bad = write(tmp_path, "[limits]\nmax_errors = x\n", "bad.conf")
    assert run("--print", str(bad)).returncode == EX_CONFIG


def test_lmtp_domain_needs_no_maildir_root(tmp_path):
    path = write(tmp_path, "[domain l.example]\nlmtp = unix:/run/dovecot/lmtp\n"
                 "mailbox = a\nalias = postmaster: a\n"
                 "[domain m.example]\nlmtp = [::1]:24\nlmtp_mailbox = b\n"
                 "maildir_root = mail\nmailbox = c\nalias = postmaster: c\n")
    r = run(str(path))
    assert r.returncode == 0, r.stderr
    assert "lmtp: unix:/run/dovecot/lmtp (every mailbox)" in r.stdout
    assert "lmtp: [::1]:24 (the lmtp_mailbox ones)" in r.stdout


def test_lmtp_errors(tmp_path):
    path = write(tmp_path, "[domain a.example]\nlmtp = /no/scheme\n"
                 "mailbox = a\nalias = postmaster: a\n"
                 "[domain b.example]\nlmtp_mailbox = x, x\n"
                 "[domain c.example]\nlmtp = unix:relative\n"
                 "lmtp_mailbox = y\nalias = postmaster: y\n")
    r = run(str(path))
    assert r.returncode == EX_CONFIG
    err = r.stderr.splitlines()
    assert f"{path}:2: lmtp: '/no/scheme' is neither unix:/ABSOLUTE/PATH " \
        "nor ADDRESS:PORT (IPv6 as [::1]:24)" in err
    assert f"{path}:6: lmtp_mailbox: 'x' is listed twice" in err
    assert f"{path}:5: [domain b.example]: lmtp_mailbox needs lmtp, the " \
        "LMTP server's socket" in err
    assert f"{path}:8: lmtp: 'unix:relative' is neither " \
        "unix:/ABSOLUTE/PATH nor ADDRESS:PORT (IPv6 as [::1]:24)" in err
    # Only some mailboxes over LMTP: the others need their Maildirs.
    assert f"{path}:7: [domain c.example]: maildir_root is required" in err


def test_mailbox_quota_errors(tmp_path):
    path = write(tmp_path, GOOD + "quota = 1G\nquota_messages = 100\n"
                 "mailbox_quota = alice: 10M, 50\nmailbox_quota = bob: 2G\n")
    r = run(str(path))
    assert r.returncode == 0, r.stderr
    path = write(tmp_path, GOOD + "mailbox_quota = alice 10M\n"
                 "mailbox_quota = bob: lots\n"
                 "mailbox_quota = bob: 1M, -3\n"
                 "quota_messages = -1\n")
    r = run(str(path))
    assert r.returncode == EX_CONFIG
    err = r.stderr.splitlines()
    expected = "mailbox_quota: expected 'NAME: SIZE[, MESSAGES]'"
    assert f"{path}:9: {expected}" in err
    assert f"{path}:10: {expected}" in err
    assert f"{path}:11: {expected}" in err
    assert any(e.startswith(f"{path}:12: quota_messages:") for e in err)
    # A quota on an alias or a typo would limit nothing.
    path = write(tmp_path, GOOD + "mailbox_quota = postmaster: 10M\n"
                 "mailbox_quota = alcie: 10M\n")
    r = run(str(path))
    assert r.returncode == EX_CONFIG
    err = r.stderr.splitlines()
    assert f"{path}:9: mailbox_quota: 'postmaster' is not a mailbox of " \
        "example.org" in err
    assert f"{path}:10: mailbox_quota: 'alcie' is not a mailbox of " \
        "example.org" in err


def test_redis_server_must_be_numeric(tmp_path):
    path = write(tmp_path, GOOD + "[policy]\nstate = redis\n"
                 "redis_server = redis.example.org:6379\n")
    r = run(str(path))
    assert r.returncode == EX_CONFIG
    assert f"{path}:11: redis_server: 'redis.example.org' is not a " \
        "numeric address" in r.stderr.splitlines()
    path = write(tmp_path, GOOD + "[policy]\nstate = redis\n"
                 "redis_server = [::1]:6379\n")
    assert run(str(path)).returncode == 0
