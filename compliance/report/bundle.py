"""Evidence per clause: one bundle joining what every layer found for a catalog item in one scan folder.

Layers: the policy pack (the preventive policies citing the clause), the live cloud, OpenBao, state,
certificates, hosts, attestations. Every file the bundle is built from is first checked against the scan's
SHA-256 manifest, so an edited evidence or report file is refused rather than shown; the bundle carries
the scan's timestamps, the digests of its sources and a digest of its own canonical JSON.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from compliance.options import SCANS_DIR

REQUIRED_FILES = ("manifest.json", "report.json", "evidence.json")
LAYERS = ("policy_pack", "cloud", "vault", "state", "certs", "hosts", "attestations")
SOURCE_LAYER = {"cloud": "cloud", "vault": "vault", "state": "state", "certs": "certs", "hosts": "hosts"}


class ScanFolderError(ValueError):
    """Not a scan folder, or one whose files no longer match its manifest."""


@dataclass(frozen=True)
class ScanFolder:
    """A verified scan folder: its manifest, JSON report and (redacted) evidence."""

    path: Path
    manifest: dict[str, Any]
    report: dict[str, Any]
    evidence: dict[str, Any]

    @property
    def items(self) -> dict[str, dict[str, Any]]:
        return {item["id"]: item for item in self.report["items"]}


def latest_scan(scans_dir: Path = SCANS_DIR) -> Path:
    folders = sorted(p for p in scans_dir.glob("*") if (p / "manifest.json").is_file()) if scans_dir.is_dir() else []
    if not folders:
        raise ScanFolderError(f"{scans_dir}: no scan folder here; run `egov scan` first or pass --scan DIR")
    return folders[-1]


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def verify(folder: Path) -> dict[str, Any]:
    """The manifest, after checking every file it lists against its SHA-256 (precise error otherwise)."""
    if not folder.is_dir():
        raise ScanFolderError(f"{folder}: not a directory; pass the folder `egov scan` wrote (under {SCANS_DIR})")
    missing = [name for name in REQUIRED_FILES if not (folder / name).is_file()]
    if missing:
        raise ScanFolderError(f"{folder}: not a scan folder: {', '.join(missing)} missing "
                              "(a scan folder holds manifest.json, report.json and evidence.json)")
    try:
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        files = manifest["files"]
    except (json.JSONDecodeError, KeyError, TypeError) as exc:
        raise ScanFolderError(f"{folder / 'manifest.json'}: unreadable manifest ({exc})") from None
    for name, entry in sorted(files.items()):
        path = folder / name
        if not path.is_file():
            raise ScanFolderError(f"{path}: listed in the manifest but missing")
        actual = _sha256(path)
        if actual != entry.get("sha256"):
            raise ScanFolderError(f"{path}: digest mismatch: the manifest records sha256 {entry.get('sha256')}, the "
                                  f"file has {actual}; it was changed after the scan, so it is not evidence "
                                  "(re-run `egov scan`)")
    return dict(manifest)


def load_scan(folder: Path) -> ScanFolder:
    manifest = verify(folder)
    report = json.loads((folder / "report.json").read_text(encoding="utf-8"))
    evidence = json.loads((folder / "evidence.json").read_text(encoding="utf-8"))
    return ScanFolder(folder, manifest, report, evidence)


def _policies_citing(clause: str, pack: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Each pack policy citing the clause, with its verdict in the newest recorded preview/up of every stack
    (``pack`` is the scan's ``policy_pack`` evidence; without it, only what the policy would enforce)."""
    from compliance.rules.pack import POLICIES

    records = (pack or {}).get("stacks") or {}
    out = []
    for policy in POLICIES:
        if clause not in policy.clauses:
            continue
        verdicts = [_verdict(policy.name, policy.types, stack, record) for stack, record in sorted(records.items())]
        out.append({"policy": policy.name, "description": policy.description, "clauses": list(policy.clauses),
                    "verdicts": verdicts,
                    "verdict": ("violated" if any(v["verdict"].startswith("violated") for v in verdicts)
                                else "passed" if any(v["verdict"] == "passed" for v in verdicts)
                                else "no recorded preview" if not verdicts else verdicts[0]["verdict"])})
    return out


