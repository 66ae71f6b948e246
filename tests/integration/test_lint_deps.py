"""scripts/lint-deps.sh judges a small tree the way the table says."""
import pathlib
import subprocess

ROOT = pathlib.Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "scripts" / "lint-deps.sh"


def lint(tmp_path, files):
    for name, text in files.items():
        path = tmp_path / "src" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return subprocess.run(["sh", str(SCRIPT), str(tmp_path)], text=True,
                          capture_output=True, timeout=60)


def test_allowed_include_passes(tmp_path):
    r = lint(tmp_path, {"cli/a.c": '#include "control/control.h"\n',
                        "control/b.c": '#include "queue/spool.h"\n'})
    assert r.returncode == 0, r.stderr
    assert "lint-deps: ok" in r.stdout


def test_include_against_the_table_fails(tmp_path):
    r = lint(tmp_path, {"control/b.c": '#include "cli/queue_list.h"\n'})
    assert r.returncode == 1
    assert "src/control/b.c:1: control may not use cli" in r.stderr


def test_foreign_int_header_fails(tmp_path):
    r = lint(tmp_path, {"sched/r.c": '\n#include "dns/resolver_int.h"\n'})
    assert r.returncode == 1
    assert "src/sched/r.c:2: includes dns/resolver_int.h" in r.stderr


def test_module_without_row_fails(tmp_path):
    r = lint(tmp_path, {"newthing/n.c": "int x;\n"})
    assert r.returncode == 1
    assert "module 'newthing' has no row" in r.stderr
