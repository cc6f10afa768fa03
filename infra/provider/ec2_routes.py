"""``egov:ec2:RouteTable`` (with its routes managed in place) and ``egov:ec2:RouteTableAssociation``.

Routes are part of the route table resource: each is ``{destinationCidrBlock, <one
target>}`` and the table holds exactly the declared ones. An update plans against the
routes that exist *now* (so it also repairs drift), replacing a route's target in place
(ReplaceRoute), creating new destinations and deleting undeclared ones.

Only IPv4 destination routes with a target kind listed in ``TARGETS`` are managed. The
VPC's ``local`` route, routes a gateway VPC endpoint adds for its prefix list, routes
propagated from a VPN gateway and routes to target kinds not listed here are left alone
and never reported, so adopting a table does not delete what this resource cannot
express.

Moto 5.2.5 gap: ``ReplaceRoute`` ignores ``VpcEndpointId`` (and never clears a route's
endpoint target), so a target change from or to a VPC endpoint is done as DeleteRoute
followed by CreateRoute. On AWS that leaves a short window without the route; every
other target change is a single ReplaceRoute.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from infra.provider import tags as tagging
from infra.provider.ec2 import (
    Ec2Handler,
    delete_with_grace,
    ec2_arn,
    ec2_filter,
    id_failures,
    ipv4_cidr_problem,
    order_like,
    tag_specifications,
    tagged_identity,
    vpc_property,
)
from infra.provider.errors import ApiError, ProviderError
from infra.provider.handler import (
    CheckResult,
    CreateResult,
    DiffKind,
    Failure,
    HandlerContext,
    Lookup,
    PropertySpec,
    ReadResult,
    ResourceHandler,
    align_unordered,
    contains_unknown,
    is_unknown,
    output,
)

ROUTE_TABLE_TYPE = "egov:ec2:RouteTable"
ROUTE_TABLE_ASSOCIATION_TYPE = "egov:ec2:RouteTableAssociation"
ROUTE_TABLE_NOT_FOUND = ("InvalidRouteTableID.NotFound",)
ASSOCIATION_NOT_FOUND = ("InvalidAssociationID.NotFound",)
ROUTE_NOT_FOUND = ("InvalidRoute.NotFound",)

DESTINATION = "destinationCidrBlock"
TARGETS: dict[str, tuple[str, str]] = {
    # property -> (API parameter, id prefix)
    "gatewayId": ("GatewayId", "igw"),
    "natGatewayId": ("NatGatewayId", "nat"),
    "transitGatewayId": ("TransitGatewayId", "tgw"),
    "vpcEndpointId": ("VpcEndpointId", "vpce"),
    "networkInterfaceId": ("NetworkInterfaceId", "eni"),
    "vpcPeeringConnectionId": ("VpcPeeringConnectionId", "pcx"),
}
GATEWAY_PREFIXES = ("igw-", "vgw-")
ROUTE_KEYS = (DESTINATION, *TARGETS)


# -- routes as data --------------------------------------------------------------------------------


def canonical_route(route: Mapping[str, Any]) -> dict[str, Any]:
    """A route without null-valued keys: the program may send ``{"gatewayId": None, ...}``."""
    return {key: value for key, value in route.items() if value is not None}


def route_target(route: Mapping[str, Any]) -> tuple[str, Any] | None:
    """(property, value) of the route's one target, or None."""
    targets = [(key, route[key]) for key in TARGETS if route.get(key) is not None]
    return targets[0] if len(targets) == 1 else None


