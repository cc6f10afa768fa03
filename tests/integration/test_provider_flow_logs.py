"""``egov:ec2:FlowLog`` against a real moto server.

The handlers are driven directly, as the engine would (check, create, read, diff, update,
delete); everything they claim is verified with plain boto3 (``moto_ec2``), and drift is made
with boto3. Shared fixtures (the module's moto server, a VPC, two subnets) are in conftest.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import pytest

from infra.provider.ec2_flowlogs import FlowLogHandler
from infra.provider.errors import ProviderError
from infra.provider.handler import HandlerContext, ResourceHandler
from tests.integration.provider_checks import REGION, checked_inputs, lifecycle_tail, user_tags

pytestmark = [pytest.mark.integration, pytest.mark.usefixtures("moto_credentials")]


# -- flow logs ---------------------------------------------------------------------------------------------------------


def test_flow_logs(
    context: Callable[[ResourceHandler], HandlerContext], moto_ec2: Any, vpc: str, moto_aws: Callable[[str], Any]
) -> None:
    handler = FlowLogHandler()
    s3 = moto_aws("s3")
    bucket = f"flow-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})

    ctx = context(handler)
    inputs = checked_inputs(
        handler,
        ctx,
        resourceId=vpc,
        logDestinationType="s3",
        logDestination=f"arn:aws-cn:s3:::{bucket}",
        tags={"audit": "mlps3"},
    )
    created = handler.create(ctx, inputs)
    flow_log_id = created.resource_id
    flow_log = moto_ec2.describe_flow_logs(FlowLogIds=[flow_log_id])["FlowLogs"][0]
    assert (flow_log["ResourceId"], flow_log["TrafficType"], flow_log["LogDestination"]) == (
        vpc,
        "ALL",
        f"arn:aws-cn:s3:::{bucket}",
    )
    assert user_tags(flow_log) == {"audit": "mlps3"}
    assert {k: created.outputs[k] for k in inputs} == inputs

    updated = handler.update(ctx, flow_log_id, created.outputs, {**inputs, "tags": {"audit": "pipl"}})
    assert user_tags(moto_ec2.describe_flow_logs(FlowLogIds=[flow_log_id])["FlowLogs"][0]) == {"audit": "pipl"}
    diff = handler.diff(ctx, flow_log_id, updated, {**inputs, "trafficType": "REJECT"})
    assert diff.replaces == ["trafficType"] and diff.delete_before_replace is True
    lifecycle_tail(handler, ctx, flow_log_id, updated)

    cw_ctx = context(handler)
    role = "arn:aws-cn:iam::123456789012:role/flow-logs"
    cw = handler.create(
        cw_ctx,
        checked_inputs(handler, cw_ctx, resourceId=vpc, logGroupName="/egov/flow", deliverLogsPermissionArn=role),
    )
    assert moto_ec2.describe_flow_logs(FlowLogIds=[cw.resource_id])["FlowLogs"][0]["LogGroupName"] == "/egov/flow"
    assert cw.outputs["logDestinationType"] == "cloud-watch-logs" and cw.outputs["logDestination"] is None
    moto_ec2.delete_flow_logs(FlowLogIds=[cw.resource_id])  # drift: gone
    assert handler.read(cw_ctx, cw.resource_id, cw.outputs, {}).resource_id is None
    handler.delete(cw_ctx, cw.resource_id, cw.outputs)

    bad_ctx = context(handler)
    before = len(moto_ec2.describe_flow_logs()["FlowLogs"])
    with pytest.raises(ProviderError) as raised:
        handler.create(
            bad_ctx,
            checked_inputs(
                handler,
                bad_ctx,
                resourceId=vpc,
                logDestinationType="s3",
                logDestination="arn:aws-cn:s3:::no-such-bucket",
            ),
        )
    assert str(raised.value).startswith(f"{bad_ctx.resource}: ec2:CreateFlowLogs did not create the flow log")
    assert "no-such-bucket" in str(raised.value)
    assert len(moto_ec2.describe_flow_logs()["FlowLogs"]) == before
