"""No security group admits the whole Internet on every port (deny by default at the boundary)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result, name_of, owner_tags, regional, vpc_owners
from compliance.rules import INTERNET, open_to_internet
from compliance.text import text

__all__ = ["INTERNET", "all_ports", "check", "open_to_internet", "rule"]


def all_ports(permission: Mapping[str, Any]) -> bool:
    if str(permission.get("IpProtocol")) == "-1":
        return True
    return permission.get("FromPort") in (0, -1, None) and permission.get("ToPort") in (65535, -1, None)


def rule(group: Mapping[str, Any]) -> str | None:
    for permission in group.get("IpPermissions") or ():
        if open_to_internet(permission) and all_ports(permission):
            return text("admits the Internet on every port (protocol {protocol})",
                        "允许互联网访问全部端口 (协议 {protocol})", protocol=permission.get("IpProtocol"))
    return None


def check(evidence: Evidence) -> Iterator[Result]:
    owners = vpc_owners(evidence)
    for region, group in regional(evidence, "security_groups"):
        problem = rule(group)
        who = name_of(group, group["GroupId"])
        fine = text("admits the Internet on no all-ports rule", "没有允许互联网访问全部端口的规则")
        detail = text("{who} {state}", "{who} {state}", who=who, state=problem or fine)
        yield Result(group["GroupId"], problem is None, detail, region, tags=owner_tags(owners, region, group))
