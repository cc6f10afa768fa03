"""``egov:ec2:EbsEncryptionByDefault``, ``egov:ec2:DefaultVpcRemoval`` and ``egov:iam:AccountPasswordPolicy``
against a real moto server: the handlers are driven as the engine would, every claim is verified with plain
boto3, and drift made with boto3 is seen on read and repaired by update."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from infra.provider.account import (
    AccountPasswordPolicyHandler,
    DefaultVpcRemovalHandler,
    EbsEncryptionByDefaultHandler,
)
from infra.provider.ec2_subnets import SubnetHandler
from infra.provider.errors import ProviderError
from infra.provider.handler import HandlerContext, ResourceHandler
from tests.integration.provider_checks import AZ_A, REGION, checked_inputs

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("moto_credentials")]


def _default_vpcs(ec2: Any) -> list[str]:
    return [v["VpcId"] for v in ec2.describe_vpcs()["Vpcs"] if v.get("IsDefault")]


def test_ebs_encryption_by_default_is_turned_on_kept_on_and_off_on_delete(
        context: Callable[[ResourceHandler], HandlerContext], moto_ec2: Any) -> None:
    handler, ctx = EbsEncryptionByDefaultHandler(), context(EbsEncryptionByDefaultHandler())
    assert moto_ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is False
    created = handler.create(ctx, checked_inputs(handler, ctx))
    assert created.resource_id == REGION and created.outputs["enabled"] is True
    assert moto_ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is True
    moto_ec2.disable_ebs_encryption_by_default()  # drift: read says gone, so the next up creates it again
    assert handler.read(ctx, REGION, created.outputs, {}).resource_id is None
    handler.create(ctx, {})
    handler.delete(ctx, REGION, created.outputs)
    assert moto_ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is False


def test_the_default_vpc_is_removed_and_a_new_subnet_in_its_zone_stays_private(
        context: Callable[[ResourceHandler], HandlerContext], moto_ec2: Any, vpc: str) -> None:
    handler, ctx = DefaultVpcRemovalHandler(), context(DefaultVpcRemovalHandler())
    default = _default_vpcs(moto_ec2)
    assert len(default) == 1
    created = handler.create(ctx, checked_inputs(handler, ctx))
    assert created.outputs["removedVpcIds"] == default and created.outputs["defaultVpcIds"] == []
    assert _default_vpcs(moto_ec2) == []
    assert vpc in [v["VpcId"] for v in moto_ec2.describe_vpcs()["Vpcs"]]  # other VPCs untouched
    # with the default subnets gone, moto makes the next subnet of a zone "default for the AZ" (public IPs on
    # launch); the subnet handler must still give what was asked for
    subnets, sctx = SubnetHandler(), context(SubnetHandler())
    made = subnets.create(sctx, checked_inputs(subnets, sctx, vpcId=vpc, cidrBlock="10.60.90.0/24",
                                               availabilityZone=AZ_A))
    described = moto_ec2.describe_subnets(SubnetIds=[made.resource_id])["Subnets"][0]
    assert described["MapPublicIpOnLaunch"] is False and made.outputs["mapPublicIpOnLaunch"] is False
    subnets.delete(sctx, made.resource_id, made.outputs)  # moto took it for the zone's default subnet
    # drift: a default VPC made again is reported and removed by update
    again = moto_ec2.create_default_vpc()["Vpc"]["VpcId"]
    read = handler.read(ctx, REGION, created.outputs, {})
    assert read.outputs["defaultVpcIds"] == [again]
    assert handler.diff(ctx, REGION, read.outputs, {}).changes is True
    updated = handler.update(ctx, REGION, read.outputs, {})
    assert updated["defaultVpcIds"] == [] and _default_vpcs(moto_ec2) == []
    assert set(updated["removedVpcIds"]) == {*default, again}
    handler.delete(ctx, REGION, updated)  # leaves no default VPC behind
    assert _default_vpcs(moto_ec2) == []


def test_a_default_vpc_in_use_is_refused_with_what_uses_it(
        context: Callable[[ResourceHandler], HandlerContext], moto_ec2: Any) -> None:
    handler, ctx = DefaultVpcRemovalHandler(), context(DefaultVpcRemovalHandler())
    default = moto_ec2.create_default_vpc()["Vpc"]["VpcId"] if not _default_vpcs(moto_ec2) else _default_vpcs(
        moto_ec2)[0]
    subnet = moto_ec2.describe_subnets(Filters=[{"Name": "vpc-id", "Values": [default]}])["Subnets"][0]["SubnetId"]
    eni = moto_ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]["NetworkInterfaceId"]
    with pytest.raises(ProviderError, match=rf"default VPC {default} .* in use \(network interfaces {eni}\)"):
        handler.create(ctx, {})
    assert _default_vpcs(moto_ec2) == [default]  # nothing deleted
    moto_ec2.delete_network_interface(NetworkInterfaceId=eni)


def test_the_password_policy_is_set_drift_is_seen_and_delete_removes_it(
        context: Callable[[ResourceHandler], HandlerContext], moto_aws: Callable[[str], Any]) -> None:
    iam = moto_aws("iam")
    handler, ctx = AccountPasswordPolicyHandler(), context(AccountPasswordPolicyHandler())
    assert handler.check(ctx, {"minimumPasswordLength": 4}, {}).failures[0].property == "minimumPasswordLength"
    inputs = checked_inputs(handler, ctx, minimumPasswordLength=12, passwordReusePrevention=5)
    created = handler.create(ctx, inputs)
    policy = iam.get_account_password_policy()["PasswordPolicy"]
    assert (policy["MinimumPasswordLength"], policy["PasswordReusePrevention"], policy["MaxPasswordAge"]) == (12, 5, 90)
    assert all(policy[k] for k in ("RequireUppercaseCharacters", "RequireLowercaseCharacters", "RequireNumbers",
                                   "RequireSymbols"))
    iam.update_account_password_policy(MinimumPasswordLength=6)  # weakened behind Pulumi's back
    read = handler.read(ctx, "account", created.outputs, inputs)
    assert read.outputs["minimumPasswordLength"] == 6
    assert handler.diff(ctx, "account", read.outputs, inputs).changes is True
    handler.update(ctx, "account", read.outputs, inputs)
    assert iam.get_account_password_policy()["PasswordPolicy"]["MinimumPasswordLength"] == 12
    handler.delete(ctx, "account", created.outputs)
    assert handler.read(ctx, "account", created.outputs, inputs).resource_id is None
    handler.delete(ctx, "account", created.outputs)  # already gone is fine
