"""``egov:ec2:Instance`` logic that needs no cloud: check messages (user data secrets above all) and the diff."""

from __future__ import annotations

from typing import Any

import pytest

from infra.config.user_data import find_secrets, redact_secrets
from infra.provider.clients import ClientFactory, ProviderConfig
from infra.provider.ec2_instances import InstanceHandler
from infra.provider.errors import ResourceRef
from infra.provider.handler import UNKNOWN, HandlerContext

URN = "urn:pulumi:dev::egov::egov:ec2:Instance::web"
BASE: dict[str, Any] = {"subnetId": "subnet-1", "securityGroupIds": ["sg-1"], "imageId": "ami-1"}


def ctx() -> HandlerContext:
    clients = ClientFactory(ProviderConfig(region="cn-north-1"))
    return HandlerContext(resource=ResourceRef.from_urn(URN), clients=clients)


def failures(**news: Any) -> dict[str, str]:
    return {f.property: f.reason for f in InstanceHandler().check(ctx(), {**BASE, **news}, {}).failures}


def test_defaults_are_filled_and_a_plain_instance_passes() -> None:
    result = InstanceHandler().check(ctx(), dict(BASE), {})
    assert result.failures == []
    assert result.inputs["instanceType"] == "t3.micro" and result.inputs["associatePublicIpAddress"] is False
    assert result.inputs["rootVolumeSize"] == 8 and result.inputs["userData"] == ""


@pytest.mark.parametrize(
    ("text", "line", "kind"),
    [
        ("#!/bin/sh\n-----BEGIN RSA PRIVATE KEY-----\nMIIE\n", 2, "a private key block"),
        ("-----BEGIN PRIVATE KEY-----", 1, "a private key block"),
        ("echo ok\nDB_PASSWORD=s3cret\n", 2, "a password assignment (password=...)"),
        ("chpasswd:\n  list: root:x\n", 1, "a password assignment (password=...)"),
        ("aws configure set aws_access_key_id ASIAQWERTYUIOPASDFGH", 1, "an AWS access key id"),
        ("aws_secret_access_key = wJalrXUtnFEMI/K7MDENG", 1, "an AWS secret access key"),
        ("x\ny\nexport VAULT_TOKEN=hvs.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", 3, "a Vault/OpenBao token"),
        ("token: s.abcdefghijklmnopqrstuvwx", 1, "a Vault/OpenBao token"),
    ],
)
def test_secrets_in_user_data_are_found_by_line_and_kind(text: str, line: int, kind: str) -> None:
    assert [(f.line, f.kind) for f in find_secrets(text)] == [(line, kind)]
    reason = failures(userData=text)["userData"]
    assert reason.startswith(f"userData line {line} looks like it carries a secret ({kind})")
    assert "OpenBao" in reason


def test_redacted_user_data_keeps_the_verdict_but_not_the_secret() -> None:
    text = "#!/bin/sh\nexport DB_PASSWORD=hunter2\necho ok\n-----BEGIN EC PRIVATE KEY-----\n"
    redacted = redact_secrets(text)
    assert "hunter2" not in redacted and "BEGIN EC" not in redacted and "echo ok" in redacted
    assert find_secrets(redacted) == find_secrets(text) and len(find_secrets(text)) == 2
    assert redact_secrets("echo ok\n") == "echo ok\n"


@pytest.mark.parametrize(
    "text",
    [
        "#!/bin/sh\napt-get install -y nginx\n",
        "#cloud-config\nssh_pwauth: false\n",
        "sed -i 's/^PasswordAuthentication yes/PasswordAuthentication no/' /etc/ssh/sshd_config",
        "curl https://vault.example/v1/sys/wrapping/unwrap",
        "ssh-keygen -t ed25519 -f /etc/ssh/ssh_host_ed25519_key",
    ],
)
def test_ordinary_user_data_passes(text: str) -> None:
    assert find_secrets(text) == []
    assert failures(userData=text) == {}


def test_bad_inputs_are_named() -> None:
    found = failures(subnetId="vpc-1", securityGroupIds=[], imageId="ubuntu", instanceType="big",
                     privateIp="10.0.0.300", rootVolumeSize=0, userData="x" * 20000)
    assert found["subnetId"] == "subnetId 'vpc-1' is a VPC id; it needs a subnet id (subnet-...)"
    assert found["securityGroupIds"].startswith("securityGroupIds is empty")
    assert found["imageId"] == "imageId 'ubuntu' is not an ami-... id"
    assert found["instanceType"] == "instanceType 'big' is not an instance type such as t3.micro"
    assert found["privateIp"] == "privateIp '10.0.0.300' is not an IPv4 address"
    assert found["rootVolumeSize"] == "rootVolumeSize 0 must be between 1 and 16384 GiB"
    assert found["userData"] == "userData is 20000 bytes; at most 16384 are allowed"


def test_unknown_values_pass_check() -> None:
    assert failures(subnetId=UNKNOWN, securityGroupIds=[UNKNOWN], userData=UNKNOWN, privateIp=UNKNOWN) == {}


def test_diff_replaces_on_everything_but_groups_tags_and_forwarding() -> None:
    handler = InstanceHandler()
    inputs = handler.check(ctx(), dict(BASE), {}).inputs
    state = {**inputs, "privateIp": None, "privateIpAddress": "10.0.0.4", "instanceId": "i-1", "insecureSettings": []}
    assert handler.diff(ctx(), "i-1", state, inputs).changes is False
    assert handler.diff(ctx(), "i-1", state, {**inputs, "securityGroupIds": ["sg-2"]}).replaces == []
    assert handler.diff(ctx(), "i-1", state, {**inputs, "sourceDestCheck": False}).replaces == []
    for name, value in (("imageId", "ami-2"), ("subnetId", "subnet-2"), ("privateIp", "10.0.0.9"),
                        ("userData", "#!/bin/sh"), ("associatePublicIpAddress", True)):
        assert handler.diff(ctx(), "i-1", state, {**inputs, name: value}).replaces == [name]


def test_drift_found_on_refresh_asks_for_an_update() -> None:
    handler = InstanceHandler()
    inputs = handler.check(ctx(), dict(BASE), {}).inputs
    state = {**inputs, "insecureSettings": ["httpTokens is optional: IMDSv1 answers without a session token"]}
    diff = handler.diff(ctx(), "i-1", state, inputs)
    assert diff.changes and diff.replaces == [] and "insecureSettings" in diff.diffs
