"""Transit keys rotate automatically at least yearly (key lifecycle, GB/T 39786)."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result
from compliance.text import text

MAX_PERIOD_SECONDS = 366 * 24 * 3600


def seconds(value: Any) -> int:
    """OpenBao reports auto_rotate_period as seconds (int) or a duration text like ``720h``."""
    if isinstance(value, int | float):
        return int(value)
    text = str(value or "0").strip()
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400}
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(float(text))


def rule(key: Mapping[str, Any]) -> str | None:
    period = seconds(key.get("auto_rotate_period"))
    if period <= 0:
        return text("does not rotate automatically", "未启用自动轮换")
    if period > MAX_PERIOD_SECONDS:
        return text("rotates every {days} days, less often than yearly", "每 {days} 天轮换, 低于每年一次",
                    days=period // 86400)
    return None


def check(evidence: Evidence) -> Iterator[Result]:
    for key in ((evidence.get("vault") or {}).get("global") or {}).get("transit_keys") or ():
        where = f"{key['namespace']}{key['mount']}keys/{key['name']}"
        problem = rule(key)
        state = problem or text("rotates every {days} days", "每 {days} 天轮换",
                                days=seconds(key.get("auto_rotate_period")) // 86400)
        detail = text("transit key {where} {state}", "transit 密钥 {where} {state}", where=where, state=state)
        yield Result(where, problem is None, detail, resource_type="OpenBaoTransitKey",
                     tags={"egov:tenant": key["namespace"].split("/")[1]} if key["namespace"].startswith("tenants/")
                     else None)
