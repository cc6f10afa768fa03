"""``egov:ec2:TransitGatewayRoute``: a static route in a transit gateway route table, to an attachment or a
blackhole. Its id is ``<route table id>_<destination CIDR>`` (the format ``pulumi import`` takes); see
``ec2_transit`` for the moto gaps worked around here (no ReplaceTransitGatewayRoute, no attachment in
SearchTransitGatewayRoutes, overwriting creates, 500s for missing routes)."""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from typing import Any

from infra.provider.ec2 import ec2_filter, id_failures
from infra.provider.ec2_transit import (
    ROUTE,
    ROUTE_ID,
    ROUTE_NOT_FOUND,
    ROUTE_TABLE_NOT_FOUND,
    UNSUPPORTED_CODES,
    await_state,
    split_id,
)
from infra.provider.errors import ApiError, ProviderError, UnreadableResponse
from infra.provider.handler import (
    UPDATING,
    CloudHandler,
    CreateResult,
    Failure,
    HandlerContext,
    PropertySpec,
    gone_on_update,
    is_unknown,
    output,
    refuse_replacement_changes,
)


def route_cidr_problem(value: str) -> str | None:
    """Why ``value`` cannot be a transit gateway route's destination, or None if it can."""
    if "/" not in value:
        return f"destinationCidrBlock {value!r} has no prefix length; write it as a.b.c.d/n, e.g. 10.1.0.0/16"
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        return f"destinationCidrBlock {value!r} is not an IPv4 or IPv6 CIDR block"
    address = value.split("/", 1)[0]
    if ipaddress.ip_address(address) != network.network_address:
        return (
            f"destinationCidrBlock {value!r} has host bits set; "
            f"the /{network.prefixlen} network containing it is {network}"
        )
    if str(network) != value:
        return f"destinationCidrBlock {value!r} is not in canonical form; write it as {network}"
    return None


SETTLED = frozenset({"active", "blackhole"})
"""Route states in which a route forwards (or drops) as it was told to."""


def route_outputs(route: Mapping[str, Any], table_id: str, cidr: str, known_attachment: str | None) -> dict[str, Any]:
    """Outputs from a route as SearchTransitGatewayRoutes (or the create response) shows it;
    ``known_attachment`` is the target we know it forwards to (see ``ec2_transit``)."""
    state = str(route.get("State"))
    attachments = [a for a in route.get("TransitGatewayAttachments") or [] if a.get("TransitGatewayAttachmentId")]
    outputs: dict[str, Any] = {
        "destinationCidrBlock": cidr,
        "transitGatewayRouteTableId": table_id,
        "blackhole": False,
        "state": state,
    }
    if attachments:
        outputs["transitGatewayAttachmentId"] = str(attachments[0]["TransitGatewayAttachmentId"])
    elif state == "blackhole":
        outputs["blackhole"] = True
    elif known_attachment:
        # The cloud did not name the target (moto 5.2.5 never does): keep the one we know.
        outputs["transitGatewayAttachmentId"] = known_attachment
    return outputs


