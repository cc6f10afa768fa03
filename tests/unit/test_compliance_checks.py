"""Every check runs on its two fixtures: the compliant one passes everywhere, the violating one fails exactly
on the resources it names. Missing fixtures, malformed metadata and missing evidence are caught."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest

from compliance.checks.registry import CHECKS_DIR, Check, check_folders, load_checks
from infra.config import ConfigError

CHECKS = load_checks()


def fixture(folder: Path, name: str) -> dict:  # type: ignore[type-arg]
    path = folder / "fixtures" / f"{name}.json"
    assert path.exists(), f"{path} is missing: every check needs a compliant and a violating fixture"
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def test_every_check_folder_loads() -> None:
    assert sorted(CHECKS) == sorted(folder.name for folder in check_folders())
    assert len(CHECKS) >= 19


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_compliant_fixture_passes(check_id: str) -> None:
    check = CHECKS[check_id]
    findings = check.run(fixture(check.folder, "compliant")["evidence"])
    assert findings, "the compliant fixture must give the check something to judge"
    assert [f for f in findings if f.status != "pass"] == []


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_violating_fixture_fails_exactly_where_it_says(check_id: str) -> None:
    check = CHECKS[check_id]
    data = fixture(check.folder, "violating")
    expected = sorted(data["expect_fail"])
    assert expected, "the violating fixture must name the resources that fail"
    findings = check.run(data["evidence"])
    assert sorted(f.resource for f in findings if f.status == "fail") == expected
    assert all(f.status in ("pass", "fail") for f in findings)


CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize("check_id", sorted(CHECKS))
def test_every_finding_has_its_detail_and_remediation_in_chinese_too(check_id: str) -> None:
    """The report's language switch shows the Chinese detail: a check whose message has no Chinese twin
    (compliance/text.py) fails here, on either fixture."""
    check = CHECKS[check_id]
    for name in ("violating", "compliant"):
        for finding in check.run(fixture(check.folder, name)["evidence"]):
            assert CJK.search(finding.detail_zh), f"{name} fixture, {finding.resource}: no Chinese: {finding.detail!r}"
            assert finding.detail_zh != finding.detail
    assert CJK.search(check.metadata.remediation_zh) and CJK.search(check.metadata.title.zh)


def copy_check(tmp_path: Path, check_id: str) -> Path:
    target = tmp_path / "checks"
    shutil.copytree(CHECKS_DIR / check_id, target / check_id)
    return target


def test_missing_fixture_is_caught(tmp_path: Path) -> None:
    directory = copy_check(tmp_path, "iam_no_root_access_key")
    (directory / "iam_no_root_access_key" / "fixtures" / "violating.json").unlink()
    check = load_checks(directory)["iam_no_root_access_key"]
    with pytest.raises(AssertionError, match="violating fixture"):
        fixture(check.folder, "violating")


def test_wrong_verdict_on_a_fixture_is_caught(tmp_path: Path) -> None:
    """A check that passes everything must not survive the fixture test."""
    directory = copy_check(tmp_path, "iam_no_root_access_key")
    (directory / "iam_no_root_access_key" / "check.py").write_text(
        "from compliance.checks.base import Result\n"
        "def check(evidence):\n"
        "    yield Result('iam-root-user', True, 'always fine')\n")
    check = load_checks(directory)["iam_no_root_access_key"]
    data = fixture(check.folder, "violating")
    assert sorted(f.resource for f in check.run(data["evidence"]) if f.status == "fail") != data["expect_fail"]


def test_malformed_metadata_names_file_field_and_reason(tmp_path: Path) -> None:
    directory = copy_check(tmp_path, "vpc_flow_logs_enabled")
    meta = directory / "vpc_flow_logs_enabled" / "metadata.yaml"
    text = meta.read_text().replace("severity: medium", "severity: urgent")
    text = text.replace("clauses: [BND-13.a, BND-13.b]\n", "")
    meta.write_text(text)
    with pytest.raises(ConfigError) as caught:
        load_checks(directory)
    problems = {(p.file, p.field) for p in caught.value.problems}
    assert problems == {(str(meta), "severity"), (str(meta), "clauses")}
    severity = next(p for p in caught.value.problems if p.field == "severity")
    assert "urgent" in severity.message and severity.line == 5


def test_metadata_id_must_match_folder(tmp_path: Path) -> None:
    directory = copy_check(tmp_path, "vpc_flow_logs_enabled")
    (directory / "vpc_flow_logs_enabled").rename(directory / "vpc_flow_logs_on")
    with pytest.raises(ConfigError, match="differs from its folder name 'vpc_flow_logs_on'"):
        load_checks(directory)


def test_bad_evidence_requirement_is_refused(tmp_path: Path) -> None:
    directory = copy_check(tmp_path, "vpc_flow_logs_enabled")
    meta = directory / "vpc_flow_logs_enabled" / "metadata.yaml"
    meta.write_text(meta.read_text().replace("cloud:regions.flow_logs", "cloud:flowlogs"))
    with pytest.raises(ConfigError, match="cloud:flowlogs"):
        load_checks(directory)


def run(check: Check, evidence: dict) -> list[tuple[str, str]]:  # type: ignore[type-arg]
    return [(f.resource, f.status) for f in check.run(evidence)]


def test_unreadable_evidence_is_an_error_never_a_pass() -> None:
    check = CHECKS["vpc_flow_logs_enabled"]
    evidence = fixture(check.folder, "compliant")["evidence"]
    evidence["cloud"]["errors"] = {"regions.cn-north-1.flow_logs": "AccessDenied: not allowed"}
    assert run(check, evidence) == [("cloud:regions.cn-north-1.flow_logs", "error")]


def test_missing_evidence_key_is_an_error() -> None:
    check = CHECKS["vpc_flow_logs_enabled"]
    evidence = fixture(check.folder, "compliant")["evidence"]
    del evidence["cloud"]["regions"]["cn-north-1"]["flow_logs"]
    assert run(check, evidence) == [("cloud:regions.cn-north-1.flow_logs", "error")]


def test_source_not_collected_is_reported_as_such() -> None:
    check = CHECKS["iam_no_root_access_key"]
    assert run(check, {"_not_collected": {"cloud": "not selected (--source vault)"}}) == [("cloud", "not collected")]


def test_a_check_that_raises_is_an_error() -> None:
    check = CHECKS["s3_bucket_secure_transport_policy"]
    evidence = {"cloud": {"global": {"buckets": [{"Name": "b", "Policy": "{not json"}]}, "regions": {}, "errors": {}}}
    [(_resource, status)] = run(check, evidence)
    assert status == "error"


def test_findings_say_whether_we_manage_the_resource() -> None:
    check = CHECKS["ec2_ebs_volume_encryption"]
    evidence = {"cloud": {"regions": {"cn-north-1": {"volumes": [
        {"VolumeId": "vol-ours", "Encrypted": False, "Tags": [{"Key": "egov:stack", "Value": "core"},
                                                             {"Key": "egov:tenant", "Value": "finance"}]},
        {"VolumeId": "vol-theirs", "Encrypted": False}]}}, "global": {}, "errors": {}}}
    findings = {f.resource: f for f in check.run(evidence)}
    assert (findings["vol-ours"].managed, findings["vol-ours"].tenant) == (True, "finance")
    assert (findings["vol-theirs"].managed, findings["vol-theirs"].tenant) == (False, "")


def test_a_default_group_belongs_to_whoever_owns_its_vpc() -> None:
    check = CHECKS["ec2_securitygroup_default_restrict_traffic"]
    evidence = {"cloud": {"global": {}, "errors": {}, "regions": {"cn-north-1": {
        "vpcs": [{"VpcId": "vpc-ours", "Tags": [{"Key": "egov:zone", "Value": "extranet"},
                                                {"Key": "egov:tenant", "Value": "health"}]},
                 {"VpcId": "vpc-theirs"}],
        "security_groups": [
            {"GroupId": "sg-1", "GroupName": "default", "VpcId": "vpc-ours", "IpPermissions": []},
            {"GroupId": "sg-2", "GroupName": "default", "VpcId": "vpc-theirs", "IpPermissions": []}]}}}}
    findings = {f.resource: (f.managed, f.tenant) for f in check.run(evidence)}
    assert findings == {"sg-1": (True, "health"), "sg-2": (False, "")}


def test_plaintext_secrets_in_state_are_found_by_path_never_by_value() -> None:
    from compliance.evidence.state import SECRET_SIG, plaintext_secrets

    resource = {
        "inputs": {"dbPassword": "hunter2", "secretIdTtl": 3600, "secretArn": "arn:x", "tags": {"Name": "db"},
                   "apiToken": {SECRET_SIG: "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "v1:abc"}},
        "outputs": {"certs": [{"key": "-----BEGIN RSA PRIVATE KEY-----\nMII..."}], "tokenPolicies": ["a"],
                    "clientSecret": ""},
    }
    assert sorted(plaintext_secrets(resource)) == ["inputs.dbPassword", "outputs.certs[0].key"]


def unnamed_route_evidence(with_state: bool) -> dict:  # type: ignore[type-arg]
    """An extranet VPC whose transit table has a route the cloud does not name the target of (moto)."""
    evidence = json.loads((CHECKS_DIR / "egov_extranet_isolation" / "fixtures" / "compliant.json").read_text())[
        "evidence"]
    region = evidence["cloud"]["regions"]["cn-north-1"]
    table = next(t for t in region["transit_gateway_route_tables"] if t["TransitGatewayRouteTableId"] == "tgw-rtb-ext")
    for route in table["Routes"]:
        route["TransitGatewayAttachments"] = []
    if with_state:
        evidence["state"] = {"global": {"stacks": [], "transit_routes": [
            {"table": "tgw-rtb-ext", "destination": "10.30.0.0/16", "attachment": "tgw-attach-int"}]}, "errors": {}}
    return evidence  # type: ignore[no-any-return]


def test_a_route_without_a_named_target_is_an_error_never_a_pass() -> None:
    findings = CHECKS["egov_extranet_isolation"].run(unnamed_route_evidence(with_state=False))
    assert [(f.resource, f.status) for f in findings] == [("vpc-ext", "error")]
    assert "cannot be judged" in findings[0].detail


def test_pulumi_state_names_the_target_the_cloud_left_out() -> None:
    # state says the route leads to the internet zone's attachment: a path around the bridge
    findings = CHECKS["egov_extranet_isolation"].run(unnamed_route_evidence(with_state=True))
    assert [(f.resource, f.status) for f in findings] == [("vpc-ext", "fail")]
    assert "tgw-attach-int" in findings[0].detail


def test_the_tables_own_associations_decide_which_table_an_attachment_uses() -> None:
    """moto reports one association for every attachment; the table's association list wins."""
    evidence = json.loads((CHECKS_DIR / "egov_extranet_isolation" / "fixtures" / "compliant.json").read_text())[
        "evidence"]
    region = evidence["cloud"]["regions"]["cn-north-1"]
    ext = next(a for a in region["transit_gateway_attachments"] if a["ResourceId"] == "vpc-ext")
    ext["Association"]["TransitGatewayRouteTableId"] = "tgw-rtb-br"  # wrong, as moto says
    for table in region["transit_gateway_route_tables"]:
        attachment = {"tgw-rtb-ext": "tgw-attach-ext", "tgw-rtb-int": "tgw-attach-int",
                      "tgw-rtb-br": "tgw-attach-br"}[table["TransitGatewayRouteTableId"]]
        table["Associations"] = [{"TransitGatewayAttachmentId": attachment, "State": "associated"}]
    assert [f.status for f in CHECKS["egov_extranet_isolation"].run(evidence)] == ["pass"]
    for table in region["transit_gateway_route_tables"]:  # without them the wrong table is used
        del table["Associations"]
    assert [f.status for f in CHECKS["egov_extranet_isolation"].run(evidence)] == ["fail"]
