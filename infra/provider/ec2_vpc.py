"""``egov:ec2:Vpc``: a VPC, the network boundary each department's workloads live in."""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from infra.provider import tags as tagging
from infra.provider.ec2 import (
    Ec2Handler,
    ec2_arn,
    ec2_filter,
    ipv4_cidr_problem,
    label,
    tag_specifications,
    tagged_identity,
)
from infra.provider.errors import ApiError, ProviderError
from infra.provider.handler import CreateResult, Failure, HandlerContext, Lookup, PropertySpec, half_done_error, output

TYPE_TOKEN = "egov:ec2:Vpc"
MIN_PREFIX = 16
MAX_PREFIX = 28
TENANCIES = ("default", "dedicated")
NOT_FOUND = "InvalidVpcID.NotFound"
DEPENDENCY_VIOLATION = "DependencyViolation"

def cidr_problem(value: str) -> str | None:
    """Why ``value`` cannot be a VPC CIDR block, or None if it can."""
    return ipv4_cidr_problem("cidrBlock", value, min_prefix=MIN_PREFIX, max_prefix=MAX_PREFIX,
                             subject="a VPC CIDR block", example="10.0.0.0/16")


class VpcHandler(Ec2Handler):
    """Create, read, update (tags, DNS attributes) and delete a VPC."""

    type_token = TYPE_TOKEN
    description = "An isolated virtual network (VPC)."
    noun = "VPC"
    outputs_after_tag_sync = True
    lookup = Lookup("describe_vpcs", "VpcIds", "Vpcs", "VpcId", (NOT_FOUND,))
    properties = (
        PropertySpec(
            "cidrBlock",
            "string",
            "Primary IPv4 CIDR block, /16 to /28. Changing it replaces the VPC.",
            required=True,
            replace_on_change=True,
        ),
        PropertySpec(
            "instanceTenancy",
            "string",
            "Tenancy of instances launched into the VPC: default or dedicated. Changing it replaces the VPC.",
            default="default",
            replace_on_change=True,
        ),
        PropertySpec("enableDnsSupport", "boolean", "Whether the Amazon DNS server resolves in the VPC.", default=True),
        PropertySpec(
            "enableDnsHostnames",
            "boolean",
            "Whether instances get public DNS hostnames; needs enableDnsSupport.",
            default=False,
        ),
        *tagged_identity("VPC", "vpcId"),
        output("defaultSecurityGroupId", "The security group AWS created with the VPC."),
        output("defaultNetworkAclId", "The network ACL AWS created with the VPC."),
        output("mainRouteTableId", "The VPC's main route table."),
    )

    # -- check ---------------------------------------------------------------------------

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        failures: list[Failure] = []
        cidr = inputs.get("cidrBlock")
        if isinstance(cidr, str):
            problem = cidr_problem(cidr)
            if problem:
                failures.append(Failure("cidrBlock", problem))
        tenancy = inputs.get("instanceTenancy")
        if isinstance(tenancy, str) and tenancy not in TENANCIES:
            failures.append(
                Failure("instanceTenancy", f"instanceTenancy {tenancy!r} must be one of: {', '.join(TENANCIES)}")
            )
        failures.extend(tagging.validate_tags(inputs.get("tags")))
        if inputs.get("enableDnsHostnames") is True and inputs.get("enableDnsSupport") is False:
            failures.append(
                Failure("enableDnsHostnames", "enableDnsHostnames can only be true when enableDnsSupport is true")
            )
        return failures

    # -- create --------------------------------------------------------------------------

    def create(self, ctx: HandlerContext, inputs: dict[str, Any]) -> CreateResult:
        params: dict[str, Any] = {
            "CidrBlock": inputs["cidrBlock"],
            "InstanceTenancy": inputs.get("instanceTenancy") or "default",
            "TagSpecifications": tag_specifications(ctx, "vpc", inputs.get("tags")),
        }
        vpc_id = str(ctx.call("ec2", "create_vpc", **params)["Vpc"]["VpcId"])

        def configure() -> None:
            ctx.wait_until(f"VPC {vpc_id} to become available", lambda: self._state(ctx, vpc_id) == "available")
            self._apply_dns(
                ctx,
                vpc_id,
                support=bool(inputs.get("enableDnsSupport", True)),
                hostnames=bool(inputs.get("enableDnsHostnames", False)),
                have=None,
            )

        return self.finish_create(ctx, vpc_id, inputs, configure)

    def rollback(self, ctx: HandlerContext, vpc_id: str, cause: Exception) -> ProviderError:
        try:
            ctx.call("ec2", "delete_vpc", VpcId=vpc_id)
            outcome = f"the VPC {vpc_id} it had already created was deleted again, so nothing is left behind"
        except ApiError as exc:
            if exc.code == NOT_FOUND:
                outcome = f"the VPC {vpc_id} it had already created no longer exists"
            else:
                outcome = (
                    f"the VPC {vpc_id} it had already created could NOT be deleted ({exc}); "
                    f"delete it by hand or adopt it with "
                    f"`pulumi import {TYPE_TOKEN} {ctx.resource.name} {vpc_id}`"
                )
        except ProviderError as exc:
            outcome = f"the VPC {vpc_id} it had already created could NOT be deleted ({exc}); delete it by hand"
        return half_done_error(ctx, "VPC", cause, outcome)

    def _apply_dns(
        self,
        ctx: HandlerContext,
        vpc_id: str,
        *,
        support: bool,
        hostnames: bool,
        have: tuple[bool, bool] | None,
    ) -> None:
        """Set the DNS attributes that differ from ``have`` (all of them when unknown).

        AWS takes one attribute per call and refuses hostnames without DNS support, so
        support is turned on before hostnames, and hostnames off before support.
        """
        steps: list[tuple[str, bool]] = []
        if have is None or have[0] != support:
            steps.append(("EnableDnsSupport", support))
        if have is None or have[1] != hostnames:
            steps.append(("EnableDnsHostnames", hostnames))
        first = "EnableDnsSupport" if support else "EnableDnsHostnames"
        steps.sort(key=lambda step: step[0] != first)
        for attribute, value in steps:
            ctx.call("ec2", "modify_vpc_attribute", VpcId=vpc_id, **{attribute: {"Value": value}})

    # -- read ----------------------------------------------------------------------------

    def _describe(self, ctx: HandlerContext, vpc_id: str, reference: Mapping[str, Any]) -> dict[str, Any] | None:
        """The VPC's current properties, or None if it does not exist."""
        try:
            vpcs = ctx.call("ec2", "describe_vpcs", VpcIds=[vpc_id]).get("Vpcs", [])
            if not vpcs:
                return None
            vpc = vpcs[0]
            support = ctx.call("ec2", "describe_vpc_attribute", VpcId=vpc_id, Attribute="enableDnsSupport")
            hostnames = ctx.call("ec2", "describe_vpc_attribute", VpcId=vpc_id, Attribute="enableDnsHostnames")
        except ApiError as exc:
            if exc.code == NOT_FOUND:
                return None
            raise
        owner = str(vpc.get("OwnerId", ""))
        arn = ec2_arn(ctx, "vpc", vpc_id, owner)
        return {
            "cidrBlock": vpc.get("CidrBlock"),
            "instanceTenancy": vpc.get("InstanceTenancy", "default"),
            "enableDnsSupport": bool(support.get("EnableDnsSupport", {}).get("Value", True)),
            "enableDnsHostnames": bool(hostnames.get("EnableDnsHostnames", {}).get("Value", False)),
            "tags": tagging.from_aws(vpc.get("Tags")),
            "vpcId": vpc_id,
            "arn": arn,
            "ownerId": owner or None,
            "defaultSecurityGroupId": self._first_id(
                ctx,
                "describe_security_groups",
                "SecurityGroups",
                "GroupId",
                [ec2_filter("vpc-id", vpc_id), ec2_filter("group-name", "default")],
            ),
            "defaultNetworkAclId": self._first_id(
                ctx,
                "describe_network_acls",
                "NetworkAcls",
                "NetworkAclId",
                [ec2_filter("vpc-id", vpc_id), ec2_filter("default", "true")],
            ),
            "mainRouteTableId": self._first_id(
                ctx,
                "describe_route_tables",
                "RouteTables",
                "RouteTableId",
                [ec2_filter("vpc-id", vpc_id), ec2_filter("association.main", "true")],
            ),
        }

    @staticmethod
    def _first_id(
        ctx: HandlerContext, method: str, list_key: str, id_key: str, filters: list[dict[str, Any]]
    ) -> str | None:
        items = ctx.call("ec2", method, Filters=filters).get(list_key, [])
        return str(items[0][id_key]) if items else None

    # -- update --------------------------------------------------------------------------

    def apply_update(self, ctx: HandlerContext, resource_id: str, live: dict[str, Any], news: dict[str, Any]) -> None:
        self._apply_dns(
            ctx,
            resource_id,
            support=bool(news.get("enableDnsSupport", True)),
            hostnames=bool(news.get("enableDnsHostnames", False)),
            have=(bool(live["enableDnsSupport"]), bool(live["enableDnsHostnames"])),
        )

    # -- delete --------------------------------------------------------------------------

    def delete(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any]) -> None:
        """DeleteVpc; gone already is success.

        DependencyViolation is retried for a grace period because AWS keeps reporting
        just-deleted subnets, gateways and service-managed interfaces for a while. It
        fails at once, naming the blockers, when the same lasting dependents (a subnet,
        a security group...) are still there on a second attempt: waiting would not help.
        """
        grace = min(ctx.effective_timeout(), self.dependency_grace_seconds)
        deadline = time.monotonic() + grace
        delay = 1.0
        violations = 0
        while True:
            try:
                ctx.call("ec2", "delete_vpc", VpcId=resource_id)
                return
            except ApiError as exc:
                if exc.code == NOT_FOUND:
                    return
                if exc.code != DEPENDENCY_VIOLATION:
                    raise
                violations += 1
                out_of_time = ctx.cancelled.is_set() or time.monotonic() + delay > deadline
                dependents = self.dependents(ctx, resource_id) if violations > 1 or out_of_time else []
                if out_of_time or any(not d.transient for d in dependents):
                    raise self._dependency_error(ctx, resource_id, exc, dependents) from exc
            ctx.cancelled.wait(delay)
            delay = min(delay * 2, 10.0)

    def _dependency_error(
        self, ctx: HandlerContext, vpc_id: str, cause: ApiError, dependents: list[Dependent]
    ) -> ProviderError:
        if dependents:
            what = "it is still used by: " + "; ".join(d.description for d in dependents)
        else:
            what = "AWS reports dependencies, but none could be listed (they may still be deleting)"
        return ProviderError(
            f"{ctx.resource}: cannot delete VPC {vpc_id}: {what}. Delete or detach those first "
            f"(if Pulumi manages them, make them depend on this VPC). Cloud error: {cause.code}"
        )

    def dependents(self, ctx: HandlerContext, vpc_id: str) -> list[Dependent]:
        """Best-effort list of what keeps a VPC from being deleted, worded for a person."""
        found: list[Dependent] = []
        in_vpc = [ec2_filter("vpc-id", vpc_id)]

        def collect(
            method: str,
            list_key: str,
            describe: Callable[[dict[str, Any]], Dependent | None],
            filters: list[dict[str, Any]],
        ) -> None:
            try:
                items = ctx.collect("ec2", method, list_key, Filters=filters)
            except ProviderError:
                return  # an API this cloud lacks must not hide the others
            found.extend(d for d in (describe(item) for item in items) if d is not None)

        def subnet(s: dict[str, Any]) -> Dependent:
            return Dependent(f"subnet {s['SubnetId']}{label(s)} ({s.get('CidrBlock')})")

        def internet_gateway(g: dict[str, Any]) -> Dependent:
            return Dependent(f"internet gateway {g['InternetGatewayId']}{label(g)} (attached)")

        def nat_gateway(g: dict[str, Any]) -> Dependent | None:
            state = g.get("State")
            if state in ("deleted", "failed"):
                return None
            text = f"NAT gateway {g['NatGatewayId']}{label(g)} ({state})"
            return Dependent(text, transient=state in ("pending", "deleting"))

        def route_table(t: dict[str, Any]) -> Dependent | None:
            if any(a.get("Main") for a in t.get("Associations", [])):
                return None
            return Dependent(f"route table {t['RouteTableId']}{label(t)}")

        def security_group(g: dict[str, Any]) -> Dependent | None:
            if g.get("GroupName") == "default":
                return None
            return Dependent(f"security group {g['GroupId']} ({g.get('GroupName')})")

        def network_acl(a: dict[str, Any]) -> Dependent | None:
            return None if a.get("IsDefault") else Dependent(f"network ACL {a['NetworkAclId']}{label(a)}")

        def interface(n: dict[str, Any]) -> Dependent:
            # Interfaces of AWS services (Lambda, ELB...) and in-use ones go away on their own.
            text = f"network interface {n['NetworkInterfaceId']} ({n.get('Description') or n.get('Status')})"
            return Dependent(text, transient=bool(n.get("RequesterManaged")) or n.get("Status") != "available")

        def endpoint(e: dict[str, Any]) -> Dependent | None:
            state = str(e.get("State", "")).lower()
            if state == "deleted":
                return None
            text = f"VPC endpoint {e['VpcEndpointId']} ({e.get('ServiceName')})"
            return Dependent(text, transient=state in ("pending", "deleting"))

        def vpn_gateway(g: dict[str, Any]) -> Dependent | None:
            attachments = [a for a in g.get("VpcAttachments", []) if a.get("VpcId") == vpc_id]
            states = {a.get("State") for a in attachments}
            if not states & {"attaching", "attached", "detaching"}:
                return None
            text = f"VPN gateway {g['VpnGatewayId']}{label(g)} ({', '.join(sorted(map(str, states)))})"
            return Dependent(text, transient="attached" not in states)

        def tgw_attachment(a: dict[str, Any]) -> Dependent | None:
            state = a.get("State")
            if state in ("deleted", "failed", "rejected"):
                return None
            text = f"transit gateway attachment {a['TransitGatewayAttachmentId']} to {a.get('TransitGatewayId')}"
            return Dependent(text, transient=state in ("pending", "deleting", "modifying"))

        attached = [ec2_filter("attachment.vpc-id", vpc_id)]
        collect("describe_subnets", "Subnets", subnet, in_vpc)
        collect("describe_internet_gateways", "InternetGateways", internet_gateway, attached)
        collect("describe_nat_gateways", "NatGateways", nat_gateway, in_vpc)
        collect("describe_route_tables", "RouteTables", route_table, in_vpc)
        collect("describe_security_groups", "SecurityGroups", security_group, in_vpc)
        collect("describe_network_acls", "NetworkAcls", network_acl, in_vpc)
        collect("describe_network_interfaces", "NetworkInterfaces", interface, in_vpc)
        collect("describe_vpc_endpoints", "VpcEndpoints", endpoint, in_vpc)
        collect("describe_vpn_gateways", "VpnGateways", vpn_gateway, attached)
        collect("describe_transit_gateway_vpc_attachments", "TransitGatewayVpcAttachments", tgw_attachment, in_vpc)
        return found


@dataclass(frozen=True)
class Dependent:
    """Something that blocks deleting a VPC; ``transient`` ones are expected to go away by themselves."""

    description: str
    transient: bool = False

