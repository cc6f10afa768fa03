"""Validation of the desired OpenBao state: every problem named with file, field, why and fix."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
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
    assert _one("version: 1\ntenants: [\n  - id: x\n") == (
        "tenants.yaml: not valid YAML at line 3, column 3: did not find expected node content (while parsing a flow "
        "node that starts at line 3); fix the YAML syntax there")


def test_missing_file_and_wrong_top_level(tmp_path: Path) -> None:
    with pytest.raises(DesiredStateError, match=r"nope\.yaml: does not exist; create it"):
        load_desired(tmp_path / "nope.yaml")
    assert _one("- just\n- a list\n") == ("tenants.yaml: must be a mapping with `version: 1`, `platform` and "
                                          "`tenants`; see policies/vault/tenants.yaml for the layout")
    assert _one("tenants: []\n") == "tenants.yaml: version: is required; add `version:` here"


def test_department_on_one_line() -> None:
    text = GOOD.replace("department: Health Commission", 'department: "Health\\nCommission"')
    assert "control characters" in _one(text)


# -- hostile input: the same hardened loader as every other input file ---------------------------------------

ANCHORS = "anchors and aliases are not accepted in input files (a few lines of them can expand to gigabytes)"


@contextmanager
def _within(seconds: float = 5.0) -> Iterator[None]:
    """A generous bound: a refusal takes milliseconds; expanding or walking the file took minutes."""
    start = time.perf_counter()
    yield
    assert time.perf_counter() - start < seconds


def test_alias_bomb_in_tenants_is_refused_before_it_expands(tmp_path: Path) -> None:
    path = tmp_path / "tenants.yaml"
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"{chr(98 + i)}: &{chr(98 + i)} [{','.join([f'*{chr(97 + i)}'] * 10)}]" for i in range(8)]
    path.write_text("version: 1\nx:\n" + "".join(f"  {line}\n" for line in lines) + "tenants: [*i]\n",
                    encoding="utf-8")
    with _within(), pytest.raises(DesiredStateError) as caught:
        load_desired(path)
    assert [str(problem) for problem in caught.value.problems] == [
        f"{path}: x.a (line 3): YAML anchor '&a' refused: {ANCHORS}; remove the anchor and write the value out in "
        "full where it is used"]


def test_bare_alias_in_tenants_is_refused() -> None:
    with _within():
        assert _one("version: 1\ntenants: [*i]\n") == (
            f"tenants.yaml: tenants[0] (line 2): YAML alias '*i' refused: {ANCHORS}; write the value out in full where "
            "it is used")


def test_duplicate_keys_in_tenants_are_refused() -> None:
    # PyYAML alone keeps the last `pipeline_cidrs` silently: the reviewed first value would not be applied.
    text = GOOD.replace("    pipeline_cidrs: [10.20.9.0/24]\n",
                        "    pipeline_cidrs: [10.20.9.0/24]\n    pipeline_cidrs: [10.0.0.0/8]\n")
    assert _problems(text) == [
        "tenants.yaml: tenants[1].pipeline_cidrs (line 11): duplicate key 'pipeline_cidrs' (first at line 10); YAML "
        "would silently keep only the last one; remove one of them or give it another name"]


def test_duplicate_tenant_blocks_are_refused() -> None:
    assert _problems("version: 1\ntenants: []\nplatform: {}\ntenants: []\n") == [
        "tenants.yaml: tenants (line 4): duplicate key 'tenants' (first at line 2); YAML would silently keep only the "
        "last one; remove one of them or give it another name"]


def test_50_mb_tenants_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "tenants.yaml"
    path.write_text("version: 1\n#" + "x" * (50 * 1024 * 1024) + "\n", encoding="utf-8")
    size = path.stat().st_size
    with _within(), pytest.raises(DesiredStateError) as caught:
        load_desired(path)
    assert [str(problem) for problem in caught.value.problems] == [
        f"{path}: the file is {size:,} bytes; input files may be at most 1,048,576 bytes; check that this is the "
        "right file; a real configuration is far smaller (split it if it truly is not)"]


def test_20000_deep_nesting_in_tenants_is_refused() -> None:
    with _within():
        assert _one("version: 1\ntenants: " + "[" * 20_000) == (
            "tenants.yaml: not valid YAML at line 2, column 1009: exceeded maximum nesting depth (while increasing "
            "flow level that starts at line 2); flatten the structure; no input file needs this much nesting")
        assert _one("version: 1\ntenants:\n  " + "- " * 20_000 + "x\n") == (
            "tenants.yaml: tenants[0][0][0][0][0]... (64 levels down) (line 3): nested more than 64 levels deep; "
            "flatten the structure; no input file needs this much nesting")


def test_a_directory_is_refused_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(DesiredStateError, match=r": cannot read the file: it is a directory; pass the path of a YAML"):
        load_desired(tmp_path)


# -- every name field ends where it ends: a trailing newline is refused -------------------------------------------


def test_tenant_id_with_a_trailing_newline() -> None:
    # "finance\n" would become the namespace "tenants/finance\n".
    assert _one(GOOD.replace("id: finance", 'id: "finance\\n"')) == (
        "tenants.yaml: tenants[0].id (tenant 'finance\\n'): 'finance\\n' is not a tenant id; use 2-32 characters: "
        "lower-case letters, digits and inner hyphens, starting with a letter (it becomes the namespace "
        "tenants/<id>)")


def test_domain_with_a_trailing_newline() -> None:
    assert _one(GOOD.replace("[health.egov.example]", '["health.egov.example\\n"]')) == (
        "tenants.yaml: tenants[1].domains[0] (tenant 'health'): 'health.egov.example\\n' is not a valid DNS domain "
        "with at least two labels; write it like finance.egov.example: letters, digits and inner hyphens, "
        "dot-separated")


def test_audit_device_path_with_a_trailing_newline() -> None:
    text = 'version: 1\nplatform:\n  audit_devices: [{path: "file\\n", type: file}, {path: file2, type: file}]\n'
    assert _one(text) == (
        "tenants.yaml: platform.audit_devices[0].path: 'file\\n' is not an audit device path; write it without "
        "slashes, like file or file-secondary")


def test_url_base_with_a_trailing_newline() -> None:
    text = 'version: 1\nplatform:\n  pki: {url_base: "https://bao.egov.example:8200\\n"}\n'
    assert _one(text) == (
        "tenants.yaml: platform.pki.url_base: 'https://bao.egov.example:8200\\n' is not a base URL; write the "
        "OpenBao address clients reach, like https://bao.egov.example:8200 (no trailing slash)")


# -- pipeline CIDRs stay inside the private pools --------------------------------------------------------------

POOLS = "10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16, 127.0.0.0/8, fc00::/7, ::1/128"


def _outside(cidr: str) -> str:
    return (f"'{cidr}' is not inside the private address pools pipeline runners live in ({POOLS}); a token could be "
            "obtained from addresses outside the platform; list only the pipeline runners' own private subnets, "
            "e.g. 10.20.8.0/24")


def test_two_halves_of_the_internet_are_refused() -> None:
    # Each half is not /0, but together they bind every address: the old check let this through.
    text = GOOD.replace("[10.20.9.0/24]", "[0.0.0.0/1, 128.0.0.0/1]")
    assert _problems(text) == [
        f"tenants.yaml: tenants[1].pipeline_cidrs[0] (tenant 'health'): {_outside('0.0.0.0/1')}",
        f"tenants.yaml: tenants[1].pipeline_cidrs[1] (tenant 'health'): {_outside('128.0.0.0/1')}",
    ]


@pytest.mark.parametrize("cidr", ["10.0.0.0/7", "8.8.8.0/24", "100.64.0.0/10", "2001:db8::/32", "::/1"])
def test_public_or_wider_than_a_pool_is_refused(cidr: str) -> None:
    text = GOOD.replace("[10.20.9.0/24]", f"['{cidr}']")
    assert _one(text) == f"tenants.yaml: tenants[1].pipeline_cidrs[0] (tenant 'health'): {_outside(cidr)}"


@pytest.mark.parametrize("cidr", ["10.0.0.0/8", "172.16.4.0/22", "192.168.1.0/24", "127.0.0.1/32", "fd12:3456::/48"])
def test_private_runner_subnets_are_accepted(cidr: str) -> None:
    text = GOOD.replace("[10.20.9.0/24]", f"['{cidr}']")
    assert parse_desired(text, FILE).tenant("health").pipeline_cidrs == [cidr]
