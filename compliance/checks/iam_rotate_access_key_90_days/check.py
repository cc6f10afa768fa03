"""Every active access key was rotated within 90 days (GB/T 22239 8.1.4.1 a), credentials are changed
regularly)."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result
from compliance.checks.credentials import (
    ROTATION_DAYS,
    active_keys,
    age_days,
    parse_time,
    report_time,
    resource,
    user_rows,
    user_tags,
)


def check(evidence: Evidence) -> Iterator[Result]:
    now = report_time(evidence)
    tags = user_tags(evidence)
    for row in user_rows(evidence):
        user = row.get("user", "?")
        old = []
        for number in active_keys(row):
            rotated = parse_time(row.get(f"access_key_{number}_last_rotated"))
            if rotated is None:
                old.append(f"key {number} (no rotation date in the report)")
            elif age_days(now, rotated) > ROTATION_DAYS:
                old.append(f"key {number} (rotated {age_days(now, rotated)} days ago)")
        detail = (f"user {user} has active access keys older than {ROTATION_DAYS} days: {', '.join(old)}" if old
                  else f"user {user} has no active access key older than {ROTATION_DAYS} days")
        yield Result(resource(row), not old, detail, resource_type="AwsIamUser",
                     tags=tags.get(resource(row), {}))
