"""Every bucket keeps earlier versions of its objects, so an overwrite or delete can be undone (local
backup and recovery of important data)."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result, global_value, tags_of
from compliance.text import text


def check(evidence: Evidence) -> Iterator[Result]:
    for bucket in global_value(evidence, "buckets") or ():
        status = bucket.get("Versioning")
        ok = status == "Enabled"
        kept = (text("keeps object versions", "保留对象版本") if ok else
                text("does not keep object versions ({status})", "未保留对象版本 ({status})",
                     status=status or "never enabled"))
        detail = text("bucket {name} {kept}", "存储桶 {name} {kept}", name=bucket["Name"], kept=kept)
        yield Result(bucket["Name"], ok, detail, bucket.get("Region", ""), tags=tags_of(bucket))
