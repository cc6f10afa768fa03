"""Account-level settings a landing zone fixes once per account or region, as resources of the core stack.

``egov:ec2:EbsEncryptionByDefault`` (one per region: every new volume is encrypted),
``egov:ec2:DefaultVpcRemoval`` (one per region: the cloud's default VPC, with its permissive default
security group and no flow logs, is deleted as landing zones do) and ``egov:iam:AccountPasswordPolicy``
(one per account: the MLPS level-3 password rules). Each resource's id is the region (or ``account``).

Read reports what the cloud has now, so a refresh shows drift (encryption switched off, a default VPC
back, a weaker policy) and the next `pulumi up` repairs it. Deleting the encryption and policy resources
restores the cloud's defaults (off, no policy); deleting ``DefaultVpcRemoval`` does not bring a default
VPC back, the safe direction (``aws ec2 create-default-vpc`` does it when really wanted).
"""

from __future__ import annotations

from typing import Any

from infra.provider.errors import ProviderError
from infra.provider.handler import (
    CreateResult,
    Failure,
    HandlerContext,
    PropertySpec,
    ReadResult,
    ResourceHandler,
    output,
    range_failures,
)

EBS_DEFAULT_ENCRYPTION_TYPE = "egov:ec2:EbsEncryptionByDefault"
DEFAULT_VPC_REMOVAL_TYPE = "egov:ec2:DefaultVpcRemoval"
PASSWORD_POLICY_TYPE = "egov:iam:AccountPasswordPolicy"
NO_SUCH_ENTITY = ("NoSuchEntity",)


def _region(ctx: HandlerContext) -> str:
    return str(ctx.clients.config.region)


class EbsEncryptionByDefaultHandler(ResourceHandler):
    """Turns EBS encryption by default on in the provider's region and keeps it on."""

    type_token = EBS_DEFAULT_ENCRYPTION_TYPE
    description = "EBS encryption by default, on, in the provider's region (one per region)."
    properties = (
        output("region", "The region the setting applies to (also the resource id)."),
        output("enabled", "Whether new volumes are encrypted by default (true once applied).", "boolean"),
    )

    def _describe(self, ctx: HandlerContext) -> dict[str, Any]:
        response = ctx.call("ec2", "get_ebs_encryption_by_default")
        return {"region": _region(ctx), "enabled": bool(response.get("EbsEncryptionByDefault"))}

    def _turn_on(self, ctx: HandlerContext) -> dict[str, Any]:
        ctx.call("ec2", "enable_ebs_encryption_by_default")
        found = self._describe(ctx)
        if not found["enabled"]:
            raise ProviderError(f"{ctx.resource}: EBS encryption by default is still off in {found['region']} "
                                "after enabling it")
        return found

    def create(self, ctx: HandlerContext, inputs: dict[str, Any]) -> CreateResult:
        return CreateResult(resource_id=_region(ctx), outputs=self._turn_on(ctx))

    def read(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any], inputs: dict[str, Any]) -> ReadResult:
        found = self._describe(ctx)
        if not found["enabled"]:  # switched off behind Pulumi's back: gone, so the next up turns it on again
            return ReadResult.gone()
        return self.read_result(resource_id, found)

    def update(
        self, ctx: HandlerContext, resource_id: str, old_state: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        return self._turn_on(ctx)

    def delete(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any]) -> None:
        ctx.call("ec2", "disable_ebs_encryption_by_default")


class DefaultVpcRemovalHandler(ResourceHandler):
    """Deletes the region's default VPC (its internet gateways and subnets first), refusing when anything
    else lives in it."""

    type_token = DEFAULT_VPC_REMOVAL_TYPE
    description = "No default VPC in the provider's region: the one the cloud made is deleted (one per region)."
    drift_outputs = ("defaultVpcIds",)
    properties = (
        output("region", "The region (also the resource id)."),
        output("removedVpcIds", "Default VPCs this resource deleted.", "array", item_type="string"),
        output("defaultVpcIds", "Default VPCs present now (empty once applied).", "array", item_type="string"),
    )

    def _default_vpcs(self, ctx: HandlerContext) -> list[str]:
        vpcs = ctx.collect("ec2", "describe_vpcs", "Vpcs", Filters=[{"Name": "isDefault", "Values": ["true"]}])
        return sorted(str(v["VpcId"]) for v in vpcs if v.get("IsDefault"))

    def _remove(self, ctx: HandlerContext, vpc_id: str) -> None:
        where = [{"Name": "vpc-id", "Values": [vpc_id]}]
        interfaces = ctx.collect("ec2", "describe_network_interfaces", "NetworkInterfaces", Filters=where)
        if interfaces:
            used = ", ".join(str(i.get("NetworkInterfaceId")) for i in interfaces)
            raise ProviderError(f"{ctx.resource}: the default VPC {vpc_id} in {_region(ctx)} is in use (network "
                                f"interfaces {used}); move or delete what runs there, then run `pulumi up` again")
        gateways = ctx.collect("ec2", "describe_internet_gateways", "InternetGateways",
                               Filters=[{"Name": "attachment.vpc-id", "Values": [vpc_id]}])
        for gateway in gateways:
            gateway_id = str(gateway["InternetGatewayId"])
            ctx.call("ec2", "detach_internet_gateway", InternetGatewayId=gateway_id, VpcId=vpc_id)
            ctx.call("ec2", "delete_internet_gateway", InternetGatewayId=gateway_id)
        for subnet in ctx.collect("ec2", "describe_subnets", "Subnets", Filters=where):
            ctx.call("ec2", "delete_subnet", SubnetId=subnet["SubnetId"])
        ctx.call("ec2", "delete_vpc", VpcId=vpc_id)

    def _apply(self, ctx: HandlerContext, removed: list[str]) -> dict[str, Any]:
        found = self._default_vpcs(ctx)
        for vpc_id in found:
            self._remove(ctx, vpc_id)
        left = self._default_vpcs(ctx)
        if left:
            raise ProviderError(f"{ctx.resource}: default VPCs {left} are still present in {_region(ctx)}")
        return {"region": _region(ctx), "removedVpcIds": sorted({*removed, *found}), "defaultVpcIds": []}

    def create(self, ctx: HandlerContext, inputs: dict[str, Any]) -> CreateResult:
        return CreateResult(resource_id=_region(ctx), outputs=self._apply(ctx, []))

    def read(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any], inputs: dict[str, Any]) -> ReadResult:
        outputs = {"region": _region(ctx), "removedVpcIds": list(state.get("removedVpcIds") or []),
                   "defaultVpcIds": self._default_vpcs(ctx)}
        return self.read_result(resource_id, outputs)

    def update(
        self, ctx: HandlerContext, resource_id: str, old_state: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        return self._apply(ctx, list(old_state.get("removedVpcIds") or []))

    def delete(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any]) -> None:
        """Nothing to undo (see the module docstring)."""


