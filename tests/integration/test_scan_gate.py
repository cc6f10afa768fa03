"""The demo environment passes the gate: core + bridge deployed through the real engine and `egov vault apply`
on a LocalEnvironment of this module's own, then `egov scan` (the CLI, every configured source) exits 0 and
every automated item the platform answers for is compliant (or not applicable). The one waiver it relies on
(W-001, moto's root user cannot have MFA) is listed with the finding it hid, never anything else.

Then the issue's proof on the same deployment: misconfigurations made behind Pulumi's and `vault apply`'s
back with boto3, hvac and the pulumi CLI fail, exactly those, each with its check, clause and resource."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import hvac
import pytest
import yaml

from infra.engine import Stack
from infra.local.environment import LocalEnvironment
from infra.local.paths import REPO_ROOT, LocalPaths
from tests.integration.moto_server import MOTO_ACCOUNT

pytestmark = pytest.mark.integration

ALLOWED_REGIONS = ("cn-north-1", "cn-northwest-1")  # policies/platform.yaml: allowed_regions
EGOV = str(Path(sys.executable).with_name("egov"))
# For the seeded case that moves a stack's secrets to a passphrase: the engine then needs it to read the stack.
PASSPHRASE = {"PULUMI_CONFIG_PASSPHRASE": "gate-test-only"}


class Deployment:
    """The demo's stacks and OpenBao configuration on this module's own embedded environment."""

    def __init__(self, env: LocalEnvironment, core: Stack, bridge: Stack, tmp: Path) -> None:
        self.env, self.core, self.bridge, self.tmp = env, core, bridge, tmp

    def cli_env(self) -> dict[str, str]:
        """What an operator's shell has after `eval "$(egov local env)"` (VAULT_TOKEN: Pulumi's own token; on
        the embedded OpenBao `egov vault` uses the local root token, and `egov scan` a token of its own, policy
        `auditor` only, minted from it)."""
        return {**os.environ, **self.env.env(), **PASSPHRASE}

    def egov(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([EGOV, *args], cwd=REPO_ROOT, env=self.cli_env(),
                              capture_output=True, text=True, timeout=600, check=False)

    def client(self, service: str, region: str = ALLOWED_REGIONS[0]) -> Any:
        e = self.env.env()
        return boto3.client(service, endpoint_url=e["AWS_ENDPOINT_URL"], region_name=region,
                            aws_access_key_id=e["AWS_ACCESS_KEY_ID"], aws_secret_access_key=e["AWS_SECRET_ACCESS_KEY"])

    def scan(self, name: str) -> tuple[subprocess.CompletedProcess[str], dict[str, Any]]:
        out = self.tmp / name
        done = self.egov("scan", "--format", "json", "--out", str(out))
        reports = sorted(out.glob("*/report.json"))
        assert reports, f"no report (exit {done.returncode}):\n{done.stdout}\n{done.stderr}"
        return done, json.loads(reports[-1].read_text())


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    tmp = tmp_path_factory.mktemp("scan-gate")
    env = LocalEnvironment(LocalPaths(tmp / "egov-home"))
    env.up()
    stacks: list[Stack] = []
    try:
        core = Stack("gate-core", env={**env.env(), **PASSPHRASE}, config_file=tmp / "Pulumi.gate-core.yaml")
        bridge = Stack("gate-bridge", env={**env.env(), **PASSPHRASE}, config_file=tmp / "Pulumi.gate-bridge.yaml")
        for stack, kind in ((core, "core"), (bridge, "bridge")):
            stack.init(env.secrets_provider)
            stack.set_config("kind", kind)
            stacks.append(stack)
        core.set_config("archiveForceDestroy", "true")
        core.set_config("keyDeletionWindowDays", "7")
        core.set_config("accountId", MOTO_ACCOUNT)
        bridge.set_config("coreStack", core.name)
        core.up()
        bridge.up()
        deployment = Deployment(env, core, bridge, tmp)
        applied = deployment.egov("vault", "apply", "--yes")
        assert applied.returncode == 0, applied.stdout + applied.stderr
        yield deployment
    finally:
        for stack in reversed(stacks):
            stack.run("destroy", "--yes", "--skip-preview", check=False)
        env.down()


def test_the_demo_environment_passes_the_gate(deployment: Deployment) -> None:
    audit_log = deployment.env.vault.audit_log
    before = len(audit_log.read_text().splitlines())
    done, report = deployment.scan("clean")
    shown = [(f["check"], f["resource"], f["status"], f["detail"]) for f in report["findings"] if f["status"] != "pass"]
    assert done.returncode == 0, f"{done.stdout}\n{done.stderr}\n" + "\n".join(map(str, shown))
    assert report["gate"] == {"passed": True, "reasons": []}
    assert set(report["sources"]["collected"]) == {"cloud", "vault", "state", "certs"}
    # every automated item the platform answers for (alone or with the tenants) is met or not applicable
    unmet = [(i["id"], i["result_en"]) for i in report["items"]
             if i["status"] == "automated" and i["responsibility"] in ("platform", "both")
             and i["result_en"] not in ("compliant", "not applicable")]
    assert unmet == []
    # the deployment has no test hosts: every host check says so ("not collected", with what to run), never passes
    host = [f for f in report["findings"] if f["check"].startswith("host_")]
    assert host and {(f["status"], f["resource"]) for f in host} == {("not collected", "hosts")}
    assert all("no host inventory" in f["detail"] and "egov local hosts up" in f["detail"] for f in host)
    # nothing else fails, errs or goes uncollected, but the one finding the one waiver hides
    not_passing = {(f["check"], f["resource"], f["status"], f["waived_by"]) for f in report["findings"]
                   if f["status"] != "pass" and not f["check"].startswith("host_")}
    assert not_passing == {("iam_root_mfa_enabled", f"iam-root-user-mfa:{MOTO_ACCOUNT}", "fail", "W-001")}
    # the account baseline of the core stack is what made these pass, in both allowed regions
    checked = {(f["check"], f["resource"]) for f in report["findings"]}
    for region in ALLOWED_REGIONS:
        assert ("ec2_ebs_default_encryption", f"ebs-default-encryption:{region}") in checked
        ec2 = deployment.client("ec2", region)
        assert ec2.get_ebs_encryption_by_default()["EbsEncryptionByDefault"] is True
        assert [v for v in ec2.describe_vpcs()["Vpcs"] if v.get("IsDefault")] == []
    assert ("iam_password_policy_strong", "iam-password-policy") in checked
    # the TLS certificate of the local OpenBao is judged, and passes the 397-day rule
    tls = [f for f in report["findings"] if f["check"] == "tls_certificate_verified"]
    assert tls and {f["status"] for f in tls} == {"pass"}
    # OpenBao's own audit log: the scan read with its auditor token, never with root, and only read
    requests = [e for e in map(json.loads, audit_log.read_text().splitlines()[before:]) if e.get("type") == "request"]
    as_root = {e["request"]["path"] for e in requests if "root" in (e.get("auth") or {}).get("policies", ())}
    assert as_root <= {"auth/token/create", "sys/policy/auditor"}  # minting the scan's token, nothing else
    reads = [e for e in requests if (e.get("auth") or {}).get("policies") == ["auditor"]]
    assert {e["request"]["operation"] for e in reads} <= {"read", "list"}
    assert {"sys/audit", "transit/keys/pulumi-secrets"} <= {e["request"]["path"] for e in reads}


def _metadata_clauses() -> dict[str, list[str]]:
    """Each check's clauses as its metadata.yaml declares them (read here, not through the scanner)."""
    return {path.parent.name: list(yaml.safe_load(path.read_text())["clauses"])
            for path in (REPO_ROOT / "compliance" / "checks").glob("*/metadata.yaml")}


