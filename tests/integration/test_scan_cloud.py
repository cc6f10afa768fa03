"""`egov scan` against a real moto server holding a cloud our stacks never touched: resources made by plain
boto3 without egov: tags, a clean baseline plus deliberate misconfigurations. Exactly the seeded ones fail,
labelled unmanaged; the scan issues no mutating call (read from moto's own request recording); a stopped
endpoint is exit 2 with its address."""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import hashlib
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit
from urllib.request import Request, urlopen
from xml.etree import ElementTree

import pytest

from compliance.evidence.cloud import CloudCollector, MutatingCallRefused
from compliance.scan import ScanOptions, run_scan
from infra.local.paths import REPO_ROOT
from infra.local.process import LOOPBACK, free_port, port_accepts
from tests.integration.moto_server import CREDENTIALS, boto3_client, stop_process

pytestmark = pytest.mark.integration

# moto keeps the aws-cn partition apart from the others, as AWS does, so "abroad" is the other China region,
# which this module's platform file leaves out of the allowed regions.
HOME, ABROAD = "cn-north-1", "cn-northwest-1"
ALLOWED = (HOME,)
READ_ONLY = ("Describe", "List", "Get", "Search", "Head", "Lookup")


@contextlib.contextmanager
def recording_moto(recording: Path) -> Iterator[str]:
    """A moto server of this module's own that records every request it serves into ``recording``."""
    port = free_port()
    env = {**os.environ, "MOTO_ENABLE_RECORDING": "True", "MOTO_RECORDER_FILEPATH": str(recording)}
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
    try:
        deadline = time.monotonic() + 30
        while not port_accepts(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"moto server did not start on port {port}")
            time.sleep(0.1)
        yield f"http://{LOOPBACK}:{port}"
    finally:
        stop_process(proc)


def reset_recording(endpoint: str) -> None:
    urlopen(Request(f"{endpoint}/moto-api/recorder/reset-recording", method="POST"), timeout=10).read()


def recorded_actions(recording: Path) -> list[str]:
    """The API operation of every request moto served, read from its own recording (not from our code)."""
    actions = []
    for line in recording.read_text().splitlines():
        entry = json.loads(line)
        headers = {k.lower(): v for k, v in entry["headers"].items()}
        body = entry.get("body") or ""
        if entry.get("body_encoded"):
            body = base64.b64decode(body).decode("utf-8", "replace")
        if "x-amz-target" in headers:  # JSON protocols: kms, logs, cloudtrail
            actions.append(headers["x-amz-target"].rsplit(".", 1)[-1])
        elif "Action=" in body:  # query protocols: ec2, iam, sts
            actions.append(parse_qs(body)["Action"][0])
        else:  # S3 REST: the method says whether it reads
            query = urlsplit(entry["url"]).query
            actions.append(f"S3:{entry['method']}:{query.split('=')[0]}")
    return actions


def is_read(action: str) -> bool:
    if action.startswith("S3:"):
        return action.split(":")[1] in ("GET", "HEAD")
    # IAM builds the credential report before it can be read; it changes no setting (Prowler does the same)
    return action.startswith(READ_ONLY) or action == "GenerateCredentialReport"


@dataclass
class Seeded:
    endpoint: str
    recording: Path
    platform: Path
    expected: set[tuple[str, str]] = field(default_factory=set)

    def options(self) -> ScanOptions:
        return ScanOptions(endpoint=self.endpoint, sources=["cloud"], platform_file=self.platform)


def platform_allowing_only_home(directory: Path) -> Path:
    text = (REPO_ROOT / "policies" / "platform.yaml").read_text(encoding="utf-8")
    assert "allowed_regions: [cn-north-1, cn-northwest-1]" in text
    path = directory / "platform.yaml"
    path.write_text(text.replace("allowed_regions: [cn-north-1, cn-northwest-1]", f"allowed_regions: [{HOME}]"))
    return path


