"""The bridge stack's ``tenantFlows`` and ``aclEntryLimit`` config: read, validated and compiled before any
resource is registered; a bad value is a RunError with the field and the fix, never a traceback."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pulumi
import pytest

from stacks.policy import Policy, load_policy

GOOD: dict[str, Any] = {"tax-bureau": {
    "slot": 0, "cidr": "10.100.0.0/24", "attachmentId": "tgw-attach-0123456789abcdef0",
    "flows": [{"direction": "inbound", "peer": "extranet", "protocol": "tcp", "ports": [8443],
               "purpose": "Tax filing back-end"}]}}


@pytest.fixture()
def config() -> Iterator[dict[str, str]]:
    values = {"egov:region": "cn-north-1"}
    yield values
    pulumi.runtime.set_all_config({})


def load(values: dict[str, str], **settings: str) -> Policy:
    project = pulumi.get_project()
    values.update({f"{project}:{key}": value for key, value in settings.items()})
    pulumi.runtime.set_all_config(values)
    return load_policy("bridge", with_tenants=True)


def test_admitted_tenants_are_compiled_into_the_bridge_plan(config: dict[str, str]) -> None:
    policy = load(config, tenantFlows=json.dumps(GOOD))
    assert [tenant.tenant for tenant in policy.tenants] == ["tax-bureau"]
    assert "extranet-tgw-rt-to-tenant.tax-bureau" in policy.plan.resources()


def test_no_config_means_no_tenant(config: dict[str, str]) -> None:
    assert load(config).tenants == ()


@pytest.mark.parametrize(("settings", "message"), [
    ({"tenantFlows": "{oops"}, "tenantFlows: is not JSON"),
    ({"tenantFlows": json.dumps({"tax-bureau": {**GOOD["tax-bureau"], "flows": [
        {**GOOD["tax-bureau"]["flows"][0], "peer": "internet"}]}})},
     "tenantFlows.tax-bureau.flows[0].peer: a tenant flow with the Internet zone is never allowed"),
    ({"aclEntryLimit": "400"}, "aclEntryLimit '400' is not a whole number in 20-40"),
])
def test_bad_config_stops_the_stack_with_the_field(config: dict[str, str], settings: dict[str, str],
                                                   message: str) -> None:
    with pytest.raises(pulumi.RunError) as caught:
        load(config, **settings)
    assert message in str(caught.value)
    assert "nothing was" in str(caught.value)
