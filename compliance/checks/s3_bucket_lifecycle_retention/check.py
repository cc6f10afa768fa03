"""Buckets that hold logs or personal information are lifecycle-limited: an enabled rule over the whole
bucket expires objects (and, when versioned, earlier versions) no later than the retention the platform
declares (tag ``egov:retention-days``); logs are kept at least 180 days (Cybersecurity Law art. 21,
GB/T 22239 8.1.5.4 d)). Storage limitation: personal information is kept only as long as needed
(PIPL art. 19 and 47, GB/T 35273 6.1). Other buckets are not judged.

A bucket holds logs when a trail or a VPC flow log writes to it, another bucket's access logs land in it,
or it is tagged ``egov:purpose=audit-archive``; personal information when tagged ``egov:pi``/``pi`` = true or classified
personal (``egov:data-classification``/``data_classification``)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result, global_value, regional, tags_of
from compliance.rules import RETENTION_MINIMUM_DAYS

RETENTION_TAG = "egov:retention-days"
PI_TAGS = ("egov:pi", "pi")
CLASSIFICATION_TAGS = ("egov:data-classification", "data_classification")
PI_CLASSES = ("personal", "sensitive-personal")
LOG_PURPOSES = ("audit-archive",)


def holds_pi(tags: Mapping[str, str]) -> bool:
    return (any(tags.get(tag, "").lower() == "true" for tag in PI_TAGS)
            or any(tags.get(tag, "") in PI_CLASSES for tag in CLASSIFICATION_TAGS))


def _whole_bucket(rule: Mapping[str, Any]) -> bool:
    """An enabled rule whose filter selects every object (no prefix, no tag or size condition)."""
    if rule.get("Status") != "Enabled":
        return False
    filt = rule.get("Filter")
    if filt is None:
        return not rule.get("Prefix")
    return set(filt) <= {"Prefix"} and not filt.get("Prefix")


def _days(rules: list[Mapping[str, Any]], action: str, field: str) -> int | None:
    found = [int(rule[action][field]) for rule in rules if (rule.get(action) or {}).get(field)]
    return min(found) if found else None


def rule(bucket: Mapping[str, Any], *, holds_logs: bool) -> str | None:
    """Why the bucket's lifecycle does not bound its data as declared, or None."""
    tags = tags_of(bucket)
    declared_text = tags.get(RETENTION_TAG)
    declared: int | None = None
    if declared_text is not None:
        if not declared_text.isdigit() or int(declared_text) < 1:
            return f"declares {RETENTION_TAG}={declared_text!r}, not a number of days"
        declared = int(declared_text)
    if holds_logs and declared is not None and declared < RETENTION_MINIMUM_DAYS:
        return f"holds logs but declares a retention of {declared} days (at least {RETENTION_MINIMUM_DAYS})"
    rules = [r for r in bucket.get("Lifecycle") or () if _whole_bucket(r)]
    expires = _days(rules, "Expiration", "Days")
    if expires is None:
        return "has no enabled lifecycle rule that expires every object"
    if declared is not None and expires > declared:
        return f"expires objects after {expires} days, later than its declared retention of {declared} days"
    if holds_logs and expires < RETENTION_MINIMUM_DAYS:
        return f"holds logs but expires them after {expires} days (at least {RETENTION_MINIMUM_DAYS})"
    if bucket.get("Versioning") == "Enabled":
        noncurrent = _days(rules, "NoncurrentVersionExpiration", "NoncurrentDays")
        if noncurrent is None:
            return "is versioned but no lifecycle rule expires earlier versions, so they are kept forever"
        if declared is not None and noncurrent > declared:
            return (f"keeps earlier versions {noncurrent} days, longer than its declared retention of "
                    f"{declared} days")
    return None


def log_buckets(evidence: Evidence) -> set[str]:
    """Buckets that receive logs: trails' and flow logs' buckets, access-log targets, audit archives."""
    names = {str(trail.get("S3BucketName")) for _, trail in regional(evidence, "trails") if trail.get("S3BucketName")}
    for _, flow_log in regional(evidence, "flow_logs"):
        destination = str(flow_log.get("LogDestination") or "")
        if flow_log.get("LogDestinationType") == "s3" and ":::" in destination:
            names.add(destination.split(":::", 1)[1].split("/", 1)[0])
    for bucket in global_value(evidence, "buckets") or ():
        target = (bucket.get("Logging") or {}).get("TargetBucket")
        if target and target != bucket["Name"]:
            names.add(str(target))
        if tags_of(bucket).get("egov:purpose") in LOG_PURPOSES:
            names.add(bucket["Name"])
    return names


def check(evidence: Evidence) -> Iterator[Result]:
    logs = log_buckets(evidence)
    for bucket in global_value(evidence, "buckets") or ():
        tags = tags_of(bucket)
        holds_logs, pi = bucket["Name"] in logs, holds_pi(tags)
        if not (holds_logs or pi):
            continue
        what = " and ".join(w for w, on in (("logs", holds_logs), ("personal information", pi)) if on)
        problem = rule(bucket, holds_logs=holds_logs)
        if problem:
            detail = f"bucket {bucket['Name']} ({what}) {problem}"
        else:
            expires = _days([r for r in bucket.get("Lifecycle") or () if _whole_bucket(r)], "Expiration", "Days")
            detail = (f"bucket {bucket['Name']} ({what}) expires objects after {expires} days"
                      + (f" (declared retention {tags[RETENTION_TAG]} days)" if RETENTION_TAG in tags else ""))
        yield Result(bucket["Name"], problem is None, detail, bucket.get("Region", ""), tags=tags)
