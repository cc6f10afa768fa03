"""``egov:ec2:Instance`` against a real moto server.

The handler is driven as the engine would (check, create, read, diff, update, delete); what it claims is
verified with plain boto3 (``moto_ec2``), and drift is made with boto3 behind its back. The baseline the
resource enforces (IMDSv2, encrypted root volume, no public IP outside the Internet zone, no secret in
user data) is checked on what the cloud holds, not on the handler's outputs.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest

from infra.provider.ec2_instances import IMDS_OPTIONAL, InstanceHandler
from infra.provider.errors import ProviderError
from infra.provider.handler import HandlerContext, ResourceHandler
from tests.integration.provider_checks import AZ_A, checked_inputs, lifecycle_tail, user_tags

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("moto_credentials")]


@pytest.fixture(scope="module")
def image(moto_ec2: Any) -> str:
    """A Linux image moto offers, picked by name from describe_images (not from the code under test)."""
    images = moto_ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["amzn2-ami-hvm-*"]}])
    return str(images["Images"][0]["ImageId"])


@pytest.fixture(scope="module")
def zone_subnets(moto_ec2: Any, vpc: str) -> dict[str, str]:
    """Two subnets tagged as the stacks tag them: one in the shared zone, one in the Internet zone."""
    made = {}
    for zone, cidr in (("shared", "10.60.210.0/24"), ("internet", "10.60.211.0/24")):
        made[zone] = moto_ec2.create_subnet(
            VpcId=vpc, CidrBlock=cidr, AvailabilityZone=AZ_A,
            TagSpecifications=[{"ResourceType": "subnet", "Tags": [{"Key": "egov:zone", "Value": zone}]}],
        )["Subnet"]["SubnetId"]
    return made


@pytest.fixture(scope="module")
def groups(moto_ec2: Any, vpc: str) -> list[str]:
    return [
        moto_ec2.create_security_group(VpcId=vpc, GroupName=f"inst-{n}", Description="instance test")["GroupId"]
        for n in range(2)
    ]


@pytest.fixture(scope="module")
def data_key(moto_aws: Callable[[str], Any]) -> str:
    return str(moto_aws("kms").create_key(Description="host root volumes")["KeyMetadata"]["Arn"])


def live(moto_ec2: Any, instance_id: str) -> dict[str, Any]:
    reservations = moto_ec2.describe_instances(InstanceIds=[instance_id])["Reservations"]
    return dict(reservations[0]["Instances"][0])


def interface_groups(item: dict[str, Any]) -> list[str]:
    """The security groups of the instance's primary network interface, as the cloud shows them."""
    primary = next(n for n in item["NetworkInterfaces"] if n["Attachment"]["DeviceIndex"] == 0)
    return [g["GroupId"] for g in primary["Groups"]]


def running_ids(moto_ec2: Any, subnet: str) -> list[str]:
    reservations = moto_ec2.describe_instances(
        Filters=[{"Name": "subnet-id", "Values": [subnet]},
                 {"Name": "instance-state-name", "Values": ["pending", "running", "stopping", "stopped"]}]
    )["Reservations"]
    return [i["InstanceId"] for r in reservations for i in r["Instances"]]


