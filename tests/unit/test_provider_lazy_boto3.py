"""A preview's provider checks and diffs without the cloud, so it must not pay for importing boto3
(about 0.3 CPU-s of the plugin's start-up, in every engine run). Run in a fresh interpreter: this
test session has boto3 imported already."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import asyncio, sys
    from pulumi.provider.experimental.property_value import PropertyValue
    from pulumi.provider.experimental.provider import CheckRequest, DiffRequest
    from infra.provider.clients import ProviderConfig
    from infra.provider.provider import EgovProvider

    provider = EgovProvider(config=ProviderConfig(region="cn-north-1", endpoint="http://127.0.0.1:9"))
    urn = "urn:pulumi:dev::egov::egov:ec2:Vpc::core"
    news = {"cidrBlock": PropertyValue("10.0.0.0/16"), "tags": PropertyValue({"env": PropertyValue("dev")})}
    checked = asyncio.run(provider.check(CheckRequest(urn, {}, news, b"")))
    assert not checked.failures, checked.failures
    old = {**news, "vpcId": PropertyValue("vpc-1")}
    diff = asyncio.run(provider.diff(DiffRequest(urn, "vpc-1", old, checked.inputs, [])))
    assert diff.changes is False, diff
    print(sorted(m for m in ("boto3", "botocore.parsers", "botocore.client", "botocore.session") if m in sys.modules))
    """
)


def test_check_and_diff_do_not_import_boto3() -> None:
    done = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"