def tls_policy(bucket: str, region: str = HOME) -> str:
    """TLS only, and the log delivery service may write the bucket's own access log (first: moto answers
    PutBucketLogging with a 500 when a Principal "*" statement comes before the grant)."""
    return json.dumps({"Version": "2012-10-17", "Statement": [{
        "Effect": "Allow", "Principal": {"Service": "logging.s3.amazonaws.com"}, "Action": "s3:PutObject",
        "Resource": f"arn:{'aws-cn' if region.startswith('cn-') else 'aws'}:s3:::{bucket}/access/*"}, {
        "Effect": "Deny", "Principal": "*", "Action": "s3:*",
        "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
        "Condition": {"Bool": {"aws:SecureTransport": "false"}}}]})


def good_bucket(s3: Any, name: str, region: str, key_id: str, *, lifecycle: bool = True) -> None:
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_encryption(Bucket=name, ServerSideEncryptionConfiguration={"Rules": [
        {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_id}}]})
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.put_bucket_policy(Bucket=name, Policy=tls_policy(name, region))
    s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_logging(Bucket=name, BucketLoggingStatus={"LoggingEnabled": {"TargetBucket": name,
                                                                               "TargetPrefix": "access/"}})
    if lifecycle:  # a year, earlier versions 30 days: enough for logs (>= 180 days)
        s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [
            {"ID": "retention", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 365},
             "NoncurrentVersionExpiration": {"NoncurrentDays": 30}}]})


def clean_baseline(endpoint: str, archive: str, key_arn: str) -> None:
    """What a careful department would have: every allowed region clean."""
    iam = boto3_client("iam", endpoint, HOME)
    iam.update_account_password_policy(MinimumPasswordLength=12, RequireUppercaseCharacters=True,
                                       RequireLowercaseCharacters=True, RequireNumbers=True, RequireSymbols=True,
                                       MaxPasswordAge=90, PasswordReusePrevention=5)
    for region in ALLOWED:
        ec2 = boto3_client("ec2", endpoint, region)
        ec2.enable_ebs_encryption_by_default()
    trail = boto3_client("cloudtrail", endpoint, HOME)
    trail.create_trail(Name="org-trail", S3BucketName=archive, IsMultiRegionTrail=True,
                       EnableLogFileValidation=True, KmsKeyId=key_arn)
    trail.put_event_selectors(TrailName="org-trail", EventSelectors=[
        {"ReadWriteType": "All", "IncludeManagementEvents": True}])
    trail.start_logging(Name="org-trail")
    # the default ACL of every VPC there (the default VPC's subnets use it) lets nothing in: deny by default
    for region in ALLOWED:
        ec2 = boto3_client("ec2", endpoint, region)
        for acl in ec2.describe_network_acls(Filters=[{"Name": "default", "Values": ["true"]}])["NetworkAcls"]:
            for entry in acl["Entries"]:
                if entry["RuleNumber"] < 32767:
                    ec2.delete_network_acl_entry(NetworkAclId=acl["NetworkAclId"], RuleNumber=entry["RuleNumber"],
                                                 Egress=entry["Egress"])


def close_default_groups_and_log_vpcs(endpoint: str, archive: str) -> None:
    for region in ALLOWED:
        ec2 = boto3_client("ec2", endpoint, region)
        for group in ec2.describe_security_groups(Filters=[{"Name": "group-name", "Values": ["default"]}])[
                "SecurityGroups"]:
            if group["IpPermissions"]:
                ec2.revoke_security_group_ingress(GroupId=group["GroupId"], IpPermissions=group["IpPermissions"])
            if group["IpPermissionsEgress"]:
                ec2.revoke_security_group_egress(GroupId=group["GroupId"],
                                                 IpPermissions=group["IpPermissionsEgress"])
        logged = {log["ResourceId"] for log in ec2.describe_flow_logs()["FlowLogs"]}
        unlogged = [vpc["VpcId"] for vpc in ec2.describe_vpcs()["Vpcs"]
                    if vpc["VpcId"] not in logged and not any(t["Value"] == "no-flow-log" for t in vpc.get("Tags", []))]
        if unlogged:
            ec2.create_flow_logs(ResourceIds=unlogged, ResourceType="VPC", TrafficType="ALL",
                                 LogDestinationType="s3", LogDestination=f"arn:aws:s3:::{archive}")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Seeded]:
    directory = tmp_path_factory.mktemp("scan-moto")
    recording = directory / "recording.jsonl"
    with pytest.MonkeyPatch.context() as patch:
        for key, value in CREDENTIALS.items():
            patch.setenv(key, value)
        patch.delenv("AWS_PROFILE", raising=False)
        patch.delenv("AWS_ENDPOINT_URL", raising=False)
        with recording_moto(recording) as endpoint:
            yield seed(endpoint, recording, platform_allowing_only_home(directory))


