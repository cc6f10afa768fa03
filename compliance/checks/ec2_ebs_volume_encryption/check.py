"""Every block-storage volume is encrypted."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from compliance.checks.base import Evidence, Result, regional, tags_of
from compliance.rules import volume_unencrypted
from compliance.text import text


def rule(volume: Mapping[str, Any]) -> str | None:
    return volume_unencrypted(volume)


def check(evidence: Evidence) -> Iterator[Result]:
    for region, volume in regional(evidence, "volumes"):
        problem = rule(volume)
        state = problem or text("is encrypted", "已加密")
        yield Result(volume["VolumeId"], problem is None, text("volume {id} {state}", "卷 {id} {state}",
                                                               id=volume["VolumeId"], state=state),
                     region, tags=tags_of(volume))
