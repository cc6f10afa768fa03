"""Buckets that hold a department's data or personal information say so and how sensitive it is: tags ``pi``
(true/false) and ``data_classification`` (classified management of personal information, PIPL art. 51 (2);
security labels on important objects, GB/T 22239 8.1.4.2 g)). A bucket tagged ``pi=true`` is classified
``personal`` or ``sensitive-personal``. Platform buckets without a tenant tag or a ``pi`` tag are not judged."""

from __future__ import annotations

from collections.abc import Iterator, Mapping

from compliance.checks.base import TENANT_TAG, Evidence, Result, global_value, tags_of

PI_TAG = "pi"
CLASSIFICATION_TAG = "data_classification"
CLASSES = ("public", "internal", "sensitive", "personal", "sensitive-personal")
PI_CLASSES = ("personal", "sensitive-personal")


def rule(tags: Mapping[str, str]) -> str | None:
    """Why the bucket's labels fall short, or None."""
    pi = tags.get(PI_TAG, "").lower()
    if pi not in ("true", "false"):
        return f"has no {PI_TAG}=true|false tag" if not pi else f"has {PI_TAG}={tags[PI_TAG]!r}, not true or false"
    classification = tags.get(CLASSIFICATION_TAG, "")
    if classification not in CLASSES:
        return (f"has no {CLASSIFICATION_TAG} tag" if not classification
                else f"has {CLASSIFICATION_TAG}={classification!r}, not one of {', '.join(CLASSES)}")
    if pi == "true" and classification not in PI_CLASSES:
        return f"holds personal information but is classified {classification!r} ({' or '.join(PI_CLASSES)} required)"
    return None


def check(evidence: Evidence) -> Iterator[Result]:
    for bucket in global_value(evidence, "buckets") or ():
        tags = tags_of(bucket)
        if TENANT_TAG not in tags and PI_TAG not in tags:
            continue
        problem = rule(tags)
        detail = f"bucket {bucket['Name']} " + (problem or f"is classified {tags[CLASSIFICATION_TAG]} "
                                                           f"({PI_TAG}={tags[PI_TAG]})")
        yield Result(bucket["Name"], problem is None, detail, bucket.get("Region", ""), tags=tags)
