"""Every VPC records its traffic (flow logs, all traffic): the boundary audit of 8.1.3.5 a)/b)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result, name_of, regional, tags_of


def rule(vpc_id: str, flow_logs: list[Mapping[str, Any]]) -> str | None:
    mine = [log for log in flow_logs if log.get("ResourceId") == vpc_id]
    if not mine:
        return "has no flow log"
    if not any(log.get("TrafficType") == "ALL" and log.get("FlowLogStatus", "ACTIVE") == "ACTIVE" for log in mine):
        kinds = ", ".join(sorted({f"{log.get('TrafficType')}/{log.get('FlowLogStatus')}" for log in mine}))
        return f"has flow logs ({kinds}) but none active for ALL traffic"
    return None


def check(evidence: Evidence) -> Iterator[Result]:
    logs_by_region: dict[str, list[Mapping[str, Any]]] = {}
    for region, log in regional(evidence, "flow_logs"):
        logs_by_region.setdefault(region, []).append(log)
    for region, vpc in regional(evidence, "vpcs"):
        problem = rule(vpc["VpcId"], logs_by_region.get(region, []))
        yield Result(vpc["VpcId"], problem is None,
                     f"VPC {name_of(vpc, vpc['VpcId'])} {problem or 'records all traffic in an active flow log'}",
                     region, "AwsEc2Vpc", tags_of(vpc))