def seed(endpoint: str, recording: Path, platform: Path) -> Seeded:
    state = Seeded(endpoint, recording, platform)
    expect = state.expected.add
    kms = boto3_client("kms", endpoint, HOME)
    good_key = kms.create_key(Description="department data key")["KeyMetadata"]
    kms.enable_key_rotation(KeyId=good_key["KeyId"])
    s3 = boto3_client("s3", endpoint, HOME)
    good_bucket(s3, "dept-audit-archive", HOME, good_key["KeyId"])
    clean_baseline(endpoint, "dept-audit-archive", good_key["Arn"])
    ec2 = boto3_client("ec2", endpoint, HOME)
    vpc = ec2.create_vpc(CidrBlock="10.70.0.0/16")["Vpc"]["VpcId"]
    ec2.create_tags(Resources=[vpc], Tags=[{"Key": "Name", "Value": "dept-app"}])

    # 1. ssh open to the Internet
    ssh = ec2.create_security_group(GroupName="dept-ssh", Description="ssh", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=ssh, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    expect(("ec2_securitygroup_allow_ingress_from_internet_to_high_risk_ports", ssh))
    # 2. every port open to the Internet (also exposes every high-risk port)
    anyport = ec2.create_security_group(GroupName="dept-any", Description="any", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=anyport, IpPermissions=[
        {"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    expect(("ec2_securitygroup_allow_ingress_from_internet_to_all_ports", anyport))
    expect(("ec2_securitygroup_allow_ingress_from_internet_to_high_risk_ports", anyport))
    # a harmless group: https from the Internet
    web = ec2.create_security_group(GroupName="dept-web", Description="web", VpcId=vpc)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=web, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    # 3. a bucket with no encryption, no public-access block, no TLS-only policy, no access log
    s3.create_bucket(Bucket="dept-citizen-files", CreateBucketConfiguration={"LocationConstraint": HOME})
    for check in ("s3_bucket_kms_encryption", "s3_bucket_level_public_access_block",
                  "s3_bucket_secure_transport_policy", "s3_bucket_server_access_logging_enabled"):
        expect((check, "dept-citizen-files"))
    # 3b. citizens' records, labelled personal, kept forever (no lifecycle rule); well protected otherwise
    good_bucket(s3, "dept-citizen-records", HOME, good_key["KeyId"], lifecycle=False)
    s3.put_bucket_tagging(Bucket="dept-citizen-records", Tagging={"TagSet": [
        {"Key": "pi", "Value": "true"}, {"Key": "data_classification", "Value": "personal"}]})
    expect(("s3_bucket_lifecycle_retention", "dept-citizen-records"))
    # 3c. a subnet left on its VPC's default network ACL, which lets everything in from anywhere
    ec2.create_subnet(VpcId=vpc, CidrBlock="10.70.1.0/24", AvailabilityZone=f"{HOME}a")
    [default_acl] = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpc]},
                                                       {"Name": "default", "Values": ["true"]}])["NetworkAcls"]
    for check in ("ec2_networkacl_allow_ingress_any_port", "ec2_networkacl_allow_ingress_tcp_port_22",
                  "ec2_networkacl_allow_ingress_tcp_port_3389"):
        expect((check, default_acl["NetworkAclId"]))
    # 4. a bucket abroad, otherwise well configured
    good_bucket(boto3_client("s3", endpoint, ABROAD), "dept-backup-abroad", ABROAD, good_key["KeyId"])
    expect(("egov_data_residency", "dept-backup-abroad"))
    # 5. a VPC without flow logs (the default groups of every VPC are closed below)
    dark = ec2.create_vpc(CidrBlock="10.71.0.0/16", TagSpecifications=[
        {"ResourceType": "vpc", "Tags": [{"Key": "purpose", "Value": "no-flow-log"}]}])["Vpc"]["VpcId"]
    expect(("vpc_flow_logs_enabled", dark))
    # 6. a key that never rotates
    stale = kms.create_key(Description="stale key")["KeyMetadata"]
    expect(("kms_cmk_rotation_enabled", stale["Arn"]))
    # 7. audit logs kept 30 days
    logs = boto3_client("logs", endpoint, HOME)
    logs.create_log_group(logGroupName="/dept/app-audit")
    logs.put_retention_policy(logGroupName="/dept/app-audit", retentionInDays=30)
    logs.create_log_group(logGroupName="/dept/kept")
    logs.put_retention_policy(logGroupName="/dept/kept", retentionInDays=365)
    short = logs.describe_log_groups(logGroupNamePrefix="/dept/app-audit")["logGroups"][0]
    expect(("cloudwatch_log_group_retention_180_days", short.get("arn") or "/dept/app-audit"))
    # 8. a policy granting everything
    iam = boto3_client("iam", endpoint, HOME)
    admin = iam.create_policy(PolicyName="dept-admin", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))["Policy"]
    iam.create_policy(PolicyName="dept-reader", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "*"}]}))
    expect(("iam_policy_no_administrative_privileges", admin["Arn"]))
    # 8b. a person's user: console password without MFA, the admin policy attached to the user itself
    operator = iam.create_user(UserName="dept-operator")["User"]["Arn"]
    iam.create_login_profile(UserName="dept-operator", Password="Correct-Horse-9-Battery")
    iam.attach_user_policy(UserName="dept-operator", PolicyArn=admin["Arn"])
    for check in ("iam_user_mfa_enabled_console_access", "iam_user_no_administrator_access",
                  "iam_policy_attached_only_to_group_or_roles"):
        expect((check, operator))
    # a service user with a fresh key and a policy through its group: nothing wrong
    iam.create_group(GroupName="dept-readers")
    iam.create_user(UserName="dept-reader-bot")
    iam.add_user_to_group(GroupName="dept-readers", UserName="dept-reader-bot")
    iam.create_access_key(UserName="dept-reader-bot")
    # 9. an unencrypted volume, created before encryption by default... explicitly unencrypted
    volume = ec2.create_volume(AvailabilityZone=f"{HOME}a", Size=8, Encrypted=False)["VolumeId"]
    expect(("ec2_ebs_volume_encryption", volume))
    # 10. a second trail that does not validate its log files
    trail = boto3_client("cloudtrail", endpoint, HOME)
    plain = trail.create_trail(Name="dept-plain-trail", S3BucketName="dept-audit-archive")
    expect(("cloudtrail_log_file_validation_enabled", plain["TrailARN"]))
    # 11. a public snapshot of an encrypted volume, and an unencrypted snapshot
    good_volume = ec2.create_volume(AvailabilityZone=f"{HOME}a", Size=8, Encrypted=True,
                                    KmsKeyId=good_key["Arn"])["VolumeId"]
    public = ec2.create_snapshot(VolumeId=good_volume)["SnapshotId"]
    ec2.modify_snapshot_attribute(SnapshotId=public, Attribute="createVolumePermission", OperationType="add",
                                  GroupNames=["all"])
    expect(("ec2_ebs_public_snapshot", public))
    clear = ec2.create_snapshot(VolumeId=volume)["SnapshotId"]
    expect(("ec2_ebs_snapshots_encrypted", clear))
    # 12. the second trail writes without a KMS key (org-trail has one), and the plain bucket keeps no versions
    expect(("cloudtrail_kms_encryption_enabled", plain["TrailARN"]))
    expect(("s3_bucket_versioning_enabled", "dept-citizen-files"))
    # 13. one instance off every instance baseline: IMDSv1, a public address in a VPC of no zone, a password in
    # its user data (its root volume is encrypted and its group is empty, so it fails nothing else); and one clean
    subnet = ec2.create_subnet(VpcId=vpc, CidrBlock="10.70.2.0/24", AvailabilityZone=f"{HOME}a")["Subnet"]["SubnetId"]
    quiet = ec2.create_security_group(GroupName="dept-hosts", Description="hosts", VpcId=vpc)["GroupId"]
    image = ec2.describe_images(Owners=["amazon"], Filters=[{"Name": "name", "Values": ["amzn2-ami-hvm-*"]}])
    root = [{"DeviceName": image["Images"][0]["RootDeviceName"],
             "Ebs": {"Encrypted": True, "VolumeSize": 8, "KmsKeyId": good_key["Arn"]}}]

    def launch(**options: Any) -> str:
        return str(ec2.run_instances(ImageId=image["Images"][0]["ImageId"], MinCount=1, MaxCount=1,
                                     BlockDeviceMappings=root, **options)["Instances"][0]["InstanceId"])

    sloppy = launch(NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": subnet, "Groups": [quiet],
                                        "AssociatePublicIpAddress": True}],
                    MetadataOptions={"HttpTokens": "optional"}, UserData="#!/bin/sh\nexport DB_PASSWORD=hunter2\n")
    for check in ("ec2_instance_imdsv2_required", "ec2_instance_no_public_ip", "ec2_instance_user_data_no_secrets"):
        expect((check, sloppy))
    launch(NetworkInterfaces=[{"DeviceIndex": 0, "SubnetId": subnet, "Groups": [quiet]}],
           MetadataOptions={"HttpTokens": "required"}, UserData="#!/bin/sh\necho ready\n")
    # moto's root user has no MFA and the API cannot give it one: a true finding on every moto account
    expect(("iam_root_mfa_enabled", "iam-root-user-mfa:123456789012"))  # moto's default account
    close_default_groups_and_log_vpcs(endpoint, "dept-audit-archive")
    reset_recording(endpoint)
    return state


