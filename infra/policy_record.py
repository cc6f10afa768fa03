"""The policy pack's verdict on one `pulumi preview`/`up`, read from the engine's own event log.

`--event-log FILE` makes the engine write every engine event as one JSON line (apitype.EngineEvent). From
them this keeps what an assessor needs as evidence of the preventive control: the planned resources
(``resourcePreEvent``), each violation (``policyEvent``: policy, pack, enforcement level, resource, message)
and, where the analyzer reports it, which policies passed and failed per resource and per stack
(``policyAnalyzeSummaryEvent`` / ``policyAnalyzeStackSummaryEvent``, engine v3.274.1). The record is written
under ``<records>/<stack>/`` as one JSON file per run; the scanner reads the newest per stack.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

RECORD_VERSION = 1


def parse_event_log(lines: Iterable[str]) -> dict[str, Any]:
    """Planned resources, violations and policy summaries from the event log's JSON lines (bad lines skipped:
    a run killed half-way leaves a truncated last line)."""
    planned: dict[str, dict[str, str]] = {}
    violations: list[dict[str, Any]] = []
    summaries: list[dict[str, Any]] = []
    stack_summaries: list[dict[str, Any]] = []
    packs: dict[str, str] = {}
    for line in lines:
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        if not isinstance(event, Mapping):
            continue
        if pre := event.get("resourcePreEvent"):
            meta = pre.get("metadata") or {}
            if meta.get("urn") and meta.get("type") != "pulumi:pulumi:Stack":
                planned[meta["urn"]] = {"urn": meta["urn"], "type": meta.get("type", ""), "op": meta.get("op", "")}
        elif policy := event.get("policyEvent"):
            packs[policy.get("policyPackName", "")] = policy.get("policyPackVersion", "")
            violations.append({"policy": policy.get("policyName", ""), "pack": policy.get("policyPackName", ""),
                               "enforcement": policy.get("enforcementLevel", ""),
                               "urn": policy.get("resourceUrn", ""), "message": policy.get("message", "").strip(),
                               "severity": policy.get("severity", "")})
        elif summary := event.get("policyAnalyzeSummaryEvent"):
            packs[summary.get("policyPackName", "")] = summary.get("policyPackVersion", "")
            summaries.append({"urn": summary.get("resourceUrn", ""), "pack": summary.get("policyPackName", ""),
                              "passed": list(summary.get("passed") or ()), "failed": list(summary.get("failed") or ())})
        elif summary := event.get("policyAnalyzeStackSummaryEvent"):
            packs[summary.get("policyPackName", "")] = summary.get("policyPackVersion", "")
            stack_summaries.append({"pack": summary.get("policyPackName", ""),
                                    "passed": list(summary.get("passed") or ()),
                                    "failed": list(summary.get("failed") or ())})
    return {"planned_resources": sorted(planned.values(), key=lambda r: r["urn"]), "violations": violations,
            "resource_summaries": summaries, "stack_summaries": stack_summaries,
            "packs": {name: version for name, version in sorted(packs.items()) if name}}


def write_record(records_dir: Path, *, stack: str, command: str, exit_code: int, started: str, pack: Path,
                 config: Path | None, event_log: Path) -> Path:
    """One run's record under ``records_dir/<stack>/``; returns its path."""
    text = event_log.read_text(encoding="utf-8", errors="replace") if event_log.exists() else ""
    parsed = parse_event_log(text.splitlines())
    finished = now()
    record: dict[str, Any] = {
        "record_version": RECORD_VERSION, "stack": stack, "command": command, "exit_code": exit_code,
        "started": started, "finished": finished, "pack_dir": str(pack),
        "config": ({"path": str(config), "sha256": hashlib.sha256(config.read_bytes()).hexdigest(),
                    "levels": json.loads(config.read_text(encoding="utf-8"))} if config is not None else None),
        "event_log_sha256": hashlib.sha256(text.encode("utf-8")).hexdigest(),
        "event_log_complete": bool(text) and text.endswith("\n"),
        **parsed,
    }
    folder = records_dir / stack
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{finished.replace(':', '').replace('-', '')}-{command}.json"
    suffix = 1
    while path.exists():
        suffix += 1
        path = folder / f"{finished.replace(':', '').replace('-', '')}-{command}-{suffix}.json"
    path.write_text(json.dumps(record, indent=1, sort_keys=True, ensure_ascii=False), encoding="utf-8")
    return path


def now() -> str:
    """UTC time with microseconds: records of runs in the same second still sort by time."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
