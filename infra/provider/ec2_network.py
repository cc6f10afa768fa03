"""EC2 networking around a VPC: shared helpers, ``egov:ec2:Subnet`` and ``egov:ec2:InternetGateway``.

The other network families live next door (``ec2_routes``, ``ec2_security``, ``ec2_acl``,
``ec2_endpoints``, ``ec2_flowlogs``) and use the helpers defined here, so that every family
validates CIDRs, finds owned leftovers, syncs tags and waits out AWS's lingering
dependencies the same way (half-done creates are rolled back with ``handler.rollback_error``).
"""

from __future__ import annotations

import copy
import ipaddress
import json
import re
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any

from infra.provider import tags as tagging
from infra.provider.errors import ApiError, ProviderError
from infra.provider.handler import (
    CreateResult,
    DiffResult,
    Failure,
    HandlerContext,
    PropertySpec,
    ReadResult,
    ResourceHandler,
    contains_unknown,
    gone_on_update,
    is_unknown,
    rollback_error,
)

SUBNET_TYPE = "egov:ec2:Subnet"
INTERNET_GATEWAY_TYPE = "egov:ec2:InternetGateway"

SUBNET_NOT_FOUND = ("InvalidSubnetID.NotFound",)
IGW_NOT_FOUND = ("InvalidInternetGatewayID.NotFound",)
DEPENDENCY_VIOLATION = "DependencyViolation"
SUBNET_MIN_PREFIX = 16
SUBNET_MAX_PREFIX = 28

_DOTTED_CIDR = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,3}")


# -- shared helpers ----------------------------------------------------------------------------


def ipv4_cidr_problem(prop: str, value: str, *, min_prefix: int = 0, max_prefix: int = 32) -> str | None:
    """Why ``value`` cannot be the IPv4 CIDR block ``prop``, or None if it can.

    Host bits must be zero: AWS would either refuse the block or store the network
    address, and the stored value would then differ from the program's forever.
    """
    if ":" in value:
        return f"{prop} {value!r} is an IPv6 network; only IPv4 CIDR blocks are supported here"
    if "/" not in value:
        return f"{prop} {value!r} has no prefix length; write it as a.b.c.d/n, e.g. 10.0.1.0/24"
    if not _DOTTED_CIDR.fullmatch(value):
        return f"{prop} {value!r} is not an IPv4 CIDR block; write it as a.b.c.d/n, e.g. 10.0.1.0/24"
    try:
        interface = ipaddress.IPv4Interface(value)
    except ValueError:
        return f"{prop} {value!r} is not a valid IPv4 CIDR block (each part 0-255, prefix 0-32)"
    network = interface.network
    if not min_prefix <= network.prefixlen <= max_prefix:
        return f"{prop} {value!r} has prefix /{network.prefixlen}; it must be between /{min_prefix} and /{max_prefix}"
    if interface.ip != network.network_address:
        host_bits = ipaddress.IPv4Address(int(interface.ip) & int(network.hostmask))
        return (
            f"{prop} {value!r} has host bits set ({host_bits}); "
            f"the /{network.prefixlen} network containing it is {network}"
        )
    return None


def cidr_failures(inputs: Mapping[str, Any], prop: str, *, min_prefix: int = 0, max_prefix: int = 32) -> list[Failure]:
    value = inputs.get(prop)
    if not isinstance(value, str):
        return []
    problem = ipv4_cidr_problem(prop, value, min_prefix=min_prefix, max_prefix=max_prefix)
    return [Failure(prop, problem)] if problem else []


def enum_failures(inputs: Mapping[str, Any], prop: str, allowed: Iterable[str]) -> list[Failure]:
    """``prop`` must be one of ``allowed`` (case-sensitive, as AWS is)."""
    value = inputs.get(prop)
    choices = tuple(allowed)
    if isinstance(value, str) and value not in choices:
        return [Failure(prop, f"{prop} {value!r} must be one of: {', '.join(choices)}")]
    return []


def id_failures(inputs: Mapping[str, Any], prop: str, prefix: str) -> list[Failure]:
    """An AWS id property must look like ``<prefix>-...`` (catches names passed where ids belong)."""
    value = inputs.get(prop)
    if isinstance(value, str) and not value.startswith(f"{prefix}-"):
        return [Failure(prop, f"{prop} {value!r} is not a {prefix}-... id")]
    return []


