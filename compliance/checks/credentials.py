"""The IAM credential report as the user checks read it: one row per user, ages counted from the moment
the report was read (so a check stays a pure function of its evidence, and a saved scan re-judges the same
way later).

Row fields are the report's CSV columns (``password_enabled``, ``password_last_used``, ``mfa_active``,
``access_key_1_active``, ``access_key_1_last_rotated``, ``access_key_1_last_used_date``...); dates are ISO
8601, and ``N/A`` / ``no_information`` / ``not_supported`` mean "never" or "unknown".
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, global_value, tags_of

ROOT_ROW = "<root_account>"
"""The root user's row: judged by the root checks (iam_root_mfa_enabled, iam_no_root_access_key)."""
UNUSED_DAYS = 90
ROTATION_DAYS = 90


def parse_time(value: Any) -> dt.datetime | None:
    """An ISO 8601 time from the report (or the answer's GeneratedTime); None for N/A and the like."""
    if not isinstance(value, str) or not value[:1].isdigit():
        return None
    parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def report_time(evidence: Evidence) -> dt.datetime:
    """When the report was read (``CollectedAt``, the scan's clock), else its ``GeneratedTime``: some endpoints
    (moto) answer a fixed GeneratedTime years in the past, which would make every credential look fresh."""
    report = global_value(evidence, "credential_report") or {}
    now = parse_time(report.get("CollectedAt")) or parse_time(report.get("GeneratedTime"))
    if now is None:
        raise ValueError("the credential report has no CollectedAt or GeneratedTime to count ages from")
    return now


def user_rows(evidence: Evidence) -> Iterator[Mapping[str, str]]:
    """Every user's row but the root user's."""
    report = global_value(evidence, "credential_report") or {}
    for row in report.get("Users") or ():
        if row.get("user") != ROOT_ROW:
            yield row


def enabled(row: Mapping[str, str], column: str) -> bool:
    return str(row.get(column, "")).lower() == "true"


def active_keys(row: Mapping[str, str]) -> Iterator[int]:
    """The numbers (1, 2) of the user's active access keys."""
    for number in (1, 2):
        if enabled(row, f"access_key_{number}_active"):
            yield number


def age_days(now: dt.datetime, then: dt.datetime) -> int:
    return (now - then).days


def resource(row: Mapping[str, str]) -> str:
    return row.get("arn") or row.get("user") or "?"


def user_tags(evidence: Evidence) -> dict[str, dict[str, str]]:
    """User ARN -> the user's tags (from ``global.users``), so report findings say managed or unmanaged."""
    return {str(user.get("Arn")): tags_of(user) for user in global_value(evidence, "users") or ()}
