"""Every snapshot is encrypted (GB/T 22239 8.2.4.4 c): images and snapshots protected by cryptography)."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result, regional, tags_of


def check(evidence: Evidence) -> Iterator[Result]:
    for region, snapshot in regional(evidence, "snapshots"):
        ok = snapshot.get("Encrypted") is True
        detail = f"snapshot {snapshot['SnapshotId']} {'is encrypted' if ok else 'is not encrypted'}"
        yield Result(snapshot["SnapshotId"], ok, detail, region, tags=tags_of(snapshot))
