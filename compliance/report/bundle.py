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


def _policies_citing(clause: str) -> list[dict[str, Any]]:
    from compliance.rules.pack import POLICIES

    return [{"policy": p.name, "description": p.description, "clauses": list(p.clauses),
             "verdict": "enforced before `pulumi up` (mandatory by default)"}
            for p in POLICIES if clause in p.clauses]


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
    layers["policy_pack"] = _policies_citing(clause)
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
    }
    data["bundle_sha256"] = hashlib.sha256(json.dumps(data, sort_keys=True, ensure_ascii=False).encode()).hexdigest()
    return data


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
                lines.append(f"  {entry['policy']}: {entry['description']}")
            elif layer == "attestations":
                lines.append(f"  {json.dumps(entry, ensure_ascii=False, default=str)}")
            else:
                lines.append(f"  {entry['status']:<13} {entry['check']} {entry['resource']}: {entry['detail']}")
    for waiver in data["waivers"]:
        lines.append(f"waiver {waiver.get('id')}: owner {waiver.get('owner')}, approver {waiver.get('approver')}, "
                     f"expires {waiver.get('expires')}")
    lines.append(f"bundle sha256 {data['bundle_sha256']}")
    return "\n".join(lines)