# Pulumi property name -> the IAM API's field.
PASSWORD_FIELDS = {
    "minimumPasswordLength": "MinimumPasswordLength",
    "requireUppercaseCharacters": "RequireUppercaseCharacters",
    "requireLowercaseCharacters": "RequireLowercaseCharacters",
    "requireNumbers": "RequireNumbers",
    "requireSymbols": "RequireSymbols",
    "maxPasswordAge": "MaxPasswordAge",
    "passwordReusePrevention": "PasswordReusePrevention",
    "allowUsersToChangePassword": "AllowUsersToChangePassword",
    "hardExpiry": "HardExpiry",
}


class AccountPasswordPolicyHandler(ResourceHandler):
    """The account's IAM password policy (one per account)."""

    type_token = PASSWORD_POLICY_TYPE
    description = "The account's IAM password policy (one per account)."
    properties = (
        PropertySpec("minimumPasswordLength", "integer", "Minimum length (6-128).", default=14),
        PropertySpec("requireUppercaseCharacters", "boolean", "At least one upper-case letter.", default=True),
        PropertySpec("requireLowercaseCharacters", "boolean", "At least one lower-case letter.", default=True),
        PropertySpec("requireNumbers", "boolean", "At least one digit.", default=True),
        PropertySpec("requireSymbols", "boolean", "At least one symbol.", default=True),
        PropertySpec("maxPasswordAge", "integer", "Days a password stays valid (1-1095).", default=90),
        PropertySpec("passwordReusePrevention", "integer", "Previous passwords that may not be reused (1-24).",
                     default=24),
        PropertySpec("allowUsersToChangePassword", "boolean", "Users may change their own password.", default=True),
        PropertySpec("hardExpiry", "boolean", "An expired password needs an administrator to reset it.",
                     default=False),
    )

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        return (range_failures(inputs, "minimumPasswordLength", 6, 128)
                + range_failures(inputs, "maxPasswordAge", 1, 1095)
                + range_failures(inputs, "passwordReusePrevention", 1, 24))

    def _describe(self, ctx: HandlerContext) -> dict[str, Any] | None:
        response = ctx.call_or_none(NO_SUCH_ENTITY, "iam", "get_account_password_policy")
        if response is None:
            return None
        policy = response.get("PasswordPolicy") or {}
        spec = {s.name: s for s in self.properties}
        return {name: policy.get(field, spec[name].default_value()) for name, field in PASSWORD_FIELDS.items()}

    def _put(self, ctx: HandlerContext, inputs: dict[str, Any]) -> dict[str, Any]:
        spec = {s.name: s for s in self.properties}
        params = {field: spec[name].normalize(inputs.get(name)) for name, field in PASSWORD_FIELDS.items()}
        ctx.call("iam", "update_account_password_policy", **params)
        found = self._describe(ctx)
        if found is None:
            raise ProviderError(f"{ctx.resource}: the account has no password policy after setting it")
        return found

    def create(self, ctx: HandlerContext, inputs: dict[str, Any]) -> CreateResult:
        return CreateResult(resource_id="account", outputs=self._put(ctx, inputs))

    def read(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any], inputs: dict[str, Any]) -> ReadResult:
        return self.read_result(resource_id, self._describe(ctx))

    def update(
        self, ctx: HandlerContext, resource_id: str, old_state: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        return self._put(ctx, news)

    def delete(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any]) -> None:
        ctx.call_or_none(NO_SUCH_ENTITY, "iam", "delete_account_password_policy")
