"""No instance's user data carries a private key, a password, an AWS key or a Vault token."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result, name_of, regional, tags_of
from compliance.rules import user_data_secret


def rule(instance: Mapping[str, Any]) -> str | None:
    return user_data_secret(instance)


def check(evidence: Evidence) -> Iterator[Result]:
    for region, instance in regional(evidence, "instances"):
        if "UserData" not in instance:  # the attribute could not be read: no verdict, never a pass
            yield Result(instance["InstanceId"], None, f"instance {instance['InstanceId']}: user data not collected",
                         region, tags=tags_of(instance))
            continue
        problem = rule(instance)
        who = name_of(instance, f"instance {instance['InstanceId']}")
        yield Result(instance["InstanceId"], problem is None, f"{who} {problem or 'has no secret in its user data'}",
                     region, tags=tags_of(instance))
