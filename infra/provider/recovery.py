"""Find and remove what a failed run left in the cloud but not in Pulumi's state.

When the connection to the cloud drops after a create call reached it, the provider reports a
failure and the engine records nothing, yet the resource exists. Every resource the provider
creates carries its URN in ``tags.OWNER_TAG``, so a resource of this stack whose id is not in the
stack's state is such a leftover. Re-running `pulumi up` would create a twin; sweeping first keeps
the cloud equal to the state.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from infra.provider.clients import ClientFactory
from infra.provider.errors import ResourceRef
from infra.provider.handler import HandlerContext, HandlerRegistry
from infra.provider.provider import default_registry


@dataclass(frozen=True)
class Leftover:
    type_token: str
    resource_id: str
    urn: str

    def __str__(self) -> str:
        return f"{self.type_token} {self.resource_id} (created for {self.urn})"


def _context(urn: str, clients: ClientFactory) -> HandlerContext:
    return HandlerContext(resource=ResourceRef.from_urn(urn), clients=clients, cancelled=threading.Event())


def find_leftovers(urn_prefix: str, known_ids: Iterable[str], clients: ClientFactory,
                   registry: HandlerRegistry | None = None) -> list[Leftover]:
    """Resources tagged with a URN under ``urn_prefix`` whose id the state does not know."""
    known = set(known_ids)
    found: list[Leftover] = []
    for handler in registry or default_registry():
        ctx = _context(urn_prefix, clients)
        for resource_id, urn in sorted(handler.find_owned(ctx, urn_prefix).items()):
            if resource_id not in known:
                found.append(Leftover(handler.type_token, resource_id, urn))
    return found


def delete_leftovers(leftovers: Iterable[Leftover], clients: ClientFactory,
                     progress: Callable[[str], None] = lambda _: None,
                     registry: HandlerRegistry | None = None) -> None:
    handlers = registry or default_registry()
    for leftover in leftovers:
        progress(f"deleting leftover {leftover}")
        handlers.get(leftover.type_token).delete(_context(leftover.urn, clients), leftover.resource_id, {})