def id_list_failures(inputs: Mapping[str, Any], prop: str, prefix: str) -> list[Failure]:
    """Every known item of a list of ids looks like ``<prefix>-...``, and none repeats."""
    values = inputs.get(prop)
    if not isinstance(values, list | tuple):
        return []
    failures: list[Failure] = []
    seen: set[str] = set()
    for index, value in enumerate(values):
        if not isinstance(value, str):
            continue
        path = f"{prop}[{index}]"
        if not value.startswith(f"{prefix}-"):
            failures.append(Failure(path, f"{path} {value!r} is not a {prefix}-... id"))
        elif value in seen:
            failures.append(Failure(path, f"{path} {value!r} is listed twice"))
        seen.add(value)
    return failures


def ec2_filter(name: str, *values: str) -> dict[str, Any]:
    return {"Name": name, "Values": list(values)}


def is_code(exc: ApiError, codes: Iterable[str]) -> bool:
    return exc.code in tuple(codes)


def describe_one(
    ctx: HandlerContext,
    method: str,
    list_key: str,
    not_found: Iterable[str],
    **params: Any,
) -> dict[str, Any] | None:
    """The single item a describe call by id returns, or None when the cloud says it does not exist."""
    try:
        items = ctx.call("ec2", method, **params).get(list_key, [])
    except ApiError as exc:
        if is_code(exc, not_found):
            return None
        raise
    return dict(items[0]) if items else None


def owned(
    ctx: HandlerContext,
    method: str,
    list_key: str,
    id_key: str,
    urn_prefix: str,
    *,
    server_filter: bool = True,
    skip_states: Collection[str] = (),
) -> dict[str, str]:
    """Ids of items whose OWNER_TAG starts with ``urn_prefix``, mapped to that URN.

    The tag-key filter only narrows the listing (moto ignores it for some types, e.g. transit
    gateway route tables and attachments); the tags themselves decide. ``server_filter=False``
    for describe calls that have no ``tag-key`` filter (DescribeSecurityGroupRules documents
    only ``tag:<key>``): list all, filter here. Items whose ``State`` is in ``skip_states``
    (on their way out) are left out.
    """
    params: dict[str, Any] = {}
    if server_filter:
        params["Filters"] = [ec2_filter("tag-key", tagging.OWNER_TAG)]
    found: dict[str, str] = {}
    for item in ctx.collect("ec2", method, list_key, **params):
        if item.get("State") in skip_states:
            continue
        urn = tagging.owner_urn(item.get("Tags"))
        if urn and urn.startswith(urn_prefix):
            found[str(item[id_key])] = urn
    return found


def tag_specifications(ctx: HandlerContext, resource_type: str, tags: Mapping[str, str] | None) -> list[dict[str, Any]]:
    """TagSpecifications for a create call: the user's tags plus the owner tag (see ``tags.OWNER_TAG``)."""
    return [{"ResourceType": resource_type, "Tags": tagging.with_owner(tags or {}, ctx.resource.urn)}]


def sync_tags(ctx: HandlerContext, resource_id: str, current: Mapping[str, str], desired: Mapping[str, str]) -> None:
    """Make the user tags on ``resource_id`` equal ``desired`` (the owner tag is left alone)."""
    tagging.sync(
        current,
        desired,
        remove=lambda keys: ctx.call("ec2", "delete_tags", Resources=[resource_id], Tags=[{"Key": k} for k in keys]),
        add=lambda tags: ctx.call("ec2", "create_tags", Resources=[resource_id], Tags=tagging.to_aws(tags)),
    )


def ec2_arn(ctx: HandlerContext, kind: str, resource_id: str, owner: str | None) -> str | None:
    """``arn:<partition>:ec2:<region>:<owner>:<kind>/<id>``; None when partition or owner is unknown.

    Built here rather than taken from responses because moto stamps ``arn:aws:`` on
    resources in ``cn-*`` regions, where the partition is ``aws-cn``.
    """
    partition = ctx.clients.partition()
    if not partition or not owner:
        return None
    return f"arn:{partition}:ec2:{ctx.clients.config.region}:{owner}:{kind}/{resource_id}"