def test_instance_lifecycle_with_the_baseline_enforced(
    context: Callable[[ResourceHandler], HandlerContext], moto_ec2: Any, zone_subnets: dict[str, str],
    groups: list[str], image: str, data_key: str,
) -> None:
    handler = InstanceHandler(dependency_grace_seconds=0)
    ctx = context(handler)
    inputs = checked_inputs(handler, ctx, subnetId=zone_subnets["shared"], securityGroupIds=[groups[0]],
                            imageId=image, privateIp="10.60.210.20", userData="#!/bin/sh\necho hello\n",
                            rootVolumeKmsKeyId=data_key, tags={"Name": "shared-1", "egov:role": "workload"})
    created = handler.create(ctx, inputs)
    instance_id = created.resource_id
    item = live(moto_ec2, instance_id)
    assert item["PrivateIpAddress"] == "10.60.210.20" and item["SubnetId"] == zone_subnets["shared"]
    assert item["MetadataOptions"]["HttpTokens"] == "required"
    assert not item.get("PublicIpAddress")
    root = next(m for m in item["BlockDeviceMappings"] if m["DeviceName"] == item["RootDeviceName"])
    volume = moto_ec2.describe_volumes(VolumeIds=[root["Ebs"]["VolumeId"]])["Volumes"][0]
    assert volume["Encrypted"] is True and volume["KmsKeyId"].rsplit("/", 1)[-1] == data_key.rsplit("/", 1)[-1]
    assert user_tags(item) == {"Name": "shared-1", "egov:role": "workload"}
    assert {t["Key"]: t["Value"] for t in item["Tags"]}["egov:urn"] == ctx.resource.urn
    assert interface_groups(item) == [groups[0]]
    assert created.outputs["privateIpAddress"] == "10.60.210.20"
    assert created.outputs["insecureSettings"] == []
    assert {k: created.outputs[k] for k in inputs} == inputs
    assert handler.diff(ctx, instance_id, created.outputs, inputs).changes is False

    # Security groups and tags change in place; the rest replaces.
    assert live(moto_ec2, instance_id)["SourceDestCheck"] is True
    news = {**inputs, "securityGroupIds": [groups[1], groups[0]], "tags": {"Name": "shared-1"},
            "sourceDestCheck": False}
    diff = handler.diff(ctx, instance_id, created.outputs, news)
    assert diff.replaces == [] and set(diff.diffs) == {"securityGroupIds", "tags", "sourceDestCheck"}
    updated = handler.update(ctx, instance_id, created.outputs, news)
    assert sorted(interface_groups(live(moto_ec2, instance_id))) == sorted(groups)
    assert live(moto_ec2, instance_id)["SourceDestCheck"] is False
    assert user_tags(live(moto_ec2, instance_id)) == {"Name": "shared-1"}
    assert handler.diff(ctx, instance_id, updated, {**news, "instanceType": "t3.small"}).replaces == ["instanceType"]

    # Drift behind Pulumi's back: IMDSv1 turned back on. Refresh shows it; the update puts IMDSv2 back.
    moto_ec2.modify_instance_metadata_options(InstanceId=instance_id, HttpTokens="optional")
    refreshed = handler.read(ctx, instance_id, updated, news)
    assert refreshed.outputs["insecureSettings"] == [IMDS_OPTIONAL]
    drift = handler.diff(ctx, instance_id, refreshed.outputs, news)
    assert drift.changes and drift.replaces == []
    repaired = handler.update(ctx, instance_id, refreshed.outputs, news)
    assert live(moto_ec2, instance_id)["MetadataOptions"]["HttpTokens"] == "required"
    assert repaired["insecureSettings"] == []

    # A lost create is found by its owner tag (what `egov recover` sweeps), and only while it is not terminated.
    assert handler.find_owned(ctx, ctx.resource.urn) == {instance_id: ctx.resource.urn}

    # Import with the id alone: what the cloud keeps (user data included) reads back as the same inputs.
    imported = handler.read(ctx, instance_id, {}, {})
    assert imported.outputs["userData"] == "#!/bin/sh\necho hello\n"
    lifecycle_tail(handler, ctx, instance_id, repaired)
    assert live(moto_ec2, instance_id)["State"]["Name"] == "terminated"
    assert handler.find_owned(ctx, ctx.resource.urn) == {}


def test_cloud_picks_the_address_when_none_is_given(
    context: Callable[[ResourceHandler], HandlerContext], moto_ec2: Any, zone_subnets: dict[str, str],
    groups: list[str], image: str,
) -> None:
    handler = InstanceHandler()
    ctx = context(handler)
    inputs = checked_inputs(handler, ctx, subnetId=zone_subnets["shared"], securityGroupIds=[groups[0]],
                            imageId=image, sourceDestCheck=False)
    created = handler.create(ctx, inputs)
    try:
        assert live(moto_ec2, created.resource_id)["SourceDestCheck"] is False  # a gateway forwards
        address = live(moto_ec2, created.resource_id)["PrivateIpAddress"]
        assert address.startswith("10.60.210.") and created.outputs["privateIpAddress"] == address
        assert created.outputs["privateIp"] is None
        assert handler.diff(ctx, created.resource_id, created.outputs, inputs).changes is False
    finally:
        handler.delete(ctx, created.resource_id, created.outputs)