def failing(findings: Any) -> set[tuple[str, str]]:
    """Every finding that fails or could not be judged (checks of other sources are "not collected")."""
    return {(f.check_id, f.resource) for f in findings if f.status in ("fail", "error")}


def test_exactly_the_seeded_misconfigurations_fail_and_are_labelled_unmanaged(seeded: Seeded) -> None:
    result = run_scan(seeded.options())
    assert failing(result.findings) == seeded.expected
    assert {f.status for f in result.findings if f.check_id.startswith(("vault_", "state_"))} == {"not collected"}
    # resources are labelled unmanaged; account settings (root MFA) are neither
    assert {f.managed for f in result.findings if f.status == "fail"} == {False, None}
    assert {f.check_id for f in result.findings if f.status == "fail" and f.managed is None} == {"iam_root_mfa_enabled"}
    assert not result.gate.passed
    assert len(seeded.expected) >= 13 and len({c for c, _ in seeded.expected}) == 28
    # the checks that found nothing wrong did judge something
    passing_checks = {f.check_id for f in result.findings if f.status == "pass"}
    assert {"iam_password_policy_strong", "ec2_ebs_default_encryption", "cloudtrail_multi_region_enabled",
            "ec2_securitygroup_default_restrict_traffic", "iam_no_root_access_key", "iam_user_accesskey_unused",
            "iam_rotate_access_key_90_days", "iam_user_console_access_unused"} <= passing_checks
    # the audit archive (a trail's bucket) and the default VPC's locked-down ACL pass too
    passing = {(f.check_id, f.resource) for f in result.findings if f.status == "pass"}
    assert ("s3_bucket_lifecycle_retention", "dept-audit-archive") in passing


