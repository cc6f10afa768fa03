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
from compliance.text import Text, join, text

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


def rule(bucket: Mapping[str, Any], *, holds_logs: bool) -> Text | None:
    """Why the bucket's lifecycle does not bound its data as declared, or None."""
    tags = tags_of(bucket)
    declared_text = tags.get(RETENTION_TAG)
    declared: int | None = None
    if declared_text is not None:
        if not declared_text.isdigit() or int(declared_text) < 1:
            return text("declares {tag}={value!r}, not a number of days", "声明的 {tag}={value!r} 不是天数",
                        tag=RETENTION_TAG, value=declared_text)
        declared = int(declared_text)
    if holds_logs and declared is not None and declared < RETENTION_MINIMUM_DAYS:
        return text("holds logs but declares a retention of {declared} days (at least {minimum})",
                    "存放日志, 但声明的保留期仅为 {declared} 天 (至少 {minimum} 天)",
                    declared=declared, minimum=RETENTION_MINIMUM_DAYS)
    rules = [r for r in bucket.get("Lifecycle") or () if _whole_bucket(r)]
    expires = _days(rules, "Expiration", "Days")
    if expires is None:
        return text("has no enabled lifecycle rule that expires every object",
                    "没有已启用的、使所有对象过期的生命周期规则")
    if declared is not None and expires > declared:
        return text("expires objects after {expires} days, later than its declared retention of {declared} days",
                    "对象在 {expires} 天后才过期, 晚于其声明的 {declared} 天保留期", expires=expires, declared=declared)
    if holds_logs and expires < RETENTION_MINIMUM_DAYS:
        return text("holds logs but expires them after {expires} days (at least {minimum})",
                    "存放日志, 但日志在 {expires} 天后即过期 (至少应保留 {minimum} 天)",
                    expires=expires, minimum=RETENTION_MINIMUM_DAYS)
    if bucket.get("Versioning") == "Enabled":
        noncurrent = _days(rules, "NoncurrentVersionExpiration", "NoncurrentDays")
        if noncurrent is None:
            return text("is versioned but no lifecycle rule expires earlier versions, so they are kept forever",
                        "已启用版本控制, 但没有生命周期规则使非当前版本过期, 历史版本将被永久保留")
        if declared is not None and noncurrent > declared:
            return text("keeps earlier versions {noncurrent} days, longer than its declared retention of "
                        "{declared} days",
                        "非当前版本保留 {noncurrent} 天, 长于其声明的 {declared} 天保留期",
                        noncurrent=noncurrent, declared=declared)
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
        what = join([w for w, on in ((text("logs", "日志"), holds_logs), (text("personal information", "个人信息"), pi))
                     if on], " and ", "和")
        problem = rule(bucket, holds_logs=holds_logs)
        if problem:
            detail = text("bucket {name} ({what}) {problem}", "存储桶 {name} ({what}) {problem}",
                          name=bucket["Name"], what=what, problem=problem)
        else:
            expires = _days([r for r in bucket.get("Lifecycle") or () if _whole_bucket(r)], "Expiration", "Days")
            declared = (text(" (declared retention {days} days)", " (声明的保留期 {days} 天)", days=tags[RETENTION_TAG])
                        if RETENTION_TAG in tags else "")
            detail = text("bucket {name} ({what}) expires objects after {expires} days{declared}",
                          "存储桶 {name} ({what}) 的对象在 {expires} 天后过期{declared}",
                          name=bucket["Name"], what=what, expires=expires, declared=declared)
        yield Result(bucket["Name"], problem is None, detail, bucket.get("Region", ""), tags=tags)
