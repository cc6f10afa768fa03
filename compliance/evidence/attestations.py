"""Attestations (``compliance/attestations.yaml``): a named person signs off a manual item, or the documentary
part of a partial one, with a date and an expiry. They are evidence like any other source: an expired one
no longer counts (the item goes back to "not judged"), and the report shows who signed what.

Schema::

    attestations:
      - item: MGT-01                    # a catalog entry with status manual or partial
        result: compliant               # compliant | partially compliant | non-compliant
        evidence: Security policy set v3.2, approved by the leadership group   # the document(s) relied on
        signed_by: Li Wei
        role: Chief information security officer
        date: 2026-10-02                # signed; not in the future
        expires: 2027-10-01             # after date, at most 13 months later
        tenant: finance                 # optional: a tenant's own attestation
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from compliance.catalog import Catalog, Status
from infra.config.problems import Collector, custom_error
from infra.config.yamlfile import read_yaml
from infra.repository import REPO_ROOT

ATTESTATIONS_FILE = REPO_ROOT / "compliance" / "attestations.yaml"
MAX_VALIDITY = dt.timedelta(days=397)
RESULTS = {"compliant": 1.0, "partially compliant": 0.5, "non-compliant": 0.0}


class Attestation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    item: str = Field(min_length=1)
    result: Literal["compliant", "partially compliant", "non-compliant"]
    evidence: str = Field(min_length=10)
    signed_by: str = Field(min_length=2)
    role: str = Field(min_length=2)
    date: dt.date
    expires: dt.date
    tenant: str = ""

    @model_validator(mode="after")
    def _dates(self) -> Attestation:
        if self.expires <= self.date:
            raise custom_error("dates", f"expires {self.expires} is not after the signing date {self.date}",
                               "an attestation is valid from its date until its expiry")
        if self.expires - self.date > MAX_VALIDITY:
            raise custom_error("dates", f"valid {(self.expires - self.date).days} days; at most 397 are allowed",
                               "attestations are renewed at least yearly")
        return self


class AttestationFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    attestations: list[Attestation] = Field(default_factory=list)


def load_attestations(path: Path, catalog: Catalog, today: dt.date) -> dict[str, Any]:
    """The evidence bundle for source ``attestations``; ``ConfigError`` (file, field, line, reason) for a
    malformed file, an unknown item, an item that needs none, or a signature dated in the future."""
    data, lines = read_yaml(path)
    out = Collector(str(path), lines)
    try:
        parsed = AttestationFile.model_validate(data if data is not None else {})
    except ValidationError as exc:
        out.add_validation_error(exc, AttestationFile)
        out.raise_if_any()
        raise AssertionError("unreachable") from exc
    items: list[dict[str, Any]] = []
    for index, attestation in enumerate(parsed.attestations):
        where: tuple[Any, ...] = ("attestations", index)
        entry = catalog.entries.get(attestation.item)
        if entry is None:
            out.add((*where, "item"), f"unknown catalog entry {attestation.item!r}",
                    "name an id from compliance/catalog/*.yaml")
        elif entry.status not in (Status.MANUAL, Status.PARTIAL):
            out.add((*where, "item"), f"{attestation.item} is {entry.status}: checks decide it, not an attestation",
                    "attest only manual items and the documentary part of partial ones")
        if attestation.date > today:
            out.add((*where, "date"), f"signed on {attestation.date}, after today ({today})", "fix the date")
        items.append({**attestation.model_dump(mode="json"), "expired": attestation.expires < today})
    out.raise_if_any()
    return {"file": str(path), "global": {"items": items}, "errors": {}}


def valid_attestations(evidence: Mapping[str, Any], tenant: str | None) -> dict[str, Mapping[str, Any]]:
    """Item id -> the attestation that counts for this scan: not expired, the platform's or the tenant's own
    (a tenant's own wins)."""
    chosen: dict[str, Mapping[str, Any]] = {}
    bundle = evidence.get("attestations")
    for item in ((bundle.get("global") or {}).get("items") or ()) if isinstance(bundle, Mapping) else ():
        if item.get("expired") or (item.get("tenant") and item["tenant"] != tenant):
            continue
        if item["item"] not in chosen or item.get("tenant"):
            chosen[item["item"]] = item
    return chosen
