"""The real engine end to end: our language host, our provider plugin, moto server and OpenBao transit."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from infra.engine import EngineError, Stack
from infra.local.environment import LocalEnvironment
from tests.integration.cloud_walk import stack_vpcs

pytestmark = pytest.mark.integration

SECRET = "ops-9f2c@egov.example.cn"


def our_vpcs(ec2: Any, stack: Stack) -> list[dict[str, Any]]:
    return stack_vpcs(ec2, [stack.name])


def tags_of(vpc: dict[str, Any]) -> dict[str, str]:
    return {t["Key"]: t["Value"] for t in vpc.get("Tags", [])}


def steps(preview: dict[str, Any], type_token: str = "egov:ec2:Vpc") -> list[str]:
    return [s["op"] for s in preview.get("steps", []) if s.get("newState", s.get("oldState", {})).get("type")
            == type_token or s.get("urn", "").endswith(f"{type_token}::foundation")]


def test_vpc_lifecycle(stack_factory: Callable[..., Stack], ec2: Any, local_env: LocalEnvironment) -> None:
    stack = stack_factory()
    stack.set_config("vpcTags", json.dumps({"Department": "finance"}))
    stack.set_config("operatorContact", SECRET, secret=True)

    # create
    stack.up()
    vpc_id = stack.outputs()["vpcId"]
    [vpc] = our_vpcs(ec2, stack)
    assert vpc["VpcId"] == vpc_id
    assert vpc["CidrBlock"] == "10.10.0.0/16"
    assert tags_of(vpc)["Department"] == "finance"

    # no changes on a second run
    stack.run("up", "--yes", "--skip-preview", "--expect-no-changes")

    # tag change: in-place update, same VPC
    stack.set_config("vpcTags", json.dumps({"Department": "health"}))
    assert steps(stack.preview_json()) == ["update"]
    stack.up()
    [vpc] = our_vpcs(ec2, stack)
    assert vpc["VpcId"] == vpc_id and tags_of(vpc)["Department"] == "health"

    # CIDR change: replacement, old VPC gone
    stack.set_config("vpcCidr", "10.20.0.0/16")
    assert "replace" in steps(stack.preview_json())
    stack.up()
    [vpc] = our_vpcs(ec2, stack)
    assert vpc["VpcId"] != vpc_id and vpc["CidrBlock"] == "10.20.0.0/16"
    assert not ec2.describe_vpcs(Filters=[{"Name": "vpc-id", "Values": [vpc_id]}])["Vpcs"]
    vpc_id = vpc["VpcId"]

    # drift behind Pulumi's back is seen by refresh, and the next up puts it back
    ec2.create_tags(Resources=[vpc_id], Tags=[{"Key": "Department", "Value": "tampered"}])
    stack.refresh()
    state_vpc = next(r for r in stack.export()["deployment"]["resources"] if r["type"] == "egov:ec2:Vpc")
    assert state_vpc["outputs"]["tags"]["Department"] == "tampered"
    assert steps(stack.preview_json()) == ["update"]
    stack.up()
    assert tags_of(our_vpcs(ec2, stack)[0])["Department"] == "health"

    # secrets: encrypted through OpenBao transit, never in plaintext on disk
    assert stack.outputs(show_secrets=True)["operatorContact"] == SECRET
    config_text = stack.config_file.read_text()  # type: ignore[union-attr]
    assert "hashivault://" in config_text and "encryptedkey" in config_text
    assert SECRET not in config_text
    state_files = list((local_env.paths.pulumi_state / ".pulumi").rglob(f"{stack.name}.json*"))
    assert state_files, "the stack's state file should exist in the file backend"
    for path in state_files:
        assert SECRET not in path.read_text(errors="replace")
    audit = (local_env.paths.openbao / "audit.log").read_text()
    assert "transit/decrypt/pulumi-secrets" in audit

    # destroy leaves nothing of ours
    stack.destroy()
    assert our_vpcs(ec2, stack) == []


def test_import_adopts_an_existing_vpc(stack_factory: Callable[..., Stack], ec2: Any) -> None:
    stack = stack_factory()
    vpc_id = ec2.create_vpc(CidrBlock="10.77.0.0/16", TagSpecifications=[{
        "ResourceType": "vpc", "Tags": [{"Key": "egov:stack", "Value": stack.name}, {"Key": "Owner", "Value": "x"}],
    }])["Vpc"]["VpcId"]
    try:
        stack.run("import", "egov:ec2:Vpc", "adopted", vpc_id, "--yes", "--protect=false", "--generate-code=false")
        imported = next(r for r in stack.export()["deployment"]["resources"] if r["type"] == "egov:ec2:Vpc")
        assert imported["id"] == vpc_id
        assert imported["inputs"]["cidrBlock"] == "10.77.0.0/16"
        assert imported["inputs"]["tags"]["Owner"] == "x"
    finally:
        stack.run("state", "delete", f"urn:pulumi:{stack.name}::egov-cloud::egov:ec2:Vpc::adopted", "--yes",
                  "--force", check=False)
        ec2.delete_vpc(VpcId=vpc_id)


def test_bad_kind_is_a_clear_error(stack_factory: Callable[..., Stack]) -> None:
    stack = stack_factory(kind="nonsense")
    with pytest.raises(EngineError) as caught:
        stack.up()
    assert "'nonsense', which is not a stack kind; use one of: foundation" in str(caught.value)


def test_invalid_cidr_is_refused_before_any_call(stack_factory: Callable[..., Stack], ec2: Any) -> None:
    stack = stack_factory()
    stack.set_config("vpcCidr", "10.10.0.1/16")
    with pytest.raises(EngineError) as caught:
        stack.up()
    assert "cidrBlock" in str(caught.value), caught.value.stdout + caught.value.stderr
    assert our_vpcs(ec2, stack) == []
