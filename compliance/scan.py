"""One scan: collect the selected sources once, run every check, judge the catalog items, conclude, apply
the waivers, decide the gate, and keep the evidence and reports in a dated folder with a SHA-256 manifest.

``egov scan`` (infra/cli/scan.py) only parses options and renders this module's ``ScanResult``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from compliance import mitigation
from compliance.checks.registry import Finding
from compliance.evidence import NO_HOST_SOURCE, SOURCES
from compliance.evidence.attestations import (
    ATTESTATIONS_FILE,
    load_attestations,
    mitigation_acceptances,
    valid_attestations,
)
from compliance.evidence.certs import CertsCollector
from compliance.evidence.cloud import CloudCollector, SourceUnreachable
from compliance.evidence.hosts import HostEvidenceSource, collect_hosts
from compliance.evidence.pack import collect_pack_verdicts
from compliance.evidence.state import StateCollector
from compliance.evidence.vault import VaultCollector
from compliance.library import Library, load_library
from compliance.options import SCANS_DIR
from compliance.scoring import Conclusion, FailOn, Gate, ItemResult, conclude, gate, judge_item
from compliance.waivers import WAIVERS_FILE, WaiverOutcome, apply_waivers, load_waivers
from infra.config import PLATFORM_FILE, load_platform
from infra.vault.policies import DEFAULT_DESIRED

DEFAULT_ALLOWED_REGIONS = ("cn-north-1", "cn-northwest-1")
SECRET_KEYS = ("password", "secret", "token", "privatekey", "private_key", "credential")
STATE_KEYS = frozenset({"password_enabled", "password_last_used", "password_last_changed", "password_next_rotation",
                        "PasswordLastUsed"})
"""Keys that look secret but say only whether and when a credential is used (IAM's credential report and
users): kept, or a saved scan could not be re-judged the same way."""
SETTING_KEYS = frozenset({"HttpTokens"})
"""Keys that look secret but name a setting (the metadata service's token requirement): kept as they are."""


class ScanInputError(Exception):
    """The scan cannot run as asked (bad option, unknown source); exit 2."""


@dataclass
class ScanOptions:
    tenant: str | None = None
    level: int = 3
    standards: Sequence[str] = ("mlps", "pipl", "crypto", "egov")
    sources: Sequence[str] | None = None
    endpoint: str | None = None
    regions: Sequence[str] = ()
    fail_on: FailOn = "high"
    out_dir: Path = SCANS_DIR
    waivers_file: Path = WAIVERS_FILE
    platform_file: Path = PLATFORM_FILE
    """Where the allowed regions come from (``allowed_regions``); the defaults when the file does not exist."""
    attestations_file: Path = ATTESTATIONS_FILE
    evidence_dir: Path | None = None
    """Re-judge the evidence saved by an earlier scan instead of collecting."""
    workers: int = 8
    today: dt.date | None = None
    tenants_file: Path | None = DEFAULT_DESIRED
    """Where the tenants are declared (``--tenant`` must name one of them); None: any tag value is a tenant
    (a cloud whose departments our tenants file does not know)."""
    vault_token: str | None = None
    """The OpenBao token to read with; None: VAULT_TOKEN. On the embedded server the CLI and the demo mint the
    scan's own token, policy ``auditor`` only (infra/vault/auditor.py)."""
    other_tenant_stacks: frozenset[str] = frozenset()
    """Other departments' own stacks, named by the caller that knows them (onboarding's records): a tenant's
    scan neither reads nor reports them. Its result keeps only its own and the platform's findings anyway;
    their state could only name the targets of routes in their own route tables, which are theirs."""
    pack_records: Path | None = None
    """Where egov's runs of `pulumi preview`/`up` keep the policy pack's verdicts (the CLI passes
    .egov/evidence/pack); the newest per stack goes into the bundles of the clauses its policies cite."""
    host_source: HostEvidenceSource | None = None
    """Runs the host controls (the CLI passes one built on `egov hosts verify`, infra/cli/scan.py); None: the
    hosts are not collected."""


@dataclass
class ScanResult:
    started: str
    finished: str
    options: ScanOptions
    evidence: dict[str, Any]
    not_collected: dict[str, str]
    findings: list[Finding]
    items: list[ItemResult]
    conclusion: Conclusion
    gate: Gate
    waivers: WaiverOutcome
    api_calls: dict[str, int] = field(default_factory=dict)
    folder: Path | None = None
    library: Library | None = None
    unreachable: dict[str, str] = field(default_factory=dict)
    """Parts of a selected source that did not answer (``hosts:<name>`` -> reason): their controls are errors,
    and the scan exits 2 after writing its evidence."""


def default_sources(options: ScanOptions, environ: dict[str, str] | None = None) -> list[str]:
    """Every source that is configured: the cloud when an endpoint or credentials are set, OpenBao when
    VAULT_ADDR is, the Pulumi state when PULUMI_BACKEND_URL is, certificates when VAULT_ADDR is https or
    EGOV_TLS_ENDPOINTS lists endpoints."""
    env = os.environ if environ is None else environ
    cloud = options.endpoint or any(env.get(k) for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_PROFILE"))
    tls = env.get("EGOV_TLS_ENDPOINTS") or env.get("VAULT_ADDR", "").startswith("https://")
    configured = (("cloud", cloud), ("vault", env.get("VAULT_ADDR")), ("state", env.get("PULUMI_BACKEND_URL")),
                  ("certs", tls))
    hosts = options.host_source is not None and not options.host_source.missing()
    return [name for name, present in (*configured, ("hosts", hosts),
                                       ("attestations", options.attestations_file.exists()))
            if present]


def allowed_regions(options: ScanOptions) -> list[str]:
    if options.platform_file.exists():
        return list(load_platform(options.platform_file).allowed_regions)
    return list(DEFAULT_ALLOWED_REGIONS)


def _known_tenant(tenant: str, tenants_file: Path) -> None:
    """A tenant scan judges a tenant the platform declares (``tenants:`` of the OpenBao policy file); any other
    name would pass on the platform's evidence alone."""
    from infra.vault.errors import DesiredStateError
    from infra.vault.model import load_desired

    try:
        declared = [t.id for t in load_desired(tenants_file).tenants]
    except DesiredStateError as exc:
        raise ScanInputError(f"--tenant {tenant}: the tenants cannot be read: {exc}") from None
    if tenant not in declared:
        raise ScanInputError(f"--tenant {tenant}: not a tenant declared in {tenants_file} (tenants: "
                             f"{', '.join(declared) or 'none'}); pass one of them")


def run_scan(options: ScanOptions, progress: Callable[[str], None] = lambda _: None) -> ScanResult:
    """Run one scan. ``ScanInputError``/``ConfigError`` for bad input, ``SourceUnreachable`` for a source
    that does not answer: both before any verdict, so nothing half-judged is reported as a pass."""
    if options.level != 3:
        raise ScanInputError(f"level {options.level} is not supported: the catalog holds level 3 (--level 3)")
    if options.tenant and options.tenants_file is not None:
        _known_tenant(options.tenant, options.tenants_file)
    started = _now()
    today = options.today or dt.date.today()
    library = load_library()
    waivers = load_waivers(options.waivers_file, known_checks=set(library.checks),
                           known_clauses=set(library.catalog.entries), today=today)
    regions = list(dict.fromkeys([*allowed_regions(options), *options.regions]))
    if options.evidence_dir is not None:
        evidence = json.loads((options.evidence_dir / "evidence.json").read_text(encoding="utf-8"))
        not_collected = dict(evidence.get("_not_collected") or {})
        calls: dict[str, int] = {}
    else:
        evidence, not_collected, calls = _collect(options, regions, progress, library, today)
    progress("judging")
    findings = [f for check in library.checks.values() for f in check.run(evidence)]
    if options.tenant:  # a tenant's result: its own resources plus the platform's (no tenant tag)
        findings = [f for f in findings if f.tenant in ("", options.tenant)]
    entries = library.catalog.select(options.standards)
    if options.tenant:
        entries = [e for e in entries if e.responsibility in ("tenant", "both")]
    collected = {s for s in SOURCES if s in evidence}
    attested = valid_attestations(evidence, options.tenant)
    items = [judge_item(entry, findings, collected, attested.get(entry.id)) for entry in entries]
    mitigation.assess(items, findings, library.high_risk, mitigation_acceptances(evidence, options.tenant))
    clauses_of = {cid: check.metadata.clauses for cid, check in library.checks.items()}
    outcome = apply_waivers(waivers, findings, clauses_of, today)
    in_scope = {check for entry in entries for check in entry.checks}
    decision = gate([f for f in findings if f.check_id in in_scope], outcome.is_hidden, options.fail_on,
                    [w.id for w in outcome.expired])
    hosts = evidence.get("hosts") if isinstance(evidence.get("hosts"), dict) and options.evidence_dir is None else {}
    unreachable = {f"hosts:{name}": reason for name, reason in ((hosts.get("global") or {}).get("unreachable")
                                                                  or {}).items()}  # live scans only
    result = ScanResult(started, _now(), options, evidence, not_collected, findings, items, conclude(items),
                        decision, outcome, calls, library=library, unreachable=unreachable)
    return result


def _collect(options: ScanOptions, regions: list[str], progress: Callable[[str], None], library: Library,
             today: dt.date) -> tuple[dict[str, Any], dict[str, str], dict[str, int]]:
    selected = list(options.sources) if options.sources is not None else default_sources(options)
    unknown = [s for s in selected if s not in SOURCES]
    if unknown:
        raise ScanInputError(f"unknown source(s) {', '.join(unknown)}; choose from {', '.join(SOURCES)}")
    if not selected:
        raise ScanInputError("no source is configured: pass --endpoint URL (or set AWS_ENDPOINT_URL / AWS "
                             "credentials) for the cloud, or --source")
    evidence: dict[str, Any] = {}
    why_not = {"attestations": f"no attestation file ({options.attestations_file}); manual items stay unjudged"}
    why_not["hosts"] = NO_HOST_SOURCE if options.host_source is None else options.host_source.missing() or (
        "not selected (--source)")
    not_collected = {s: why_not.get(s, "not selected or not configured") for s in SOURCES if s not in selected}
    calls: dict[str, int] = {}
    if "cloud" in selected:
        endpoint = options.endpoint or os.environ.get("AWS_ENDPOINT_URL") or None
        collector = CloudCollector(regions=regions, allowed_regions=allowed_regions(options), endpoint=endpoint,
                                   max_workers=options.workers, tenant=options.tenant)
        try:
            evidence["cloud"] = collector.collect(progress)
        finally:
            calls = dict(collector.calls.counts)
    if "state" in selected:
        state = StateCollector(leave_out=options.other_tenant_stacks if options.tenant else frozenset())
        try:
            evidence["state"] = state.collect(progress)
        finally:
            calls.update(state.calls)
    if "attestations" in selected:
        if not options.attestations_file.exists():
            raise ScanInputError(f"source attestations: {options.attestations_file} does not exist")
        progress(f"attestations: reading {options.attestations_file}")
        evidence["attestations"] = load_attestations(options.attestations_file, library.catalog, today)
    if "certs" in selected:
        tls = CertsCollector()
        try:
            evidence["certs"] = tls.collect(progress)
        finally:
            calls.update(tls.calls)
    if "hosts" in selected:
        if options.host_source is None:
            raise ScanInputError(f"source hosts cannot be collected: {NO_HOST_SOURCE}")
        missing = options.host_source.missing()
        if missing:  # asked for by name (a default source has nothing missing): a scan of nothing must not pass
            raise ScanInputError(f"source hosts cannot be collected: {missing}")
        evidence["hosts"] = collect_hosts(options.host_source, progress)
    if "vault" in selected:
        vault = VaultCollector(token=options.vault_token)
        try:
            evidence["vault"] = vault.collect(progress)
        finally:
            calls.update(vault.calls)
    if options.pack_records is not None and options.pack_records.is_dir():
        evidence["policy_pack"] = collect_pack_verdicts(options.pack_records, progress)
    evidence["_not_collected"] = not_collected
    return evidence, not_collected, calls


def redact(value: Any) -> Any:
    """Evidence as kept on disk: values under secret-looking keys replaced."""
    if isinstance(value, dict):
        return {k: "[redacted]" if any(s in k.lower() for s in SECRET_KEYS) and isinstance(v, str)
                and k not in STATE_KEYS and k not in SETTING_KEYS else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(item) for item in value]
    return value


def write_folder(result: ScanResult, reports: dict[str, str]) -> Path:
    """``<out>/<UTC time>/``: evidence.json (redacted), the reports, and manifest.json with SHA-256 of each."""
    stamp = result.started.replace(":", "").replace("-", "")
    folder = result.options.out_dir / stamp
    suffix = 1
    while folder.exists():
        suffix += 1
        folder = result.options.out_dir / f"{stamp}-{suffix}"
    folder.mkdir(parents=True)
    files = {"evidence.json": json.dumps(redact(result.evidence), indent=1, sort_keys=True, default=str), **reports}
    manifest: dict[str, Any] = {"scan_started": result.started, "scan_finished": result.finished, "files": {}}
    for name, text in files.items():
        data = text.encode("utf-8")
        (folder / name).write_bytes(data)
        manifest["files"][name] = {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    result.folder = folder
    return folder


def _now() -> str:
    return dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


__all__ = ["ScanInputError", "ScanOptions", "ScanResult", "SourceUnreachable", "run_scan", "write_folder"]
