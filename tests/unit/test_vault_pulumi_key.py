"""`platform.pulumi_key` is one transit key name: the `pulumi` policy grants transit/encrypt/<key> and
transit/decrypt/<key>, so a path in it would widen that policy (issue 7 item 10)."""

from __future__ import annotations

import json

import pytest

from infra.vault.errors import DesiredStateError
from infra.vault.model import parse_desired

FILE = "tenants.yaml"
GOOD = """\
version: 1
tenants:
  - id: finance
    department: Finance Bureau
    domains: [finance.egov.example]
    pipeline_cidrs: [10.20.8.0/24]
"""


def _one(text: str) -> str:
    with pytest.raises(DesiredStateError) as caught:
        parse_desired(text, FILE)
    problems = [str(problem) for problem in caught.value.problems]
    assert len(problems) == 1, problems
    return problems[0]


@pytest.mark.parametrize("key", ["", "../../sys/policies/acl/operators", "pulumi\n", "a/b", "Pulumi", "-x", "k" * 65,
                                 "pulumi secrets", "*"])
def test_a_bad_pulumi_key_is_refused_by_name(key: str) -> None:
    text = GOOD.replace("version: 1\n", f"version: 1\nplatform:\n  pulumi_key: {json.dumps(key)}\n", 1)
    assert _one(text) == (f"{FILE}: platform.pulumi_key: {key!r} is not a transit key name; write 1-64 lowercase "
                          "letters, digits, '-' or '_', starting with a letter or digit, like pulumi-secrets")


@pytest.mark.parametrize("key", ["pulumi-secrets", "p", "state_key-2", "k" * 64])
def test_good_pulumi_keys_pass(key: str) -> None:
    text = GOOD.replace("version: 1\n", f"version: 1\nplatform:\n  pulumi_key: {key}\n", 1)
    assert parse_desired(text, FILE).platform.pulumi_key == key
