"""Buckets that hold a department's data or personal information say so and how sensitive it is: tags ``pi``
(true/false) and ``data_classification`` (classified management of personal information, PIPL art. 51 (2);
security labels on important objects, GB/T 22239 8.1.4.2 g)). A bucket tagged ``pi=true`` is classified
``personal`` or ``sensitive-personal``. Platform buckets without a tenant tag or a ``pi`` tag are not judged."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from compliance.checks.base import TENANT_TAG, Evidence, Result, global_value, tags_of
from compliance.text import Text, text

PI_TAG = "pi"
CLASSIFICATION_TAG = "data_classification"
CLASSES = ("public", "internal", "sensitive", "personal", "sensitive-personal")
PI_CLASSES = ("personal", "sensitive-personal")


def rule(tags: Mapping[str, str]) -> Text | None:
    """Why the bucket's labels fall short, or None."""
    pi = tags.get(PI_TAG, "").lower()
    if pi not in ("true", "false"):
        if not pi:
            return text("has no {tag}=true|false tag", "缺少 {tag}=true|false 标签", tag=PI_TAG)
        return text("has {tag}={value!r}, not true or false", "{tag}={value!r}, 不是 true 或 false", tag=PI_TAG,
                    value=tags[PI_TAG])
    classification = tags.get(CLASSIFICATION_TAG, "")
    if classification not in CLASSES:
        if not classification:
            return text("has no {tag} tag", "缺少 {tag} 标签", tag=CLASSIFICATION_TAG)
        return text("has {tag}={value!r}, not one of {classes}", "{tag}={value!r}, 不属于 {classes}",
                    tag=CLASSIFICATION_TAG, value=classification, classes=", ".join(CLASSES))
    if pi == "true" and classification not in PI_CLASSES:
        return text("holds personal information but is classified {value!r} ({need} required)",
                    "存放个人信息, 但分级为 {value!r} (应为 {need})", value=classification,
                    need=" or ".join(PI_CLASSES))
    return None


def check(evidence: Evidence) -> Iterator[Result]:
    for bucket in global_value(evidence, "buckets") or ():
        tags = tags_of(bucket)
        if TENANT_TAG not in tags and PI_TAG not in tags:
            continue
        problem = rule(tags)
        state = problem or text("is classified {value} ({tag}={pi})", "分级为 {value} ({tag}={pi})",
                                value=tags[CLASSIFICATION_TAG], tag=PI_TAG, pi=tags[PI_TAG])
        detail = text("bucket {name} {state}", "存储桶 {name} {state}", name=bucket["Name"], state=state)
        yield Result(bucket["Name"], problem is None, detail, bucket.get("Region", ""), tags=tags)
