"""Every bucket records who accessed it (S3 server access logging): audit covering every user and important
action (GB/T 22239 8.1.4.3 a)), and an automated record of who processed personal information
(GB/T 35273 11.7); PI buckets are "access-logged" in the issue's words."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result, global_value, tags_of
from compliance.text import Text, text


def rule(bucket: Mapping[str, Any]) -> Text | None:
    """Why the bucket's access is not logged, or None (``Logging`` is GetBucketLogging's LoggingEnabled)."""
    logging = bucket.get("Logging") or {}
    if not logging.get("TargetBucket"):
        return text("does not log access (server access logging is off)", "未记录访问 (服务器访问日志未开启)")
    return None


def check(evidence: Evidence) -> Iterator[Result]:
    for bucket in global_value(evidence, "buckets") or ():
        problem = rule(bucket)
        if problem:
            detail = text("bucket {name} {problem}", "存储桶 {name} {problem}", name=bucket["Name"], problem=problem)
        else:
            logging = bucket["Logging"]
            where = f"{logging['TargetBucket']}/{logging.get('TargetPrefix') or ''}"
            detail = text("bucket {name} logs access to {where}", "存储桶 {name} 已开启服务器访问日志, 写入 {where}",
                          name=bucket["Name"], where=where)
        yield Result(bucket["Name"], problem is None, detail, bucket.get("Region", ""), tags=tags_of(bucket))
