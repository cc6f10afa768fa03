"""Every bucket keeps earlier versions of its objects, so an overwrite or delete can be undone (local
backup and recovery of important data)."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result, global_value, tags_of


def check(evidence: Evidence) -> Iterator[Result]:
    for bucket in global_value(evidence, "buckets") or ():
        status = bucket.get("Versioning")
        ok = status == "Enabled"
        kept = "keeps object versions" if ok else f"does not keep object versions ({status or 'never enabled'})"
        detail = f"bucket {bucket['Name']} {kept}"
        yield Result(bucket["Name"], ok, detail, bucket.get("Region", ""), tags=tags_of(bucket))
