"""Instance rules: IMDSv2 only, no public address outside the Internet zone, no secret in user data.

Each takes an instance in the shape ``DescribeInstances`` returns it (``MetadataOptions``,
``PublicIpAddress``, ``Tags``), with ``UserData`` as decoded text (the collector reads the attribute).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from infra.config.user_data import find_secrets

INTERNET_ZONE = "internet"


def imdsv1_allowed(instance: Mapping[str, Any]) -> str | None:
    """The metadata service must demand a session token (IMDSv2): IMDSv1 hands the role's credentials to any
    request a server-side request forgery can make."""
    tokens = (instance.get("MetadataOptions") or {}).get("HttpTokens")
    if (instance.get("MetadataOptions") or {}).get("HttpEndpoint") == "disabled":
        return None
    if tokens == "required":
        return None
    return f"allows IMDSv1 (HttpTokens {tokens or 'unset'}): the metadata service answers without a session token"


def public_ip_outside_internet(instance: Mapping[str, Any], zone: str | None) -> str | None:
    """Only hosts of the Internet zone may have a public IPv4 address."""
    address = instance.get("PublicIpAddress")
    if not address or zone == INTERNET_ZONE:
        return None
    where = f"zone {zone!r}" if zone else "a VPC with no egov:zone tag"
    return f"has a public IPv4 address ({address}) in {where}; only Internet-zone hosts may"


def user_data_secret(instance: Mapping[str, Any]) -> str | None:
    """User data readable by anyone who may describe the instance must not carry a key, password or token."""
    text = instance.get("UserData")
    if not isinstance(text, str) or not text:
        return None
    findings = find_secrets(text)
    if not findings:
        return None
    return "user data " + "; ".join(f.describe() for f in findings)