def delete_with_grace(
    ctx: HandlerContext,
    attempt: Callable[[], object],
    *,
    not_found: Iterable[str],
    grace_seconds: float,
    blockers: Callable[[], list[str]] | None = None,
    what: str,
) -> None:
    """Run ``attempt`` (a delete/detach call); NotFound is success.

    ``DependencyViolation`` is retried for ``grace_seconds`` because AWS keeps
    reporting just-deleted dependents (interfaces of a deleted endpoint, a route
    table association being removed) for a while. After that the error names the
    blockers ``blockers()`` can find.
    """
    missing = tuple(not_found)
    deadline = time.monotonic() + min(ctx.effective_timeout(), grace_seconds)
    delay = 1.0
    while True:
        try:
            attempt()
            return
        except ApiError as exc:
            if exc.code in missing:
                return
            if exc.code != DEPENDENCY_VIOLATION:
                raise
            if ctx.cancelled.is_set() or time.monotonic() + delay > deadline:
                found = blockers() if blockers is not None else []
                users = "it is still used by: " + "; ".join(found) if found else str(exc)
                raise ProviderError(
                    f"{ctx.resource}: cannot delete {what}: {users}. Delete or detach those first "
                    f"(if Pulumi manages them, make them depend on this resource). Cloud error: {exc.code}"
                ) from exc
        ctx.cancelled.wait(delay)
        delay = min(delay * 2, 10.0)


def label(item: Mapping[str, Any]) -> str:
    """' "name"' from an item's Name tag, so people recognise what an id is."""
    for tag in item.get("Tags", []) or []:
        if tag.get("Key") == "Name" and tag.get("Value"):
            return f' "{tag["Value"]}"'
    return ""


def order_like(live: Iterable[Any], reference: Any, key: Callable[[Any], Any] = lambda item: item) -> list[Any]:
    """``live`` items in the order ``reference`` (the state's list) has them, then the rest sorted.

    Keeps refreshed state stable for properties whose order AWS does not preserve.
    """
    items = list(live)
    ref = list(reference) if isinstance(reference, list | tuple) else []
    rank = {key(item): index for index, item in enumerate(ref) if not contains_unknown(item)}
    known = sorted((i for i in items if key(i) in rank), key=lambda i: rank[key(i)])
    rest = sorted((i for i in items if key(i) not in rank), key=lambda i: json.dumps(key(i), sort_keys=True))
    return known + rest


def align_unordered(
    old_state: Mapping[str, Any],
    news: Mapping[str, Any],
    names: Iterable[str],
    canonical: Callable[[Any], Any] = lambda item: item,
) -> dict[str, Any]:
    """A copy of ``old_state`` where each list property in ``names`` that holds the same
    items as ``news`` (in any order) is replaced by the news' list, so the generic diff
    does not report a reordering that AWS would not preserve anyway."""
    aligned = dict(old_state)
    for name in names:
        old, new = old_state.get(name), news.get(name)
        if old is None:
            old = []
        if new is None:
            new = []
        if not isinstance(old, list | tuple) or not isinstance(new, list | tuple) or contains_unknown(new):
            continue
        try:
            same = sorted(json.dumps(canonical(i), sort_keys=True) for i in old) == sorted(
                json.dumps(canonical(i), sort_keys=True) for i in new
            )
        except TypeError:
            continue
        if same:
            aligned[name] = copy.deepcopy(news.get(name))
    return aligned


def changed(old_state: Mapping[str, Any], news: Mapping[str, Any], name: str) -> bool:
    """Whether input ``name`` differs (an unknown new value counts as a change)."""
    new = news.get(name)
    return is_unknown(new) or contains_unknown(new) or old_state.get(name) != new


def mark_delete_before_replace(result: DiffResult, collides: bool) -> DiffResult:
    """Ask the engine to delete the old resource first when its replacement would collide with it."""
    if result.replaces and collides:
        result.delete_before_replace = True
    return result


# -- egov:ec2:Subnet -----------------------------------------------------------------------------


