"""What the provider's integration tests share besides fixtures: the moto region and zones, the stack name
their URNs carry, and the checks every handler goes through (see conftest.py for the fixtures)."""

from __future__ import annotations

import uuid
from typing import Any

from infra.provider.handler import HandlerContext, ResourceHandler

REGION = "cn-north-1"
AZ_A, AZ_B = "cn-north-1a", "cn-north-1b"
STACK = f"net{uuid.uuid4().hex[:6]}"
"""The stack in the URNs of the resources the tests make (owner tags, leftovers)."""


def checked_inputs(handler: ResourceHandler, ctx: HandlerContext, **news: Any) -> dict[str, Any]:
    """``news`` through the handler's check, which must accept them."""
    result = handler.check(ctx, news, {})
    assert result.failures == []
    return result.inputs


def user_tags(item: dict[str, Any]) -> dict[str, str]:
    """A boto3 item's tags without the provider's owner tag."""
    return {t["Key"]: t["Value"] for t in item.get("Tags", []) if t["Key"] != "egov:urn"}


def lifecycle_tail(handler: ResourceHandler, ctx: HandlerContext, resource_id: str, state: dict[str, Any]) -> None:
    """Import (id only) reconstructs inputs that check accepts and diff finds equal; delete twice is fine."""
    imported = handler.read(ctx, resource_id, {}, {})
    assert imported.resource_id == resource_id
    checked = handler.check(ctx, imported.inputs, {})
    assert checked.failures == []
    assert handler.diff(ctx, resource_id, imported.outputs, checked.inputs).changes is False
    handler.delete(ctx, resource_id, state)
    assert handler.read(ctx, resource_id, state, {}).resource_id is None
    handler.delete(ctx, resource_id, state)
