"""``egov:ec2:FlowLog``: records the IP traffic of a VPC (or subnet, or interface) for audit.

Everything but tags replaces the flow log (AWS cannot change a flow log in place).
CreateFlowLogs reports per-resource failures in ``Unsuccessful`` with an HTTP-200
answer; those are turned into errors naming the resource here, never ignored.

Destinations: ``s3`` takes ``logDestination`` (a bucket ARN, optionally with a folder);
``cloud-watch-logs`` takes ``logGroupName`` or ``logDestination`` (a log group ARN) plus
``deliverLogsPermissionArn`` (the role that writes the logs).

Moto 5.2.5 gaps: an S3 destination must be a bare bucket ARN (moto looks the whole
``<bucket>/<folder>`` up as a bucket name and reports it missing), and DeleteFlowLogs
answers an unknown id with ``InvalidFlowLogId.NotFound`` rather than an
``Unsuccessful`` entry. Both outcomes count as "gone" here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from infra.provider import tags as tagging
from infra.provider.ec2 import Ec2Handler, delete_batch_item, enum_failures, tag_specifications
from infra.provider.errors import ProviderError
from infra.provider.handler import (
    CREATED,
    CreateResult,
    Failure,
    HandlerContext,
    Lookup,
    PropertySpec,
    output,
    tags_property,
)

FLOW_LOG_TYPE = "egov:ec2:FlowLog"
FLOW_LOG_NOT_FOUND = ("InvalidFlowLogId.NotFound",)
RESOURCE_TYPES = {"VPC": "vpc", "Subnet": "subnet", "NetworkInterface": "eni"}
TRAFFIC_TYPES = ("ALL", "ACCEPT", "REJECT")
DESTINATION_TYPES = ("cloud-watch-logs", "s3")
AGGREGATION_INTERVALS = (60, 600)
_DESTINATION = ("logDestinationType", "logDestination", "logGroupName")


class FlowLogHandler(Ec2Handler):
    """A flow log; see the module doc."""

    type_token = FLOW_LOG_TYPE
    description = "A flow log recording a VPC's (subnet's, interface's) IP traffic."
    noun = "flow log"
    lookup = Lookup("describe_flow_logs", "FlowLogIds", "FlowLogs", "FlowLogId", FLOW_LOG_NOT_FOUND)
    unique_together = ("resourceId", *_DESTINATION)  # AWS refuses a second log of one resource to one place
    properties = (
        PropertySpec(
            "resourceId", "string", "What to log (a vpc-, subnet- or eni- id).", required=True, replace_on_change=True
        ),
        PropertySpec(
            "resourceType",
            "string",
            "VPC, Subnet or NetworkInterface (matching resourceId).",
            default="VPC",
            replace_on_change=True,
        ),
        PropertySpec("trafficType", "string", "ALL, ACCEPT or REJECT.", default="ALL", replace_on_change=True),
        PropertySpec(
            "logDestinationType",
            "string",
            "cloud-watch-logs or s3.",
            default="cloud-watch-logs",
            replace_on_change=True,
        ),
        PropertySpec(
            "logDestination",
            "string",
            "ARN of the S3 bucket (s3) or log group (cloud-watch-logs).",
            replace_on_change=True,
        ),
        PropertySpec(
            "logGroupName", "string", "CloudWatch Logs group name (cloud-watch-logs).", replace_on_change=True
        ),
        PropertySpec(
            "deliverLogsPermissionArn",
            "string",
            "IAM role ARN that publishes to CloudWatch Logs (cloud-watch-logs only).",
            replace_on_change=True,
        ),
        PropertySpec(
            "maxAggregationInterval",
            "integer",
            "Seconds per aggregation window: 60 or 600.",
            default=600,
            replace_on_change=True,
        ),
        tags_property("flow log"),
        output("flowLogId", "The flow log's id."),
        output("deliverLogsStatus", "SUCCESS or FAILED, as the cloud last reported."),
    )

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        failures = enum_failures(inputs, "resourceType", RESOURCE_TYPES)
        failures += enum_failures(inputs, "trafficType", TRAFFIC_TYPES)
        failures += enum_failures(inputs, "logDestinationType", DESTINATION_TYPES)
        interval = inputs.get("maxAggregationInterval")
        if isinstance(interval, int) and interval not in AGGREGATION_INTERVALS:
            failures.append(Failure("maxAggregationInterval", f"maxAggregationInterval {interval} must be 60 or 600"))
        resource_id, resource_type = inputs.get("resourceId"), inputs.get("resourceType")
        prefix = RESOURCE_TYPES.get(resource_type) if isinstance(resource_type, str) else None
        if isinstance(resource_id, str) and prefix and not resource_id.startswith(f"{prefix}-"):
            failures.append(
                Failure(
                    "resourceId", f"resourceId {resource_id!r} is not a {prefix}-... id (resourceType {resource_type})"
                )
            )
        failures += destination_failures(inputs)
        failures += tagging.validate_tags(inputs.get("tags"))
        return failures

    def create(self, ctx: HandlerContext, inputs: dict[str, Any]) -> CreateResult:
        params: dict[str, Any] = {
            "ResourceIds": [inputs["resourceId"]],
            "ResourceType": inputs.get("resourceType") or "VPC",
            "TrafficType": inputs.get("trafficType") or "ALL",
            "LogDestinationType": inputs.get("logDestinationType") or "cloud-watch-logs",
            "MaxAggregationInterval": inputs.get("maxAggregationInterval") or 600,
            "TagSpecifications": tag_specifications(ctx, "vpc-flow-log", inputs.get("tags")),
        }
        for name, param in (
            ("logDestination", "LogDestination"),
            ("logGroupName", "LogGroupName"),
            ("deliverLogsPermissionArn", "DeliverLogsPermissionArn"),
        ):
            if inputs.get(name):
                params[param] = inputs[name]
        response = ctx.call("ec2", "create_flow_logs", **params)
        ids = [str(i) for i in response.get("FlowLogIds") or []]
        problems = [
            f"{(u.get('Error') or {}).get('Code')}: {(u.get('Error') or {}).get('Message')} ({u.get('ResourceId')})"
            for u in response.get("Unsuccessful") or []
        ]
        if problems or len(ids) != 1:
            for flow_log_id in ids:  # nothing half-created: one resource id was asked for
                self.delete(ctx, flow_log_id, {})
            raise ProviderError(
                f"{ctx.resource}: ec2:CreateFlowLogs did not create the flow log for {inputs['resourceId']}: "
                + ("; ".join(problems) or f"it returned {len(ids)} flow log ids")
            )
        flow_log_id = ids[0]
        return CreateResult(resource_id=flow_log_id, outputs=self.described(ctx, flow_log_id, inputs, CREATED))

    def _outputs(self, ctx: HandlerContext, flow_log: dict[str, Any], reference: Mapping[str, Any]) -> dict[str, Any]:
        resource_id = str(flow_log.get("ResourceId") or "")
        destination_type = flow_log.get("LogDestinationType") or "cloud-watch-logs"
        destination, group = flow_log.get("LogDestination"), flow_log.get("LogGroupName")
        if destination_type == "cloud-watch-logs" and destination and group:
            # AWS reports both for a log group; keep the form the program used (the name on import).
            if reference.get("logDestination") and not reference.get("logGroupName"):
                group = None
            else:
                destination = None
        return {
            "resourceId": resource_id,
            "resourceType": resource_type_of(resource_id, reference.get("resourceType")),
            "trafficType": flow_log.get("TrafficType"),
            "logDestinationType": destination_type,
            "logDestination": destination,
            "logGroupName": group,
            "deliverLogsPermissionArn": flow_log.get("DeliverLogsPermissionArn"),
            "maxAggregationInterval": flow_log.get("MaxAggregationInterval", 600),
            "tags": tagging.from_aws(flow_log.get("Tags")),
            "flowLogId": str(flow_log["FlowLogId"]),
            "deliverLogsStatus": flow_log.get("DeliverLogsStatus"),
        }

    def delete(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any]) -> None:
        delete_batch_item(ctx, "delete_flow_logs", FLOW_LOG_NOT_FOUND, FlowLogIds=[resource_id])


def resource_type_of(resource_id: str, reference: Any) -> str:
    """The resourceType of an id (DescribeFlowLogs does not return it)."""
    for resource_type, prefix in RESOURCE_TYPES.items():
        if resource_id.startswith(f"{prefix}-"):
            return resource_type
    return str(reference or "VPC")


def destination_failures(inputs: Mapping[str, Any]) -> list[Failure]:
    """Which destination properties each logDestinationType needs or refuses."""
    kind = inputs.get("logDestinationType")
    destination, group = inputs.get("logDestination"), inputs.get("logGroupName")
    role = inputs.get("deliverLogsPermissionArn")
    failures: list[Failure] = []
    if kind == "s3":
        if destination is None:
            failures.append(Failure("logDestination", "an s3 flow log needs logDestination: the bucket's ARN"))
        elif isinstance(destination, str) and not (destination.startswith("arn:") and ":s3:::" in destination):
            failures.append(
                Failure(
                    "logDestination", f"logDestination {destination!r} is not an S3 bucket ARN (arn:...:s3:::bucket)"
                )
            )
        if group is not None:
            failures.append(Failure("logGroupName", "logGroupName only applies to cloud-watch-logs flow logs"))
        if role is not None:
            failures.append(
                Failure("deliverLogsPermissionArn", "deliverLogsPermissionArn only applies to cloud-watch-logs")
            )
    elif kind == "cloud-watch-logs":
        if destination is None and group is None:
            failures.append(
                Failure("logGroupName", "a cloud-watch-logs flow log needs logGroupName or logDestination (its ARN)")
            )
        elif destination is not None and group is not None:
            failures.append(Failure("logGroupName", "set only one of logGroupName and logDestination"))
        if isinstance(destination, str) and ":logs:" not in destination:
            failures.append(
                Failure("logDestination", f"logDestination {destination!r} is not a CloudWatch Logs log group ARN")
            )
        if role is None:
            failures.append(
                Failure(
                    "deliverLogsPermissionArn",
                    "a cloud-watch-logs flow log needs deliverLogsPermissionArn: the role that publishes the logs",
                )
            )
    if isinstance(role, str) and not role.startswith("arn:"):
        failures.append(Failure("deliverLogsPermissionArn", f"deliverLogsPermissionArn {role!r} is not an ARN"))
    return failures
