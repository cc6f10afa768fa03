"""Security groups (``SecurityGroup``, ``SecurityGroupRule``, ``DefaultSecurityGroupLockdown``,
``SecurityGroupRuleGuard``) against a real moto server.

The handlers are driven directly, as the engine would (check, create, read, diff, update,
delete); everything they claim is verified with plain boto3 (``moto_ec2``), and drift is made
with boto3. Shared fixtures (the module's moto server, a VPC, two subnets) are in conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from infra.provider.ec2_security import (
    DefaultSecurityGroupLockdownHandler,
    SecurityGroupHandler,
    SecurityGroupRuleGuardHandler,
    SecurityGroupRuleHandler,
)
from infra.provider.errors import ProviderError
from infra.provider.handler import DiffKind, HandlerContext, ResourceHandler
from tests.integration.provider_checks import REGION, checked_inputs, lifecycle_tail, user_tags

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("moto_credentials")]


# -- security groups --------------------------------------------------------------------------------------------


def _rules(moto_ec2: Any, group_id: str) -> list[dict[str, Any]]:
    return moto_ec2.describe_security_group_rules(Filters=[{"Name": "group-id", "Values": [group_id]}])[
        "SecurityGroupRules"
    ]


def test_security_group_starts_without_rules(
    context: Callable[[ResourceHandler], HandlerContext], moto_ec2: Any, vpc: str
) -> None:
    handler = SecurityGroupHandler(dependency_grace_seconds=0)
    ctx = context(handler)
    inputs = checked_inputs(handler, ctx, vpcId=vpc, groupName="app-sg", description="App tier", tags={"tier": "app"})
    created = handler.create(ctx, inputs)
    group_id = created.resource_id
    group = moto_ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]
    assert (group["GroupName"], group["Description"], user_tags(group)) == ("app-sg", "App tier", {"tier": "app"})
    assert _rules(moto_ec2, group_id) == []  # AWS's allow-all egress was revoked
    assert created.outputs["arn"] == f"arn:aws-cn:ec2:{REGION}:{group['OwnerId']}:security-group/{group_id}"

    updated = handler.update(ctx, group_id, created.outputs, {**inputs, "tags": {"tier": "db"}})
    assert user_tags(moto_ec2.describe_security_groups(GroupIds=[group_id])["SecurityGroups"][0]) == {"tier": "db"}
    diff = handler.diff(ctx, group_id, updated, {**inputs, "description": "Other"})
    assert diff.replaces == ["description"] and diff.delete_before_replace is True
    diff = handler.diff(ctx, group_id, updated, {**inputs, "groupName": "app-sg-2"})
    assert diff.replaces == ["groupName"] and diff.delete_before_replace is False
    lifecycle_tail(handler, ctx, group_id, updated)


def test_security_group_rules(context: Callable[[ResourceHandler], HandlerContext], moto_ec2: Any, vpc: str) -> None:
    handler = SecurityGroupRuleHandler()
    group = moto_ec2.create_security_group(VpcId=vpc, GroupName="rules-sg", Description="rules")["GroupId"]
    peer = moto_ec2.create_security_group(VpcId=vpc, GroupName="peer-sg", Description="peer")["GroupId"]
    moto_ec2.revoke_security_group_egress(
        GroupId=group, SecurityGroupRuleIds=[r["SecurityGroupRuleId"] for r in _rules(moto_ec2, group)]
    )
    cases = [
        {
            "type": "ingress",
            "protocol": "tcp",
            "fromPort": 443,
            "toPort": 443,
            "cidrIpv4": "10.0.0.0/8",
            "description": "https from gov net",
        },
        {
            "type": "ingress",
            "protocol": "tcp",
            "fromPort": 5432,
            "toPort": 5432,
            "referencedSecurityGroupId": peer,
            "description": "db from app",
        },
        {"type": "ingress", "protocol": "icmp", "fromPort": 8, "toPort": -1, "cidrIpv4": "10.60.0.0/16"},
        {"type": "egress", "protocol": "-1", "cidrIpv4": "10.60.0.0/16"},
    ]
    made: list[tuple[HandlerContext, str, dict[str, Any]]] = []
    for case in cases:
        ctx = context(handler)
        inputs = checked_inputs(handler, ctx, securityGroupId=group, **case)
        created = handler.create(ctx, inputs)
        assert created.resource_id.startswith("sgr-")
        assert {k: created.outputs.get(k) for k in inputs} == inputs
        made.append((ctx, created.resource_id, created.outputs))
    live = {r["SecurityGroupRuleId"]: r for r in _rules(moto_ec2, group)}
    assert set(live) == {rule_id for _, rule_id, _ in made}
    https = live[made[0][1]]
    assert (https["IpProtocol"], https["FromPort"], https["CidrIpv4"], https["IsEgress"]) == (
        "tcp",
        443,
        "10.0.0.0/8",
        False,
    )
    assert live[made[3][1]]["IsEgress"] is True

    ctx, rule_id, state = made[0]
    diff = handler.diff(ctx, rule_id, state, {**state, "description": "changed"})
    assert diff.replaces == ["description"] and diff.delete_before_replace is True
    diff = handler.diff(ctx, rule_id, state, {**state, "toPort": 444})
    assert diff.replaces == ["toPort"] and diff.delete_before_replace is False

    # Import of the group-referencing rule reconstructs its description too (moto gap worked around).
    ctx, rule_id, state = made[1]
    imported = handler.read(ctx, rule_id, {}, {})
    assert imported.inputs["referencedSecurityGroupId"] == peer
    assert imported.inputs["description"] == "db from app"

    for ctx, rule_id, state in made:
        lifecycle_tail(handler, ctx, rule_id, state)
    assert _rules(moto_ec2, group) == []

    # Refresh sees a rule revoked behind our back.
    ctx = context(handler)
    created = handler.create(ctx, checked_inputs(handler, ctx, securityGroupId=group, **cases[0]))
    moto_ec2.revoke_security_group_ingress(GroupId=group, SecurityGroupRuleIds=[created.resource_id])
    assert handler.read(ctx, created.resource_id, created.outputs, {}).resource_id is None
    handler.delete(ctx, created.resource_id, created.outputs)


def test_default_security_group_lockdown(context: Callable[[ResourceHandler], HandlerContext], moto_ec2: Any) -> None:
    handler = DefaultSecurityGroupLockdownHandler()
    ctx = context(handler)
    vpc_id = moto_ec2.create_vpc(CidrBlock="10.62.0.0/16")["Vpc"]["VpcId"]
    default = moto_ec2.describe_security_groups(
        Filters=[{"Name": "vpc-id", "Values": [vpc_id]}, {"Name": "group-name", "Values": ["default"]}]
    )["SecurityGroups"][0]["GroupId"]
    # AWS's default group also lets members talk to each other; moto omits that rule, so add it.
    moto_ec2.authorize_security_group_ingress(
        GroupId=default, IpPermissions=[{"IpProtocol": "-1", "UserIdGroupPairs": [{"GroupId": default}]}]
    )
    assert len(_rules(moto_ec2, default)) == 2

    inputs = checked_inputs(handler, ctx, securityGroupId=default)
    created = handler.create(ctx, inputs)
    assert created.resource_id == default and _rules(moto_ec2, default) == []
    assert created.outputs == {"securityGroupId": default, "vpcId": vpc_id, "ingressRules": [], "egressRules": []}
    assert handler.diff(ctx, default, created.outputs, inputs).changes is False

    moto_ec2.authorize_security_group_ingress(
        GroupId=default,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )
    refreshed = handler.read(ctx, default, created.outputs, inputs)
    (rule,) = refreshed.outputs["ingressRules"]
    assert (rule["protocol"], rule["fromPort"], rule["cidrIpv4"]) == ("tcp", 22, "0.0.0.0/0")
    drift = handler.diff(ctx, default, refreshed.outputs, inputs)
    assert drift.changes and drift.replaces == [] and "ingressRules" in drift.detailed
    assert handler.preview_update(ctx, default, refreshed.outputs, inputs)["ingressRules"] == []
    repaired = handler.update(ctx, default, refreshed.outputs, inputs)
    assert _rules(moto_ec2, default) == [] and repaired["ingressRules"] == []

    handler.delete(ctx, default, repaired)
    handler.delete(ctx, default, repaired)
    assert _rules(moto_ec2, default) == []  # deleting the lockdown does not reopen the group

    other = moto_ec2.create_security_group(VpcId=vpc_id, GroupName="not-default", Description="x")["GroupId"]
    with pytest.raises(ProviderError) as raised:
        handler.create(context(handler), checked_inputs(handler, ctx, securityGroupId=other))
    assert f"security group {other} is not a VPC's default security group" in str(raised.value)


def test_security_group_rule_guard_revokes_only_unmanaged_rules(
    context: Callable[[ResourceHandler], HandlerContext], moto_ec2: Any, vpc: str
) -> None:
    rules = SecurityGroupRuleHandler()
    handler = SecurityGroupRuleGuardHandler()
    ctx = context(handler)
    # Made with boto3, so AWS's allow-all egress rule is still there: a rule no resource manages.
    group = moto_ec2.create_security_group(VpcId=vpc, GroupName="guarded-sg", Description="guarded")["GroupId"]
    [aws_egress] = [r["SecurityGroupRuleId"] for r in _rules(moto_ec2, group)]
    managed = []
    for case in (
        {"type": "ingress", "protocol": "tcp", "fromPort": 443, "toPort": 443, "cidrIpv4": "10.20.0.0/16"},
        {"type": "egress", "protocol": "tcp", "fromPort": 5432, "toPort": 5432, "cidrIpv4": "10.50.0.0/16"},
    ):
        rule_ctx = context(rules)
        managed.append(
            rules.create(rule_ctx, checked_inputs(rules, rule_ctx, securityGroupId=group, **case)).resource_id
        )

    # Create revokes what is unmanaged (here AWS's default egress) and nothing else.
    inputs = checked_inputs(handler, ctx, securityGroupId=group, managedRuleIds=managed)
    created = handler.create(ctx, inputs)
    assert created.resource_id == group
    assert created.outputs == {"securityGroupId": group, "managedRuleIds": managed, "unmanagedRules": []}
    assert {r["SecurityGroupRuleId"] for r in _rules(moto_ec2, group)} == set(managed)
    assert aws_egress not in {r["SecurityGroupRuleId"] for r in _rules(moto_ec2, group)}
    assert handler.read(ctx, group, created.outputs, inputs).outputs == created.outputs
    assert handler.diff(ctx, group, created.outputs, {**inputs, "managedRuleIds": managed[::-1]}).changes is False

    # SSH from anywhere opened with boto3: refresh reports exactly that rule, the diff asks for an update.
    opened = moto_ec2.authorize_security_group_ingress(
        GroupId=group,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}],
    )["SecurityGroupRules"][0]["SecurityGroupRuleId"]
    refreshed = handler.read(ctx, group, created.outputs, inputs)
    assert refreshed.resource_id == group
    assert refreshed.inputs == inputs  # which rules are managed comes from the program, not the cloud
    assert refreshed.outputs["unmanagedRules"] == [
        {
            "type": "ingress",
            "securityGroupRuleId": opened,
            "protocol": "tcp",
            "fromPort": 22,
            "toPort": 22,
            "cidrIpv4": "0.0.0.0/0",
        }
    ]
    drift = handler.diff(ctx, group, refreshed.outputs, inputs)
    assert drift.changes and drift.replaces == [] and drift.detailed == {"unmanagedRules": DiffKind.DELETE}
    assert handler.preview_update(ctx, group, refreshed.outputs, inputs)["unmanagedRules"] == []
    assert opened in {r["SecurityGroupRuleId"] for r in _rules(moto_ec2, group)}  # previews touch nothing
    repaired = handler.update(ctx, group, refreshed.outputs, inputs)
    assert repaired == created.outputs
    assert {r["SecurityGroupRuleId"] for r in _rules(moto_ec2, group)} == set(managed)  # the managed rules stay
    assert handler.diff(ctx, group, handler.read(ctx, group, repaired, inputs).outputs, inputs).changes is False

    # An id dropped from managedRuleIds belongs to a rule resource the same deployment deletes next:
    # the update spares it, and a later refresh reports it if it is still there.
    fewer = {**inputs, "managedRuleIds": managed[:1]}
    assert handler.update(ctx, group, repaired, fewer)["unmanagedRules"] == []
    assert {r["SecurityGroupRuleId"] for r in _rules(moto_ec2, group)} == set(managed)
    leftover = handler.read(ctx, group, {**repaired, **fewer}, fewer)
    assert [r["securityGroupRuleId"] for r in leftover.outputs["unmanagedRules"]] == [managed[1]]
    handler.update(ctx, group, leftover.outputs, fewer)
    assert {r["SecurityGroupRuleId"] for r in _rules(moto_ec2, group)} == {managed[0]}

    # Import knows no managed ids: every rule shows as unmanaged until the program's ids are applied.
    imported = handler.read(ctx, group, {}, {})
    assert imported.inputs == {"securityGroupId": group, "managedRuleIds": []}
    assert [r["securityGroupRuleId"] for r in imported.outputs["unmanagedRules"]] == [managed[0]]

    # Deleting the guard revokes nothing; a vanished group is gone on refresh and an error on update.
    handler.delete(ctx, group, repaired)
    handler.delete(ctx, group, repaired)
    assert {r["SecurityGroupRuleId"] for r in _rules(moto_ec2, group)} == {managed[0]}
    moto_ec2.revoke_security_group_ingress(GroupId=group, SecurityGroupRuleIds=[managed[0]])
    moto_ec2.delete_security_group(GroupId=group)
    assert handler.read(ctx, group, repaired, inputs).resource_id is None
    with pytest.raises(ProviderError) as raised:
        handler.update(ctx, group, repaired, inputs)
    assert f"security group {group} does not exist" in str(raised.value)
