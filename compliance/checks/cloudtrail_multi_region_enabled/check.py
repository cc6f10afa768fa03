"""Every scanned region is covered by a logging trail that records management reads and writes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result, cloud
from compliance.text import text


def records_management_events(trail: Mapping[str, Any]) -> bool:
    """Management reads and writes: the default when no selector is set, else a basic selector with
    ReadWriteType All, or an advanced selector on eventCategory Management without a readOnly filter."""
    basic = trail.get("EventSelectors") or []
    advanced = trail.get("AdvancedEventSelectors") or []
    if not basic and not advanced:
        return True
    if any(s.get("IncludeManagementEvents", True) and s.get("ReadWriteType", "All") == "All" for s in basic):
        return True
    for selector in advanced:
        fields = {f.get("Field"): f for f in selector.get("FieldSelectors") or ()}
        if "Management" in (fields.get("eventCategory") or {}).get("Equals", []) and "readOnly" not in fields:
            return True
    return False


def covering_trail(region: str, trails: list[Mapping[str, Any]]) -> Mapping[str, Any] | None:
    for trail in trails:
        logging = (trail.get("Status") or {}).get("IsLogging") is True
        covers = trail.get("IsMultiRegionTrail") is True or trail.get("HomeRegion") == region
        if logging and covers and records_management_events(trail):
            return trail
    return None


def check(evidence: Evidence) -> Iterator[Result]:
    regions: Mapping[str, Any] = cloud(evidence).get("regions") or {}
    for region in sorted(regions):
        trail = covering_trail(region, list(regions[region].get("trails") or ()))
        detail = (text("{region}: trail {name} logs management reads and writes",
                       "{region}: 跟踪 {name} 记录管理读写事件", region=region, name=trail.get("Name")) if trail
                  else text("{region}: no logging trail records management reads and writes here",
                            "{region}: 没有正在记录的跟踪覆盖本区域的管理读写事件", region=region))
        yield Result(f"cloudtrail:{region}", trail is not None, detail, region, "AwsCloudTrailTrail")