def route_from_aws(route: Mapping[str, Any]) -> dict[str, Any] | None:
    """Our form of an AWS route, or None for routes this resource does not manage (see module doc)."""
    destination = route.get("DestinationCidrBlock")
    if not destination or route.get("Origin") in ("CreateRouteTable", "EnableVgwRoutePropagation"):
        return None
    gateway = str(route.get("GatewayId") or "")
    if gateway == "local":
        return None
    target: tuple[str, str] | None = None
    if gateway.startswith("vpce-"):
        target = ("vpcEndpointId", gateway)  # AWS reports Gateway Load Balancer endpoints as GatewayId
    elif gateway.startswith(GATEWAY_PREFIXES):
        target = ("gatewayId", gateway)
    elif route.get("NatGatewayId"):
        target = ("natGatewayId", str(route["NatGatewayId"]))
    elif route.get("TransitGatewayId"):
        target = ("transitGatewayId", str(route["TransitGatewayId"]))
    elif route.get("VpcPeeringConnectionId"):
        target = ("vpcPeeringConnectionId", str(route["VpcPeeringConnectionId"]))
    elif route.get("NetworkInterfaceId"):
        target = ("networkInterfaceId", str(route["NetworkInterfaceId"]))
    if target is None:
        return None
    return {DESTINATION: str(destination), target[0]: target[1]}


def route_failures(routes: Any, prop: str = "routes") -> list[Failure]:
    """Each route: a known set of keys, a valid destination, exactly one target; no destination twice."""
    if not isinstance(routes, list | tuple):
        return []
    failures: list[Failure] = []
    seen: dict[str, int] = {}
    accepted = ", ".join(ROUTE_KEYS)
    for index, raw in enumerate(routes):
        path = f"{prop}[{index}]"
        if is_unknown(raw) or not isinstance(raw, Mapping):
            continue
        route = canonical_route(raw)
        for key in route:
            if key not in ROUTE_KEYS:
                failures.append(
                    Failure(f"{path}.{key}", f"{path} has unknown key {key!r}; a route accepts: {accepted}")
                )
        destination = route.get(DESTINATION)
        if destination is None:
            failures.append(Failure(path, f"{path} needs a {DESTINATION}"))
        elif not is_unknown(destination):
            if not isinstance(destination, str):
                failures.append(Failure(f"{path}.{DESTINATION}", f"{path}.{DESTINATION} must be a string"))
            else:
                problem = ipv4_cidr_problem(f"{path}.{DESTINATION}", destination)
                if problem:
                    failures.append(Failure(f"{path}.{DESTINATION}", problem))
                elif destination in seen:
                    failures.append(
                        Failure(path, f"{path} repeats destination {destination} of {prop}[{seen[destination]}]")
                    )
                else:
                    seen[destination] = index
        targets = [key for key in TARGETS if key in route]
        if len(targets) != 1:
            named = ", ".join(targets) if targets else "none"
            failures.append(Failure(path, f"{path} needs exactly one target ({', '.join(TARGETS)}); it has {named}"))
            continue
        key = targets[0]
        value = route[key]
        if is_unknown(value):
            continue
        prefixes = GATEWAY_PREFIXES if key == "gatewayId" else (f"{TARGETS[key][1]}-",)
        if value == "local":
            failures.append(Failure(f"{path}.{key}", f"{path}: the VPC's local route is managed by AWS; leave it out"))
        elif not isinstance(value, str) or not value.startswith(prefixes):
            failures.append(
                Failure(
                    f"{path}.{key}", f"{path}.{key} {value!r} is not a {' or '.join(p + '...' for p in prefixes)} id"
                )
            )
    return failures


@dataclass
class RoutePlan:
    """How to go from the current routes to the desired ones (keyed by destination)."""

    create: list[dict[str, Any]] = field(default_factory=list)
    replace: list[tuple[dict[str, Any], dict[str, Any]]] = field(default_factory=list)
    """(current, desired) pairs whose target changes."""
    delete: list[dict[str, Any]] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (self.create or self.replace or self.delete)


def plan_routes(current: Iterable[Mapping[str, Any]], desired: Iterable[Mapping[str, Any]]) -> RoutePlan:
    have = {str(r[DESTINATION]): canonical_route(r) for r in current}
    want = {str(r[DESTINATION]): canonical_route(r) for r in desired}
    plan = RoutePlan()
    for destination, route in want.items():
        old = have.get(destination)
        if old is None:
            plan.create.append(route)
        elif route_target(old) != route_target(route):
            plan.replace.append((old, route))
    plan.delete = [route for destination, route in have.items() if destination not in want]
    return plan


