"""``egov:ec2:NetworkAcl`` and ``egov:ec2:NetworkAclEntry`` against a real moto server.

The handlers are driven directly, as the engine would (check, create, read, diff, update,
delete); everything they claim is verified with plain boto3 (``moto_ec2``), and drift is made
with boto3. Shared fixtures (the module's moto server, a VPC, two subnets) are in conftest.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from infra.provider.ec2_acl import NetworkAclEntryHandler, NetworkAclHandler
from infra.provider.handler import HandlerContext, ResourceHandler
from tests.integration.provider_checks import checked_inputs, lifecycle_tail

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("moto_credentials")]


# -- network ACLs ----------------------------------------------------------------------------------------------------


def _acl_of(moto_ec2: Any, subnet_id: str) -> str:
    acls = moto_ec2.describe_network_acls(Filters=[{"Name": "association.subnet-id", "Values": [subnet_id]}])
    return str(acls["NetworkAcls"][0]["NetworkAclId"])


def test_network_acl_associations(
    context: Callable[[ResourceHandler], HandlerContext], moto_ec2: Any, vpc: str, subnets: list[str]
) -> None:
    handler = NetworkAclHandler(dependency_grace_seconds=0)
    ctx = context(handler)
    default = moto_ec2.describe_network_acls(
        Filters=[{"Name": "vpc-id", "Values": [vpc]}, {"Name": "default", "Values": ["true"]}]
    )["NetworkAcls"][0]["NetworkAclId"]
    a, b = subnets
    inputs = checked_inputs(handler, ctx, vpcId=vpc, subnetIds=[a], tags={"zone": "app"})
    created = handler.create(ctx, inputs)
    acl_id = created.resource_id
    assert _acl_of(moto_ec2, a) == acl_id and _acl_of(moto_ec2, b) == default
    assert created.outputs["subnetIds"] == [a]

    news = checked_inputs(handler, ctx, vpcId=vpc, subnetIds=[b, a], tags={"zone": "app"})
    updated = handler.update(ctx, acl_id, created.outputs, news)
    assert _acl_of(moto_ec2, a) == acl_id and _acl_of(moto_ec2, b) == acl_id
    assert handler.diff(ctx, acl_id, updated, {**news, "subnetIds": [a, b]}).changes is False
    only_b = checked_inputs(handler, ctx, vpcId=vpc, subnetIds=[b], tags={"zone": "app"})
    updated = handler.update(ctx, acl_id, updated, only_b)
    assert _acl_of(moto_ec2, a) == default and _acl_of(moto_ec2, b) == acl_id

    # Drift: b moved back to the default ACL behind our back.
    association = next(
        x["NetworkAclAssociationId"]
        for x in moto_ec2.describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"][0]["Associations"]
        if x["SubnetId"] == b
    )
    moto_ec2.replace_network_acl_association(AssociationId=association, NetworkAclId=default)
    refreshed = handler.read(ctx, acl_id, updated, only_b)
    assert refreshed.outputs["subnetIds"] == []
    assert handler.diff(ctx, acl_id, refreshed.outputs, only_b).diffs == ["subnetIds"]
    updated = handler.update(ctx, acl_id, refreshed.outputs, only_b)
    assert _acl_of(moto_ec2, b) == acl_id

    lifecycle_tail(handler, ctx, acl_id, updated)  # deleting returns b to the default ACL
    assert _acl_of(moto_ec2, b) == default


def test_network_acl_entries(context: Callable[[ResourceHandler], HandlerContext], moto_ec2: Any, vpc: str) -> None:
    handler = NetworkAclEntryHandler()
    acl_id = moto_ec2.create_network_acl(VpcId=vpc)["NetworkAcl"]["NetworkAclId"]

    def entries() -> dict[tuple[bool, int], dict[str, Any]]:
        acl = moto_ec2.describe_network_acls(NetworkAclIds=[acl_id])["NetworkAcls"][0]
        return {(e["Egress"], e["RuleNumber"]): e for e in acl["Entries"] if e["RuleNumber"] != 32767}

    ctx = context(handler)
    inputs = checked_inputs(
        handler,
        ctx,
        networkAclId=acl_id,
        ruleNumber=100,
        protocol="tcp",
        ruleAction="allow",
        cidrBlock="10.0.0.0/8",
        fromPort=443,
        toPort=443,
    )
    created = handler.create(ctx, inputs)
    entry_id = created.resource_id
    assert entry_id == f"{acl_id}:ingress:100"
    entry = entries()[(False, 100)]
    assert (entry["Protocol"], entry["RuleAction"], entry["PortRange"]) == ("6", "allow", {"From": 443, "To": 443})

    news = checked_inputs(
        handler,
        ctx,
        networkAclId=acl_id,
        ruleNumber=100,
        protocol="udp",
        ruleAction="deny",
        cidrBlock="10.1.0.0/16",
        fromPort=53,
        toPort=53,
    )
    diff = handler.diff(ctx, entry_id, created.outputs, news)
    assert diff.replaces == [] and set(diff.diffs) == {"protocol", "ruleAction", "cidrBlock", "fromPort", "toPort"}
    assert handler.diff(ctx, entry_id, created.outputs, {**news, "ruleNumber": 110}).replaces == ["ruleNumber"]
    assert handler.diff(ctx, entry_id, created.outputs, {**news, "egress": True}).replaces == ["egress"]
    updated = handler.update(ctx, entry_id, created.outputs, news)
    entry = entries()[(False, 100)]
    assert (entry["Protocol"], entry["RuleAction"], entry["CidrBlock"]) == ("17", "deny", "10.1.0.0/16")
    assert updated == {**news, "icmpType": None, "icmpCode": None}

    moto_ec2.replace_network_acl_entry(
        NetworkAclId=acl_id,
        RuleNumber=100,
        Protocol="17",
        RuleAction="allow",
        Egress=False,
        CidrBlock="10.1.0.0/16",
        PortRange={"From": 53, "To": 53},
    )
    refreshed = handler.read(ctx, entry_id, updated, news)
    assert refreshed.outputs["ruleAction"] == "allow"
    assert handler.diff(ctx, entry_id, refreshed.outputs, news).diffs == ["ruleAction"]
    lifecycle_tail(handler, ctx, entry_id, updated)
    assert (False, 100) not in entries()

    egress_ctx = context(handler)
    icmp = handler.create(
        egress_ctx,
        checked_inputs(
            handler,
            egress_ctx,
            networkAclId=acl_id,
            ruleNumber=120,
            egress=True,
            protocol="icmp",
            ruleAction="allow",
            cidrBlock="0.0.0.0/0",
            icmpType=-1,
            icmpCode=-1,
        ),
    )
    assert icmp.resource_id == f"{acl_id}:egress:120" and entries()[(True, 120)]["Protocol"] == "1"
    moto_ec2.delete_network_acl_entry(NetworkAclId=acl_id, RuleNumber=120, Egress=True)  # drift: gone
    assert handler.read(egress_ctx, icmp.resource_id, icmp.outputs, {}).resource_id is None
    handler.delete(egress_ctx, icmp.resource_id, icmp.outputs)
