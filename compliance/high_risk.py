"""High-risk cases (高风险判例) and the mitigations the guide lets an assessor weigh, from
``compliance/high_risk_cases.yaml``. Reports list them with each high-risk finding; the scanner itself never
downgrades a finding on them (the assessor decides)."""

from __future__ import annotations

from collections.abc import Collection
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from infra.config.problems import Collector, ConfigError, Problem
from infra.config.yamlfile import read_yaml
from infra.repository import REPO_ROOT

HIGH_RISK_FILE = REPO_ROOT / "compliance" / "high_risk_cases.yaml"


class HighRiskCase(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    row: str = Field(min_length=1)
    problem: str = Field(min_length=10)
    mitigations: str = Field(min_length=4)
    mitigated_by: tuple[str, ...] = ()
    """The checks whose results are the collectable evidence of ``mitigations`` (empty: none a scan can
    collect; the assessor weighs them by hand)."""


class HighRiskFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    cases: dict[str, HighRiskCase]


def load_high_risk_cases(path: Path = HIGH_RISK_FILE, required: Collection[str] = ()) -> dict[str, HighRiskCase]:
    """Every case; ``required`` (the cases the catalog names) must all be described."""
    data, lines = read_yaml(path)
    out = Collector(str(path), lines)
    try:
        parsed = HighRiskFile.model_validate(data)
    except ValidationError as exc:
        out.add_validation_error(exc, HighRiskFile)
        out.raise_if_any()
        raise AssertionError("unreachable") from exc
    missing = sorted(set(required) - set(parsed.cases))
    if missing:
        raise ConfigError([Problem(str(path), "cases", f"no description of case(s) {', '.join(missing)}",
                                   "add them: the catalog names these cases")])
    return parsed.cases
