"""Reports of a scan: our JSON (versioned schema), JUnit (CI), SARIF 2.1.0 (code scanning) and OCSF
Compliance Finding (SIEMs). Pure functions of a ``ScanResult``."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET
from collections import defaultdict
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from compliance.checks.registry import Finding
from compliance.evidence import SOURCES
from compliance.options import FORMATS
from compliance.scan import ScanResult
from compliance.scoring import RESULT_EN, ItemResult
from infra.config import ConfigError
from infra.config.yamlfile import read_yaml
from infra.repository import REPO_ROOT

SCHEMA = "https://egov-cloud.example/schemas/scan-report/v1"
SCHEMA_VERSION = "1.0"
TOOL = "egov-scan"


def _clauses(result: ScanResult, check_id: str) -> list[str]:
    assert result.library is not None
    return list(result.library.checks[check_id].metadata.clauses)


def _finding_dict(result: ScanResult, finding: Finding) -> dict[str, Any]:
    data = finding.as_dict()
    data["clauses"] = _clauses(result, finding.check_id)
    data["waived_by"] = next((wid for wid, hidden in result.waivers.hidden.items() if finding in hidden), None)
    return data


def _high_risk(item: ItemResult, cases: Mapping[str, Any]) -> dict[str, Any]:
    """A high-risk item for the assessor: what fails, each case with its mitigations and the evidence this
    scan collected for them (the checks' results, any accepting attestation)."""
    evidence = {e["case"]: e for e in item.mitigation}
    return {
        "item": item.entry.id, "clause": item.entry.clause, "needs_assessor": True, "mitigated": item.mitigated,
        "failing": [f"{f.check_id}:{f.resource}" for f in item.findings if f.status == "fail"],
        "cases": [{"case": case, **(cases[case].model_dump(mode="json") if case in cases else {}),
                   "mitigation_evidence": evidence.get(case, {}).get("mitigated_by", []),
                   "mitigation_all_pass": evidence.get(case, {}).get("all_pass", False),
                   "mitigation_accepted_by": evidence.get(case, {}).get("accepted_by")}
                  for case in item.entry.high_risk_cases],
    }


def json_report(result: ScanResult) -> str:
    """Everything a later reader needs: options, sources, findings, item results, scores, gate, waivers."""
    conclusion = result.conclusion
    cases = result.library.high_risk if result.library else {}
    data = {
        "$schema": SCHEMA,
        "schema_version": SCHEMA_VERSION,
        "tool": TOOL,
        "started": result.started,
        "finished": result.finished,
        "scope": {"tenant": result.options.tenant, "level": result.options.level,
                  "standards": list(result.options.standards), "fail_on": result.options.fail_on},
        "sources": {"collected": sorted(k for k in result.evidence if k in SOURCES),
                    "not_collected": result.not_collected},
        "api_calls": {"total": sum(result.api_calls.values()), "by_operation": dict(sorted(result.api_calls.items()))},
        "gate": {"passed": result.gate.passed, "reasons": result.gate.reasons},
        "conclusion": {
            "level": conclusion.level, "reason": conclusion.reason, "estimated_score": conclusion.score,
            "score_is_estimate": True, "note": conclusion.note, "judged_items": conclusion.judged,
            "applicable_items": conclusion.applicable, "control_points": conclusion.control_points,
            "high_risks": [_high_risk(i, cases) for i in conclusion.high_risks],
            "mitigated_high_risks": [_high_risk(i, cases) for i in result.items if i.high_risk_failure and i.mitigated],
        },
        "items": [{
            "id": i.entry.id, "standard": i.entry.standard, "clause": i.entry.clause,
            "title": i.entry.title.model_dump(),
            "tier": i.entry.tier, "status": str(i.entry.status), "responsibility": i.entry.responsibility,
            "result": i.result, "result_en": RESULT_EN[i.result], "score": i.score, "objects": i.objects,
            "high_risk_cases": list(i.entry.high_risk_cases), "note": i.note,
            "not_collected_sources": list(i.uncovered_sources),
            "attestation": dict(i.attestation) if i.attestation else None,
        } for i in result.items],
        "findings": [_finding_dict(result, f) for f in result.findings],
        "waivers": [{**w.model_dump(mode="json"), "expired": w in result.waivers.expired,
                     "hid": [f"{f.check_id}:{f.resource}" for f in result.waivers.hidden.get(w.id, [])]}
                    for w in result.waivers.waivers],
    }
    return json.dumps(data, indent=2, ensure_ascii=False)


def junit_report(result: ScanResult) -> str:
    """One test suite per check, one test case per check and resource; error and not collected findings
    are errors and skips, never passes."""
    suites = ET.Element("testsuites", name=TOOL)
    by_check: dict[str, list[Finding]] = defaultdict(list)
    for finding in result.findings:
        by_check[finding.check_id].append(finding)
    for check_id, findings in sorted(by_check.items()):
        suite = ET.SubElement(suites, "testsuite", name=check_id, tests=str(len(findings)),
                              failures=str(sum(f.status == "fail" for f in findings)),
                              errors=str(sum(f.status == "error" for f in findings)),
                              skipped=str(sum(f.status in ("not collected", "not enforced here") for f in findings)))
        for finding in findings:
            case = ET.SubElement(suite, "testcase", classname=check_id, name=finding.resource)
            if finding.status == "fail":
                waived = _finding_dict(result, finding)["waived_by"]
                tag = "skipped" if waived else "failure"
                ET.SubElement(case, tag, message=(f"waived by {waived}: " if waived else "") + finding.detail)
            elif finding.status == "error":
                ET.SubElement(case, "error", message=finding.detail)
            elif finding.status in ("not collected", "not enforced here"):
                ET.SubElement(case, "skipped", message=f"{finding.status}: {finding.detail}")
    return ET.tostring(suites, encoding="unicode", xml_declaration=True)


SARIF_LEVEL = {"critical": "error", "high": "error", "medium": "warning", "low": "note"}


def declared_at(zone: str, platform_file: Path) -> tuple[str, int] | None:
    """Where the platform config declares a zone (or the bridge): (path relative to the repo, line)."""
    if not zone or not platform_file.exists():
        return None
    try:
        _, lines = read_yaml(platform_file)
    except ConfigError:
        return None
    line = lines.line(("bridge",) if zone == "bridge" else ("zones", zone))
    if line is None or (zone != "bridge" and lines.line(("zones", zone)) == lines.line(("zones",))):
        return None
    try:
        uri = str(platform_file.resolve().relative_to(REPO_ROOT))
    except ValueError:
        uri = str(platform_file)
    return uri, line


def sarif_report(result: ScanResult) -> str:
    """SARIF 2.1.0: one rule per check, one result per failing or erroring finding. Each names the cloud
    resource as a logical location and, for a resource of a zone our stacks built, the line of
    policies/platform.yaml that declared the zone."""
    assert result.library is not None
    rules = []
    index = {}
    for position, (check_id, check) in enumerate(sorted(result.library.checks.items())):
        meta = check.metadata
        index[check_id] = position
        rules.append({
            "id": check_id, "name": check_id,
            "shortDescription": {"text": meta.title.en}, "fullDescription": {"text": meta.description},
            "help": {"text": meta.remediation},
            "properties": {"severity": meta.severity, "clauses": list(meta.clauses), "title_zh": meta.title.zh},
            "defaultConfiguration": {"level": SARIF_LEVEL[meta.severity]},
        })
    results = []
    for finding in result.findings:
        if finding.status not in ("fail", "error"):
            continue
        entry: dict[str, Any] = {
            "ruleId": finding.check_id, "ruleIndex": index[finding.check_id],
            "level": SARIF_LEVEL[finding.severity] if finding.status == "fail" else "error",
            "message": {"text": finding.detail},
            "locations": [{"logicalLocations": [{"name": finding.resource, "kind": "resource",
                                                 "fullyQualifiedName": f"{finding.region}/{finding.resource}"}]}],
            "properties": {"status": finding.status, "managed": finding.managed, "tenant": finding.tenant},
        }
        where = declared_at(finding.zone, result.options.platform_file) if finding.managed else None
        if where:
            entry["locations"][0]["physicalLocation"] = {"artifactLocation": {"uri": where[0]},
                                                         "region": {"startLine": where[1]}}
        waived = _finding_dict(result, finding)["waived_by"]
        if waived:
            entry["suppressions"] = [{"kind": "external", "justification": f"waiver {waived}"}]
        results.append(entry)
    sarif = {
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{"tool": {"driver": {"name": TOOL, "informationUri": "https://egov-cloud.example/scan",
                                      "rules": rules}},
                  "results": results}],
    }
    return json.dumps(sarif, indent=2, ensure_ascii=False)


