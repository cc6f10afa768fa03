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


RENAMED_KEYS = ("Name", "Arn", "arn", "logGroupName", "GroupName")


def _as_tenant(value: Any, n: int) -> Any:
    """A copy of fixture resources for tenant ``n``: every id, name and ARN suffixed the same way (so that
    references between resources still match), and each taggable resource tagged egov:tenant."""
    if isinstance(value, list):
        return [_as_tenant(item, n) for item in value]
    if not isinstance(value, dict):
        return value
    out: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, str) and (key.endswith("Id") or key in RENAMED_KEYS):
            out[key] = f"{item}-t{n}"
        else:
            out[key] = _as_tenant(item, n)
    if isinstance(out.get("Tags"), list):
        out["Tags"] = [*out["Tags"], {"Key": "egov:tenant", "Value": f"dept{n:03d}"}]
    return out


def fixture_evidence(copies: int = 1) -> dict[str, Any]:
    """The violating fixtures of every check merged; ``copies`` > 1 adds that many tenants' copies of the
    cloud's buckets and regional resources."""
    evidence: dict[str, Any] = {}
    for path in sorted(CHECKS_DIR.glob("*/fixtures/violating.json")):
        _merge(evidence, json.loads(path.read_text(encoding="utf-8"))["evidence"])
    cloud = evidence.get("cloud", {})
    base_regions = copy.deepcopy(cloud.get("regions", {}))
    base_buckets = copy.deepcopy(cloud.get("global", {}).get("buckets", []))
    for n in range(2, copies + 1):
        _merge(cloud["regions"], _as_tenant(base_regions, n))
        cloud["global"]["buckets"].extend(_as_tenant(base_buckets, n))
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
