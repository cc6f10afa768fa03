"""No IAM user keeps an active access key unused for more than 90 days: a credential nobody uses is a
redundant one (GB/T 22239 8.1.4.2 c), delete or disable redundant and expired accounts promptly)."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result
from compliance.checks.credentials import (
    UNUSED_DAYS,
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
        stale = []
        for number in active_keys(row):
            used = parse_time(row.get(f"access_key_{number}_last_used_date"))
            since = used or parse_time(row.get(f"access_key_{number}_last_rotated"))
            if since is None:
                stale.append(f"key {number} (no usage or creation date in the report)")
            elif age_days(now, since) > UNUSED_DAYS:
                what = "last used" if used else "never used, created"
                stale.append(f"key {number} ({what} {age_days(now, since)} days ago)")
        detail = (f"user {user} has active access keys unused for more than {UNUSED_DAYS} days: {', '.join(stale)}"
                  if stale else f"user {user} has no active access key unused for more than {UNUSED_DAYS} days")
        yield Result(resource(row), not stale, detail, resource_type="AwsIamUser",
                     tags=tags.get(resource(row), {}))
