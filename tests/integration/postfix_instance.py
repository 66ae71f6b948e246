"""A minimal, private Postfix instance run from the unpacked Debian package.

bench/get-postfix-tools.sh downloads the `postfix` .deb with apt-get and
unpacks it with dpkg -x; nothing is installed.  The instance lives in a
temporary directory: its own config_directory, queue_directory and
data_directory, daemon_directory and shlib_directory inside the unpacked
tree, listening only on a loopback port, logging to a file through
postlogd.  master(8) runs as root, as Postfix requires; every daemon it
starts runs as mail_owner (the unprivileged `ferry` account that
scripts/install-deps.sh creates) and nothing is chrooted.

Mail enters through the instance's smtpd and leaves through its smtp
client to the relayhost: the real Postfix SMTP client, with Cyrus SASL
(libsasl2-modules) for AUTH.
"""
import grp
import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

SRCDIR = Path(__file__).resolve().parents[2]
GET_TOOLS = SRCDIR / "bench" / "get-postfix-tools.sh"
MAIL_OWNER = "ferry"
SETGID_GROUP = "mail"

QUEUE_DIRS = ["active", "bounce", "corrupt", "defer", "deferred", "flush",
              "hold", "incoming", "private", "saved", "trace"]

MASTER_CF = """\
{listen} inet n - n - - smtpd
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
tlsmgr unix - - n 1000? 1 tlsmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000? 0 flush
proxymap unix - - n - - proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
"""


def postfix_root():
    """The unpacked package root, or None with the reason it is missing."""
    if os.geteuid() != 0:
        return None, "Postfix's master must run as root"
    try:
        pwd.getpwnam(MAIL_OWNER)
        grp.getgrnam(SETGID_GROUP)
    except KeyError as e:
        return None, f"no {e} account (scripts/install-deps.sh)"
    r = subprocess.run(["sh", str(GET_TOOLS), "--root"], capture_output=True,
                       text=True, timeout=300)
    if r.returncode != 0:
        return None, "the postfix .deb cannot be obtained: " + \
            (r.stderr.strip() or r.stdout.strip())[-500:]
    return Path(r.stdout.strip().splitlines()[-1]), None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Postfix:
    """One instance; settings are extra main.cf lines (name = value)."""

    def __init__(self, root, workdir, settings):
        self.root = Path(root)
        self.dir = Path(workdir)
        self.conf = self.dir / "conf"
        self.queue = self.dir / "queue"
        self.data = self.dir / "data"
        self.maillog = self.dir / "maillog"
        self.port = free_port()
        self.settings = settings
        self.proc = None

    def _main_cf(self):
        lib = self.root / "usr" / "lib" / "postfix"
        lines = {
            "compatibility_level": "3.6",
            "queue_directory": str(self.queue),
            "data_directory": str(self.data),
            "daemon_directory": str(lib / "sbin"),
            "shlib_directory": str(lib),
            "command_directory": str(self.root / "usr" / "sbin"),
            "meta_directory": str(self.conf),
            "mail_owner": MAIL_OWNER,
            "setgid_group": SETGID_GROUP,
            "default_privs": "nobody",
            "import_environment": "MAIL_CONFIG MAIL_DEBUG MAIL_LOGTAG TZ "
                                  "LANG=C LD_LIBRARY_PATH",
            "myhostname": "postfix.test",
            "mydomain": "postfix.test",
            "myorigin": "postfix.test",
            "mydestination": "",
            "inet_interfaces": "loopback-only",
            "inet_protocols": "ipv4",
            "mynetworks": "127.0.0.0/8",
            "alias_maps": "",
            "alias_database": "",
            "local_recipient_maps": "",
            "biff": "no",
            "maillog_file": str(self.maillog),
            "maillog_file_prefixes": str(self.dir),
            "smtputf8_enable": "no",
            "queue_run_delay": "1s",
            "minimal_backoff_time": "1s",
            "maximal_backoff_time": "2s",
        }
        lines.update(self.settings)
        return "".join(f"{k} = {v}\n" for k, v in lines.items())

    def _make_dirs(self):
        owner = pwd.getpwnam(MAIL_OWNER)
        sgid = grp.getgrnam(SETGID_GROUP).gr_gid
        for d in (self.conf, self.queue):
            d.mkdir(parents=True, exist_ok=True)
            os.chmod(d, 0o755)
        for name in QUEUE_DIRS + ["pid"]:
            d = self.queue / name
            d.mkdir(exist_ok=True)
            if name != "pid":
                os.chown(d, owner.pw_uid, owner.pw_gid)
            os.chmod(d, 0o755 if name == "pid" else 0o700)
        for name, mode in (("public", 0o710), ("maildrop", 0o730)):
            d = self.queue / name
            d.mkdir(exist_ok=True)
            os.chown(d, owner.pw_uid, sgid)
            os.chmod(d, mode)
        self.data.mkdir(exist_ok=True)
        os.chown(self.data, owner.pw_uid, owner.pw_gid)
        os.chmod(self.data, 0o700)
        os.chmod(self.dir, 0o755)

    def start(self):
        self._make_dirs()
        (self.conf / "main.cf").write_text(self._main_cf())
        (self.conf / "master.cf").write_text(
            MASTER_CF.format(listen=f"127.0.0.1:{self.port}"))
        env = dict(os.environ)
        env["LD_LIBRARY_PATH"] = str(self.root / "usr" / "lib" / "postfix")
        env["MAIL_CONFIG"] = str(self.conf)
        master = self.root / "usr" / "lib" / "postfix" / "sbin" / "master"
        self.out = open(self.dir / "master.out", "wb")
        self.proc = subprocess.Popen([str(master), "-c", str(self.conf), "-d"],
                                     env=env, stdout=self.out,
                                     stderr=subprocess.STDOUT,
                                     cwd=str(self.dir))
        deadline = time.time() + 20
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("postfix master exited: " + self.log())
            try:
                with socket.create_connection(("127.0.0.1", self.port),
                                              timeout=2) as c:
                    if c.recv(512).startswith(b"220"):
                        return self
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("postfix did not start: " + self.log())

    def stop(self):
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGTERM)
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.out.close()

    def log(self):
        text = ""
        for p in (self.dir / "master.out", self.maillog):
            try:
                text += p.read_text(errors="replace")
            except OSError:
                pass
        return text

    def wait_log(self, needle, timeout=30):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if needle in self.log():
                return True
            time.sleep(0.1)
        return needle in self.log()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
