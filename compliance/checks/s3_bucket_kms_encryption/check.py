"""Every bucket encrypts by default with a KMS key, not only with the store's own key (SSE-S3)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result, global_value, tags_of


def rule(bucket: Mapping[str, Any]) -> str | None:
    config = bucket.get("Encryption") or {}
    rules = config.get("Rules") or ()
    algorithms = [r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm") for r in rules]
    if not algorithms:
        return "has no default encryption"
    if not any(algorithm in ("aws:kms", "aws:kms:dsse") for algorithm in algorithms):
        return f"encrypts with {', '.join(str(a) for a in algorithms)}, not with a KMS key"
    return None


def check(evidence: Evidence) -> Iterator[Result]:
    for bucket in global_value(evidence, "buckets") or ():
        problem = rule(bucket)
        yield Result(bucket["Name"], problem is None, f"bucket {bucket['Name']} {problem or 'encrypts with a KMS key'}",
                     bucket.get("Region", ""), tags=tags_of(bucket))