def test_public_ip_only_in_the_internet_zone(
    context: Callable[[ResourceHandler], HandlerContext], moto_ec2: Any, zone_subnets: dict[str, str],
    groups: list[str], image: str,
) -> None:
    handler = InstanceHandler()
    ctx = context(handler)
    refused = checked_inputs(handler, ctx, subnetId=zone_subnets["shared"], securityGroupIds=[groups[0]],
                             imageId=image, associatePublicIpAddress=True)
    with pytest.raises(ProviderError, match=r"not in the Internet zone \(zone 'shared'\)"):
        handler.create(ctx, refused)
    assert running_ids(moto_ec2, zone_subnets["shared"]) == []

    allowed = {**refused, "subnetId": zone_subnets["internet"]}
    created = handler.create(ctx, allowed)
    try:
        assert live(moto_ec2, created.resource_id).get("PublicIpAddress")
        assert created.outputs["insecureSettings"] == []
    finally:
        handler.delete(ctx, created.resource_id, created.outputs)


@pytest.mark.parametrize(
    ("user_data", "kind"),
    [
        ("#!/bin/sh\n-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXk=\n", "line 2 .*a private key block"),
        ("#!/bin/sh\nmysql -u app --password=hunter2\n", "line 2 .*password"),
        ("export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n", "line 1 .*AWS access key id"),
        ("VAULT_TOKEN=hvs.CAESIJm2xQ9dV7eXeXeXeXeXeXeXeXeXeXe\n", "line 1 .*Vault/OpenBao token"),
    ],
)
def test_user_data_with_a_secret_is_refused_before_anything_is_made(
    context: Callable[[ResourceHandler], HandlerContext], moto_ec2: Any, zone_subnets: dict[str, str],
    groups: list[str], image: str, user_data: str, kind: str,
) -> None:
    handler = InstanceHandler()
    ctx = context(handler)
    news = {"subnetId": zone_subnets["internet"], "securityGroupIds": [groups[0]], "imageId": image,
            "userData": user_data}
    failures = handler.check(ctx, news, {}).failures
    assert [f.property for f in failures] == ["userData"]
    assert re.search(kind, failures[0].reason), failures[0].reason
    assert "hunter2" not in failures[0].reason and "AKIAIOSFODNN7EXAMPLE" not in failures[0].reason
    with pytest.raises(ProviderError, match="looks like it carries a secret"):
        handler.create(ctx, {**news, "instanceType": "t3.micro"})
    assert running_ids(moto_ec2, zone_subnets["internet"]) == []


def test_unknown_image_is_refused_with_the_fix(
    context: Callable[[ResourceHandler], HandlerContext], moto_ec2: Any, zone_subnets: dict[str, str],
    groups: list[str],
) -> None:
    handler = InstanceHandler()
    ctx = context(handler)
    inputs = checked_inputs(handler, ctx, subnetId=zone_subnets["shared"], securityGroupIds=[groups[0]],
                            imageId="ami-00000000deadbeef")
    with pytest.raises(ProviderError, match=r"image ami-00000000deadbeef does not exist.*hostImageId"):
        handler.create(ctx, inputs)
    assert running_ids(moto_ec2, zone_subnets["shared"]) == []


def test_failure_after_launch_leaves_no_instance(
    context: Callable[[ResourceHandler], HandlerContext], moto_ec2: Any, zone_subnets: dict[str, str],
    groups: list[str], image: str, monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A cloud that ignores the IMDSv2 setting: the launched instance is terminated again and the error says so."""
    handler = InstanceHandler()
    ctx = context(handler)
    inputs = checked_inputs(handler, ctx, subnetId=zone_subnets["shared"], securityGroupIds=[groups[0]],
                            imageId=image)
    real_call = ctx.call

    def ignoring_imds(service: str, method: str, **params: Any) -> dict[str, Any]:
        if method == "run_instances":
            params["MetadataOptions"] = {"HttpTokens": "optional"}
        return real_call(service, method, **params)

    monkeypatch.setattr(ctx, "call", ignoring_imds)
    with pytest.raises(ProviderError, match=r"(?s)off the baseline: httpTokens is optional.*deleted again"):
        handler.create(ctx, inputs)
    assert running_ids(moto_ec2, zone_subnets["shared"]) == []
