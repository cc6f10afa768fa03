"""Plumbing shared by every program-side wrapper of the ``egov`` provider.

A wrapper names its type token (``TYPE``), the provider's camelCase input names (``INPUTS``) and
its output-only names (``OUTPUTS``). Its constructor maps typed snake_case keyword arguments to
those camelCase names and calls ``_register``, which declares every output (as ``None``, which
the SDK does not send) so the SDK creates an ``Output`` for it; snake_case properties read them
back with ``output``. ``get`` looks an existing resource up by its provider id. No cloud access
here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, TypeVar, cast

import pulumi

Tags = pulumi.Input[Mapping[str, pulumi.Input[str]]]
R = TypeVar("R", bound="EgovResource")


def output(resource: pulumi.Resource, name: str) -> pulumi.Output[Any]:
    """The Output the SDK created for the declared property ``name`` (camelCase)."""
    return cast(pulumi.Output[Any], pulumi.get(resource, name))


class EgovResource(pulumi.CustomResource):
    """Shared plumbing: the type token, the declared properties, and ``get`` by id."""

    TYPE: ClassVar[str]
    INPUTS: ClassVar[tuple[str, ...]]
    OUTPUTS: ClassVar[tuple[str, ...]]

    def _register(self, resource_name: str, props: dict[str, Any], opts: pulumi.ResourceOptions | None) -> None:
        """Create the resource from its input ``props``, with every output declared."""
        props.update(dict.fromkeys(self.OUTPUTS))
        super().__init__(self.TYPE, resource_name, props, opts)

    @classmethod
    def _lookup(
        cls: type[R], resource_name: str, resource_id: pulumi.Input[str], opts: pulumi.ResourceOptions | None
    ) -> R:
        """The existing resource ``resource_id``, read but not managed, with every property declared."""
        merged = pulumi.ResourceOptions.merge(opts, pulumi.ResourceOptions(id=resource_id))
        resource = cls.__new__(cls)
        props: dict[str, Any] = dict.fromkeys((*cls.INPUTS, *cls.OUTPUTS))
        pulumi.CustomResource.__init__(resource, cls.TYPE, resource_name, props, merged)
        return resource

    @classmethod
    def get(
        cls: type[R], resource_name: str, resource_id: pulumi.Input[str], opts: pulumi.ResourceOptions | None = None
    ) -> R:
        """Look up an existing resource by its provider id without managing it."""
        return cls._lookup(resource_name, resource_id, opts)


class TaggedResource(EgovResource):
    """A resource with user ``tags``."""

    @property
    def tags(self) -> pulumi.Output[dict[str, str]]:
        """The user's tags; the provider's own ownership tag never shows here."""
        return output(self, "tags")


__all__ = ["EgovResource", "R", "TaggedResource", "Tags", "output"]
