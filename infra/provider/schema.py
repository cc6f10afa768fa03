"""The Pulumi package schema, generated from the handlers' property specs.

The engine asks for it when ``pulumi import`` generates program code and for SDK
generation; deriving it from the same specs the handlers validate with keeps the two
from drifting apart.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from infra.provider import PACKAGE, VERSION
from infra.provider.handler import MISSING, PropertySpec, ResourceHandler

CONFIG_VARIABLES: dict[str, dict[str, Any]] = {
    "endpoint": {
        "type": "string",
        "description": "AWS-compatible endpoint URL (e.g. moto on loopback). Falls back to AWS_ENDPOINT_URL.",
    },
    "region": {
        "type": "string",
        "description": "Region. Falls back to AWS_REGION, then AWS_DEFAULT_REGION, then cn-north-1.",
    },
    "retryMode": {
        "type": "string",
        "description": "botocore retry mode: standard (default) or adaptive.",
    },
    "maxRetries": {
        "type": "integer",
        "description": "Total attempts per API call, first try included (default 10).",
    },
}


PYTHON_SDK: dict[str, Any] = {
    "packageName": "pulumi_egov",
    # Stamp the schema's version into the SDK, so the version the program asks the engine for is the
    # provider's own (the default is 0.0.0); pyproject.toml rather than setup.py, for a plain pip install.
    "respectSchemaVersion": True,
    "pyproject": {"enabled": True},
    "pythonRequires": ">=3.11",
}
"""How Pulumi's Python code generator shapes the SDK (``make sdk`` writes it to sdk/python)."""


def _item_schema(item_type: str) -> dict[str, Any]:
    """An element's schema. A bare ``object`` would read as a map of strings to the code generator; ours
    (routes, lifecycle rules, rules found on a group) mix strings, numbers and booleans."""
    if item_type == "object":
        return {"type": "object", "additionalProperties": {"$ref": "pulumi.json#/Any"}}
    return {"type": item_type}


def _property_schema(spec: PropertySpec) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": spec.type, "description": spec.description}
    if spec.item_type is not None:
        key = "additionalProperties" if spec.type == "object" else "items"
        schema[key] = _item_schema(spec.item_type)
    if spec.secret:
        schema["secret"] = True
    if spec.replace_on_change:
        schema["replaceOnChanges"] = True
    if spec.default is not MISSING and not isinstance(spec.default, dict | list):
        schema["default"] = spec.default
    return schema


def resource_schema(handler: ResourceHandler) -> dict[str, Any]:
    inputs = [p for p in handler.properties if not p.output_only]
    return {
        "description": handler.description,
        "inputProperties": {p.name: _property_schema(p) for p in inputs},
        "requiredInputs": [p.name for p in inputs if p.required],
        "properties": {p.name: _property_schema(p) for p in handler.properties},
        "required": [p.name for p in handler.properties if p.required],
    }


def package_schema(handlers: Iterable[ResourceHandler]) -> dict[str, Any]:
    return {
        "name": PACKAGE,
        "displayName": "egov",
        "version": VERSION,
        "description": "e-government cloud resources over an AWS-compatible API (boto3).",
        "config": {"variables": CONFIG_VARIABLES},
        "provider": {
            "description": "The egov provider: where and how to reach the cloud.",
            "inputProperties": CONFIG_VARIABLES,
        },
        "resources": {h.type_token: resource_schema(h) for h in handlers},
        "functions": {},
        "types": {},
        "language": {"python": PYTHON_SDK},
    }


def package_schema_json(handlers: Iterable[ResourceHandler]) -> str:
    return json.dumps(package_schema(handlers), indent=2, sort_keys=True)


def main() -> None:
    """Print the provider's schema as JSON (``python -m infra.provider.schema``); ``make sdk`` generates from it."""
    from infra.provider.provider import default_registry  # the registry imports this module

    print(package_schema_json(default_registry()))


if __name__ == "__main__":
    main()
