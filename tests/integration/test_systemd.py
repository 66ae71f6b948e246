"""systemd: the unit in contrib/ passes `systemd-analyze verify`, `make
install` places it with the binary's path filled in, and the daemon
speaks the sd_notify protocol Type=notify relies on (READY=1 once it
accepts connections, STOPPING=1 at SIGTERM), to a notify socket of the
test's own."""
import os
import shutil
import socket
import subprocess
from pathlib import Path

import pytest

from conftest import FERRY, make_workdir

SRCDIR = Path(__file__).resolve().parents[2]
UNIT_IN = SRCDIR / "contrib" / "ferry.service.in"
ANALYZE = shutil.which("systemd-analyze")


def render(sbindir, dest):
    dest.write_text(UNIT_IN.read_text().replace("@SBINDIR@", str(sbindir)))
    return dest


@pytest.mark.skipif(ANALYZE is None, reason="systemd-analyze not installed "
                    "(package systemd, scripts/install-deps.sh)")
def test_unit_passes_systemd_analyze_verify(tmp_path):
    sbindir = Path(FERRY).resolve().parent
    unit = render(sbindir, tmp_path / "ferry.service")
    r = subprocess.run([ANALYZE, "verify", "--man=no", str(unit)],
                       capture_output=True, text=True, timeout=60)
    # Unknown or malformed settings are only warnings: none is allowed.
    assert r.returncode == 0 and r.stderr.strip() == "", r.stderr
    # The check can fail: a bad value is reported.
    bad = tmp_path / "bad" / "ferry.service"
    bad.parent.mkdir()
    bad.write_text(unit.read_text().replace("NoNewPrivileges=yes",
                                            "NoNewPrivileges=maybe"))
    r = subprocess.run([ANALYZE, "verify", "--man=no", str(bad)],
                       capture_output=True, text=True, timeout=60)
    assert "NoNewPrivileges" in r.stderr or "boolean" in r.stderr


def test_unit_is_hardened_and_notify():
    text = UNIT_IN.read_text()
    for line in ("Type=notify", "NoNewPrivileges=yes", "ProtectSystem=strict",
                 "PrivateTmp=yes", "CapabilityBoundingSet=CAP_NET_BIND_SERVICE",
                 "ExecReload=@SBINDIR@/ferry reload --config /etc/ferry/ferry.conf"):
        assert line in text, line


def test_make_install_places_the_unit(tmp_path):
    r = subprocess.run(["make", "-s", "-C", str(SRCDIR), "install-systemd",
                        f"DESTDIR={tmp_path}", "PREFIX=/usr"],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    unit = tmp_path / "usr" / "lib" / "systemd" / "system" / "ferry.service"
    text = unit.read_text()
    assert "ExecStart=/usr/sbin/ferry serve --config /etc/ferry/ferry.conf" \
        in text
    assert "@SBINDIR@" not in text
    assert oct(unit.stat().st_mode & 0o777) == "0o644"


def test_sd_notify_ready_and_stopping(ferry_factory, monkeypatch):
    d = make_workdir()
    path = os.path.join(d, "notify")
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    try:
        sock.bind(path)
        os.chmod(path, 0o777)  # the daemon sends after dropping root
        sock.settimeout(20)
        monkeypatch.setenv("NOTIFY_SOCKET", path)
        f = ferry_factory()
        ready = sock.recv(4096).decode()
        assert ready.split("\n")[0] == "READY=1", ready
        assert "STATUS=accepting mail" in ready
        # READY came once the port answers: a session works now.
        c = f.connect()
        assert c.greeting.startswith("220 ")
        c.close()
        f.stop()
        assert sock.recv(4096).decode() == "STOPPING=1"
    finally:
        sock.close()
        shutil.rmtree(d, ignore_errors=True)
