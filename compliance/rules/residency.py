"""Residency rule: resources only in the allowed regions (policies/platform.yaml)."""

from __future__ import annotations


def region_outside(region: str, allowed: list[str]) -> str | None:
    return None if region in allowed else f"is in {region}, outside the allowed regions {', '.join(allowed)}"
