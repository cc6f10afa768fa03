"""Validation of the desired OpenBao state: every problem named with file, field, why and fix."""

from __future__ import annotations

from pathlib import Path

import pytest

from infra.vault.errors import DesiredStateError
from infra.vault.model import DAY, HOUR, format_duration, key_params, load_desired, parse_desired, parse_duration
from infra.vault.policies import DEFAULT_DESIRED

FILE = "tenants.yaml"
GOOD = """\
version: 1
tenants:
  - id: finance
    department: Finance Bureau
    domains: [finance.egov.example]
    pipeline_cidrs: [10.20.8.0/24, 127.0.0.1/32]
  - id: health
    department: Health Commission
    domains: [health.egov.example]
    pipeline_cidrs: [10.20.9.0/24]
"""


def _problems(text: str) -> list[str]:
    with pytest.raises(DesiredStateError) as caught:
        parse_desired(text, FILE)
    assert "nothing was changed" in str(caught.value)
    return [str(problem) for problem in caught.value.problems]


def _one(text: str) -> str:
    problems = _problems(text)
    assert len(problems) == 1, problems
    return problems[0]


def test_the_committed_file_is_valid() -> None:
    state = load_desired(DEFAULT_DESIRED)
    assert [t.id for t in state.tenants] == ["finance", "health"]
    assert {d.path for d in state.platform.audit_devices} == {"file", "file-secondary"}


def test_defaults_are_the_secure_ones() -> None:
    state = parse_desired(GOOD, FILE)
    tenant = state.tenant("finance")
    assert tenant.namespace == "tenants/finance"
    assert tenant.transit_rotation_period == 90 * DAY
    assert (tenant.token_ttl, tenant.token_max_ttl) == (15 * 60, HOUR)
    assert tenant.secret_id_num_uses == 1
    assert tenant.kv_max_versions == 20
    assert tenant.cert_max_ttl <= 397 * DAY
    assert tenant.offboarded is False
    assert state.platform.pki.root_ttl == 3650 * DAY
    assert state.platform.pulumi_key == "pulumi-secrets"


@pytest.mark.parametrize(("text", "seconds"), [("15m", 900), ("1h", 3600), ("2160h", 7776000), ("90d", 7776000),
                                               ("30s", 30), (45, 45)])
def test_durations(text: str | int, seconds: int) -> None:
    assert parse_duration(text) == seconds


def test_duration_formatting_and_key_params() -> None:
    assert format_duration(7776000) == "90d"
    assert format_duration(900) == "15m"
    assert format_duration(0) == "0s"
    assert format_duration(3601) == "3601s"
    assert key_params("ec-p256") == ("ec", 256)
    assert key_params("rsa-3072") == ("rsa", 3072)


def test_wildcard_domain() -> None:
    text = GOOD.replace("[health.egov.example]", "['*.health.egov.example']")
    assert _one(text) == (
        "tenants.yaml: tenants[1].domains[0] (tenant 'health'): '*.health.egov.example' is a wildcard; wildcard "
        "certificates are never granted; list the parent domain ('health.egov.example'); its subdomains are "
        "allowed automatically")


def test_overlapping_domains_between_tenants() -> None:
    text = GOOD.replace("[health.egov.example]", "[health.egov.example, pay.finance.egov.example]")
    assert _one(text) == (
        "tenants.yaml: tenants[1].domains[1] (tenant 'health'): 'pay.finance.egov.example' overlaps "
        "'finance.egov.example' of tenant 'finance', so one tenant could obtain certificates for the other's names; "
        "give each tenant domains that are disjoint from every other tenant's")


def test_cidr_with_host_bits() -> None:
    text = GOOD.replace("10.20.9.0/24", "10.20.9.7/24")
    assert _one(text) == ("tenants.yaml: tenants[1].pipeline_cidrs[0] (tenant 'health'): '10.20.9.7/24' has host "
                          "bits set; write the network address: '10.20.9.0/24'")


def test_cidr_matching_everything() -> None:
    text = GOOD.replace("10.20.9.0/24", "0.0.0.0/0")
    assert "matches every address" in _one(text)


def test_unknown_field_suggests_the_right_one() -> None:
    text = GOOD.replace("    domains: [health", "    domain: [health")
    problems = _problems(text)
    assert problems[0] == "tenants.yaml: tenants[1].domains (tenant 'health'): is required; add `domains:` here"
    assert problems[1].startswith("tenants.yaml: tenants[1].domain (tenant 'health'): is not a known field; "
                                  "did you mean 'domains'? remove it or use one of: cert_key, cert_max_ttl,")