def _verdict(policy: str, types: tuple[str, ...], stack: str, record: Mapping[str, Any]) -> dict[str, Any]:
    """One policy's verdict in one recorded run: violated (with the enforcement level and the violations),
    disabled by the stack's config, not applicable (no planned resource of its types), or passed over the
    planned resources it applies to (``types`` empty: a stack policy, or one for every resource)."""
    violations = [v for v in record.get("violations") or () if v.get("policy") == policy]
    levels = ((record.get("config") or {}).get("levels") or {})
    level = levels.get(policy)
    level = level.get("enforcementLevel") if isinstance(level, Mapping) else level
    summaries = [*(record.get("resource_summaries") or ()), *(record.get("stack_summaries") or ())]
    summarised = {name for s in summaries for name in (*s.get("passed", ()), *s.get("failed", ()))}
    planned = list(record.get("planned_resources") or ())
    applicable = [r for r in planned if not types or r.get("type") in types]
    if violations:
        verdict = f"violated ({', '.join(sorted({v.get('enforcement', '') for v in violations}))})"
    elif level == "disabled":
        verdict = "disabled by the stack's policy config"
    elif record.get("exit_code") not in (0, None) and not record.get("violations"):
        verdict = f"not judged (the run failed, exit {record.get('exit_code')})"
    elif not applicable:  # the engine's summaries call a policy that returned early "passed": not evidence
        verdict = "not applicable (no planned resource of its types)"
    else:
        verdict = "passed"
    return {"stack": stack, "command": record.get("command"), "recorded": record.get("finished"),
            "record": record.get("file"), "record_sha256": record.get("sha256"),
            "planned_resources": len(planned), "applies_to": len(applicable),
            "reported_by_engine": policy in summarised, "verdict": verdict,
            "violations": [{k: v.get(k) for k in ("urn", "enforcement", "message")} for v in violations]}


def _sources_of(checks: Mapping[str, Any], check_id: str) -> list[str]:
    check = checks.get(check_id)
    return sorted(check.metadata.sources) if check is not None else ["cloud"]


@functools.cache
def _checks() -> dict[str, Any]:
    from compliance.checks.registry import load_checks

    return dict(load_checks())


def bundle(scan: ScanFolder, clause: str) -> dict[str, Any]:
    """The evidence bundle of one clause (catalog item id) in this scan."""
    item = scan.items.get(clause)
    if item is None:
        known = ", ".join(sorted(scan.items)[:8])
        raise ScanFolderError(f"{scan.path}: clause {clause!r} is not in this scan's catalog (e.g. {known}, ...)")
    checks = _checks()
    layers: dict[str, Any] = {layer: [] for layer in LAYERS}
    layers["policy_pack"] = _policies_citing(clause, scan.evidence.get("policy_pack"))
    for finding in scan.report["findings"]:
        if clause not in finding.get("clauses", ()):
            continue
        for source in _sources_of(checks, finding["check"]):
            layers[SOURCE_LAYER.get(source, source)].append(finding)
    not_collected = scan.report.get("sources", {}).get("not_collected", {}) if isinstance(
        scan.report.get("sources"), dict) else {}
    layers["attestations"] = [item["attestation"]] if item.get("attestation") else []
    high_risk = next((h for h in scan.report.get("conclusion", {}).get("high_risks", []) if h.get("item") == clause),
                     None)
    waivers = [w for w in scan.report.get("waivers", []) if w.get("clause") == clause or any(
        f.get("waived_by") == w.get("id") for f in scan.report["findings"] if clause in f.get("clauses", ()))]
    data = {
        "clause": clause, "standard": item.get("standard"), "reference": item.get("clause"), "title": item.get("title"),
        "result": item.get("result"), "result_en": item.get("result_en"), "score": item.get("score"),
        "note": item.get("note"), "not_collected_sources": item.get("not_collected_sources", []),
        "scan": {"folder": str(scan.path), "started": scan.manifest.get("scan_started"),
                 "finished": scan.manifest.get("scan_finished"),
                 "digests": {name: entry["sha256"] for name, entry in sorted(scan.manifest["files"].items())}},
        "layers": layers, "not_collected": not_collected, "high_risk": high_risk, "waivers": waivers,
        "provenance": _provenance(scan.evidence),
    }
    data["bundle_sha256"] = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return data


