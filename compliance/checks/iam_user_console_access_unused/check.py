"""No IAM user keeps a console password unused for more than 90 days (GB/T 22239 8.1.4.2 c), delete or
disable redundant and expired accounts promptly)."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result
from compliance.checks.credentials import (
    UNUSED_DAYS,
    age_days,
    enabled,
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
        if not enabled(row, "password_enabled"):
            yield Result(resource(row), True, f"user {user} has no console password", resource_type="AwsIamUser",
                     tags=tags.get(resource(row), {}))
            continue
        used = parse_time(row.get("password_last_used"))
        # never used: count from when the password was set (or the user made)
        since = used or parse_time(row.get("password_last_changed")) or parse_time(row.get("user_creation_time"))
        if since is None:
            yield Result(resource(row), None, f"user {user}: the report gives no date for the console password",
                         resource_type="AwsIamUser",
                     tags=tags.get(resource(row), {}))
            continue
        days = age_days(now, since)
        what = "last used" if used else "never used, set"
        ok = days <= UNUSED_DAYS
        detail = (f"user {user}'s console password was {what} {days} days ago"
                  + ("" if ok else f" (more than {UNUSED_DAYS}): disable it"))
        yield Result(resource(row), ok, detail, resource_type="AwsIamUser",
                     tags=tags.get(resource(row), {}))