def test_duplicate_tenant_id() -> None:
    text = GOOD.replace("id: health", "id: finance").replace("[health.egov.example]", "[hr.egov.example]")
    assert _one(text) == ("tenants.yaml: tenants[1].id (tenant 'finance'): 'finance' is already used by tenants[0]; "
                          "give every tenant its own id")


def test_leaf_ttl_over_397_days() -> None:
    text = GOOD.replace("    pipeline_cidrs: [10.20.9.0/24]",
                        "    pipeline_cidrs: [10.20.9.0/24]\n    cert_max_ttl: 398d")
    assert _one(text) == (
        "tenants.yaml: tenants[1].cert_max_ttl (tenant 'health'): 398d is outside 1s..397d; browsers reject leaf "
        "certificates valid for more than 398 days; use at most 397d (9528h)")


def test_token_ttl_longer_than_max() -> None:
    text = GOOD.replace("    pipeline_cidrs: [10.20.9.0/24]",
                        "    pipeline_cidrs: [10.20.9.0/24]\n    token_ttl: 30m\n    token_max_ttl: 20m")
    assert _one(text) == ("tenants.yaml: tenants[1].token_ttl (tenant 'health'): 30m exceeds token_max_ttl 20m; "
                          "make token_ttl at most token_max_ttl")


def test_bad_duration_and_bad_key_and_bad_id_all_reported_at_once() -> None:
    text = (GOOD.replace("id: health", "id: Health")
            .replace("    pipeline_cidrs: [10.20.9.0/24]",
                     "    pipeline_cidrs: [10.20.9.0/24]\n    transit_rotation_period: 3 months\n    cert_key: dsa"))
    assert _problems(text) == [
        "tenants.yaml: tenants[1].id (tenant 'Health'): 'Health' is not a tenant id; use 2-32 characters: lower-case "
        "letters, digits and inner hyphens, starting with a letter (it becomes the namespace tenants/<id>)",
        "tenants.yaml: tenants[1].transit_rotation_period (tenant 'Health'): '3 months' is not a duration; write a "
        "whole number followed by s, m, h or d, e.g. 15m, 1h, 2160h or 90d",
        "tenants.yaml: tenants[1].cert_key (tenant 'Health'): 'dsa' is not allowed; use one of 'ec-p256', "
        "'rsa-2048', 'rsa-3072' or 'rsa-4096'",
    ]


def test_rotation_must_be_on() -> None:
    text = GOOD.replace("    pipeline_cidrs: [10.20.9.0/24]",
                        "    pipeline_cidrs: [10.20.9.0/24]\n    transit_rotation_period: 0")
    assert _one(text) == (
        "tenants.yaml: tenants[1].transit_rotation_period (tenant 'health'): 0s is outside 1h..365d; keys must "
        "rotate (OpenBao needs at least 1h); the platform default is 2160h (90 days)")


def test_single_audit_device_is_refused() -> None:
    text = "version: 1\nplatform:\n  audit_devices: [{path: file, type: file}]\ntenants: []\n"
    assert _one(text) == ("tenants.yaml: platform.audit_devices: fewer than two distinct audit devices; declare at "
                          "least two, so that one failing device never blocks requests")


def test_ca_lifetimes_must_shrink() -> None:
    text = "version: 1\nplatform:\n  pki:\n    intermediate_ttl: 4000d\ntenants: []\n"
    assert _one(text) == (
        "tenants.yaml: platform.pki.tenant_ca_ttl: lifetimes must shrink down the chain (root 3650d > intermediate "
        "4000d > tenant CA 730d); a CA cannot sign a certificate that outlives it; shorten the lower ones")


def test_yaml_syntax_error_names_line_and_column() -> None:
    assert _one("version: 1\ntenants: [\n  - id: x\n") .startswith(
        "tenants.yaml: line 3, column 3: is not valid YAML (")


def test_missing_file_and_wrong_top_level(tmp_path: Path) -> None:
    with pytest.raises(DesiredStateError, match=r"nope\.yaml: does not exist; create it"):
        load_desired(tmp_path / "nope.yaml")
    assert _one("- just\n- a list\n") == ("tenants.yaml: must be a mapping with `version: 1`, `platform` and "
                                          "`tenants`; see policies/vault/tenants.yaml for the layout")
    assert _one("tenants: []\n") == "tenants.yaml: version: is required; add `version:` here"


def test_department_on_one_line() -> None:
    text = GOOD.replace("department: Health Commission", 'department: "Health\\nCommission"')
    assert "control characters" in _one(text)
