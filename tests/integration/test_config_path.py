"""Where every command finds its configuration: --config, else
$FERRY_CONFIG, else /etc/ferry/ferry.conf, whatever the working directory;
the built-in demo only on request (--demo)."""
import os
import subprocess

from conftest import FERRY

EX_USAGE, EX_CONFIG = 64, 78
DEFAULT = "/etc/ferry/ferry.conf"


def run(args, env_config=None, cwd="/", data=""):
    env = {k: v for k, v in os.environ.items() if k != "FERRY_CONFIG"}
    if env_config is not None:
        env["FERRY_CONFIG"] = env_config
    return subprocess.run([FERRY, *args], input=data, capture_output=True,
                          timeout=30, env=env, cwd=cwd, text=True)


def test_sendmail_t_from_root_dir_with_installed_config(ferry):
    """As cron runs it: from /, with only the installed configuration."""
    r = run(["sendmail", "-t"], env_config=ferry.config_path,
            data="To: bob@example.test\nSubject: from cron\n\nx\n")
    assert r.returncode == 0, r.stderr
    files = ferry.wait_maildir("bob", 1)
    assert len(files) == 1
    assert b"Subject: from cron" in open(files[0], "rb").read()


def test_every_command_reads_ferry_config(ferry):
    r = run(["queue", "list"], env_config=ferry.config_path)
    assert r.returncode == 0, r.stderr
    assert "Mail queue is empty" in r.stdout
    r = run(["check-config"], env_config=ferry.config_path)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith(f"{ferry.config_path}: ok")
    # --config wins over the environment
    r = run(["check-config", "--config", ferry.config_path],
            env_config="/nonexistent/ferry.conf")
    assert r.returncode == 0, r.stderr


def test_missing_default_names_it_and_the_demo(tmp_path):
    missing = str(tmp_path / "none.conf")
    for args in (["serve"], ["check-config"], ["queue", "list"],
                 ["sendmail", "root"]):
        r = run(args, env_config=missing)
        assert r.returncode == EX_CONFIG, (args, r.stderr)
        assert f"no configuration at {missing}" in r.stderr
        assert "ferry serve --demo" in r.stderr
    if not os.path.exists(DEFAULT):
        r = run(["check-config"])
        assert r.returncode == EX_CONFIG
        assert f"no configuration at {DEFAULT}" in r.stderr


def test_demo_is_one_option_away(tmp_path):
    r = run(["check-config", "--demo"], cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "domain example.test" in r.stdout
    r = run(["queue", "--demo", "list"], cwd=tmp_path)
    assert r.returncode != EX_CONFIG and r.returncode != EX_USAGE
    r = run(["serve", "--demo", "--config", "x.conf"])
    assert r.returncode == EX_USAGE
    r = run(["check-config", "--demo", "x.conf"])
    assert r.returncode == EX_USAGE
