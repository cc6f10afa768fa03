"""Instance rules: IMDSv2 only, no public address outside the Internet zone, no secret in user data.

Each takes an instance in the shape ``DescribeInstances`` returns it (``MetadataOptions``,
``PublicIpAddress``, ``Tags``), with ``UserData`` as decoded text (the collector reads the attribute).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compliance.text import Text, join, text
from infra.config.user_data import find_secrets

INTERNET_ZONE = "internet"


def imdsv1_allowed(instance: Mapping[str, Any]) -> Text | None:
    """The metadata service must demand a session token (IMDSv2): IMDSv1 hands the role's credentials to any
    request a server-side request forgery can make."""
    tokens = (instance.get("MetadataOptions") or {}).get("HttpTokens")
    if (instance.get("MetadataOptions") or {}).get("HttpEndpoint") == "disabled":
        return None
    if tokens == "required":
        return None
    return text("allows IMDSv1 (HttpTokens {tokens}): the metadata service answers without a session token",
                "允许 IMDSv1 (HttpTokens {tokens}): 元数据服务无需会话令牌即可应答", tokens=tokens or "unset")


def public_ip_outside_internet(instance: Mapping[str, Any], zone: str | None) -> Text | None:
    """Only hosts of the Internet zone may have a public IPv4 address."""
    address = instance.get("PublicIpAddress")
    if not address or zone == INTERNET_ZONE:
        return None
    where = (text("zone {zone!r}", "区域 {zone!r}", zone=zone) if zone
             else text("a VPC with no egov:zone tag", "未标记 egov:zone 的 VPC"))
    return text("has a public IPv4 address ({address}) in {where}; only Internet-zone hosts may",
                "在{where}中拥有公网 IPv4 地址 ({address}); 只有互联网区的主机可以拥有", address=address, where=where)


def user_data_secret(instance: Mapping[str, Any]) -> Text | None:
    """User data readable by anyone who may describe the instance must not carry a key, password or token."""
    user_data = instance.get("UserData")
    if not isinstance(user_data, str) or not user_data:
        return None
    findings = find_secrets(user_data)
    if not findings:
        return None
    lines = join(text("line {line} looks like it carries a secret ({kind})", "第 {line} 行疑似含有秘密 ({kind})",
                      line=f.line, kind=f.kind) for f in findings)
    return text("user data {lines}", "用户数据{lines}", lines=lines)
