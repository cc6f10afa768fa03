"""Every IAM user who can sign in to the console has an MFA device: a password alone is one factor
(GB/T 22239 8.1.4.1 d), two or more authentication techniques for administrators)."""

from __future__ import annotations

from collections.abc import Iterator

from compliance.checks.base import Evidence, Result
from compliance.checks.credentials import enabled, resource, user_rows, user_tags


def check(evidence: Evidence) -> Iterator[Result]:
    tags = user_tags(evidence)
    for row in user_rows(evidence):
        user = row.get("user", "?")
        if not enabled(row, "password_enabled"):
            yield Result(resource(row), True, f"user {user} has no console password", resource_type="AwsIamUser",
                     tags=tags.get(resource(row), {}))
            continue
        mfa = enabled(row, "mfa_active")
        detail = (f"user {user} signs in to the console with MFA" if mfa
                  else f"user {user} can sign in to the console with a password and no MFA device")
        yield Result(resource(row), mfa, detail, resource_type="AwsIamUser",
                     tags=tags.get(resource(row), {}))
