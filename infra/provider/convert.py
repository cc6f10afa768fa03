"""The one place that translates between Pulumi ``PropertyValue`` maps and plain dicts.

Handlers see plain values (see ``handler.py``); the provider converts at its boundary.
Three things are decided here, once:

* Unknowns. During preview the engine sends not-yet-computed values as the string
  sentinel ``pulumi.runtime.rpc.UNKNOWN`` (we do not accept output values, so they
  never arrive as ``Computed``). Both become ``handler.UNKNOWN``. On the way out
  ``UNKNOWN`` becomes that sentinel string again, because
  ``PropertyValue.computed()`` cannot be marshalled by pulumi 3.272's experimental SDK.
* Secrets. Secretness is tracked per top-level property: a property is secret if any
  part of it was. On the way out the provider marks those keys secret again, so a
  secret input stays secret in state and outputs (coarse but never leaky).
* Numbers. Pulumi numbers are floats; integral ones become ``int`` so handlers can
  pass them straight to boto3 (``MaxResults=5`` rather than ``5.0``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, cast

import pulumi
from pulumi.provider.experimental.property_value import Computed, PropertyValue, ResourceReference
from pulumi.runtime import rpc

from infra.provider.errors import ProviderError
from infra.provider.handler import UNKNOWN, is_unknown

_MAX_EXACT_FLOAT_INT = 2**53


def to_plain(props: Mapping[str, PropertyValue]) -> tuple[dict[str, Any], frozenset[str]]:
    """Plain values keyed like ``props``, and the top-level keys that held a secret."""
    return {key: _plain(value, key) for key, value in props.items()}, secret_keys(props)


def secret_keys(props: Mapping[str, PropertyValue]) -> frozenset[str]:
    """Top-level keys of ``props`` that are, or contain, a secret."""
    return frozenset(key for key, value in props.items() if value.contains_secret())


def from_plain(values: Mapping[str, Any], secrets: Iterable[str] = ()) -> dict[str, PropertyValue]:
    """PropertyValues for ``values``, with the keys in ``secrets`` marked secret."""
    secret_set = set(secrets)
    result: dict[str, PropertyValue] = {}
    for key, value in values.items():
        converted = _property(value, key)
        result[key] = converted.with_secret(True) if key in secret_set else converted
    return result


def _plain(prop: PropertyValue, path: str) -> Any:
    value = prop.value
    if value is None:
        return None
    if isinstance(value, Computed):
        return UNKNOWN
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        if value.is_integer() and abs(value) <= _MAX_EXACT_FLOAT_INT:
            return int(value)
        return value
    if isinstance(value, str):
        return UNKNOWN if value == rpc.UNKNOWN else value
    if isinstance(value, Mapping):
        return {key: _plain(item, f"{path}.{key}") for key, item in value.items()}
    if isinstance(value, Sequence):
        # PropertyValue guarantees the items are PropertyValues; its type alias does not say so.
        return [_plain(cast(PropertyValue, item), f"{path}[{index}]") for index, item in enumerate(value)]
    if isinstance(value, ResourceReference):
        raise ProviderError(f"{path}: resource references are not supported; pass the resource's id instead")
    if isinstance(value, pulumi.Asset | pulumi.Archive):
        raise ProviderError(f"{path}: assets and archives are not supported by the egov provider")
    raise ProviderError(f"{path}: unsupported property value {value!r}")


def _property(value: Any, path: str) -> PropertyValue:
    if is_unknown(value):
        return PropertyValue(rpc.UNKNOWN)
    if value is None:
        return PropertyValue.null()
    if isinstance(value, bool | str):
        return PropertyValue(value)
    if isinstance(value, int | float):
        return PropertyValue(float(value))
    if isinstance(value, Mapping):
        return PropertyValue({str(key): _property(item, f"{path}.{key}") for key, item in value.items()})
    if isinstance(value, list | tuple):
        return PropertyValue([_property(item, f"{path}[{index}]") for index, item in enumerate(value)])
    raise TypeError(f"{path}: cannot send a {type(value).__name__} to Pulumi")