def _seed_network(d: Deployment, expected: set[tuple[str, str]]) -> list[str]:
    """Seeds the network misconfigurations; returns what the extranet VPC's egov_extranet_isolation finding must
    say for seeds 5d and 5e (the VPC already fails for seed 1, so the resource alone cannot show them)."""
    ec2 = d.client("ec2")
    vpcs = d.core.outputs()["vpcIds"]

    def groups(zone: str) -> list[dict[str, Any]]:
        return ec2.describe_security_groups(Filters=[{"Name": "vpc-id", "Values": [vpcs[zone]]}])["SecurityGroups"]

    # 1. an Internet gateway route in the extranet zone
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpcs["extranet"])
    table = ec2.describe_route_tables(Filters=[{"Name": "vpc-id", "Values": [vpcs["extranet"]]},
                                               {"Name": "association.main", "Values": ["false"]}])["RouteTables"][0]
    ec2.create_route(RouteTableId=table["RouteTableId"], DestinationCidrBlock="198.51.100.0/24", GatewayId=igw)
    expected.add(("egov_extranet_isolation", vpcs["extranet"]))
    # 2. ssh from the Internet on a management-zone group
    ssh = next(g for g in groups("management") if g["GroupName"] != "default")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=ssh, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 22, "ToPort": 22, "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    expected.add(("ec2_securitygroup_allow_ingress_from_internet_to_high_risk_ports", ssh))
    # 3. every port from the Internet (IPv6) on a shared-zone group: all ports, high-risk ones included
    wide = next(g for g in groups("shared") if g["GroupName"] != "default")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=wide, IpPermissions=[
        {"IpProtocol": "-1", "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}])
    expected |= {("ec2_securitygroup_allow_ingress_from_internet_to_all_ports", wide),
                 ("ec2_securitygroup_allow_ingress_from_internet_to_high_risk_ports", wide)}
    # 4. the internet zone's locked-down default group gets a rule back
    default = next(g for g in groups("internet") if g["GroupName"] == "default")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=default, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.30.0.0/16"}]}])
    expected.add(("ec2_securitygroup_default_restrict_traffic", default))
    # 5. the shared zone stops recording its traffic
    logs = ec2.describe_flow_logs(Filters=[{"Name": "resource-id", "Values": [vpcs["shared"]]}])["FlowLogs"]
    ec2.delete_flow_logs(FlowLogIds=[log["FlowLogId"] for log in logs])
    expected.add(("vpc_flow_logs_enabled", vpcs["shared"]))

    def compiled_acl(zone: str) -> str:
        acls = ec2.describe_network_acls(Filters=[{"Name": "vpc-id", "Values": [vpcs[zone]]},
                                                  {"Name": "tag:Name", "Values": [f"{zone}-flows-acl"]}])
        [acl] = acls["NetworkAcls"]
        assert acl["Associations"], f"{zone}'s compiled ACL has no subnet"
        return str(acl["NetworkAclId"])

    # 5b. ssh from the Internet let through the management zone's compiled ACL, ahead of every flow entry
    management = compiled_acl("management")
    ec2.create_network_acl_entry(NetworkAclId=management, RuleNumber=5, Protocol="6", RuleAction="allow",
                                 Egress=False, CidrBlock="0.0.0.0/0", PortRange={"From": 22, "To": 22})
    expected.add(("ec2_networkacl_allow_ingress_tcp_port_22", management))
    # 5c. everything from the Internet let into the shared zone's subnets (rdp and ssh with it)
    shared = compiled_acl("shared")
    ec2.create_network_acl_entry(NetworkAclId=shared, RuleNumber=6, Protocol="-1", RuleAction="allow",
                                 Egress=False, CidrBlock="0.0.0.0/0")
    expected |= {("ec2_networkacl_allow_ingress_any_port", shared),
                 ("ec2_networkacl_allow_ingress_tcp_port_22", shared),
                 ("ec2_networkacl_allow_ingress_tcp_port_3389", shared)}
    # 5d. the Internet zone (policies/platform.yaml: internet 10.30.0.0/16) admitted by an extranet group, on a
    # port no Internet-only check looks at: only egov_extranet_isolation may fail for it (on the extranet VPC)
    app = next(g for g in groups("extranet") if g["GroupName"] != "default")["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=app, IpPermissions=[
        {"IpProtocol": "tcp", "FromPort": 8080, "ToPort": 8080, "IpRanges": [{"CidrIp": "10.30.0.0/16"}]}])
    expected.add(("egov_extranet_isolation", vpcs["extranet"]))
    # 5e. the bridge inspection ACL lets ssh in from the Internet zone, ahead of every flow entry; its egress entry
    # for flow 5 (management-ssh-extranet, tcp 22 to 10.20.0.0/16) lets it on to the extranet
    inspection = ec2.describe_network_acls(Filters=[{"Name": "tag:Name", "Values": ["bridge-inspection-acl"]}])
    [bridge_acl] = inspection["NetworkAcls"]
    ec2.create_network_acl_entry(NetworkAclId=bridge_acl["NetworkAclId"], RuleNumber=7, Protocol="6",
                                 RuleAction="allow", Egress=False, CidrBlock="10.30.0.0/16",
                                 PortRange={"From": 22, "To": 22})
    expected.add(("egov_extranet_isolation", vpcs["extranet"]))
    return [f"security group {app} admits the Internet zone (10.30.0.0/16): tcp 8080-8080 from 10.30.0.0/16",
            f"bridge inspection network ACL {bridge_acl['NetworkAclId']} admits the Internet zone (10.30.0.0/16) "
            "towards the extranet: in rule 7 allows tcp 22-22 with 10.30.0.0/16"]


def _seed_storage_and_keys(d: Deployment, expected: set[tuple[str, str]]) -> None:
    outputs = d.core.outputs()
    archive, s3, kms = outputs["archiveBucketName"], d.client("s3"), d.client("kms")
    # 6-8. the audit archive: public access no longer blocked, plain-HTTP requests no longer denied, no KMS
    s3.delete_public_access_block(Bucket=archive)
    s3.delete_bucket_policy(Bucket=archive)
    s3.delete_bucket_encryption(Bucket=archive)
    expected |= {("s3_bucket_level_public_access_block", archive), ("s3_bucket_secure_transport_policy", archive),
                 ("s3_bucket_kms_encryption", archive)}
    # 8b-c. ... its access no longer logged, and its records expired after 30 days (it declares 180)
    s3.put_bucket_logging(Bucket=archive, BucketLoggingStatus={})
    s3.put_bucket_lifecycle_configuration(Bucket=archive, LifecycleConfiguration={"Rules": [
        {"ID": "retention", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 30},
         "NoncurrentVersionExpiration": {"NoncurrentDays": 1}}]})
    expected |= {("s3_bucket_server_access_logging_enabled", archive), ("s3_bucket_lifecycle_retention", archive)}
    # 9. a bucket made by hand for citizens' uploads: no KMS key, public access not blocked, no versions, plain
    # HTTP allowed (moto keeps each partition apart, so a bucket outside the mainland regions would be another
    # account's: data residency is proven on the plain-boto3 cloud of test_scan_cloud.py)
    uploads = "gate-citizen-uploads"
    s3.create_bucket(Bucket=uploads, CreateBucketConfiguration={"LocationConstraint": "cn-north-1"})
    expected |= {("s3_bucket_kms_encryption", uploads), ("s3_bucket_level_public_access_block", uploads),
                 ("s3_bucket_versioning_enabled", uploads), ("s3_bucket_secure_transport_policy", uploads)}
    # ... and it is the finance department's, holding personal information, with no classification label
    s3.put_bucket_tagging(Bucket=uploads, Tagging={"TagSet": [{"Key": "egov:tenant", "Value": "finance"},
                                                              {"Key": "pi", "Value": "true"}]})
    expected.add(("s3_pi_bucket_classified", uploads))
    # ... nobody logs who reads it, and nothing ever expires there
    expected |= {("s3_bucket_server_access_logging_enabled", uploads), ("s3_bucket_lifecycle_retention", uploads)}
    # 10. the data key stops rotating
    kms.disable_key_rotation(KeyId=outputs["keyArns"]["data"])
    expected.add(("kms_cmk_rotation_enabled", outputs["keyArns"]["data"]))
    # 11-13. EBS encryption by default switched off in the second region, an unencrypted volume there and a
    # snapshot of it
    northwest = d.client("ec2", "cn-northwest-1")
    northwest.disable_ebs_encryption_by_default()
    expected.add(("ec2_ebs_default_encryption", "ebs-default-encryption:cn-northwest-1"))
    volume = northwest.create_volume(AvailabilityZone="cn-northwest-1a", Size=1, Encrypted=False)["VolumeId"]
    expected.add(("ec2_ebs_volume_encryption", volume))
    expected.add(("ec2_ebs_snapshots_encrypted", northwest.create_snapshot(VolumeId=volume)["SnapshotId"]))
    # 14. an encrypted snapshot anyone may copy
    ec2 = d.client("ec2")
    sealed = ec2.create_volume(AvailabilityZone="cn-north-1a", Size=1, Encrypted=True,
                               KmsKeyId=outputs["keyArns"]["data"])["VolumeId"]
    public = ec2.create_snapshot(VolumeId=sealed)["SnapshotId"]
    ec2.modify_snapshot_attribute(SnapshotId=public, Attribute="createVolumePermission", OperationType="add",
                                  GroupNames=["all"])
    expected.add(("ec2_ebs_public_snapshot", public))