OCSF_SEVERITY = {"low": 2, "medium": 3, "high": 4, "critical": 5}
OCSF_STATUS = {"pass": (1, "Pass"), "fail": (3, "Fail"), "error": (99, "Error"), "not collected": (99, "Not Collected"),
               "not enforced here": (99, "Not Enforced Here")}


def ocsf_report(result: ScanResult) -> str:
    """OCSF 1.x Compliance Finding (class 2003) events, one per finding, as a JSON array."""
    events = []
    for finding in result.findings:
        status_id, status = OCSF_STATUS[finding.status]
        waived = _finding_dict(result, finding)["waived_by"]
        events.append({
            "class_uid": 2003, "class_name": "Compliance Finding", "category_uid": 2, "category_name": "Findings",
            "activity_id": 1, "activity_name": "Create", "type_uid": 200301,
            "severity_id": OCSF_SEVERITY[finding.severity], "severity": finding.severity.capitalize(),
            "status_id": 3 if waived else 1, "status": "Suppressed" if waived else "New",
            "time": result.finished,
            "metadata": {"version": "1.3.0", "product": {"name": TOOL, "vendor_name": "egov-cloud"}},
            "finding_info": {"uid": f"{finding.check_id}:{finding.region}:{finding.resource}",
                             "title": finding.check_id, "desc": finding.detail},
            "compliance": {"standards": ["GB/T 22239-2019", "PIPL"], "requirements": _clauses(result, finding.check_id),
                           "control": finding.check_id, "status_id": status_id, "status": status},
            "resources": [{"uid": finding.resource, "type": finding.resource_type, "region": finding.region,
                           "labels": ({True: ["managed"], False: ["unmanaged"], None: []}[finding.managed]
                                      + ([f"tenant:{finding.tenant}"] if finding.tenant else []))}],
            "cloud": {"provider": "AWS-compatible", "region": finding.region,
                      "account": {"uid": str((result.evidence.get("cloud") or {}).get("account", ""))}},
        })
    return json.dumps(events, indent=2, ensure_ascii=False)


RENDERERS = {"json": ("report.json", json_report), "junit": ("junit.xml", junit_report),
             "sarif": ("report.sarif", sarif_report), "ocsf": ("ocsf.json", ocsf_report)}


def render(result: ScanResult, formats: list[str]) -> dict[str, str]:
    """File name -> text for every file format asked for (JSON is always written: it is the record)."""
    assert set(formats) <= set(FORMATS), formats
    wanted = {"json", *formats} - {"table", "html", "pdf"}  # html/pdf: compliance.report, from the saved folder
    return {RENDERERS[name][0]: RENDERERS[name][1](result) for name in sorted(wanted)}
