"""SPF (RFC 7208): the openspf.org / pyspf test suite (rfc7208-tests.yml
from Debian's python3-spf) run through `ferry spf check`, with each
scenario's zone data given to ferry's resolver as local data.

Every case is a test.  The few where ferry answers otherwise are listed in
DIFFERENT with the reason, and are expected to fail (strict: a case that
starts to pass must be taken off the list).
"""
import os
import shutil
import subprocess

import pytest

pytest.importorskip("yaml")
import spf_suite  # noqa: E402
from conftest import FERRY, make_workdir  # noqa: E402

if not os.path.exists(spf_suite.SUITE):
    pytest.skip("python3-spf's rfc7208-tests.yml is not installed",
                allow_module_level=True)

DIFFERENT = {
    "a-null": "TXT strings reach the evaluator as C strings: a NUL octet "
              "ends the record instead of making it invalid",
    "mx-null": "as a-null",
    "mx-colon-domain": "ferry's resolver takes MX targets only as host "
                       "names (RFC 5321), not foo:bar/baz.example.com",
    "mx-colon-domain-ip4mapped": "as mx-colon-domain",
    "v-macro-ip6": "%{i} of IPv6 gives lower-case nibbles, as RFC 7208 "
                   "s7.4's example; the suite expects upper case",
    "cname-aliasing": "libunbound does not follow a CNAME in local data "
                      "for a TXT question",
}


def _cases():
    for sc in spf_suite.load():
        for name, test in sorted(sc["tests"].items()):
            marks = []
            if name in DIFFERENT:
                marks = [pytest.mark.xfail(reason=DIFFERENT[name],
                                           strict=True)]
            yield pytest.param(sc, name, test, id=name, marks=marks)


@pytest.fixture(scope="module")
def zones():
    d = make_workdir()
    made = {}

    def zone_for(scenario):
        key = scenario["description"]
        if key not in made:
            made[key] = os.path.join(d, "zone%d" % len(made))
            spf_suite.zone_file(scenario, made[key])
        return made[key]

    yield zone_for
    shutil.rmtree(d, ignore_errors=True)


@pytest.mark.parametrize("scenario,name,test", list(_cases()))
def test_rfc7208_suite(zones, scenario, name, test):
    result, expl = spf_suite.run(FERRY, zones(scenario), test)
    assert spf_suite.verdict(test, result, expl), (
        f"{name}: got {result} {expl!r}, want {test['result']} "
        f"{test.get('explanation')!r} ({test.get('description', '')})")


def test_cli_usage_and_result_lines():
    p = subprocess.run([FERRY, "spf", "check", "192.0.2.1"],
                       capture_output=True, text=True)
    assert p.returncode == 64 and "usage: ferry spf" in p.stderr
    d = make_workdir()
    try:
        zone = os.path.join(d, "zone")
        with open(zone, "w") as f:
            f.write("zone test. static\n"
                    'a.test. 300 IN TXT "v=spf1 ip4:192.0.2.0/24 -all"\n')
        p = subprocess.run([FERRY, "spf", "--dns-file", zone, "check",
                            "192.0.2.9", "x@a.test", "h.a.test"],
                           capture_output=True, text=True, timeout=60)
        assert p.stdout.splitlines()[0] == "pass", p.stdout
        assert "matched ip4:192.0.2.0/24" in p.stdout
        p = subprocess.run([FERRY, "spf", "--dns-file", zone, "check",
                            "198.51.100.1", "<>", "a.test"],
                           capture_output=True, text=True, timeout=60)
        lines = p.stdout.splitlines()
        assert lines[0] == "fail", p.stdout
        assert lines[-1] == ("explanation: a.test does not designate "
                             "198.51.100.1 as permitted sender")
    finally:
        shutil.rmtree(d, ignore_errors=True)
