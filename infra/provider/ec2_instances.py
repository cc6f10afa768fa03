"""``egov:ec2:Instance``: one EC2 instance in a subnet, with the platform's host baseline enforced by the resource.

Whatever the program asks, the instance is launched with IMDSv2 required (``HttpTokens=required``), an
encrypted root volume and no public IPv4 address unless its subnet belongs to the Internet zone (the
subnet's ``egov:zone`` tag). User data that looks like it carries a secret (a private key block,
``password=``, an AWS key, a Vault token) is refused at check time with the line and the kind of secret.

A create that fails after ``RunInstances`` (the instance never runs, or the cloud did not apply one of
the settings) terminates the instance again, so nothing is left half-made. Refresh reports a drifted
setting in ``insecureSettings``; the next update puts IMDSv2 back in place and refuses, naming the fix,
what only a replacement can repair (an unencrypted root volume, a public address).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from infra.config.user_data import ADVICE, find_secrets
from infra.provider import tags as tagging
from infra.provider.ec2 import (
    Ec2Handler,
    ec2_arn,
    ec2_filter,
    id_failures,
    id_list_failures,
    order_like,
    tag_specifications,
    tagged_identity,
)
from infra.provider.errors import ProviderError
from infra.provider.handler import (
    CreateResult,
    Failure,
    HandlerContext,
    Lookup,
    PropertySpec,
    is_unknown,
    output,
    range_failures,
)

INSTANCE_TYPE = "egov:ec2:Instance"
INSTANCE_NOT_FOUND = ("InvalidInstanceID.NotFound", "InvalidInstanceID.Malformed")
IMAGE_NOT_FOUND = ("InvalidAMIID.NotFound", "InvalidAMIID.Malformed")
GONE_STATES = ("shutting-down", "terminated")
INTERNET_ZONE = "internet"
ZONE_TAG = "egov:zone"
USER_DATA_MAX_BYTES = 16 * 1024
DEFAULT_INSTANCE_TYPE = "t3.micro"
DEFAULT_ROOT_VOLUME_GIB = 8
_INSTANCE_TYPE_PATTERN = re.compile(r"[a-z][a-z0-9-]*\.[a-z0-9]+")

IMDS_OPTIONAL = "httpTokens is optional: IMDSv1 answers without a session token"
ROOT_UNENCRYPTED = "the root volume is not encrypted"
PUBLIC_IP = "it has a public IPv4 address outside the Internet zone"


class InstanceHandler(Ec2Handler):
    """One instance; see the module doc. Everything but tags, security groups and the source/destination check
    replaces it."""

    type_token = INSTANCE_TYPE
    description = (
        "An EC2 instance: IMDSv2 required, encrypted root volume, no public IP outside the Internet zone, "
        "user data without secrets."
    )
    noun = "instance"
    lookup = Lookup("describe_instances", "InstanceIds", "Reservations", "InstanceId", INSTANCE_NOT_FOUND)
    gone_states = GONE_STATES
    unordered = ("securityGroupIds",)
    drift_outputs = ("insecureSettings",)
    properties = (
        PropertySpec("subnetId", "string", "The subnet. Changing it replaces the instance.", required=True,
                     replace_on_change=True),
        PropertySpec("securityGroupIds", "array", "Security groups of its network interface (at least one).",
                     required=True, item_type="string"),
        PropertySpec("imageId", "string", "The machine image (ami-...). Changing it replaces the instance.",
                     required=True, replace_on_change=True),
        PropertySpec("instanceType", "string", "Instance type. Changing it replaces the instance.",
                     default=DEFAULT_INSTANCE_TYPE, replace_on_change=True),
        PropertySpec("privateIp", "string", "A fixed private IPv4 address in the subnet; unset: the cloud picks one. "
                     "Changing it replaces the instance.", replace_on_change=True),
        PropertySpec("associatePublicIpAddress", "boolean", "A public IPv4 address; refused unless the subnet is "
                     "in the Internet zone (its egov:zone tag). Changing it replaces the instance.", default=False,
                     replace_on_change=True),
        PropertySpec("sourceDestCheck", "boolean", "Drop traffic not addressed to the instance itself; false only for "
                     "a gateway that forwards (the bridge gateways).", default=True),
        PropertySpec("userData", "string", "Boot script or cloud-config (plain text, at most 16 KiB). Refused when "
                     "it looks like it carries a secret. Changing it replaces the instance.", default="",
                     replace_on_change=True),
        PropertySpec("rootVolumeKmsKeyId", "string", "The KMS key (id or ARN) that encrypts the root volume; unset: "
                     "the account's default EBS key. Changing it replaces the instance.", replace_on_change=True),
        PropertySpec("rootVolumeSize", "integer", "Root volume size in GiB (always encrypted). Changing it "
                     "replaces the instance.", default=DEFAULT_ROOT_VOLUME_GIB, replace_on_change=True),
        *tagged_identity("instance", "instanceId"),
        output("privateIpAddress", "The private IPv4 address the instance has."),
        output("publicIpAddress", "Its public IPv4 address, if any (Internet zone only)."),
        output("availabilityZone", "The availability zone (the subnet's)."),
        output("vpcId", "The VPC (the subnet's)."),
        output("networkInterfaceId", "Its primary network interface."),
        output("httpTokens", "The metadata service's token setting (required: IMDSv2 only)."),
        output("rootVolumeId", "The root EBS volume."),
        output("rootVolumeEncrypted", "Whether the root volume is encrypted.", "boolean"),
        output("insecureSettings", "Settings found off the baseline (drift); the next update repairs or refuses.",
               "array", item_type="string"),
    )

    # -- check -------------------------------------------------------------------------------------

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        failures = id_failures(inputs, "subnetId", "subnet")
        failures += id_list_failures(inputs, "securityGroupIds", "sg")
        groups = inputs.get("securityGroupIds")
        if isinstance(groups, list) and not groups:
            failures.append(Failure("securityGroupIds", "securityGroupIds is empty; give the instance at least one "
                                    "security group (the VPC's default group is kept empty)"))
        image = inputs.get("imageId")
        if isinstance(image, str) and not is_unknown(image) and not re.fullmatch(r"ami-[0-9a-z]+", image):
            failures.append(Failure("imageId", f"imageId {image!r} is not an ami-... id"))
        kind = inputs.get("instanceType")
        if isinstance(kind, str) and not is_unknown(kind) and not _INSTANCE_TYPE_PATTERN.fullmatch(kind):
            failures.append(Failure("instanceType", f"instanceType {kind!r} is not an instance type such as t3.micro"))
        address = inputs.get("privateIp")
        if isinstance(address, str) and not is_unknown(address):
            try:
                ipaddress.IPv4Address(address)
            except ValueError:
                failures.append(Failure("privateIp", f"privateIp {address!r} is not an IPv4 address"))
        failures += range_failures(inputs, "rootVolumeSize", 1, 16384, " GiB")
        failures += user_data_failures(inputs.get("userData"))
        failures += tagging.validate_tags(inputs.get("tags"))
        return failures

    # -- finding the instance ----------------------------------------------------------------------

    def _get(self, ctx: HandlerContext, resource_id: str) -> dict[str, Any] | None:
        response = ctx.call_or_none(INSTANCE_NOT_FOUND, "ec2", "describe_instances", InstanceIds=[resource_id])
        for reservation in (response or {}).get("Reservations", []):
            for item in reservation.get("Instances", []):
                if item.get("InstanceId") == resource_id:
                    return dict(item)
        return None

    def _state(self, ctx: HandlerContext, resource_id: str) -> str | None:
        item = self._get(ctx, resource_id)
        return None if item is None else str((item.get("State") or {}).get("Name"))

    def _describe(self, ctx: HandlerContext, resource_id: str, reference: Mapping[str, Any]) -> dict[str, Any] | None:
        item = self._get(ctx, resource_id)
        if item is None or (item.get("State") or {}).get("Name") in GONE_STATES:
            return None
        return self._outputs(ctx, item, reference)

    def find_owned(self, ctx: HandlerContext, urn_prefix: str) -> dict[str, str]:
        found: dict[str, str] = {}
        filters = [ec2_filter("tag-key", tagging.OWNER_TAG)]
        for reservation in ctx.collect("ec2", "describe_instances", "Reservations", Filters=filters):
            for item in reservation.get("Instances", []):
                if (item.get("State") or {}).get("Name") in GONE_STATES:
                    continue
                urn = tagging.owner_urn(item.get("Tags"))
                if urn and urn.startswith(urn_prefix):
                    found[str(item["InstanceId"])] = urn
        return found

    def _outputs(self, ctx: HandlerContext, item: dict[str, Any], reference: Mapping[str, Any]) -> dict[str, Any]:
        instance_id = str(item["InstanceId"])
        interfaces = sorted(item.get("NetworkInterfaces") or [],
                            key=lambda n: (n.get("Attachment") or {}).get("DeviceIndex", 0))
        primary = interfaces[0] if interfaces else {}
        owner = str(primary.get("OwnerId") or "") or None
        groups = [str(g["GroupId"]) for g in (primary.get("Groups") or item.get("SecurityGroups") or [])]
        root_name = item.get("RootDeviceName")
        root = next((m.get("Ebs") or {} for m in item.get("BlockDeviceMappings") or []
                     if m.get("DeviceName") == root_name), {})
        root_volume_id = root.get("VolumeId")
        volume = self._volume(ctx, str(root_volume_id)) if root_volume_id else {}
        encrypted = bool(volume.get("Encrypted"))
        tokens = (item.get("MetadataOptions") or {}).get("HttpTokens")
        public_ip = item.get("PublicIpAddress")
        private_ip = item.get("PrivateIpAddress")
        subnet_id = item.get("SubnetId")
        insecure = []
        if tokens != "required":
            insecure.append(IMDS_OPTIONAL)
        if not encrypted:
            insecure.append(ROOT_UNENCRYPTED)
        if public_ip and not reference.get("associatePublicIpAddress"):
            insecure.append(PUBLIC_IP)
        requested_ip = reference.get("privateIp")
        user_data = reference.get("userData")
        if user_data is None:
            user_data = self._user_data(ctx, instance_id)
        return {
            "subnetId": subnet_id,
            "securityGroupIds": order_like(groups, reference.get("securityGroupIds")),
            "imageId": item.get("ImageId"),
            "instanceType": item.get("InstanceType"),
            "privateIp": private_ip if isinstance(requested_ip, str) else None,
            "associatePublicIpAddress": bool(public_ip),
            "sourceDestCheck": item.get("SourceDestCheck", True) is not False,
            "userData": user_data,
            "rootVolumeKmsKeyId": _key_output(reference.get("rootVolumeKmsKeyId"), volume.get("KmsKeyId")),
            "rootVolumeSize": volume.get("Size", reference.get("rootVolumeSize")),
            "tags": tagging.from_aws(item.get("Tags")),
            "instanceId": instance_id,
            "arn": ec2_arn(ctx, "instance", instance_id, owner),
            "ownerId": owner,
            "privateIpAddress": private_ip,
            "publicIpAddress": public_ip,
            "availabilityZone": (item.get("Placement") or {}).get("AvailabilityZone"),
            "vpcId": item.get("VpcId"),
            "networkInterfaceId": primary.get("NetworkInterfaceId"),
            "httpTokens": tokens,
            "rootVolumeId": root_volume_id,
            "rootVolumeEncrypted": encrypted,
            "insecureSettings": insecure,
        }

    def _volume(self, ctx: HandlerContext, volume_id: str) -> dict[str, Any]:
        response = ctx.call_or_none(("InvalidVolume.NotFound",), "ec2", "describe_volumes", VolumeIds=[volume_id])
        volumes = (response or {}).get("Volumes") or []
        return dict(volumes[0]) if volumes else {}

    def _user_data(self, ctx: HandlerContext, instance_id: str) -> str:
        """The user data as the cloud keeps it (only on import: otherwise the state's copy is the reference)."""
        import base64

        answer = ctx.call("ec2", "describe_instance_attribute", InstanceId=instance_id, Attribute="userData")
        encoded = (answer.get("UserData") or {}).get("Value") or ""
        try:
            return base64.b64decode(encoded).decode("utf-8")
        except (ValueError, UnicodeDecodeError):
            return encoded

    # -- create ------------------------------------------------------------------------------------

    def create(self, ctx: HandlerContext, inputs: dict[str, Any]) -> CreateResult:
        # Everything that can be refused is refused before RunInstances: nothing exists yet to undo.
        problems = user_data_failures(inputs.get("userData"))
        if problems:
            raise ProviderError(f"{ctx.resource}: {problems[0].reason}")
        root_device = self._root_device(ctx, str(inputs["imageId"]))
        public = bool(inputs.get("associatePublicIpAddress"))
        if public:
            self._refuse_public_outside_internet(ctx, str(inputs["subnetId"]))
        interface: dict[str, Any] = {
            "DeviceIndex": 0,
            "SubnetId": inputs["subnetId"],
            "Groups": list(inputs["securityGroupIds"]),
            "AssociatePublicIpAddress": public,
            "DeleteOnTermination": True,
        }
        if inputs.get("privateIp"):
            interface["PrivateIpAddress"] = inputs["privateIp"]
        ebs: dict[str, Any] = {"Encrypted": True, "DeleteOnTermination": True, "VolumeType": "gp3",
                               "VolumeSize": int(inputs.get("rootVolumeSize") or DEFAULT_ROOT_VOLUME_GIB)}
        if inputs.get("rootVolumeKmsKeyId"):
            ebs["KmsKeyId"] = inputs["rootVolumeKmsKeyId"]
        params: dict[str, Any] = {
            "ImageId": inputs["imageId"],
            "InstanceType": inputs.get("instanceType") or DEFAULT_INSTANCE_TYPE,
            "MinCount": 1,
            "MaxCount": 1,
            "NetworkInterfaces": [interface],
            "MetadataOptions": {"HttpTokens": "required", "HttpEndpoint": "enabled", "HttpPutResponseHopLimit": 1},
            "BlockDeviceMappings": [{"DeviceName": root_device, "Ebs": ebs}],
            "TagSpecifications": [
                *tag_specifications(ctx, "instance", inputs.get("tags")),
                *tag_specifications(ctx, "volume", inputs.get("tags")),
            ],
        }
        if inputs.get("userData"):
            params["UserData"] = inputs["userData"]
        response = ctx.call("ec2", "run_instances", **params)
        instance_id = str(response["Instances"][0]["InstanceId"])

        def configure() -> None:
            ctx.wait_until(f"instance {instance_id} to run", lambda: self._running(ctx, instance_id))
            if inputs.get("sourceDestCheck") is False:
                self._set_source_dest_check(ctx, instance_id, False)

        result = self.finish_create(ctx, instance_id, inputs, configure)
        # The baseline is checked on what the cloud made, not on what was asked: a cloud that ignored a
        # setting leaves no instance behind.
        off_baseline = result.outputs.get("insecureSettings") or []
        if off_baseline:
            cause = ProviderError(f"{ctx.resource}: the cloud launched instance {instance_id} off the baseline: "
                                  + "; ".join(off_baseline))
            raise self.rollback(ctx, instance_id, cause) from cause
        return result

    @staticmethod
    def _set_source_dest_check(ctx: HandlerContext, instance_id: str, value: bool) -> None:
        ctx.call("ec2", "modify_instance_attribute", InstanceId=instance_id, SourceDestCheck={"Value": value})

    def _running(self, ctx: HandlerContext, instance_id: str) -> bool:
        state = self._state(ctx, instance_id)
        if state is None or state in GONE_STATES or state == "stopped":
            raise ProviderError(f"{ctx.resource}: instance {instance_id} did not start (state {state})")
        return state == "running"

    def _root_device(self, ctx: HandlerContext, image_id: str) -> str:
        response = ctx.call_or_none(IMAGE_NOT_FOUND, "ec2", "describe_images", ImageIds=[image_id])
        images = (response or {}).get("Images") or []
        if not images:
            raise ProviderError(f"{ctx.resource}: image {image_id} does not exist in region "
                                f"{ctx.clients.config.region}; list the available ones with "
                                "`aws ec2 describe-images` and set the stack's hostImageId")
        return str(images[0].get("RootDeviceName") or "/dev/xvda")

    def _refuse_public_outside_internet(self, ctx: HandlerContext, subnet_id: str) -> None:
        response = ctx.call_or_none(("InvalidSubnetID.NotFound",), "ec2", "describe_subnets", SubnetIds=[subnet_id])
        subnets = (response or {}).get("Subnets") or []
        zone = tagging.from_aws(subnets[0].get("Tags")).get(ZONE_TAG) if subnets else None
        if zone != INTERNET_ZONE:
            where = f"zone {zone!r}" if zone else "no egov:zone tag"
            raise ProviderError(
                f"{ctx.resource}: associatePublicIpAddress is true but subnet {subnet_id} is not in the Internet "
                f"zone ({where}); only Internet-zone hosts may have a public address. Set it to false"
            )

    # -- update ------------------------------------------------------------------------------------

    def apply_update(self, ctx: HandlerContext, resource_id: str, live: dict[str, Any], news: dict[str, Any]) -> None:
        drift = list(live.get("insecureSettings") or [])
        unrepairable = [d for d in drift if d != IMDS_OPTIONAL]
        if unrepairable:
            raise ProviderError(
                f"{ctx.resource}: instance {resource_id}: {'; '.join(unrepairable)}. This cannot be repaired in "
                f"place: replace the instance (`pulumi up --replace {ctx.resource.urn}`)"
            )
        if IMDS_OPTIONAL in drift:
            ctx.call("ec2", "modify_instance_metadata_options", InstanceId=resource_id, HttpTokens="required",
                     HttpEndpoint="enabled")
        forwards = news.get("sourceDestCheck", True) is not False
        if forwards != live.get("sourceDestCheck", True):
            self._set_source_dest_check(ctx, resource_id, forwards)
        wanted = list(news.get("securityGroupIds") or [])
        if sorted(wanted) != sorted(live.get("securityGroupIds") or []):
            ctx.call("ec2", "modify_instance_attribute", InstanceId=resource_id, Groups=wanted)

    # -- delete ------------------------------------------------------------------------------------

    def delete(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any]) -> None:
        # Terminating a terminated instance is not a no-op on every cloud (moto fails on its deleted interface).
        if self._state(ctx, resource_id) in (None, "terminated"):
            return
        answer = ctx.call_or_none(INSTANCE_NOT_FOUND, "ec2", "terminate_instances", InstanceIds=[resource_id])
        if answer is None:
            return
        ctx.wait_until(f"instance {resource_id} to terminate",
                       lambda: self._state(ctx, resource_id) in (None, "terminated"))


def _key_output(wanted: Any, actual: Any) -> Any:
    """The root volume's key as the program spelled it (an id or an ARN of the same key), the cloud's when it
    is another key, and unset when the program named none (the default key is not an input)."""
    if not isinstance(wanted, str) or not wanted:
        return None
    if isinstance(actual, str) and (actual == wanted or actual.rsplit("/", 1)[-1] == wanted.rsplit("/", 1)[-1]):
        return wanted
    return actual


def user_data_failures(user_data: Any) -> list[Failure]:
    """User data that is too large or looks like it carries a secret (line and kind named, never the value)."""
    if not isinstance(user_data, str) or is_unknown(user_data):
        return []
    failures = []
    size = len(user_data.encode("utf-8"))
    if size > USER_DATA_MAX_BYTES:
        failures.append(Failure("userData", f"userData is {size} bytes; at most {USER_DATA_MAX_BYTES} are allowed"))
    findings = find_secrets(user_data)
    if findings:
        where = "; ".join(f.describe() for f in findings)
        failures.append(Failure("userData", f"userData {where}: refused. {ADVICE}"))
    return failures
