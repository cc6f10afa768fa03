"""``egov:ec2:TransitGatewayRouteTableAssociation`` and ``egov:ec2:TransitGatewayRouteTablePropagation``:
an attachment linked to a route table. A link has no id of its own, so its id is
``<route table id>_<attachment id>`` (the format ``pulumi import`` takes)."""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping
from typing import Any, ClassVar

from infra.provider.ec2 import ec2_filter, id_failures
from infra.provider.ec2_transit import (
    ASSOCIATION,
    ASSOCIATION_NOT_FOUND,
    LINK_ID,
    PROPAGATION,
    PROPAGATION_NOT_FOUND,
    UNLINKED,
    await_state,
    split_id,
)
from infra.provider.errors import ApiError, ProviderError, UnreadableResponse
from infra.provider.handler import CloudHandler, CreateResult, Failure, HandlerContext, Lookup, PropertySpec, output


class _RouteTableLink(CloudHandler):
    """An attachment linked to a route table (association or propagation); id ``<table>_<attachment>``."""

    rollback_catch = Exception
    ready_state: ClassVar[str]
    pending_state: ClassVar[str]

    properties = (
        PropertySpec(
            "transitGatewayAttachmentId",
            "string",
            "The attachment. Changing it replaces the link.",
            required=True,
            replace_on_change=True,
        ),
        PropertySpec(
            "transitGatewayRouteTableId",
            "string",
            "The transit gateway route table. Changing it replaces the link.",
            required=True,
            replace_on_change=True,
        ),
        output("resourceId", "What is attached (e.g. the VPC id)."),
        output("resourceType", "The kind of attachment (vpc, vpn, peering...)."),
    )

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        return id_failures(inputs, "transitGatewayAttachmentId", "tgw-attach") + id_failures(
            inputs, "transitGatewayRouteTableId", "tgw-rtb"
        )

    @staticmethod
    def _call(ctx: HandlerContext, method: str, table_id: str, attachment_id: str) -> None:
        ctx.call("ec2", method, TransitGatewayRouteTableId=table_id, TransitGatewayAttachmentId=attachment_id)

    @abstractmethod
    def _link(self, ctx: HandlerContext, table_id: str, attachment_id: str) -> None:
        """Associate, or enable propagation."""

    @abstractmethod
    def _unlink(self, ctx: HandlerContext, table_id: str, attachment_id: str) -> None:
        """Disassociate, or disable propagation."""

    def _get(self, ctx: HandlerContext, resource_id: str) -> dict[str, Any] | None:
        table_id, attachment_id = split_id(ctx, resource_id, LINK_ID)
        response = ctx.call_or_none(
            self.lookup.not_found,
            "ec2",
            self.lookup.method,
            TransitGatewayRouteTableId=table_id,
            Filters=[ec2_filter("transit-gateway-attachment-id", attachment_id)],
        )
        items = response.get(self.lookup.list_key, []) if response is not None else []
        return next((i for i in items if i.get("TransitGatewayAttachmentId") == attachment_id), None)

    def _describe(self, ctx: HandlerContext, resource_id: str, reference: Mapping[str, Any]) -> dict[str, Any] | None:
        item = self._get(ctx, resource_id)
        if item is None or item.get("State") not in (self.ready_state, self.pending_state):
            return None
        table_id, attachment_id = split_id(ctx, resource_id, LINK_ID)
        return {
            "transitGatewayAttachmentId": attachment_id,
            "transitGatewayRouteTableId": table_id,
            "resourceId": item.get("ResourceId"),
            "resourceType": item.get("ResourceType"),
        }

    def create(self, ctx: HandlerContext, inputs: dict[str, Any]) -> CreateResult:
        table_id, attachment_id = inputs["transitGatewayRouteTableId"], inputs["transitGatewayAttachmentId"]
        resource_id = f"{table_id}_{attachment_id}"
        # AWS refuses a duplicate; moto 5.2.5 accepts it (a second propagation record). Never take one over.
        if self._state(ctx, resource_id) in (self.ready_state, self.pending_state):
            raise ProviderError(
                f"{ctx.resource}: the {self.noun} of {attachment_id} with {table_id} already exists; "
                f"remove it, or adopt it with `pulumi import {self.type_token} {ctx.resource.name} {resource_id}`"
            )
        self._link(ctx, table_id, attachment_id)

        def settle() -> None:
            await_state(
                ctx,
                f"the {self.noun} of {attachment_id} with {table_id} to become {self.ready_state}",
                lambda: self._state(ctx, resource_id),
                ready={self.ready_state},
                failed=UNLINKED,
            )

        return self.finish_create(ctx, resource_id, inputs, settle)

    def delete(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any]) -> None:
        table_id, attachment_id = split_id(ctx, resource_id, LINK_ID)
        current = self._state(ctx, resource_id)
        if current is None:
            return
        if current == self.pending_state:  # still being made: let it finish, then undo it
            await_state(
                ctx,
                f"the {self.noun} {resource_id} to become {self.ready_state} before removing it",
                lambda: self._state(ctx, resource_id),
                ready={self.ready_state},
                absent_is_ready=True,
            )
            current = self._state(ctx, resource_id)
        if current == self.ready_state:
            try:
                self._unlink(ctx, table_id, attachment_id)
            except ApiError as exc:
                if exc.code not in self.lookup.not_found:
                    raise
            except UnreadableResponse:
                # moto 5.2.5 answers disabling the second propagation of one attachment with a 500
                # after it has removed it; what the cloud shows now decides.
                if self._state(ctx, resource_id) in (self.ready_state, self.pending_state):
                    raise
        await_state(
            ctx,
            f"the {self.noun} {resource_id} to be removed",
            lambda: self._state(ctx, resource_id),
            ready=UNLINKED - {"disassociating", "disabling"},
            absent_is_ready=True,
        )


