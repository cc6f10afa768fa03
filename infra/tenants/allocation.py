"""A department's address block as the ledger records it: a plain record that plans, components and stacks may
import without pulling in the ledger's OpenBao client."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from ipaddress import IPv4Network
from typing import Any


@dataclass(frozen=True)
class Allocation:
    """A department's block in the pool; ``new`` is True when this call made it."""

    tenant: str
    cidr: IPv4Network
    name_en: str
    name_zh: str
    owner: str
    allocated_at: str
    new: bool = False

    def record(self) -> dict[str, str]:
        return {"cidr": str(self.cidr), "name_en": self.name_en, "name_zh": self.name_zh, "owner": self.owner,
                "allocated_at": self.allocated_at}

    @classmethod
    def from_record(cls, tenant: str, record: Mapping[str, Any]) -> Allocation:
        return cls(tenant, IPv4Network(record["cidr"]), str(record.get("name_en", "")),
                   str(record.get("name_zh", "")), str(record.get("owner", "")), str(record.get("allocated_at", "")))
