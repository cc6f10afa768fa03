"""Logging rules: VPC flow logs, audit retention."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compliance.text import Text, text

RETENTION_MINIMUM_DAYS = 180
"""网络安全法 第21条: network logs kept at least six months."""


def flow_logs_missing(vpc_id: str, flow_logs: list[Mapping[str, Any]]) -> Text | None:
    """The VPC needs an active flow log of ALL traffic (``ResourceId``, ``TrafficType``, ``FlowLogStatus``)."""
    mine = [log for log in flow_logs if log.get("ResourceId") == vpc_id]
    if not mine:
        return text("has no flow log", "未启用流日志")
    if not any(log.get("TrafficType") == "ALL" and log.get("FlowLogStatus", "ACTIVE") == "ACTIVE" for log in mine):
        kinds = ", ".join(sorted({f"{log.get('TrafficType')}/{log.get('FlowLogStatus')}" for log in mine}))
        return text("has flow logs ({kinds}) but none active for ALL traffic",
                    "有流日志 ({kinds}), 但没有记录全部流量的活动流日志", kinds=kinds)
    return None


def retention_too_short(group: Mapping[str, Any], minimum_days: int = RETENTION_MINIMUM_DAYS) -> Text | None:
    """A log group keeps events forever (no ``retentionInDays``) or at least ``minimum_days``."""
    days = group.get("retentionInDays")
    if days is None:
        return None
    if int(days) >= minimum_days:
        return None
    return text("keeps events {days} days, fewer than {minimum}", "日志保留 {days} 天, 少于 {minimum} 天", days=days,
                minimum=minimum_days)
