"""The pack's verdict from the engine's event log (infra/policy_record.py) and its place in a clause's bundle
(compliance/report/bundle.py). The event lines follow apitype.EngineEvent of engine v3.274.1 (events.go);
the real engine's log is read in tests/integration/test_policy_pack.py."""

from __future__ import annotations

import json
from pathlib import Path

from compliance.report.bundle import _policies_citing
from infra.policy_record import parse_event_log, write_record

BUCKET = "urn:pulumi:p1::probe::egov:s3:Bucket::data"
EVENTS = [
    {"sequence": 0, "timestamp": 1, "preludeEvent": {"config": {}}},
    {"sequence": 1, "timestamp": 1, "resourcePreEvent": {"metadata": {
        "op": "create", "urn": "urn:pulumi:p1::probe::pulumi:pulumi:Stack::probe-p1", "type": "pulumi:pulumi:Stack"},
        "planning": True}},
    {"sequence": 2, "timestamp": 1, "resourcePreEvent": {"metadata": {"op": "create", "urn": BUCKET,
                                                                      "type": "egov:s3:Bucket"}, "planning": True}},
    {"sequence": 3, "timestamp": 2, "policyEvent": {
        "resourceUrn": BUCKET, "message": "[CMP-29, PI-10] bucket probe-p1 does not block public access\n",
        "color": "raw", "policyName": "egov-public-bucket", "policyPackName": "egov", "policyPackVersion": "0.1.0",
        "policyPackVersionTag": "0.1.0", "enforcementLevel": "advisory"}},
    {"sequence": 4, "timestamp": 2, "policyAnalyzeSummaryEvent": {
        "resourceUrn": BUCKET, "policyPackName": "egov", "policyPackVersion": "0.1.0",
        "passed": ["egov-bucket-kms-encryption"], "failed": ["egov-public-bucket"]}},
]


def lines() -> list[str]:
    return [json.dumps(e) for e in EVENTS] + ['{"sequence": 5, "timest']  # a run killed mid-line


def test_parse_keeps_planned_resources_violations_and_summaries() -> None:
    parsed = parse_event_log(lines())
    assert parsed["planned_resources"] == [{"urn": BUCKET, "type": "egov:s3:Bucket", "op": "create"}]
    [violation] = parsed["violations"]
    assert violation["policy"] == "egov-public-bucket" and violation["enforcement"] == "advisory"
    assert violation["urn"] == BUCKET and violation["message"].endswith("does not block public access")
    assert parsed["resource_summaries"][0]["failed"] == ["egov-public-bucket"]
    assert parsed["packs"] == {"egov": "0.1.0"}


def test_record_and_bundle_verdicts(tmp_path: Path) -> None:
    log = tmp_path / "events.jsonl"
    log.write_text("\n".join(lines()))
    config = tmp_path / "levels.json"
    config.write_text(json.dumps({"egov-public-bucket": "advisory", "egov-bucket-kms-encryption": "disabled"}))
    path = write_record(tmp_path / "pack", stack="p1", command="preview", exit_code=0, started="t0",
                        pack=tmp_path, config=config, event_log=log)
    record = json.loads(path.read_text())
    assert path.parent.name == "p1" and record["event_log_complete"] is False
    pack = {"stacks": {"p1": {**record, "file": str(path), "sha256": "d" * 64}}}
    by_policy = {p["policy"]: p for p in _policies_citing("CMP-29", pack)}
    [verdict] = by_policy["egov-public-bucket"]["verdicts"]
    assert verdict["verdict"] == "violated (advisory)" and verdict["violations"][0]["urn"] == BUCKET
    assert verdict["record_sha256"] == "d" * 64 and verdict["applies_to"] == 1
    kms = {p["policy"]: p for p in _policies_citing("CMP-23", pack)}["egov-bucket-kms-encryption"]
    assert kms["verdicts"][0]["verdict"] == "disabled by the stack's policy config"
    rotation = {p["policy"]: p for p in _policies_citing("CRY-03", pack)}["egov-key-rotation"]
    assert rotation["verdicts"][0]["verdict"] == "not applicable (no planned resource of its types)"
    without_summaries = {"stacks": {"p1": {**pack["stacks"]["p1"], "resource_summaries": [], "violations": []}}}
    by_type = {p["policy"]: p for p in _policies_citing("CRY-03", without_summaries)}["egov-key-rotation"]
    assert by_type["verdicts"][0]["verdict"] == "not applicable (no planned resource of its types)"
    public = {p["policy"]: p for p in _policies_citing("CMP-29", without_summaries)}["egov-public-bucket"]
    assert public["verdicts"][0]["verdict"] == "passed" and not public["verdicts"][0]["reported_by_engine"]
    assert _policies_citing("CMP-29", None)[0]["verdict"] == "no recorded preview"