def _seed_identity_and_logging(d: Deployment, expected: set[tuple[str, str]]) -> None:
    iam, logs, trails = d.client("iam"), d.client("logs"), d.client("cloudtrail")
    # 15. the password policy weakened
    iam.update_account_password_policy(MinimumPasswordLength=6, RequireNumbers=True, MaxPasswordAge=365)
    expected.add(("iam_password_policy_strong", "iam-password-policy"))
    # 16. a customer policy granting everything
    admin = iam.create_policy(PolicyName="gate-break-glass", PolicyDocument=json.dumps(
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]}))
    expected.add(("iam_policy_no_administrative_privileges", admin["Policy"]["Arn"]))
    # 16b-d. a person's own user: a console password without MFA, and that policy attached to the user itself
    user = iam.create_user(UserName="gate-operator")["User"]["Arn"]
    iam.create_login_profile(UserName="gate-operator", Password="Correct-Horse-9-Battery")
    iam.attach_user_policy(UserName="gate-operator", PolicyArn=admin["Policy"]["Arn"])
    expected |= {("iam_user_mfa_enabled_console_access", user), ("iam_user_no_administrator_access", user),
                 ("iam_policy_attached_only_to_group_or_roles", user)}
    # 17. an application log group that forgets after 30 days
    logs.create_log_group(logGroupName="/gate/portal")
    logs.put_retention_policy(logGroupName="/gate/portal", retentionInDays=30)
    group = logs.describe_log_groups(logGroupNamePrefix="/gate/portal")["logGroups"][0]
    expected.add(("cloudwatch_log_group_retention_180_days", group.get("arn") or group["logGroupName"]))
    # 18-20. the trail: single-region, unsigned digests, no KMS key
    trail = d.core.outputs()["trailArn"]
    trails.update_trail(Name=trail, IsMultiRegionTrail=False, EnableLogFileValidation=False, KmsKeyId="")
    expected |= {("cloudtrail_multi_region_enabled", "cloudtrail:cn-northwest-1"),
                 ("cloudtrail_log_file_validation_enabled", trail), ("cloudtrail_kms_encryption_enabled", trail)}


