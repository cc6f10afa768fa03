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


def _property_schema(spec: PropertySpec) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": spec.type, "description": spec.description}
    if spec.item_type is not None:
        key = "additionalProperties" if spec.type == "object" else "items"
        schema[key] = {"type": spec.item_type}
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
        "language": {"python": {"packageName": "pulumi_egov"}},
    }


def package_schema_json(handlers: Iterable[ResourceHandler]) -> str:
    return json.dumps(package_schema(handlers), indent=2, sort_keys=True)
