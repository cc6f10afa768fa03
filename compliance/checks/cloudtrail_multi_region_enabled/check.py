"""Every scanned region is covered by a logging trail that records management reads and writes."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result, cloud


def records_management_events(trail: Mapping[str, Any]) -> bool:
    selectors = trail.get("EventSelectors")
    if selectors is None:  # no selectors read: the default records all management events
        return True
    return any(s.get("IncludeManagementEvents", True) and s.get("ReadWriteType", "All") == "All" for s in selectors)


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
        detail = (f"{region}: trail {trail.get('Name')} logs management reads and writes" if trail
                  else f"{region}: no logging trail records management reads and writes here")
        yield Result(f"cloudtrail:{region}", trail is not None, detail, region, "AwsCloudTrailTrail")