def route_diff(old_routes: list[Any], new_routes: list[Any], prop: str = "routes") -> dict[str, DiffKind]:
    """Detailed diff per route: ``routes[i]`` of the new list for adds/updates, of the old for deletes.

    When a deleted route's old index is also a new index that changes, one path would
    mean two things, so the whole list is reported as updated instead.
    """
    if contains_unknown(new_routes):
        return {prop: DiffKind.UPDATE}
    old_index = {str(r.get(DESTINATION)): i for i, r in enumerate(old_routes)}
    new_index = {str(r.get(DESTINATION)): i for i, r in enumerate(new_routes)}
    plan = plan_routes(old_routes, new_routes)
    entries: list[tuple[str, DiffKind]] = [
        *((f"{prop}[{new_index[r[DESTINATION]]}]", DiffKind.ADD) for r in plan.create),
        *((f"{prop}[{new_index[r[DESTINATION]]}]", DiffKind.UPDATE) for _, r in plan.replace),
        *((f"{prop}[{old_index[r[DESTINATION]]}]", DiffKind.DELETE) for r in plan.delete),
    ]
    detail = dict(entries)
    if len(detail) != len(entries):
        return {prop: DiffKind.UPDATE}
    return detail


def _canonical(routes: Any) -> Any:
    """A list of routes in canonical form (anything else as it is)."""
    if not isinstance(routes, list):
        return routes
    return [canonical_route(r) if isinstance(r, Mapping) else r for r in routes]


def _route_params(route: Mapping[str, Any]) -> dict[str, Any]:
    target = route_target(route)
    if target is None:
        raise ProviderError(f"route to {route.get(DESTINATION)} has no single target")
    return {"DestinationCidrBlock": route[DESTINATION], TARGETS[target[0]][0]: target[1]}


# -- egov:ec2:RouteTable ------------------------------------------------------------------------------


