"""Every VPC records its traffic (flow logs, all traffic): the boundary audit of 8.1.3.5 a)/b)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result, name_of, regional, tags_of
from compliance.rules import flow_logs_missing
from compliance.text import text


def rule(vpc_id: str, flow_logs: list[Mapping[str, Any]]) -> str | None:
    return flow_logs_missing(vpc_id, flow_logs)


def check(evidence: Evidence) -> Iterator[Result]:
    logs_by_region: dict[str, list[Mapping[str, Any]]] = {}
    for region, log in regional(evidence, "flow_logs"):
        logs_by_region.setdefault(region, []).append(log)
    for region, vpc in regional(evidence, "vpcs"):
        problem = rule(vpc["VpcId"], logs_by_region.get(region, []))
        yield Result(vpc["VpcId"], problem is None,
                     text("VPC {name} {state}", "VPC {name} {state}", name=name_of(vpc, vpc["VpcId"]),
                          state=problem or text("records all traffic in an active flow log",
                                                "以活动流日志记录全部流量")),
                     region, "AwsEc2Vpc", tags_of(vpc))