def test_every_live_finding_has_its_chinese_detail(seeded: Seeded) -> None:
    """The fixtures cover the checks' messages; this covers what a live cloud makes them say (moto's ACLs, the
    credential report's rows, real buckets): the report's 中文 side has no English-only finding."""
    findings = run_scan(seeded.options()).findings
    english_only = [(f.check_id, f.resource, f.detail) for f in findings
                    if not re.search(r"[\u4e00-\u9fff]", f.detail_zh) or f.detail_zh == f.detail]
    assert english_only == []
    failed = {f.check_id: f.detail_zh for f in findings if f.status == "fail"}
    assert "网络ACL" in failed["ec2_networkacl_allow_ingress_any_port"]
    assert "存储桶" in failed["s3_bucket_server_access_logging_enabled"]


def test_the_scan_issues_no_mutating_call(seeded: Seeded) -> None:
    reset_recording(seeded.endpoint)
    result = run_scan(seeded.options())
    actions = recorded_actions(seeded.recording)
    assert len(actions) == sum(result.api_calls.values()) > 50
    assert [a for a in actions if not is_read(a)] == []
    # instances are listed once per scanned region; only their user data is read one by one (2 instances)
    regions = result.evidence["cloud"]["scanned_regions"]
    assert actions.count("DescribeInstances") == len(regions)
    assert actions.count("DescribeInstanceAttribute") == 2