class SubnetHandler(ResourceHandler):
    """A subnet of a VPC in one availability zone.

    vpcId, cidrBlock and availabilityZone replace the subnet; mapPublicIpOnLaunch and
    tags change in place. A replacement whose new CIDR overlaps the old one in the same
    VPC (an AZ move, a resize) deletes the old subnet first, since AWS refuses
    overlapping subnets.
    """

    type_token = SUBNET_TYPE
    description = "A subnet of a VPC, in one availability zone."
    properties = (
        PropertySpec(
            "vpcId", "string", "The VPC. Changing it replaces the subnet.", required=True, replace_on_change=True
        ),
        PropertySpec(
            "cidrBlock",
            "string",
            f"IPv4 CIDR block inside the VPC's, /{SUBNET_MIN_PREFIX} to /{SUBNET_MAX_PREFIX}. "
            "Changing it replaces the subnet.",
            required=True,
            replace_on_change=True,
        ),
        PropertySpec(
            "availabilityZone",
            "string",
            "Availability zone, e.g. cn-north-1a. Changing it replaces the subnet.",
            required=True,
            replace_on_change=True,
        ),
        PropertySpec(
            "mapPublicIpOnLaunch",
            "boolean",
            "Whether instances launched here get a public IPv4 address.",
            default=False,
        ),
        PropertySpec("tags", "object", "Tags on the subnet.", default={}, item_type="string"),
        PropertySpec("subnetId", "string", "The subnet's id.", output_only=True),
        PropertySpec("arn", "string", "The subnet's ARN, when the region's partition is known.", output_only=True),
        PropertySpec("ownerId", "string", "The account that owns the subnet.", output_only=True),
        PropertySpec("availabilityZoneId", "string", "The zone's id (e.g. cnn1-az1).", output_only=True),
    )

    def __init__(self, *, dependency_grace_seconds: float = 60.0) -> None:
        self.dependency_grace_seconds = dependency_grace_seconds

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        failures = id_failures(inputs, "vpcId", "vpc")
        failures += cidr_failures(inputs, "cidrBlock", min_prefix=SUBNET_MIN_PREFIX, max_prefix=SUBNET_MAX_PREFIX)
        failures += tagging.validate_tags(inputs.get("tags"))
        return failures

    def diff(
        self,
        ctx: HandlerContext,
        resource_id: str,
        old_state: dict[str, Any],
        news: dict[str, Any],
        ignore_changes: Iterable[str] = (),
    ) -> DiffResult:
        result = super().diff(ctx, resource_id, old_state, news, ignore_changes)
        return mark_delete_before_replace(result, self._would_overlap(old_state, news))

    @staticmethod
    def _would_overlap(old_state: Mapping[str, Any], news: Mapping[str, Any]) -> bool:
        if changed(old_state, news, "vpcId"):
            return is_unknown(news.get("vpcId"))  # maybe the same VPC after all
        old, new = old_state.get("cidrBlock"), news.get("cidrBlock")
        if not isinstance(old, str) or not isinstance(new, str):
            return True
        try:
            return ipaddress.IPv4Network(old).overlaps(ipaddress.IPv4Network(new))
        except ValueError:
            return True

    def create(self, ctx: HandlerContext, inputs: dict[str, Any]) -> CreateResult:
        response = ctx.call(
            "ec2",
            "create_subnet",
            VpcId=inputs["vpcId"],
            CidrBlock=inputs["cidrBlock"],
            AvailabilityZone=inputs["availabilityZone"],
            TagSpecifications=tag_specifications(ctx, "subnet", inputs.get("tags")),
        )
        subnet_id = str(response["Subnet"]["SubnetId"])
        try:
            ctx.wait_until(f"subnet {subnet_id} to become available", lambda: self._available(ctx, subnet_id))
            if inputs.get("mapPublicIpOnLaunch"):
                self._set_map_public_ip(ctx, subnet_id, True)
            outputs = self._describe(ctx, subnet_id)
            if outputs is None:
                raise ProviderError(f"{ctx.resource}: subnet {subnet_id} disappeared right after it was created")
        except Exception as exc:
            raise rollback_error(ctx, "subnet", subnet_id, exc, lambda: self.delete(ctx, subnet_id, {})) from exc
        return CreateResult(resource_id=subnet_id, outputs=outputs)

    def _available(self, ctx: HandlerContext, subnet_id: str) -> bool:
        subnet = describe_one(ctx, "describe_subnets", "Subnets", SUBNET_NOT_FOUND, SubnetIds=[subnet_id])
        return subnet is not None and subnet.get("State", "available") == "available"

    @staticmethod
    def _set_map_public_ip(ctx: HandlerContext, subnet_id: str, value: bool) -> None:
        ctx.call("ec2", "modify_subnet_attribute", SubnetId=subnet_id, MapPublicIpOnLaunch={"Value": value})

    def _describe(self, ctx: HandlerContext, subnet_id: str) -> dict[str, Any] | None:
        subnet = describe_one(ctx, "describe_subnets", "Subnets", SUBNET_NOT_FOUND, SubnetIds=[subnet_id])
        if subnet is None:
            return None
        owner = str(subnet.get("OwnerId") or "") or None
        return {
            "vpcId": subnet.get("VpcId"),
            "cidrBlock": subnet.get("CidrBlock"),
            "availabilityZone": subnet.get("AvailabilityZone"),
            "mapPublicIpOnLaunch": bool(subnet.get("MapPublicIpOnLaunch", False)),
            "tags": tagging.from_aws(subnet.get("Tags")),
            "subnetId": subnet_id,
            "arn": ec2_arn(ctx, "subnet", subnet_id, owner),
            "ownerId": owner,
            "availabilityZoneId": subnet.get("AvailabilityZoneId"),
        }

    def read(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any], inputs: dict[str, Any]) -> ReadResult:
        outputs = self._describe(ctx, resource_id) if resource_id else None
        return self.read_result(resource_id, outputs)

    def find_owned(self, ctx: HandlerContext, urn_prefix: str) -> dict[str, str]:
        return owned(ctx, "describe_subnets", "Subnets", "SubnetId", urn_prefix)

    def update(
        self, ctx: HandlerContext, resource_id: str, old_state: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        live = self._describe(ctx, resource_id)
        if live is None:
            raise gone_on_update(ctx, "subnet", resource_id)
        sync_tags(ctx, resource_id, live["tags"], news.get("tags") or {})
        wanted = bool(news.get("mapPublicIpOnLaunch", False))
        if wanted != live["mapPublicIpOnLaunch"]:
            self._set_map_public_ip(ctx, resource_id, wanted)
        outputs = self._describe(ctx, resource_id)
        if outputs is None:
            raise ProviderError(f"{ctx.resource}: subnet {resource_id} disappeared during the update")
        return outputs

    def delete(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any]) -> None:
        def blockers() -> list[str]:
            try:
                interfaces = ctx.collect(
                    "ec2",
                    "describe_network_interfaces",
                    "NetworkInterfaces",
                    Filters=[ec2_filter("subnet-id", resource_id)],
                )
            except ProviderError:
                return []
            return [
                f"network interface {n['NetworkInterfaceId']} ({n.get('Description') or n.get('Status')})"
                for n in interfaces
            ]

        delete_with_grace(
            ctx,
            lambda: ctx.call("ec2", "delete_subnet", SubnetId=resource_id),
            not_found=SUBNET_NOT_FOUND,
            grace_seconds=self.dependency_grace_seconds,
            blockers=blockers,
            what=f"subnet {resource_id}",
        )