class RouteTableHandler(Ec2Handler):
    """A route table of a VPC with its routes; vpcId replaces, routes and tags change in place."""

    type_token = ROUTE_TABLE_TYPE
    description = "A route table of a VPC, holding exactly the declared routes."
    noun = "route table"
    outputs_after_tag_sync = True
    lookup = Lookup("describe_route_tables", "RouteTableIds", "RouteTables", "RouteTableId", ROUTE_TABLE_NOT_FOUND)
    default_grace_seconds = 30.0
    properties = (
        vpc_property("route table"),
        PropertySpec(
            "routes",
            "array",
            "Routes: each {destinationCidrBlock, and one of " + ", ".join(TARGETS) + "}. "
            "Managed in place; routes not listed are removed (the local route is AWS's).",
            default=[],
            item_type="object",
        ),
        *tagged_identity("route table", "routeTableId", partition="the partition"),
    )

    def check(self, ctx: HandlerContext, news: dict[str, Any], olds: dict[str, Any]) -> CheckResult:
        """The base check, then routes in canonical form (no null-valued keys)."""
        result = super().check(ctx, news, olds)
        if isinstance(result.inputs.get("routes"), list):
            result.inputs["routes"] = _canonical(result.inputs["routes"])
        return result

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        failures = id_failures(inputs, "vpcId", "vpc")
        failures += route_failures(inputs.get("routes"))
        failures += tagging.validate_tags(inputs.get("tags"))
        return failures

    def aligned_state(self, old_state: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        """The state's routes in the program's order when they are the same routes."""
        return align_unordered(old_state, {"routes": _canonical(news.get("routes"))}, ["routes"], canonical_route)

    def property_changes(self, spec: PropertySpec, old: Any, new: Any) -> dict[str, DiffKind]:
        """Routes are diffed per route (``route_diff``), the rest as usual."""
        changes = super().property_changes(spec, old, new)
        if spec.name != "routes" or not changes or not isinstance(new, list):
            return changes
        return route_diff(list(old or []), _canonical(new))

    # -- cloud ---------------------------------------------------------------------------

    def create(self, ctx: HandlerContext, inputs: dict[str, Any]) -> CreateResult:
        response = ctx.call(
            "ec2",
            "create_route_table",
            VpcId=inputs["vpcId"],
            TagSpecifications=tag_specifications(ctx, "route-table", inputs.get("tags")),
        )
        table_id = str(response["RouteTable"]["RouteTableId"])

        def add_routes() -> None:
            for route in inputs.get("routes") or []:
                ctx.call("ec2", "create_route", RouteTableId=table_id, **_route_params(route))

        return self.finish_create(ctx, table_id, inputs, add_routes)

    def _outputs(self, ctx: HandlerContext, item: dict[str, Any], reference: Mapping[str, Any]) -> dict[str, Any]:
        table_id = str(item["RouteTableId"])
        routes = [r for r in (route_from_aws(raw) for raw in item.get("Routes", []) or []) if r is not None]
        owner = str(item.get("OwnerId") or "") or None
        return {
            "vpcId": item.get("VpcId"),
            "routes": order_like(routes, reference.get("routes"), key=lambda r: r.get(DESTINATION)),
            "tags": tagging.from_aws(item.get("Tags")),
            "routeTableId": table_id,
            "arn": ec2_arn(ctx, "route-table", table_id, owner),
            "ownerId": owner,
        }

    def read_reference(self, state: dict[str, Any], inputs: dict[str, Any]) -> Mapping[str, Any]:
        return {"routes": state.get("routes") or inputs.get("routes")}

    def apply_update(self, ctx: HandlerContext, resource_id: str, live: dict[str, Any], news: dict[str, Any]) -> None:
        desired = [canonical_route(r) for r in news.get("routes") or []]
        self.apply_routes(ctx, resource_id, plan_routes(live["routes"], desired))

    @staticmethod
    def apply_routes(ctx: HandlerContext, table_id: str, plan: RoutePlan) -> None:
        """Replace changed targets, add new destinations, then remove undeclared ones."""
        for old, new in plan.replace:
            if "vpcEndpointId" in old or "vpcEndpointId" in new:  # moto ignores VpcEndpointId on ReplaceRoute
                _delete_route(ctx, table_id, old)
                ctx.call("ec2", "create_route", RouteTableId=table_id, **_route_params(new))
            else:
                ctx.call("ec2", "replace_route", RouteTableId=table_id, **_route_params(new))
        for route in plan.create:
            ctx.call("ec2", "create_route", RouteTableId=table_id, **_route_params(route))
        for route in plan.delete:
            _delete_route(ctx, table_id, route)

    def delete(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any]) -> None:
        def blockers() -> list[str]:
            table = self._get(ctx, resource_id) or {}
            return [
                f"subnet {a['SubnetId']} (association {a.get('RouteTableAssociationId')})"
                for a in table.get("Associations", []) or []
                if a.get("SubnetId")
            ] + ["the VPC (it is the main route table)" for a in table.get("Associations", []) or [] if a.get("Main")]

        delete_with_grace(
            ctx,
            lambda: ctx.call("ec2", "delete_route_table", RouteTableId=resource_id),
            not_found=ROUTE_TABLE_NOT_FOUND,
            grace_seconds=self.dependency_grace_seconds,
            blockers=blockers,
            what=f"route table {resource_id}",
        )


def _delete_route(ctx: HandlerContext, table_id: str, route: Mapping[str, Any]) -> None:
    try:
        ctx.call("ec2", "delete_route", RouteTableId=table_id, DestinationCidrBlock=route[DESTINATION])
    except ApiError as exc:
        if exc.code not in ROUTE_NOT_FOUND:
            raise


# -- egov:ec2:RouteTableAssociation ----------------------------------------------------------------------