def test_the_read_only_guard_refuses_a_write_before_it_is_sent(seeded: Seeded) -> None:
    reset_recording(seeded.endpoint)
    collector = CloudCollector(regions=[HOME], allowed_regions=ALLOWED, endpoint=seeded.endpoint)
    with pytest.raises(MutatingCallRefused, match=r"ec2\.CreateVpc"):
        collector.client("ec2", HOME).create_vpc(CidrBlock="10.99.0.0/16")
    assert recorded_actions(seeded.recording) == []


def egov(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **CREDENTIALS}
    env.pop("AWS_ENDPOINT_URL", None)
    return subprocess.run([sys.executable, "-m", "infra.cli.main", *args], capture_output=True, text=True,
                          cwd=REPO_ROOT, env=env, timeout=600)


def test_cli_gate_reports_and_evidence_folder(seeded: Seeded, tmp_path: Path) -> None:
    run = egov("scan", "--source", "cloud", "--endpoint", seeded.endpoint, "--out", str(tmp_path),
               "--format", "table,json,junit,sarif,ocsf", "--platform", str(seeded.platform))
    assert run.returncode == 1, run.stderr
    assert "gate failed" in run.stdout and "unmanaged" in run.stdout
    [folder] = list(tmp_path.iterdir())
    manifest = json.loads((folder / "manifest.json").read_text())
    assert set(manifest["files"]) == {"evidence.json", "report.json", "junit.xml", "report.sarif", "ocsf.json"}
    for name, entry in manifest["files"].items():
        assert hashlib.sha256((folder / name).read_bytes()).hexdigest() == entry["sha256"]
    report = json.loads((folder / "report.json").read_text())
    assert report["schema_version"] == "1.0" and report["gate"]["passed"] is False
    assert report["conclusion"]["score_is_estimate"] is True and report["conclusion"]["level"] == "差"
    snapshots = next(h for h in report["conclusion"]["high_risks"] if h["item"] == "CLD-19")
    [case] = snapshots["cases"]
    assert case["case"] == "7.4.1.1" and "7.4.1.1: none" in case["mitigations"] and snapshots["needs_assessor"]
    assert {(f["check"], f["resource"]) for f in report["findings"] if f["status"] == "fail"} == seeded.expected
    sarif = json.loads((folder / "report.sarif").read_text())
    assert sarif["version"] == "2.1.0" and len(sarif["runs"][0]["results"]) == len(seeded.expected)
    ocsf = json.loads((folder / "ocsf.json").read_text())
    assert {e["class_uid"] for e in ocsf} == {2003} and len(ocsf) == len(report["findings"])
    junit = ElementTree.parse(folder / "junit.xml").getroot()
    cases = junit.findall("./testsuite/testcase")
    assert len(cases) == len(report["findings"])
    # W-001 of compliance/waivers.yaml waives the root user's MFA on moto's account: not a CI failure
    waived = {("iam_root_mfa_enabled", "iam-root-user-mfa:123456789012")}
    assert {(c.get("classname"), c.get("name")) for c in cases if c.find("failure") is not None} == (
        seeded.expected - waived)
    # the evidence keeps the finding, never the secret it found (nor a setting mistaken for one)
    saved = (folder / "evidence.json").read_text()
    assert "hunter2" not in saved and "secret redacted: a password assignment" in saved
    assert '"HttpTokens": "optional"' in saved
    # a later reader re-judges the saved evidence without the cloud
    again = egov("scan", "--evidence", str(folder), "--out", str(tmp_path / "rejudged"), "--format", "json",
                 "--platform", str(seeded.platform))
    assert again.returncode == 1, again.stderr
    [refolder] = list((tmp_path / "rejudged").iterdir())
    rejudged = json.loads((refolder / "report.json").read_text())
    assert {(f["check"], f["resource"]) for f in rejudged["findings"] if f["status"] == "fail"} == seeded.expected


