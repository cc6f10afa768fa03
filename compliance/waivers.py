"""Waivers (``compliance/waivers.yaml``): a named owner and a separate approver accept a finding until a date.

A waiver hides matching failures from the gate, never from the report: every report lists every waiver and
the findings it hid. An expired waiver hides nothing and fails the gate, so a lapsed acceptance is noticed.
Schema::

    waivers:
      - id: W-001                       # unique
        check: ec2_securitygroup_default_restrict_traffic   # or clause: BND-04 (exactly one of the two)
        resources: ["sg-0abc*"]         # optional globs on the resource id; all resources when absent
        tenant: finance                 # optional: only findings on this tenant's resources
        reason: why the risk is accepted
        owner: the person who owns the risk
        approver: a different person who approved it
        expires: 2027-03-31             # a date; at most one year ahead
"""

from __future__ import annotations

import datetime as dt
import fnmatch
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from compliance.checks.registry import Finding
from compliance.options import WAIVERS_FILE
from infra.config.problems import Collector, Problem, custom_error
from infra.config.yamlfile import read_yaml

MAX_DURATION = dt.timedelta(days=366)


class Waiver(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    check: str = ""
    clause: str = ""
    resources: tuple[str, ...] = ()
    tenant: str = ""
    reason: str = Field(min_length=10)
    owner: str = Field(min_length=1)
    approver: str = Field(min_length=1)
    expires: dt.date

    @model_validator(mode="after")
    def _shape(self) -> Waiver:
        if bool(self.check) == bool(self.clause):
            raise custom_error("waiver", "a waiver names exactly one of `check` or `clause`",
                               "keep one of them")
        if self.owner.strip().lower() == self.approver.strip().lower():
            raise custom_error("waiver", "the approver must be another person than the owner",
                               "name the person who approved the risk acceptance")
        return self

    def expired(self, today: dt.date) -> bool:
        return self.expires < today

    def covers(self, finding: Finding, clauses_of_check: Collection[str]) -> bool:
        if self.check and finding.check_id != self.check:
            return False
        if self.clause and self.clause not in clauses_of_check:
            return False
        if self.tenant and finding.tenant != self.tenant:
            return False
        return not self.resources or any(fnmatch.fnmatchcase(finding.resource, pattern) for pattern in self.resources)


class WaiverFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    waivers: list[Waiver] = Field(default_factory=list)


@dataclass(frozen=True)
class WaiverSet:
    file: str
    waivers: tuple[Waiver, ...]

    def active(self, today: dt.date) -> list[Waiver]:
        return [w for w in self.waivers if not w.expired(today)]

    def expired(self, today: dt.date) -> list[Waiver]:
        return [w for w in self.waivers if w.expired(today)]


def load_waivers(path: Path = WAIVERS_FILE, *, known_checks: Collection[str], known_clauses: Collection[str],
                 today: dt.date | None = None, allow_expired: bool = True) -> WaiverSet:
    """The waivers of ``path`` ({} when the file does not exist), validated against the known checks and
    clauses. With ``allow_expired`` false (``egov waiver lint``) an expired waiver is a problem too."""
    if not path.exists():
        return WaiverSet(str(path), ())
    data, lines = read_yaml(path)
    out = Collector(str(path), lines)
    if data is None:
        return WaiverSet(str(path), ())
    try:
        parsed = WaiverFile.model_validate(data)
    except ValidationError as exc:
        out.add_validation_error(exc, WaiverFile)
        out.raise_if_any()
        raise AssertionError("unreachable") from exc
    today = today or dt.date.today()
    seen: set[str] = set()
    for index, waiver in enumerate(parsed.waivers):
        where: tuple[Any, ...] = ("waivers", index)
        if waiver.id in seen:
            out.add((*where, "id"), f"duplicate waiver id {waiver.id!r}", "give every waiver its own id")
        seen.add(waiver.id)
        if waiver.check and waiver.check not in known_checks:
            out.add((*where, "check"), f"unknown check {waiver.check!r}", "name a folder under compliance/checks/")
        if waiver.clause and waiver.clause not in known_clauses:
            out.add((*where, "clause"), f"unknown catalog entry {waiver.clause!r}",
                    "name an id from compliance/catalog/*.yaml")
        if waiver.expires - today > MAX_DURATION:
            out.add((*where, "expires"), f"expires {waiver.expires}, more than a year from {today}",
                    "waivers are reviewed at least yearly; pick an earlier date")
        if not allow_expired and waiver.expired(today):
            out.add((*where, "expires"), f"waiver {waiver.id} expired on {waiver.expires}",
                    "renew it with a new approval or remove it and fix the finding")
    out.raise_if_any()
    return WaiverSet(str(path), tuple(parsed.waivers))


@dataclass(frozen=True)
class WaiverOutcome:
    """Which finding each waiver hid, and the waivers that had lapsed."""

    hidden: dict[str, list[Finding]]
    expired: list[Waiver]
    waivers: tuple[Waiver, ...]

    def is_hidden(self, finding: Finding) -> bool:
        return any(finding in found for found in self.hidden.values())

    @property
    def problems(self) -> list[Problem]:
        return [Problem("waivers", w.id, f"waiver {w.id} expired on {w.expires}", "renew or remove it")
                for w in self.expired]


def apply_waivers(waivers: WaiverSet, findings: Iterable[Finding], clauses_of: dict[str, tuple[str, ...]],
                  today: dt.date) -> WaiverOutcome:
    """Match failures against the active waivers; errors and passes are never waived."""
    active = waivers.active(today)
    hidden: dict[str, list[Finding]] = {w.id: [] for w in waivers.waivers}
    for finding in findings:
        if finding.status != "fail":
            continue
        for waiver in active:
            if waiver.covers(finding, clauses_of.get(finding.check_id, ())):
                hidden[waiver.id].append(finding)
                break
    return WaiverOutcome(hidden, waivers.expired(today), waivers.waivers)
