"""Property-based tests (hypothesis) over tenant requests: no input crashes the validator, every refusal names
a field. A crash would come out of ``loading`` as one problem without a field, so the second property also
catches the first."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from infra.config import PLATFORM_FILE, ConfigError, Platform, load_platform
from infra.config.tenant_request import TenantRequest, validate_request
from infra.repository import REPO_ROOT

SETTINGS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                            HealthCheck.function_scoped_fixture])
PLATFORM = load_platform(PLATFORM_FILE)
SAMPLE: dict[str, Any] = yaml.safe_load((REPO_ROOT / "tenants" / "tax-bureau.yaml").read_text())

scalars = st.one_of(st.none(), st.booleans(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True),
                    st.text(max_size=30), st.sampled_from(["tenant", "extranet", "internet", "shared", "10.100.0.0/24",
                                                           "10.20.0.0/24", "general", "core", "tcp", "../x"]))
keys = st.one_of(st.text(max_size=12), st.integers(-5, 5), st.booleans(), st.none(),
                 st.sampled_from([*sorted(SAMPLE), "prefix", "cidr", "source", "destination", "categories"]))
documents = st.recursive(scalars, lambda inner: st.one_of(st.lists(inner, max_size=5),
                                                          st.dictionaries(keys, inner, max_size=6)), max_leaves=40)


def _paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += _paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += _paths(item, (*prefix, index))
    return found


SAMPLE_PATHS = _paths(SAMPLE)[1:]


def check(data: Any, platform: Platform = PLATFORM) -> TenantRequest | None:
    try:
        return validate_request(data, platform, "tenants/x.yaml")
    except ConfigError as error:
        for problem in error.problems:
            assert problem.field, f"a refusal names no field: {problem}"
            assert problem.message and problem.hint
        return None


@SETTINGS
@given(documents)
def test_no_document_crashes_the_validator(data: Any) -> None:
    check(data)


@SETTINGS
@given(st.sampled_from(SAMPLE_PATHS), documents)
def test_a_sample_with_one_value_replaced_is_accepted_or_refused_by_field(path: tuple[Any, ...], value: Any) -> None:
    data = copy.deepcopy(SAMPLE)
    target = data
    for part in path[:-1]:
        target = target[part]
    target[path[-1]] = value
    check(data)


@SETTINGS
@given(st.sampled_from(SAMPLE_PATHS))
def test_a_sample_with_one_value_removed_is_accepted_or_refused_by_field(path: tuple[Any, ...]) -> None:
    data = copy.deepcopy(SAMPLE)
    target = data
    for part in path[:-1]:
        target = target[part]
    del target[path[-1]]
    check(data)


@SETTINGS
@given(st.dictionaries(st.sampled_from(["prefix", "cidr"]), scalars))
def test_any_network_is_accepted_or_refused_by_field(network: dict[str, Any]) -> None:
    data = copy.deepcopy(SAMPLE)
    data["network"] = network
    request = check(data)
    if request is not None:  # accepted: then it is a size a tenant may have
        assert 20 <= request.prefix <= 26


def test_the_property_can_fail() -> None:
    """A refusal without a field is caught (the check is not vacuous)."""
    with pytest.raises(AssertionError, match="names no field"):
        check(copy.deepcopy(SAMPLE), platform=None)  # type: ignore[arg-type]  # crashes on its flows
