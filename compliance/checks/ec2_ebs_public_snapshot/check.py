"""No snapshot can be turned into a volume by everyone (HR case 7.4.1.1: images and snapshots without access
control)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result, regional, tags_of


def rule(snapshot: Mapping[str, Any]) -> str | None:
    shared = [p.get("Group") or p.get("UserId") for p in snapshot.get("CreateVolumePermissions") or ()]
    if "all" in shared:
        return "can be copied into a volume by anyone (createVolumePermission group all)"
    return None


def check(evidence: Evidence) -> Iterator[Result]:
    for region, snapshot in regional(evidence, "snapshots"):
        problem = rule(snapshot)
        yield Result(snapshot["SnapshotId"], problem is None,
                     f"snapshot {snapshot['SnapshotId']} {problem or 'is not public'}", region, tags=tags_of(snapshot))
