"""The catalog and the checks, loaded together and held to agree with each other.

A check's metadata names the catalog entries it decides (``clauses``) and each catalog entry names the
checks that decide it (``checks``): the issue asks for both views. They are one fact, so loading fails with
a precise problem wherever the two disagree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from compliance.catalog import CATALOG_DIR, Catalog, load_catalog
from compliance.checks.registry import CHECKS_DIR, Check, load_checks
from compliance.high_risk import HIGH_RISK_FILE, HighRiskCase, load_high_risk_cases
from infra.config.problems import ConfigError, Problem


@dataclass(frozen=True)
class Library:
    catalog: Catalog
    checks: dict[str, Check]
    high_risk: dict[str, HighRiskCase] = field(default_factory=dict)


def load_library(catalog_dir: Path = CATALOG_DIR, checks_dir: Path = CHECKS_DIR) -> Library:
    checks = load_checks(checks_dir)
    catalog = load_catalog(catalog_dir, known_checks=set(checks))
    problems: list[Problem] = []
    for check in checks.values():
        meta = str(check.folder / "metadata.yaml")
        for clause in check.metadata.clauses:
            if clause not in catalog.entries:
                problems.append(Problem(meta, "clauses", f"unknown catalog entry {clause!r}",
                                        "name an id from compliance/catalog/*.yaml"))
            elif check.id not in catalog[clause].checks:
                problems.append(Problem(meta, "clauses", f"{clause} does not list this check in its `checks`",
                                        f"add {check.id} to {clause}'s checks in the catalog, or drop the clause"))
    for entry in catalog.entries.values():
        for check_id in entry.checks:
            if check_id in checks and entry.id not in checks[check_id].metadata.clauses:
                problems.append(Problem(str(checks[check_id].folder / "metadata.yaml"), "clauses",
                                        f"catalog entry {entry.id} lists this check but its clauses do not",
                                        f"add {entry.id} to clauses, or remove the check from the entry"))
    if problems:
        raise ConfigError(problems)
    cases = {case for entry in catalog.entries.values() for case in entry.high_risk_cases}
    high_risk = load_high_risk_cases(required=cases)
    unknown = [Problem(str(HIGH_RISK_FILE), f"cases.{number}.mitigated_by", f"unknown check {check_id!r}",
                       "name a check folder under compliance/checks/")
               for number, case in sorted(high_risk.items())
               for check_id in case.mitigated_by if check_id not in checks]
    deciding = {case: {c for e in catalog.entries.values() if case in e.high_risk_cases for c in e.checks}
                for case in high_risk}
    unknown += [Problem(str(HIGH_RISK_FILE), f"cases.{number}.mitigated_by",
                        f"{check_id} decides an item of this case itself, so it cannot be evidence of a mitigation",
                        "list checks of other controls (what would compensate), or none")
                for number, case in sorted(high_risk.items())
                for check_id in case.mitigated_by if check_id in deciding[number]]
    if unknown:
        raise ConfigError(unknown)
    return Library(catalog, checks, high_risk)