class TransitGatewayRouteTableAssociationHandler(_RouteTableLink):
    """Which route table an attachment's traffic is routed by (an attachment has at most one)."""

    type_token = ASSOCIATION
    description = "Associates a transit gateway attachment with the route table that routes its traffic."
    noun = "association"
    lookup = Lookup(
        "get_transit_gateway_route_table_associations",
        "",
        "Associations",
        "TransitGatewayAttachmentId",
        ASSOCIATION_NOT_FOUND,
    )
    ready_state = "associated"
    pending_state = "associating"
    unique_together = ()  # an attachment has one association: the old one must go first

    def _link(self, ctx: HandlerContext, table_id: str, attachment_id: str) -> None:
        self._call(ctx, "associate_transit_gateway_route_table", table_id, attachment_id)

    def _unlink(self, ctx: HandlerContext, table_id: str, attachment_id: str) -> None:
        self._call(ctx, "disassociate_transit_gateway_route_table", table_id, attachment_id)


class TransitGatewayRouteTablePropagationHandler(_RouteTableLink):
    """An attachment's routes learned by a route table (who may reach that attachment)."""

    type_token = PROPAGATION
    description = "Propagates a transit gateway attachment's routes into a route table."
    noun = "propagation"
    lookup = Lookup(
        "get_transit_gateway_route_table_propagations",
        "",
        "TransitGatewayRouteTablePropagations",
        "TransitGatewayAttachmentId",
        PROPAGATION_NOT_FOUND,
    )
    ready_state = "enabled"
    pending_state = "enabling"

    def _link(self, ctx: HandlerContext, table_id: str, attachment_id: str) -> None:
        self._call(ctx, "enable_transit_gateway_route_table_propagation", table_id, attachment_id)

    def _unlink(self, ctx: HandlerContext, table_id: str, attachment_id: str) -> None:
        self._call(ctx, "disable_transit_gateway_route_table_propagation", table_id, attachment_id)
