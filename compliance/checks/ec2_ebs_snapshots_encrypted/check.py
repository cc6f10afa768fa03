"""Every snapshot is encrypted (GB/T 22239 8.2.4.4 c): images and snapshots protected by cryptography)."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result, regional, tags_of
from compliance.text import text


def check(evidence: Evidence) -> Iterator[Result]:
    for region, snapshot in regional(evidence, "snapshots"):
        ok = snapshot.get("Encrypted") is True
        detail = (text("snapshot {id} is encrypted", "快照 {id} 已加密", id=snapshot["SnapshotId"]) if ok
                  else text("snapshot {id} is not encrypted", "快照 {id} 未加密", id=snapshot["SnapshotId"]))
        yield Result(snapshot["SnapshotId"], ok, detail, region, tags=tags_of(snapshot))