class TransitGatewayRouteHandler(CloudHandler):
    """A static route in a transit gateway route table: to an attachment, or a blackhole that drops traffic."""

    type_token = ROUTE
    description = "A static transit gateway route: forwards a CIDR to an attachment, or drops it (blackhole)."
    noun = "route"
    rollback_catch = Exception
    properties = (
        PropertySpec(
            "destinationCidrBlock",
            "string",
            "The destination (IPv4 or IPv6 CIDR). Changing it replaces the route.",
            required=True,
            replace_on_change=True,
        ),
        PropertySpec(
            "transitGatewayRouteTableId",
            "string",
            "The route table. Changing it replaces the route.",
            required=True,
            replace_on_change=True,
        ),
        PropertySpec(
            "transitGatewayAttachmentId",
            "string",
            "The attachment traffic goes to; changes in place. Omit it for a blackhole route.",
        ),
        PropertySpec(
            "blackhole",
            "boolean",
            "Drop traffic to the destination instead of forwarding it; changes in place.",
            default=False,
        ),
        output("state", "active, or blackhole (also when the attachment is gone)."),
    )

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        failures: list[Failure] = []
        cidr = inputs.get("destinationCidrBlock")
        if isinstance(cidr, str) and not is_unknown(cidr):
            problem = route_cidr_problem(cidr)
            if problem:
                failures.append(Failure("destinationCidrBlock", problem))
        failures += id_failures(inputs, "transitGatewayRouteTableId", "tgw-rtb")
        failures += id_failures(inputs, "transitGatewayAttachmentId", "tgw-attach")
        blackhole = inputs.get("blackhole")
        attachment = inputs.get("transitGatewayAttachmentId")
        if is_unknown(attachment) or is_unknown(blackhole):
            pass  # decided once the values are known
        elif blackhole is True and attachment is not None:
            failures.append(
                Failure(
                    "transitGatewayAttachmentId",
                    "transitGatewayAttachmentId cannot be set when blackhole is true; "
                    "a blackhole route drops the traffic instead of forwarding it",
                )
            )
        elif blackhole is False and attachment is None:
            failures.append(
                Failure(
                    "transitGatewayAttachmentId",
                    "missing transitGatewayAttachmentId; a route needs the attachment to forward to, "
                    "or blackhole: true to drop the traffic",
                )
            )
        return failures

    # -- cloud ---------------------------------------------------------------------------------

    def _find(self, ctx: HandlerContext, table_id: str, cidr: str) -> dict[str, Any] | None:
        """The static route for exactly ``cidr`` (any state), or None."""
        response = ctx.call_or_none(
            ROUTE_TABLE_NOT_FOUND,
            "ec2",
            "search_transit_gateway_routes",
            TransitGatewayRouteTableId=table_id,
            Filters=[ec2_filter("route-search.exact-match", cidr), ec2_filter("type", "static")],
        )
        routes = response.get("Routes", []) if response is not None else []
        return next(
            (r for r in routes if r.get("DestinationCidrBlock") == cidr and r.get("Type", "static") == "static"),
            None,
        )

    def _route_state(self, ctx: HandlerContext, table_id: str, cidr: str) -> str | None:
        route = self._find(ctx, table_id, cidr)
        return None if route is None else str(route.get("State"))

    def _describe(self, ctx: HandlerContext, resource_id: str, reference: Mapping[str, Any]) -> dict[str, Any] | None:
        """The route now; ``reference`` names the attachment we know it forwards to (see ``ec2_transit``)."""
        table_id, cidr = split_id(ctx, resource_id, ROUTE_ID)
        known = reference.get("transitGatewayAttachmentId")
        known_attachment = known if isinstance(known, str) else None
        route = self._find(ctx, table_id, cidr)
        if route is None or route.get("State") in ("deleting", "deleted"):
            return None
        return route_outputs(route, table_id, cidr, known_attachment)

    def _create_route(self, ctx: HandlerContext, table_id: str, cidr: str, attachment: str | None) -> dict[str, Any]:
        """CreateTransitGatewayRoute; the route as the response describes it."""
        params: dict[str, Any] = {"TransitGatewayRouteTableId": table_id, "DestinationCidrBlock": cidr}
        if attachment:
            params["TransitGatewayAttachmentId"] = attachment
        else:
            params["Blackhole"] = True
        return dict(ctx.call("ec2", "create_transit_gateway_route", **params).get("Route") or {})

    def _wait_settled(self, ctx: HandlerContext, table_id: str, cidr: str) -> None:
        await_state(
            ctx,
            f"the route to {cidr} in {table_id} to become active",
            lambda: self._route_state(ctx, table_id, cidr),
            ready=SETTLED,
            failed={"deleting", "deleted"},
        )

    def create(self, ctx: HandlerContext, inputs: dict[str, Any]) -> CreateResult:
        table_id, cidr = inputs["transitGatewayRouteTableId"], inputs["destinationCidrBlock"]
        attachment = None if inputs.get("blackhole") else inputs.get("transitGatewayAttachmentId")
        resource_id = f"{table_id}_{cidr}"
        # AWS refuses a second static route for a CIDR (RouteAlreadyExists); moto 5.2.5 overwrites it.
        # Either way we must not take over a route someone else made.
        if self._route_state(ctx, table_id, cidr) not in (None, "deleting", "deleted"):
            raise ProviderError(
                f"{ctx.resource}: route table {table_id} already has a static route to {cidr}; "
                f"delete it, or adopt it with `pulumi import {ROUTE} {ctx.resource.name} {resource_id}`"
            )
        route = self._create_route(ctx, table_id, cidr, attachment)
        if route.get("DestinationCidrBlock") == cidr and route.get("State") in SETTLED:
            # Settled already, as the response shows: neither the wait nor a search could learn more.
            return CreateResult(resource_id, route_outputs(route, table_id, cidr, attachment))
        reference = {"transitGatewayAttachmentId": attachment}
        return self.finish_create(ctx, resource_id, reference, lambda: self._wait_settled(ctx, table_id, cidr))

    def read_reference(self, state: dict[str, Any], inputs: dict[str, Any]) -> Mapping[str, Any]:
        known = state.get("transitGatewayAttachmentId") or inputs.get("transitGatewayAttachmentId")
        return {"transitGatewayAttachmentId": known}

    def update(
        self, ctx: HandlerContext, resource_id: str, old_state: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        table_id, cidr = split_id(ctx, resource_id, ROUTE_ID)
        # The target we know is the state's: news may name a new one the cloud does not show yet.
        live = self._describe(ctx, resource_id, old_state)
        if live is None:
            raise gone_on_update(ctx, self.noun, resource_id)
        refuse_replacement_changes(ctx, self, live, news)
        wanted = None if news.get("blackhole") else news.get("transitGatewayAttachmentId")
        have = None if live["blackhole"] else live.get("transitGatewayAttachmentId")
        if wanted != have or bool(news.get("blackhole")) != live["blackhole"]:
            # The old target, to put back if a delete + create fallback fails half-way; unknown when the
            # cloud never named it (an imported route on moto 5.2.5).
            restore: tuple[str | None] | None = (have,) if live["blackhole"] or have else None
            self._replace(ctx, table_id, cidr, wanted, restore)
            self._wait_settled(ctx, table_id, cidr)
        return self.described(ctx, resource_id, {"transitGatewayAttachmentId": wanted}, UPDATING)

    def _replace(
        self, ctx: HandlerContext, table_id: str, cidr: str, wanted: str | None, restore: tuple[str | None] | None
    ) -> None:
        """ReplaceTransitGatewayRoute; delete + create where the endpoint lacks it (moto 5.2.5)."""
        params: dict[str, Any] = {"TransitGatewayRouteTableId": table_id, "DestinationCidrBlock": cidr}
        if wanted:
            params["TransitGatewayAttachmentId"] = wanted
        else:
            params["Blackhole"] = True
        try:
            ctx.call("ec2", "replace_transit_gateway_route", **params)
            return
        except ApiError as exc:
            if exc.code not in UNSUPPORTED_CODES:
                raise
        except UnreadableResponse:
            pass
        self._delete_route(ctx, table_id, cidr)
        try:
            self._create_route(ctx, table_id, cidr, wanted)
        except ProviderError as exc:
            if restore is None:
                outcome = f"the previous target is unknown, so {cidr} has no route in {table_id} now"
            else:
                try:
                    self._create_route(ctx, table_id, cidr, restore[0])
                    outcome = "the previous route was put back"
                except ProviderError as again:
                    outcome = (
                        f"the previous route could NOT be put back ({again}); {cidr} has no route in {table_id} now"
                    )
            raise ProviderError(
                f"{exc}\n(the endpoint cannot replace a route in place, so it was deleted and created again; "
                f"the create failed and {outcome})"
            ) from exc

    def _delete_route(self, ctx: HandlerContext, table_id: str, cidr: str) -> None:
        try:
            ctx.call(
                "ec2", "delete_transit_gateway_route", TransitGatewayRouteTableId=table_id, DestinationCidrBlock=cidr
            )
        except ApiError as exc:
            if exc.code not in ROUTE_NOT_FOUND:
                raise
        await_state(
            ctx,
            f"the route to {cidr} in {table_id} to be deleted",
            lambda: self._route_state(ctx, table_id, cidr),
            ready={"deleted"},
            absent_is_ready=True,
        )

    def delete(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any]) -> None:
        table_id, cidr = split_id(ctx, resource_id, ROUTE_ID)
        if self._route_state(ctx, table_id, cidr) in (None, "deleted"):
            return  # looked first: moto answers deleting a missing route with a 500
        self._delete_route(ctx, table_id, cidr)
