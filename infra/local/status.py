"""One shape for "how is this part of the embedded environment doing", rendered by the CLI."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class PartStatus:
    """State of one embedded service (moto, OpenBao, the Pulumi backend)."""

    name: str
    running: bool
    healthy: bool
    address: str = ""
    version: str = ""
    detail: str = ""
    warnings: list[str] = field(default_factory=list)
