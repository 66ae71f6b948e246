"""The auth backends against real credentials.

Users are hashed with `ferry passwd --stdin` (yescrypt, bcrypt,
sha512-crypt, scram-sha-256) into a Dovecot-format passwd-file.  A real
Dovecot (dovecot-core from Debian), started here as our own process with
a private config in a temp dir, serves that file on an auth-client UNIX
socket; build/rel/unit/test_auth_dovecot then runs the dovecot backend
against the socket and the passwd-file backend against the same file.
The users and passwords must match tests/unit/test_auth_dovecot.c.
"""
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import FERRY

SRCDIR = Path(__file__).resolve().parents[2]
# FERRY_AUTH_DRIVER=build/san/unit/test_auth_dovecot runs it under ASan.
DRIVER = Path(os.environ.get("FERRY_AUTH_DRIVER") or
              SRCDIR / "build" / "rel" / "unit" / "test_auth_dovecot")
DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"

USERS = [
    ("yuki", "yescrypt pass", "yescrypt", "{CRYPT}$y$"),
    ("bo", "bcrypt pass", "bcrypt", "{BLF-CRYPT}$2b$"),
    ("six", "sha512 pass", "sha512-crypt", "{SHA512-CRYPT}$6$"),
    ("scram", "pencil", "scram-sha-256", "{SCRAM-SHA-256}4096,"),
]

CONF = """\
base_dir = {d}/run
state_dir = {d}/state
log_path = {d}/dovecot.log
instance_name = ferry-test-{pid}
protocols =
ssl = no
default_internal_user = dovecot
default_login_user = dovenull
auth_mechanisms = plain login scram-sha-256
disable_plaintext_auth = no
auth_failure_delay = 0
passdb {{
  driver = passwd-file
  args = scheme=CRYPT {d}/users
}}
userdb {{
  driver = static
  args = uid=nobody gid=nogroup home=/nonexistent
}}
service auth {{
  unix_listener auth-client {{
    # ferry asks as its unprivileged user; a test socket in a private dir.
    mode = 0666
  }}
}}
service anvil {{
  unix_listener anvil {{
    mode = 0600
  }}
}}
"""


def hash_password(password, scheme, user=None):
    args = [FERRY, "passwd", "--stdin", "--scheme", scheme]
    if user:
        args += ["--user", user]
    r = subprocess.run(args, input=password + "\n", capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    return r.stdout


@pytest.fixture(scope="module")
def workdir():
    # Dovecot's auth process runs as the dovecot user and must reach the
    # users file, so not under pytest's private (0700) tmp_path.
    d = Path(tempfile.mkdtemp(prefix="ferry-auth-"))
    os.chmod(d, 0o755)
    yield d
    shutil.rmtree(d, ignore_errors=True)


@pytest.fixture(scope="module")
def users_file(workdir):
    d = workdir
    lines = []
    for user, pw, scheme, prefix in USERS:
        out = hash_password(pw, scheme, user)
        assert out.startswith(f"{user}:{prefix}"), out
        lines.append(out.rstrip("\n") + ":::")  # extra fields are ignored
    path = d / "users"
    path.write_text("# made by ferry passwd\n" + "\n".join(lines) + "\n")
    os.chmod(path, 0o644)
    return path


@pytest.fixture(scope="module")
def dovecot(users_file):
    if os.geteuid() != 0:
        pytest.skip("Dovecot needs root to start its services")
    if not os.path.exists(DOVECOT):
        pytest.skip("dovecot-core is not installed (scripts/install-deps.sh)")
    d = users_file.parent
    for sub in ("run", "state"):
        (d / sub).mkdir(exist_ok=True)
    conf = d / "dovecot.conf"
    conf.write_text(CONF.format(d=d, pid=os.getpid()))
    proc = subprocess.Popen([DOVECOT, "-F", "-c", str(conf)],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    sock = d / "run" / "auth-client"
    deadline = time.time() + 20
    while not sock.exists():
        if proc.poll() is not None or time.time() > deadline:
            out = proc.stdout.read().decode(errors="replace") \
                if proc.poll() is not None else ""
            proc.kill()
            log = (d / "dovecot.log").read_text() \
                if (d / "dovecot.log").exists() else ""
            pytest.fail(f"dovecot did not start: {out}\n{log}")
        time.sleep(0.05)
    yield sock
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def run_driver(env_extra):
    if not DRIVER.exists():
        pytest.skip(f"{DRIVER} not built (make unit)")
    env = dict(os.environ)
    env.pop("FERRY_DOVECOT_SOCKET", None)
    env.pop("FERRY_AUTH_PASSWD_FILE", None)
    env.update(env_extra)
    r = subprocess.run([str(DRIVER)], env=env, capture_output=True,
                       text=True, timeout=300)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    return out


def test_passwd_output_forms():
    out = hash_password("x y z", "yescrypt")
    assert out.startswith("{CRYPT}$y$") and out.count("\n") == 1
    r = subprocess.run([FERRY, "passwd", "--stdin", "--scheme", "md5"],
                       input="x\n", capture_output=True, text=True)
    assert r.returncode == 64 and "usage: ferry passwd" in r.stderr
    r = subprocess.run([FERRY, "passwd", "--stdin"], input="",
                       capture_output=True, text=True)
    assert r.returncode == 65
    r = subprocess.run([FERRY, "passwd", "--stdin"], input="\n",
                       capture_output=True, text=True)
    assert r.returncode == 65
    # Never echoes the password.
    assert "x y z" not in out


def test_dovecot_backend(dovecot):
    out = run_driver({"FERRY_DOVECOT_SOCKET": str(dovecot)})
    assert "FERRY_DOVECOT_SOCKET unset" not in out
    assert "mech=SCRAM-SHA-256" in out and "result=ok" in out
    assert "pencil" not in out and "yescrypt pass" not in out


def test_passwd_file_backend(users_file):
    out = run_driver({"FERRY_AUTH_PASSWD_FILE": str(users_file)})
    assert "FERRY_AUTH_PASSWD_FILE unset" not in out
    assert "users=4 bad_lines=0" in out



def test_smtp_auth_through_dovecot(dovecot, ferry_factory):
    """End to end: a mail client logs in on the submission port, ferry asks
    the running Dovecot, and the message is accepted."""
    import smtplib
    f = ferry_factory(tls=["submission = optional"],
                      auth=["backend = dovecot",
                            f"dovecot_socket = {dovecot}",
                            "require_tls = no"])
    with smtplib.SMTP("127.0.0.1", f.submission_port, timeout=30) as s:
        s.ehlo("client.example")
        assert "PLAIN" in s.esmtp_features["auth"]
        with pytest.raises(smtplib.SMTPAuthenticationError) as e:
            s.login("six", "wrong")
        assert e.value.smtp_code == 535
    with smtplib.SMTP("127.0.0.1", f.submission_port, timeout=30) as s:
        s.ehlo("client.example")
        assert s.login("six", "sha512 pass")[0] == 235
        s.sendmail("", ["demo@example.test"], b"Subject: via dovecot\r\n\r\nx\r\n")
    assert len(f.wait_maildir("demo", 1)) == 1
    assert "user=six result=ok" in f.log()