# -- egov:ec2:InternetGateway -----------------------------------------------------------------------


class InternetGatewayHandler(ResourceHandler):
    """An internet gateway, attached to at most one VPC; vpcId attaches/detaches in place."""

    type_token = INTERNET_GATEWAY_TYPE
    description = "An internet gateway, optionally attached to a VPC."
    properties = (
        PropertySpec(
            "vpcId",
            "string",
            "The VPC to attach to; changing it detaches and re-attaches in place, unset detaches.",
        ),
        PropertySpec("tags", "object", "Tags on the internet gateway.", default={}, item_type="string"),
        PropertySpec("internetGatewayId", "string", "The internet gateway's id.", output_only=True),
        PropertySpec("arn", "string", "The gateway's ARN, when the region's partition is known.", output_only=True),
        PropertySpec("ownerId", "string", "The account that owns the gateway.", output_only=True),
    )

    def __init__(self, *, dependency_grace_seconds: float = 60.0) -> None:
        self.dependency_grace_seconds = dependency_grace_seconds

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        return id_failures(inputs, "vpcId", "vpc") + tagging.validate_tags(inputs.get("tags"))

    def create(self, ctx: HandlerContext, inputs: dict[str, Any]) -> CreateResult:
        response = ctx.call(
            "ec2",
            "create_internet_gateway",
            TagSpecifications=tag_specifications(ctx, "internet-gateway", inputs.get("tags")),
        )
        gateway_id = str(response["InternetGateway"]["InternetGatewayId"])
        try:
            if inputs.get("vpcId"):
                ctx.call("ec2", "attach_internet_gateway", InternetGatewayId=gateway_id, VpcId=inputs["vpcId"])
            outputs = self._describe(ctx, gateway_id)
            if outputs is None:
                raise ProviderError(f"{ctx.resource}: internet gateway {gateway_id} disappeared right after creation")
        except Exception as exc:
            raise rollback_error(
                ctx, "internet gateway", gateway_id, exc, lambda: self.delete(ctx, gateway_id, {})
            ) from exc
        return CreateResult(resource_id=gateway_id, outputs=outputs)

    def _gateway(self, ctx: HandlerContext, gateway_id: str) -> dict[str, Any] | None:
        return describe_one(
            ctx, "describe_internet_gateways", "InternetGateways", IGW_NOT_FOUND, InternetGatewayIds=[gateway_id]
        )

    @staticmethod
    def _attached_vpcs(gateway: Mapping[str, Any]) -> list[str]:
        return [
            str(a["VpcId"])
            for a in gateway.get("Attachments", []) or []
            if a.get("VpcId") and a.get("State") in ("available", "attached", "attaching")
        ]

    def _describe(self, ctx: HandlerContext, gateway_id: str) -> dict[str, Any] | None:
        gateway = self._gateway(ctx, gateway_id)
        if gateway is None:
            return None
        owner = str(gateway.get("OwnerId") or "") or None
        vpcs = self._attached_vpcs(gateway)
        return {
            "vpcId": vpcs[0] if vpcs else None,
            "tags": tagging.from_aws(gateway.get("Tags")),
            "internetGatewayId": gateway_id,
            "arn": ec2_arn(ctx, "internet-gateway", gateway_id, owner),
            "ownerId": owner,
        }

    def read(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any], inputs: dict[str, Any]) -> ReadResult:
        outputs = self._describe(ctx, resource_id) if resource_id else None
        return self.read_result(resource_id, outputs)

    def find_owned(self, ctx: HandlerContext, urn_prefix: str) -> dict[str, str]:
        return owned(ctx, "describe_internet_gateways", "InternetGateways", "InternetGatewayId", urn_prefix)

    def update(
        self, ctx: HandlerContext, resource_id: str, old_state: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        gateway = self._gateway(ctx, resource_id)
        if gateway is None:
            raise gone_on_update(ctx, "internet gateway", resource_id)
        wanted = news.get("vpcId") or None
        for vpc_id in self._attached_vpcs(gateway):
            if vpc_id != wanted:
                self._detach(ctx, resource_id, vpc_id)
        if wanted and wanted not in self._attached_vpcs(gateway):
            ctx.call("ec2", "attach_internet_gateway", InternetGatewayId=resource_id, VpcId=wanted)
        sync_tags(ctx, resource_id, tagging.from_aws(gateway.get("Tags")), news.get("tags") or {})
        outputs = self._describe(ctx, resource_id)
        if outputs is None:
            raise ProviderError(f"{ctx.resource}: internet gateway {resource_id} disappeared during the update")
        return outputs

    def _detach(self, ctx: HandlerContext, gateway_id: str, vpc_id: str) -> None:
        """DetachInternetGateway; AWS refuses (DependencyViolation) while the VPC still has
        public addresses mapped, which may be on their way out, so that is retried a while."""
        delete_with_grace(
            ctx,
            lambda: ctx.call("ec2", "detach_internet_gateway", InternetGatewayId=gateway_id, VpcId=vpc_id),
            not_found=(*IGW_NOT_FOUND, "Gateway.NotAttached"),
            grace_seconds=self.dependency_grace_seconds,
            what=f"the attachment of internet gateway {gateway_id} to {vpc_id}",
        )

    def delete(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any]) -> None:
        gateway = self._gateway(ctx, resource_id)
        if gateway is None:
            return
        for vpc_id in self._attached_vpcs(gateway):
            self._detach(ctx, resource_id, vpc_id)
        delete_with_grace(
            ctx,
            lambda: ctx.call("ec2", "delete_internet_gateway", InternetGatewayId=resource_id),
            not_found=IGW_NOT_FOUND,
            grace_seconds=self.dependency_grace_seconds,
            what=f"internet gateway {resource_id}",
        )


def network_handlers() -> list[ResourceHandler]:
    """Every network family around a VPC, for ``provider.default_registry``."""
    from infra.provider.ec2_acl import NetworkAclEntryHandler, NetworkAclHandler
    from infra.provider.ec2_endpoints import VpcEndpointHandler
    from infra.provider.ec2_flowlogs import FlowLogHandler
    from infra.provider.ec2_routes import RouteTableAssociationHandler, RouteTableHandler
    from infra.provider.ec2_security import (
        DefaultSecurityGroupLockdownHandler,
        SecurityGroupHandler,
        SecurityGroupRuleGuardHandler,
        SecurityGroupRuleHandler,
    )

    return [
        SubnetHandler(),
        InternetGatewayHandler(),
        RouteTableHandler(),
        RouteTableAssociationHandler(),
        SecurityGroupHandler(),
        SecurityGroupRuleHandler(),
        DefaultSecurityGroupLockdownHandler(),
        SecurityGroupRuleGuardHandler(),
        NetworkAclHandler(),
        NetworkAclEntryHandler(),
        FlowLogHandler(),
        VpcEndpointHandler(),
    ]
