"""The preventive policy pack through the real engine (our language host's analyzer path), our provider and
the moto server: a mandatory policy stops `pulumi up` before anything exists; advisory lets it create and
warns; `egov scan` then fails the same clause on the live resource (one rule, two moments)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from compliance.rules.pack import load_config
from infra.engine import POLICY_PACK_DIR, EngineError, Stack
from infra.local.environment import LocalEnvironment
from infra.repository import REPO_ROOT

pytestmark = pytest.mark.integration

PROBE = REPO_ROOT / "tests" / "integration" / "policy_project"


@pytest.fixture()
def probe(local_env: LocalEnvironment, tmp_path: Path) -> Iterator[Callable[..., Stack]]:
    """Stacks of the probe project gated by the egov pack, with their configs in tmp_path."""
    made: list[Stack] = []

    def make(things: list[str], levels: dict[str, Any] | None = None, region: str | None = None) -> Stack:
        name = f"p{uuid.uuid4().hex[:8]}"
        policy_config = None
        if levels is not None:
            policy_config = tmp_path / f"{name}.policy.json"
            policy_config.write_text(json.dumps(levels))
        stack = Stack(name, env=local_env.env(), config_file=tmp_path / f"Pulumi.{name}.yaml", project_dir=PROBE,
                      policy_pack=POLICY_PACK_DIR, policy_config=policy_config,
                      policy_config_check=load_config)
        stack.init(local_env.secrets_provider)
        stack.set_config("make", json.dumps(things))
        if region:
            stack.set_config("region", region)
        made.append(stack)
        return stack

    yield make
    for stack in made:
        stack.run("destroy", "--yes", "--skip-preview", check=False)
        stack.remove()


def refused(stack: Stack) -> str:
    with pytest.raises(EngineError) as raised:
        stack.up()
    return raised.value.stdout + raised.value.stderr


def buckets(aws: Callable[[str], Any]) -> set[str]:
    return {b["Name"] for b in aws("s3").list_buckets()["Buckets"]}


def group_rules(aws: Callable[[str], Any], stack: Stack) -> list[dict[str, Any]]:
    groups = aws("ec2").describe_security_groups(Filters=[{"Name": "group-name", "Values": [f"probe-{stack.name}"]}])
    return [p for g in groups["SecurityGroups"] for p in g["IpPermissions"]]


def test_mandatory_public_bucket_stops_up_before_anything_exists(probe: Callable[..., Stack],
                                                                 aws: Callable[[str], Any]) -> None:
    stack = probe(["public-bucket"])
    output = refused(stack)
    assert "egov-public-bucket" in output and "[CMP-29, PI-10]" in output and "mandatory" in output
    assert "does not block public access" in output
    assert f"probe-{stack.name}" not in buckets(aws)
    assert stack.export()["deployment"].get("resources") in (None, [])


def test_mandatory_ssh_open_to_internet_stops_up_before_anything_exists(probe: Callable[..., Stack],
                                                                        aws: Callable[[str], Any]) -> None:
    stack = probe(["ssh-open"])
    output = refused(stack)
    assert "egov-no-internet-admin-ports" in output and "[CMP-15, CMP-16]" in output
    assert "22/ssh" in output
    vpcs = aws("ec2").describe_vpcs(Filters=[{"Name": "tag:egov:stack", "Values": [stack.name]}])["Vpcs"]
    assert vpcs == [] and group_rules(aws, stack) == []


def test_mandatory_region_outside_allowlist_stops_up(probe: Callable[..., Stack], aws: Callable[[str], Any]) -> None:
    stack = probe(["bucket"], region="us-east-1")
    output = refused(stack)
    assert "egov-region-allowlist" in output and "CLD-01" in output and "PI-05" in output
    assert "is in us-east-1, outside the allowed regions cn-north-1, cn-northwest-1" in output
    assert f"probe-{stack.name}" not in buckets(aws)


def test_compliant_stack_passes_the_pack(probe: Callable[..., Stack], aws: Callable[[str], Any]) -> None:
    # the probe's VPC has no flow log: the stack policy is disabled here (the level "disabled" at work)
    stack = probe(["bucket", "ssh-closed"], levels={"egov-vpc-flow-logs": "disabled"})
    run = stack.up()
    assert "mandatory" not in run.stdout and "advisory" not in run.stdout and "egov-vpc-flow-logs" not in run.stdout
    assert f"probe-{stack.name}" in buckets(aws)
    assert [r["CidrIp"] for p in group_rules(aws, stack) for r in p["IpRanges"]] == ["10.0.0.0/8"]


def test_advisory_creates_and_warns_then_the_scan_fails_the_same_clause(
        probe: Callable[..., Stack], aws: Callable[[str], Any], local_env: LocalEnvironment, tmp_path: Path) -> None:
    stack = probe(["public-bucket", "ssh-open"],
                  levels={"egov-public-bucket": "advisory", "egov-no-internet-admin-ports": "advisory",
                          "egov-vpc-flow-logs": {"enforcementLevel": "advisory"}})
    run = stack.up()
    assert "[advisory]" in run.stdout and "egov-public-bucket" in run.stdout
    assert "egov-no-internet-admin-ports" in run.stdout
    name = f"probe-{stack.name}"
    assert name in buckets(aws)
    assert any(r["CidrIp"] == "0.0.0.0/0" for p in group_rules(aws, stack) for r in p["IpRanges"])

    env = {**os.environ, **local_env.env()}
    scan = subprocess.run([sys.executable, "-m", "infra.cli.main", "scan", "--source", "cloud", "--out",
                           str(tmp_path / "scans"), "--format", "json,html"], capture_output=True, text=True,
                          cwd=REPO_ROOT, env=env, timeout=600, check=False)
    assert scan.returncode == 1, scan.stdout + scan.stderr  # the gate fails
    [folder] = list((tmp_path / "scans").iterdir())
    report = json.loads((folder / "report.json").read_text())
    failing = {(f["check"], f["resource"]) for f in report["findings"] if f["status"] == "fail"}
    assert ("s3_bucket_level_public_access_block", name) in failing
    groups = aws("ec2").describe_security_groups(Filters=[{"Name": "group-name", "Values": [name]}])
    [group_id] = [g["GroupId"] for g in groups["SecurityGroups"]]
    assert ("ec2_securitygroup_allow_ingress_from_internet_to_high_risk_ports", group_id) in failing
    items = {item["id"]: item for item in report["items"]}
    page = (folder / "report.html").read_text()  # the report links the clause to its bundle, with the bucket in it
    assert 'href="#evidence-CMP-29"' in page and name in page.split('id="evidence-CMP-29"')[1].split("</details>")[0]
    for clause in ("CMP-29", "CMP-15"):  # the clauses the pack's messages named are not met on the live cloud
        # (other test objects of the item may comply: the scorer then says 部分符合, never 符合)
        assert items[clause]["result"] in ("不符合", "部分符合"), (clause, items[clause]["result"])


def test_a_policy_config_with_an_unknown_policy_or_level_is_refused_before_the_engine_runs(
        probe: Callable[..., Stack], tmp_path: Path) -> None:
    stack = probe(["public-bucket"], levels={"egov-public-buckets": "advisory"})
    with pytest.raises(ValueError, match=r"egov-public-buckets: no such policy in the pack; known: egov-public-bucket"):
        stack.up()
    stack.policy_config.write_text(json.dumps({"egov-public-bucket": "warn"}))  # type: ignore[union-attr]
    with pytest.raises(ValueError, match=r"enforcement level 'warn' is not one of mandatory, advisory, disabled"):
        stack.preview_json()


def test_a_preview_records_the_pack_verdict_and_the_scan_puts_it_in_the_clause_bundle(
        probe: Callable[..., Stack], local_env: LocalEnvironment, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The verdict an assessor sees for a clause is the pack's own, from the engine's event log of a real
    preview: an advisory violation on a planned public bucket lands in CMP-29's bundle, with time and digest."""
    from compliance.report.bundle import bundle, load_scan
    from compliance.reports import render
    from compliance.scan import ScanOptions, run_scan, write_folder

    stack = probe(["public-bucket"], levels={"egov-public-bucket": "advisory", "egov-vpc-flow-logs": "disabled"})
    stack.policy_records = tmp_path / "pack"
    stack.run("preview")
    [record_file] = list((tmp_path / "pack" / stack.name).glob("*-preview.json"))
    record = json.loads(record_file.read_text())
    bucket_urns = [r["urn"] for r in record["planned_resources"] if r["type"] == "egov:s3:Bucket"]
    assert len(bucket_urns) == 1 and record["exit_code"] == 0
    for key, value in local_env.env().items():  # the cloud's credentials, as after `egov local env`
        monkeypatch.setenv(key, value)
    result = run_scan(ScanOptions(endpoint=local_env.env()["AWS_ENDPOINT_URL"], sources=["cloud"],
                                  out_dir=tmp_path / "scans", pack_records=tmp_path / "pack"))
    folder = write_folder(result, render(result, ["json"]))
    data = bundle(load_scan(folder), "CMP-29")
    [policy] = [p for p in data["layers"]["policy_pack"] if p["policy"] == "egov-public-bucket"]
    [verdict] = [v for v in policy["verdicts"] if v["stack"] == stack.name]
    assert verdict["verdict"] == "violated (advisory)" and policy["verdict"] == "violated"
    assert [v["urn"] for v in verdict["violations"]] == bucket_urns
    assert "does not block public access" in verdict["violations"][0]["message"]
    assert verdict["record_sha256"] == hashlib.sha256(record_file.read_bytes()).hexdigest()
    assert verdict["recorded"] == record["finished"]
    # engine v3.274.1 reports per resource which policies passed and failed (policyAnalyzeSummaryEvent)
    assert verdict["reported_by_engine"], record["resource_summaries"]
    assert any("egov-public-bucket" in s["failed"] for s in record["resource_summaries"])
    # a policy citing another clause, with nothing of its type planned, is not called passed
    [key_policy] = [p for p in bundle(load_scan(folder), "CRY-03")["layers"]["policy_pack"]
                    if p["policy"] == "egov-key-rotation"]
    [other] = [v for v in key_policy["verdicts"] if v["stack"] == stack.name]
    assert other["verdict"] == "not applicable (no planned resource of its types)", other
