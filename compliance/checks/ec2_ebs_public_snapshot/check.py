"""No snapshot can be turned into a volume by everyone (HR case 7.4.1.1: images and snapshots without access
control)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result, regional, tags_of
from compliance.text import text


def rule(snapshot: Mapping[str, Any]) -> str | None:
    shared = [p.get("Group") or p.get("UserId") for p in snapshot.get("CreateVolumePermissions") or ()]
    if "all" in shared:
        return text("can be copied into a volume by anyone (createVolumePermission group all)",
                    "任何人都可将其复制为卷 (createVolumePermission group all)")
    return None


def check(evidence: Evidence) -> Iterator[Result]:
    for region, snapshot in regional(evidence, "snapshots"):
        problem = rule(snapshot)
        yield Result(snapshot["SnapshotId"], problem is None,
                     text("snapshot {id} {state}", "快照 {id} {state}", id=snapshot["SnapshotId"],
                          state=problem or text("is not public", "未公开")), region, tags=tags_of(snapshot))
