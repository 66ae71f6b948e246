"""`ferry tls-report` output, checked against the RFC 8460 report schema
(tests/data/tlsrpt-schema.json, python3-jsonschema)."""
import json
import os
import subprocess

import pytest

from conftest import FERRY

SCHEMA = os.path.join(os.path.dirname(__file__), "..", "data",
                      "tlsrpt-schema.json")


def tls_report(f, domain):
    """Today's report for domain from ferry f, validated; as a dict."""
    jsonschema = pytest.importorskip("jsonschema")
    out = subprocess.run([FERRY, "tls-report", "--domain", domain,
                          "--config", f.config_path], capture_output=True,
                         text=True, check=True).stdout
    report = json.loads(out)
    with open(SCHEMA) as s:
        jsonschema.validate(report, json.load(s))
    return report
