"""Every bucket encrypts by default with a KMS key, not only with the store's own key (SSE-S3)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result, global_value, tags_of
from compliance.rules import bucket_not_kms_encrypted
from compliance.text import text


def rule(bucket: Mapping[str, Any]) -> str | None:
    return bucket_not_kms_encrypted(bucket)


def check(evidence: Evidence) -> Iterator[Result]:
    for bucket in global_value(evidence, "buckets") or ():
        problem = rule(bucket)
        state = problem or text("encrypts with a KMS key", "使用 KMS 密钥加密")
        yield Result(bucket["Name"], problem is None, text("bucket {name} {state}", "存储桶 {name} {state}",
                                                           name=bucket["Name"], state=state),
                     bucket.get("Region", ""), tags=tags_of(bucket))
