"""Key rules: customer-managed keys rotate."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def key_rotation_off(key: Mapping[str, Any]) -> str | None:
    """``RotationEnabled`` must be true for an enabled customer-managed symmetric key."""
    return None if key.get("RotationEnabled") is True else "does not rotate automatically"
