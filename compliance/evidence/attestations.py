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
      - item: CMP-06                    # a high-risk item: accepting the mitigation of one of its cases
        accepts_mitigation: 6.4.2.1     # the case (compliance/high_risk_cases.yaml); no result
        evidence: root login from the management network only, keys only; reviewed on the hosts
        signed_by: Zhang Min
        role: Assessor
        date: 2026-11-02
        expires: 2027-11-01
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
    result: Literal["compliant", "partially compliant", "non-compliant"] | None = None
    accepts_mitigation: str = ""
    """A high-risk case of the item whose mitigation the signer accepts (compliance/mitigation.py); such an
    attestation carries no result."""
    evidence: str = Field(min_length=10)
    signed_by: str = Field(min_length=2)
    role: str = Field(min_length=2)
    date: dt.date
    expires: dt.date
    tenant: str = ""

    @model_validator(mode="after")
    def _dates(self) -> Attestation:
        if (self.result is None) == (not self.accepts_mitigation):
            raise custom_error("result", "an attestation either gives a result or accepts a mitigation "
                               "(accepts_mitigation: <case>), exactly one of them",
                               "set result for a manual or partial item, or accepts_mitigation for a high-risk case")
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
        elif attestation.accepts_mitigation:
            if attestation.accepts_mitigation not in entry.high_risk_cases:
                out.add((*where, "accepts_mitigation"),
                        f"{attestation.item} has no high-risk case {attestation.accepts_mitigation!r} "
                        f"(its cases: {', '.join(entry.high_risk_cases) or 'none'})",
                        "name one of the item's high_risk_cases")
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
    for item in _counting(evidence, tenant):
        if item.get("accepts_mitigation"):
            continue
        if item["item"] not in chosen or item.get("tenant"):
            chosen[item["item"]] = item
    return chosen


def mitigation_acceptances(evidence: Mapping[str, Any], tenant: str | None) -> dict[tuple[str, str], Mapping[str, Any]]:
    """(item id, case) -> the valid attestation accepting that case's mitigation (a tenant's own wins)."""
    chosen: dict[tuple[str, str], Mapping[str, Any]] = {}
    for item in _counting(evidence, tenant):
        key = (item["item"], str(item.get("accepts_mitigation") or ""))
        if key[1] and (key not in chosen or item.get("tenant")):
            chosen[key] = item
    return chosen


def _counting(evidence: Mapping[str, Any], tenant: str | None) -> list[Mapping[str, Any]]:
    """The attestations that count for this scan: not expired, the platform's or the tenant's own."""
    bundle = evidence.get("attestations")
    items = ((bundle.get("global") or {}).get("items") or ()) if isinstance(bundle, Mapping) else ()
    return [item for item in items
            if not item.get("expired") and not (item.get("tenant") and item["tenant"] != tenant)]