def _seed_openbao(d: Deployment, expected: set[tuple[str, str]]) -> None:
    root = d.env.vault.root_env()

    def client(namespace: str | None = None) -> hvac.Client:
        return hvac.Client(url=root["VAULT_ADDR"], token=root["VAULT_TOKEN"], verify=root["VAULT_CACERT"],
                           namespace=namespace)

    # 21. Pulumi's transit key stops rotating
    client().secrets.transit.update_key_configuration("pulumi-secrets", auto_rotate_period="0",
                                                      mount_point="transit")
    expected.add(("vault_transit_key_rotation", "transit/keys/pulumi-secrets"))
    # 22. the finance tenant's key may be deleted
    client("tenants/finance").secrets.transit.update_key_configuration("finance", deletion_allowed=True,
                                                                       mount_point="transit")
    expected.add(("vault_transit_key_protected", "tenants/finance/transit/keys/finance"))
    # 23. the health pipeline's secret IDs never expire and never run out
    client("tenants/health").write("auth/approle/role/pipeline", secret_id_ttl=0, secret_id_num_uses=0)
    expected.add(("vault_approle_credentials_bounded", "tenants/health/auth/approle/role/pipeline"))


def _seed_state(d: Deployment, expected: set[tuple[str, str]]) -> None:
    # 24. the bridge stack's secrets move to a passphrase (the pulumi CLI)
    d.bridge.run("stack", "change-secrets-provider", "passphrase")
    # that command has no --config-file: it writes the new salt to Pulumi.<stack>.yaml beside Pulumi.yaml; move
    # it into the stack's own config file (which the engine is given) and leave the repository clean
    written = d.bridge.project_dir / f"Pulumi.{d.bridge.name}.yaml"
    assert d.bridge.config_file is not None
    settings = yaml.safe_load(d.bridge.config_file.read_text()) or {}
    for key in ("secretsprovider", "encryptedkey"):
        settings.pop(key, None)
    settings.update(yaml.safe_load(written.read_text()) or {})
    written.unlink()
    d.bridge.config_file.write_text(yaml.safe_dump(settings, sort_keys=False))
    expected.add(("state_secrets_provider_vault_transit", f"stack:{d.bridge.name}"))
    # 25. a password lands in the core stack's state in clear (export, edit, import: the pulumi CLI)
    exported = d.core.export()
    bucket = next(r for r in exported["deployment"]["resources"] if r["type"] == "egov:s3:Bucket")
    bucket.setdefault("outputs", {})["replicationPassword"] = "correct-horse-battery-staple"
    path = d.tmp / "core-state.json"
    path.write_text(json.dumps(exported))
    d.core.run("stack", "import", "--file", str(path))
    expected.add(("state_no_plaintext_secrets", f"stack:{d.core.name}"))


