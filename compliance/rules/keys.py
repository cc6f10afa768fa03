"""Key rules: customer-managed keys rotate."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compliance.text import Text, text


def key_rotation_off(key: Mapping[str, Any]) -> Text | None:
    """``RotationEnabled`` must be true for an enabled customer-managed symmetric key."""
    return None if key.get("RotationEnabled") is True else text("does not rotate automatically", "未启用自动轮换")
