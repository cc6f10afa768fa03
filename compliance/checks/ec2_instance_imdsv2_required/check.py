"""Every instance's metadata service demands a session token (IMDSv2)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result, name_of, regional, tags_of
from compliance.rules import imdsv1_allowed


def rule(instance: Mapping[str, Any]) -> str | None:
    return imdsv1_allowed(instance)


def check(evidence: Evidence) -> Iterator[Result]:
    for region, instance in regional(evidence, "instances"):
        problem = rule(instance)
        who = name_of(instance, f"instance {instance['InstanceId']}")
        yield Result(instance["InstanceId"], problem is None, f"{who} {problem or 'requires IMDSv2'}", region,
                     tags=tags_of(instance))
