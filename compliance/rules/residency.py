"""Residency rule: resources only in the allowed regions (policies/platform.yaml)."""

from __future__ import annotations

from compliance.text import Text, text


def region_outside(region: str, allowed: list[str]) -> Text | None:
    if region in allowed:
        return None
    return text("is in {region}, outside the allowed regions {allowed}", "位于 {region}, 不在允许的区域 {allowed} 内",
                region=region, allowed=", ".join(allowed))