def test_stopped_endpoint_is_exit_2_with_the_address(tmp_path: Path) -> None:
    address = f"http://{LOOPBACK}:{free_port()}"
    run = egov("scan", "--source", "cloud", "--endpoint", address, "--out", str(tmp_path))
    assert run.returncode == 2
    assert address in run.stderr and "unreachable" in run.stderr
    assert not list(tmp_path.iterdir())


def test_selecting_a_source_without_a_collector_is_exit_2(seeded: Seeded, tmp_path: Path) -> None:
    run = egov("scan", "--source", "cloud,hosts", "--endpoint", seeded.endpoint, "--out", str(tmp_path))
    assert run.returncode == 2 and "source hosts cannot be collected" in run.stderr


def test_waivers_hide_from_the_gate_not_from_the_report_and_an_expired_one_fails_it(
        seeded: Seeded, tmp_path: Path) -> None:
    waivers = tmp_path / "waivers.yaml"
    waivers.write_text(
        "waivers:\n"
        "  - id: W-ssh\n"
        "    check: ec2_securitygroup_allow_ingress_from_internet_to_high_risk_ports\n"
        "    resources: ['sg-*']\n"
        "    reason: bastion replacement is being procured\n"
        "    owner: Li Wei\n"
        "    approver: Zhang Min\n"
        "    expires: 2027-06-30\n"
        "  - id: W-old\n"
        "    clause: CMP-23\n"
        "    reason: volume migration was scheduled\n"
        "    owner: Wang Fang\n"
        "    approver: Zhang Min\n"
        "    expires: 2026-11-30\n", encoding="utf-8")
    options = seeded.options()
    options.waivers_file, options.today = waivers, dt.date(2026, 12, 7)
    result = run_scan(options)
    high_risk_ports = {r for c, r in seeded.expected
                       if c == "ec2_securitygroup_allow_ingress_from_internet_to_high_risk_ports"}
    assert {f.resource for f in result.waivers.hidden["W-ssh"]} == high_risk_ports
    assert result.waivers.hidden["W-old"] == []  # expired: hides nothing
    assert "waiver W-old has expired" in result.gate.reasons
    assert not any("high_risk_ports" in reason for reason in result.gate.reasons)
    assert failing(result.findings) == seeded.expected  # the report still shows every failure
