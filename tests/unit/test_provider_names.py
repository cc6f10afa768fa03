"""Names the provider validates are matched whole: a trailing newline (which `re.match` with `$` lets through)
is refused before any cloud call."""

from __future__ import annotations

from infra.provider.iam import name_problem
from infra.provider.s3 import bucket_name_problem


def test_bucket_name_with_trailing_newline_is_refused() -> None:
    assert bucket_name_problem("egov-archive") is None
    assert bucket_name_problem("egov-archive\n") is not None


def test_iam_name_with_trailing_newline_is_refused() -> None:
    assert name_problem("egov-role", "name", "role name", 64) is None
    assert name_problem("egov-role\n", "name", "role name", 64) is not None