class RouteTableAssociationHandler(ResourceHandler):
    """Associates a subnet with a route table.

    A new subnetId replaces the association; a new routeTableId moves it in place with
    ReplaceRouteTableAssociation. That call gives the association a new id, while a
    Pulumi resource keeps its id for life, so the resource id is the association id at
    creation (or import) and the *current* one is the ``associationId`` output. A subnet
    has at most one explicit association, so refresh and delete find it by ``subnetId``.
    """

    type_token = ROUTE_TABLE_ASSOCIATION_TYPE
    description = "The association of a subnet with a route table."
    properties = (
        PropertySpec(
            "subnetId",
            "string",
            "The subnet. Changing it replaces the association.",
            required=True,
            replace_on_change=True,
        ),
        PropertySpec(
            "routeTableId",
            "string",
            "The route table; changing it moves the subnet in place (ReplaceRouteTableAssociation).",
            required=True,
        ),
        output("associationId", "The association's current id."),
    )

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        return id_failures(inputs, "subnetId", "subnet") + id_failures(inputs, "routeTableId", "rtb")

    def _find(self, ctx: HandlerContext, *, subnet_id: str | None, association_id: str | None) -> dict[str, Any] | None:
        """The subnet's explicit association (by subnet, else by association id) as our outputs."""
        if subnet_id:
            filters = [ec2_filter("association.subnet-id", subnet_id)]
        elif association_id:
            filters = [ec2_filter("association.route-table-association-id", association_id)]
        else:
            return None
        tables = ctx.collect("ec2", "describe_route_tables", "RouteTables", Filters=filters)
        for table in tables:
            for association in table.get("Associations", []) or []:
                if association.get("Main") or not association.get("SubnetId"):
                    continue
                state = (association.get("AssociationState") or {}).get("State", "associated")
                if state not in ("associated", "associating"):
                    continue
                if subnet_id and association["SubnetId"] != subnet_id:
                    continue
                if not subnet_id and association.get("RouteTableAssociationId") != association_id:
                    continue
                return {
                    "subnetId": str(association["SubnetId"]),
                    "routeTableId": str(association.get("RouteTableId") or table["RouteTableId"]),
                    "associationId": str(association["RouteTableAssociationId"]),
                }
        return None

    def create(self, ctx: HandlerContext, inputs: dict[str, Any]) -> CreateResult:
        subnet_id, table_id = inputs["subnetId"], inputs["routeTableId"]
        existing = self._find(ctx, subnet_id=subnet_id, association_id=None)
        if existing is not None:
            # AWS answers Resource.AlreadyAssociated; moto silently returns the other association.
            raise ProviderError(
                f"{ctx.resource}: subnet {subnet_id} is already associated with route table "
                f"{existing['routeTableId']} (association {existing['associationId']}); a subnet has one explicit "
                f"route table. Remove that association, or adopt it with "
                f"`pulumi import {ROUTE_TABLE_ASSOCIATION_TYPE} {ctx.resource.name} {existing['associationId']}`"
            )
        response = ctx.call("ec2", "associate_route_table", RouteTableId=table_id, SubnetId=subnet_id)
        association_id = str(response["AssociationId"])
        outputs = {"subnetId": subnet_id, "routeTableId": table_id, "associationId": association_id}
        return CreateResult(resource_id=association_id, outputs=outputs)

    def read(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any], inputs: dict[str, Any]) -> ReadResult:
        subnet_id = state.get("subnetId") or inputs.get("subnetId")
        outputs = self._find(
            ctx,
            subnet_id=subnet_id if isinstance(subnet_id, str) else None,
            association_id=resource_id or None,
        )
        return self.read_result(resource_id, outputs)

    def update(
        self, ctx: HandlerContext, resource_id: str, old_state: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        current = self._find(ctx, subnet_id=str(news["subnetId"]), association_id=None)
        if current is None:
            raise ProviderError(
                f"{ctx.resource}: subnet {news['subnetId']} has no route table association any more; run "
                "`pulumi refresh` and Pulumi will create it again on the next update"
            )
        if current["routeTableId"] == news["routeTableId"]:
            return current
        response = ctx.call(
            "ec2",
            "replace_route_table_association",
            AssociationId=current["associationId"],
            RouteTableId=news["routeTableId"],
        )
        return {
            "subnetId": current["subnetId"],
            "routeTableId": news["routeTableId"],
            "associationId": str(response["NewAssociationId"]),
        }

    def delete(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any]) -> None:
        subnet_id = state.get("subnetId")
        current = self._find(
            ctx, subnet_id=subnet_id if isinstance(subnet_id, str) else None, association_id=resource_id
        )
        association_id = current["associationId"] if current else None
        if association_id is None:
            return
        try:
            ctx.call("ec2", "disassociate_route_table", AssociationId=association_id)
        except ApiError as exc:
            if exc.code not in ASSOCIATION_NOT_FOUND:
                raise
