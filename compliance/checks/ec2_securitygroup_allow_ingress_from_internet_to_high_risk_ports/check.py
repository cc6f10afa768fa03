"""No security group exposes administration, file-sharing or database ports to the Internet
(GB/T 22239 8.1.4.4 b), HR case 6.4.3.1; CIS AWS 5.2/5.3 for 22 and 3389)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result, name_of, owner_tags, regional, vpc_owners
from compliance.rules import HIGH_RISK_PORTS, internet_admin_ports
from compliance.rules.network import exposed_ports
from compliance.text import text

__all__ = ["HIGH_RISK_PORTS", "check", "exposed_ports", "rule"]


def rule(group: Mapping[str, Any]) -> str | None:
    return internet_admin_ports(group)


def check(evidence: Evidence) -> Iterator[Result]:
    owners = vpc_owners(evidence)
    for region, group in regional(evidence, "security_groups"):
        problem = rule(group)
        who = name_of(group, group["GroupId"])
        detail = text("{who} {state}", "{who} {state}", who=who,
                      state=problem or text("exposes no high-risk port to the Internet", "未向互联网暴露高危端口"))
        yield Result(group["GroupId"], problem is None, detail, region, tags=owner_tags(owners, region, group))
