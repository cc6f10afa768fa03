"""Every bucket blocks public access with all four settings."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result, global_value, tags_of
from compliance.rules import public_bucket
from compliance.text import text


def rule(bucket: Mapping[str, Any]) -> str | None:
    return public_bucket(bucket)


def check(evidence: Evidence) -> Iterator[Result]:
    for bucket in global_value(evidence, "buckets") or ():
        problem = rule(bucket)
        state = problem or text("blocks public access", "已阻止公共访问")
        yield Result(bucket["Name"], problem is None, text("bucket {name} {state}", "存储桶 {name} {state}",
                                                           name=bucket["Name"], state=state),
                     bucket.get("Region", ""), tags=tags_of(bucket))
