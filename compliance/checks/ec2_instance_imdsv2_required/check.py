"""Every instance's metadata service demands a session token (IMDSv2)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result, name_of, regional, tags_of
from compliance.rules import imdsv1_allowed
from compliance.text import Text, text


def rule(instance: Mapping[str, Any]) -> Text | None:
    return imdsv1_allowed(instance)


def check(evidence: Evidence) -> Iterator[Result]:
    for region, instance in regional(evidence, "instances"):
        problem = rule(instance)
        who = name_of(instance, f"instance {instance['InstanceId']}")
        detail = (text("{who} {problem}", "{who} {problem}", who=who, problem=problem) if problem
                  else text("{who} requires IMDSv2", "{who} 要求 IMDSv2", who=who))
        yield Result(instance["InstanceId"], problem is None, detail, region, tags=tags_of(instance))
