"""The control catalog: one entry per test item (测评项) or clause, what decides it and who answers for it.

The YAML files next to this module are the source of truth; this module is their schema. Every file is
read through the project's YAML loader (duplicate keys and syntax errors with their line) and validated
here; all problems of all files come back in one ``ConfigError`` (file, field, line, reason, fix).

Status follows ComplianceAsCode's vocabulary, and each status has its own obligations:

* ``automated``      checks decide the item alone: ``checks`` required;
* ``partial``        checks decide part, a signed attestation the rest: ``checks`` and ``attestation`` required;
* ``manual``         only an attestation decides it: ``attestation`` required, no checks;
* ``inherently met`` / ``not applicable``: a ``justification`` required, no checks.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from enum import StrEnum
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from infra.config.problems import Collector, ConfigError, LineIndex, Problem, custom_error
from infra.config.yamlfile import read_yaml
from infra.repository import REPO_ROOT

CATALOG_DIR = REPO_ROOT / "compliance" / "catalog"

ENTRY_ID = re.compile(r"^[A-Z]{1,4}-\d{2}(\.[a-z0-9])?$")

Tier = Literal["key", "important", "general"]
"""Item tier of the 2021 report template (关键 / 重要 / 一般); weights 3 / 2 / 1 in the score estimate."""

Severity = Literal["high", "medium", "low"]
Responsibility = Literal["platform", "tenant", "both"]
Source = Literal["cloud", "vault", "state", "hosts", "certs", "attestations"]


class Status(StrEnum):
    AUTOMATED = "automated"
    PARTIAL = "partial"
    MANUAL = "manual"
    INHERENTLY_MET = "inherently met"
    NOT_APPLICABLE = "not applicable"


class Title(BaseModel):
    model_config = ConfigDict(extra="forbid")

    zh: str = Field(min_length=1)
    en: str = Field(min_length=1)


class CatalogEntry(BaseModel):
    """One test item or clause."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    standard: Literal["GB/T 22239-2019", "PIPL", "GB/T 35273-2020", "GB/T 39786-2021", "e-government"]
    clause: str = Field(min_length=1)
    family: str = Field(min_length=1)
    title: Title
    requirement: str = Field(min_length=10)
    tier: Tier
    severity: Severity
    high_risk_cases: tuple[str, ...] = ()
    high_risk_note: str = ""
    responsibility: Responsibility
    sources: tuple[Source, ...] = Field(min_length=1)
    status: Status
    checks: tuple[str, ...] = ()
    attestation: str = ""
    planned_check: str = ""
    justification: str = ""

    @field_validator("id")
    @classmethod
    def _id_shape(cls, value: str) -> str:
        if not ENTRY_ID.match(value):
            raise custom_error("entry_id", f"id {value!r} is not of the form FAM-NN or FAM-NN.x",
                               "use the row id of controls.md, e.g. NET-02 or NET-01.a")
        return value

    @model_validator(mode="after")
    def _status_obligations(self) -> CatalogEntry:
        need = {
            Status.AUTOMATED: ("checks",),
            Status.PARTIAL: ("checks", "attestation"),
            Status.MANUAL: ("attestation",),
            Status.INHERENTLY_MET: ("justification",),
            Status.NOT_APPLICABLE: ("justification",),
        }[self.status]
        missing = [name for name in need if not getattr(self, name)]
        if missing:
            raise custom_error("status", f"status '{self.status}' needs {' and '.join(missing)}",
                               f"add {', '.join(missing)} or change the status")
        if self.checks and self.status not in (Status.AUTOMATED, Status.PARTIAL):
            raise custom_error("status", f"status '{self.status}' cannot list checks",
                               "use status automated or partial, or remove the checks")
        if self.high_risk_cases and self.tier != "key":
            raise custom_error("tier", "an item with a high-risk case is a key item",
                               "set tier: key")
        return self

    @property
    def is_high_risk(self) -> bool:
        return bool(self.high_risk_cases)

    @property
    def control_point(self) -> str:
        """The control point (安全控制点) the item belongs to: its clause without the item letter."""
        return re.sub(r"\s*[a-h]\)$", "", self.clause)


class CatalogFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    entries: list[CatalogEntry] = Field(min_length=1)


class Catalog:
    """Every entry of every catalog file, by id, in file order."""

    def __init__(self, entries: Iterable[CatalogEntry]) -> None:
        self.entries: dict[str, CatalogEntry] = {entry.id: entry for entry in entries}

    def __len__(self) -> int:
        return len(self.entries)

    def __getitem__(self, entry_id: str) -> CatalogEntry:
        return self.entries[entry_id]

    def for_check(self, check_id: str) -> list[CatalogEntry]:
        return [entry for entry in self.entries.values() if check_id in entry.checks]

    def select(self, standards: Collection[str] | None = None) -> list[CatalogEntry]:
        """Entries of the chosen standard families (``mlps`` = GB/T 22239, ``pipl`` = PIPL and GB/T 35273,
        ``crypto`` = GB/T 39786, ``egov``); all when ``standards`` is None."""
        if standards is None:
            return list(self.entries.values())
        chosen = {name for key in standards for name in STANDARD_GROUPS[key]}
        return [entry for entry in self.entries.values() if entry.standard in chosen]


STANDARD_GROUPS: dict[str, tuple[str, ...]] = {
    "mlps": ("GB/T 22239-2019",),
    "pipl": ("PIPL", "GB/T 35273-2020"),
    "crypto": ("GB/T 39786-2021",),
    "egov": ("e-government",),
}


def load_catalog(directory: Path = CATALOG_DIR, known_checks: Collection[str] | None = None) -> Catalog:
    """Every ``*.yaml`` in ``directory``, validated; ``known_checks`` (when given) must hold every check an
    entry names. One ``ConfigError`` with every problem of every file."""
    problems: list[Problem] = []
    entries: list[CatalogEntry] = []
    first_seen: dict[str, str] = {}
    files = sorted(directory.glob("*.yaml"))
    if not files:
        raise ConfigError([Problem(str(directory), "", "no catalog files (*.yaml) found", "check the directory")])
    for path in files:
        try:
            data, lines = read_yaml(path)
        except ConfigError as exc:
            problems.extend(exc.problems)
            continue
        out = Collector(str(path), lines)
        parsed = _validate_file(data, out)
        for index, entry in enumerate(parsed.entries if parsed else ()):
            where = ("entries", index, "id")
            if entry.id in first_seen:
                out.add(where, f"duplicate id {entry.id!r} (also in {first_seen[entry.id]})",
                        "give every entry its own id")
                continue
            first_seen[entry.id] = str(path)
            for position, check in enumerate(entry.checks):
                if known_checks is not None and check not in known_checks:
                    out.add(("entries", index, "checks", position), f"unknown check {check!r}",
                            "name a folder under compliance/checks/ or remove it")
            entries.append(entry)
        problems.extend(sorted(out.problems, key=lambda p: p.line or 0))
    if problems:
        raise ConfigError(problems)
    return Catalog(entries)


def _validate_file(data: Any, out: Collector) -> CatalogFile | None:
    try:
        return CatalogFile.model_validate(data)
    except ValidationError as exc:
        out.add_validation_error(exc, CatalogFile)
        return None


def validate_catalog_text(text: str, file: str = "<catalog>") -> CatalogFile:
    """Validate one catalog document given as text (for tests and tools)."""
    from infra.config.yamlfile import parse_yaml

    data, lines = parse_yaml(text, file)
    out = Collector(file, lines if isinstance(lines, LineIndex) else None)
    parsed = _validate_file(data, out)
    out.raise_if_any()
    assert parsed is not None
    return parsed