def test_exactly_the_seeded_misconfigurations_fail_with_their_check_clause_and_resource(
        deployment: Deployment) -> None:
    _, before = deployment.scan("before")
    baseline = {(f["check"], f["resource"]) for f in before["findings"] if f["status"] != "pass"}
    expected: set[tuple[str, str]] = set()
    extranet_details = _seed_network(deployment, expected)
    _seed_storage_and_keys(deployment, expected)
    _seed_identity_and_logging(deployment, expected)
    _seed_openbao(deployment, expected)
    _seed_state(deployment, expected)
    assert len({check for check, _ in expected}) >= 25  # different checks, across every family

    done, after = deployment.scan("seeded")
    assert done.returncode == 1, f"{done.stdout}\n{done.stderr}"
    failing = {(f["check"], f["resource"]): f for f in after["findings"] if f["status"] != "pass"}
    assert set(failing) - baseline == expected
    assert {failing[key]["status"] for key in expected} == {"fail"}  # a seeded violation is a fail, never an error
    clauses = _metadata_clauses()
    for check, resource in expected:
        assert failing[check, resource]["clauses"] == clauses[check], (check, resource)
    extranet = failing["egov_extranet_isolation", deployment.core.outputs()["vpcIds"]["extranet"]]
    assert all(part in extranet["detail"] for part in extranet_details), extranet["detail"]
    managed = {("egov_extranet_isolation", deployment.core.outputs()["vpcIds"]["extranet"]),
               ("kms_cmk_rotation_enabled", deployment.core.outputs()["keyArns"]["data"])}
    assert all(failing[key]["managed"] is True for key in managed)
    # made by hand, no egov: tags (the uploads bucket claims a tenant with its tag, so it counts as ours)
    volume = next(resource for check, resource in expected if check == "ec2_ebs_volume_encryption")
    assert failing["ec2_ebs_volume_encryption", volume]["managed"] is False
