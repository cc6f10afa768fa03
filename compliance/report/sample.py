"""A scan folder built from the checks' own violating fixtures (plus ``tenants`` copies of their tenant-
tagged resources): what the report's tests and bench render when no live cloud is at hand. The verdicts
come from the real scanner re-judging that evidence (``egov scan --evidence``)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from compliance.checks.registry import CHECKS_DIR


def _merge(into: dict[str, Any], other: dict[str, Any]) -> None:
    for key, value in other.items():
        if isinstance(value, dict) and isinstance(into.get(key), dict):
            _merge(into[key], value)
        elif isinstance(value, list) and isinstance(into.get(key), list):
            into[key].extend(copy.deepcopy(value))
        elif key not in into:
            into[key] = copy.deepcopy(value)


def fixture_evidence(copies: int = 1) -> dict[str, Any]:
    """The violating fixtures of every check merged; ``copies`` > 1 repeats the cloud resources with
    renamed ids (a tenant's worth each)."""
    evidence: dict[str, Any] = {}
    for path in sorted(CHECKS_DIR.glob("*/fixtures/violating.json")):
        _merge(evidence, json.loads(path.read_text(encoding="utf-8"))["evidence"])
    if copies > 1:
        text = json.dumps(evidence.get("cloud", {}).get("regions", {}))
        base = json.loads(text)
        for n in range(2, copies + 1):
            extra = json.loads(text.replace('"vpc-', f'"vpc{n}-').replace('"sg-', f'"sg{n}-')
                               .replace('"vol-', f'"vol{n}-'))
            _merge(base, extra)
        evidence["cloud"]["regions"] = base
    return evidence


def write_sample_scan(directory: Path, copies: int = 1) -> Path:
    """Write evidence, re-judge it with the scanner, return the dated scan folder."""
    from compliance.reports import render
    from compliance.scan import ScanOptions, run_scan, write_folder

    source = directory / "evidence-source"
    source.mkdir(parents=True, exist_ok=True)
    (source / "evidence.json").write_text(json.dumps(fixture_evidence(copies)), encoding="utf-8")
    result = run_scan(ScanOptions(evidence_dir=source, out_dir=directory / "scans"))
    return write_folder(result, render(result, ["json"]))