def _provenance(evidence: Mapping[str, Any]) -> dict[str, Any]:
    """When each layer with its own collection time was collected, and the digests of what it was read from
    (the host suite's JUnit report; the pack's record files); every layer is also inside evidence.json,
    whose digest is in the scan's manifest."""
    out: dict[str, Any] = {}
    hosts = evidence.get("hosts")
    if isinstance(hosts, Mapping):
        facts = hosts.get("global") or {}
        out["hosts"] = {"collected_at": hosts.get("collected_at"), "report": hosts.get("report"),
                        "hosts": facts.get("hosts", []), "unreachable": facts.get("unreachable", {})}
    pack = evidence.get("policy_pack")
    if isinstance(pack, Mapping):
        out["policy_pack"] = {"collected_at": pack.get("collected_at"), "dir": pack.get("dir"),
                              "records": {stack: {"file": r.get("file"), "sha256": r.get("sha256"),
                                                  "recorded": r.get("finished"), "command": r.get("command")}
                                          for stack, r in sorted((pack.get("stacks") or {}).items())},
                              "errors": pack.get("errors", {})}
    return out


def render_text(data: Mapping[str, Any]) -> str:
    """The bundle for a terminal: the verdict, then each layer with what it found."""
    title = data.get("title") or {}
    lines = [f"{data['clause']} {data.get('reference') or ''} - {title.get('zh', '')} / {title.get('en', '')}",
             f"result: {data['result']} ({data.get('result_en')}), score {data.get('score')}",
             f"scan: {data['scan']['folder']} ({data['scan']['started']} .. {data['scan']['finished']})"]
    for name, digest in data["scan"]["digests"].items():
        lines.append(f"  sha256 {digest}  {name}")
    for layer in LAYERS:
        entries = data["layers"][layer]
        lines.append(f"[{layer}] {len(entries)} record(s)" if entries else f"[{layer}] nothing recorded")
        for entry in entries:
            if layer == "policy_pack":
                lines.append(f"  {entry['policy']}: {entry['description']} - {entry.get('verdict', '')}")
                for verdict in entry.get("verdicts", ()):
                    lines.append(f"    {verdict['stack']} ({verdict['command']} {verdict['recorded']}, "
                                 f"{verdict['planned_resources']} planned): {verdict['verdict']}; record sha256 "
                                 f"{verdict['record_sha256']}")
                    lines += [f"      {v['urn']}: {v['message']}" for v in verdict["violations"]]
            elif layer == "attestations":
                lines.append(f"  {json.dumps(entry, ensure_ascii=False, default=str)}")
            else:
                lines.append(f"  {entry['status']:<13} {entry['check']} {entry['resource']}: {entry['detail']}")
    for layer, facts in (data.get("provenance") or {}).items():
        lines.append(f"[{layer}] collected {facts.get('collected_at')}: "
                     + json.dumps({k: v for k, v in facts.items() if k != "collected_at"}, ensure_ascii=False))
    for waiver in data["waivers"]:
        lines.append(f"waiver {waiver.get('id')}: owner {waiver.get('owner')}, approver {waiver.get('approver')}, "
                     f"expires {waiver.get('expires')}")
    lines.append(f"bundle sha256 {data['bundle_sha256']}")
    return "\n".join(lines)
