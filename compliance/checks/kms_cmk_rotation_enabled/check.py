"""Customer-managed symmetric keys rotate automatically (key lifecycle, GB/T 39786 key management)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result, regional, tags_of
from compliance.rules import key_rotation_off
from compliance.text import text


def applies(key: Mapping[str, Any]) -> bool:
    return (key.get("KeyManager") == "CUSTOMER" and key.get("KeyState") == "Enabled"
            and key.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT")


def rule(key: Mapping[str, Any]) -> str | None:
    return key_rotation_off(key)


def check(evidence: Evidence) -> Iterator[Result]:
    for region, key in regional(evidence, "kms_keys"):
        if not applies(key):
            continue
        problem = rule(key)
        yield Result(key.get("Arn") or key["KeyId"], problem is None,
                     text("key {id} {state}", "密钥 {id} {state}", id=key["KeyId"],
                          state=problem or text("rotates automatically", "已启用自动轮换")), region, tags=tags_of(key))
