"""[server] log_file: the log lines in a file, opened as root before the
daemon drops its privileges, and opened again on SIGHUP (logrotate)."""
import os
import signal
import smtplib
import time

from conftest import make_workdir, wait_for



def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return ""


def test_log_file_and_reopen(ferry_factory):
    d = make_workdir()
    path = os.path.join(d, "ferry.log")
    f = ferry_factory(extra=["[server]", f"log_file = {path}"])
    assert wait_for(lambda: "event=ready" in read(path))
    st = os.stat(path)
    assert st.st_uid == 0 and (st.st_mode & 0o777) == 0o640
    assert "event=ready" not in f.log()  # not on standard error
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
        s.sendmail("x@b.example", ["alice@example.test"], b"\r\nx\r\n")
    assert wait_for(lambda: "event=delivered" in read(path))
    # logrotate: move it away, leave a new file the daemon's user may
    # write, then SIGHUP
    os.rename(path, path + ".1")
    open(path, "w").close()
    os.chown(path, os.stat(f.spool).st_uid, -1)  # the daemon's user
    f.proc.send_signal(signal.SIGHUP)
    time.sleep(0.3)
    with smtplib.SMTP("127.0.0.1", f.port, timeout=30) as s:
        s.sendmail("x@b.example", ["bob@example.test"], b"\r\nx\r\n")
    assert wait_for(lambda: "to=bob@example.test" in read(path)), read(path)
    assert "to=bob@example.test" not in read(path + ".1")


def test_log_file_that_cannot_be_opened(ferry_factory, tmp_path):
    import subprocess
    from conftest import FERRY
    conf = tmp_path / "f.conf"
    conf.write_text("[server]\nlisten = 127.0.0.1:2798\n"
                    "log_file = /nonexistent/dir/ferry.log\n"
                    "[domain example.org]\nmaildir_root = m\nmailbox = a\n"
                    "alias = postmaster: a\n")
    r = subprocess.run([FERRY, "serve", "--config", str(conf)],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 73
    assert "log_file /nonexistent/dir/ferry.log" in r.stderr


def test_reload_command_reopens_log_file(ferry_factory):
    import subprocess
    from conftest import FERRY
    d = make_workdir()
    path = os.path.join(d, "ferry.log")
    f = ferry_factory(extra=["[server]", f"log_file = {path}"])
    assert wait_for(lambda: "event=ready" in read(path))
    os.rename(path, path + ".1")
    open(path, "w").close()
    os.chown(path, os.stat(f.spool).st_uid, -1)
    r = subprocess.run([FERRY, "reload", "--config", f.config_path],
                       capture_output=True, text=True, timeout=30)
    assert r.returncode == 0, r.stderr
    assert wait_for(lambda: "event=reload by=control result=applied"
                    in read(path)), read(path)
    assert "result=applied" not in read(path + ".1")
