"""``egov:ec2:VpcEndpoint``: private access from a VPC to a cloud service (S3, KMS, logs...).

vpcId, serviceName and vpcEndpointType replace the endpoint; route tables (Gateway),
subnets and security groups (Interface), private DNS (Interface) and the policy change in
place with ModifyVpcEndpoint. The policy is compared as JSON, so reformatting it is not a
change, and AWS's default full-access policy reads back as "no policy".

Moto 5.2.5 gaps:

* ModifyVpcEndpoint ignores ``PrivateDnsEnabled`` and ``ResetPolicy``. Removing the
  policy therefore sends AWS's default full-access document explicitly (the same result
  on AWS), and an update that changes private DNS verifies the outcome and fails clearly
  when the cloud did not apply it.
* Route tables added or removed with ModifyVpcEndpoint do not get/lose the endpoint's
  prefix-list routes, and DeleteVpcEndpoints then fails with ``InvalidRoute.NotFound`` on
  a table added later. Delete therefore first detaches every route table
  (RemoveRouteTableIds, which AWS also accepts and which removes the routes there) and
  then deletes the endpoint. On moto, routes the endpoint added at creation can stay
  behind in tables that are themselves being deleted; ``RouteTable`` ignores
  prefix-list routes, so they are invisible to Pulumi.
* DeleteVpcEndpoints keeps the endpoint listed with state ``deleted``, which read
  treats as gone (AWS does the same for a while).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from infra.provider import tags as tagging
from infra.provider.ec2 import (
    Ec2Handler,
    delete_batch_item,
    enum_failures,
    id_failures,
    id_list_failures,
    order_like,
    tag_specifications,
    vpc_property,
)
from infra.provider.errors import ProviderError
from infra.provider.handler import (
    CreateResult,
    Failure,
    HandlerContext,
    Lookup,
    PropertySpec,
    is_unknown,
    output,
    tags_property,
)

VPC_ENDPOINT_TYPE = "egov:ec2:VpcEndpoint"
ENDPOINT_NOT_FOUND = ("InvalidVpcEndpointId.NotFound", "InvalidVpcEndpoint.NotFound")
ENDPOINT_TYPES = ("Gateway", "Interface")
GONE_STATES = ("deleted", "deleting", "rejected", "failed", "expired")
DEFAULT_POLICY: dict[str, Any] = {
    "Version": "2008-10-17",
    "Statement": [{"Effect": "Allow", "Principal": "*", "Action": "*", "Resource": "*"}],
}
_LISTS = ("routeTableIds", "subnetIds", "securityGroupIds")


def parse_policy(text: Any) -> Any:
    """The policy as JSON data, or None when it is not a JSON string."""
    if not isinstance(text, str):
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def is_default_policy(document: Any) -> bool:
    """AWS's full-access default (the Version may read 2008-10-17 or 2012-10-17)."""
    if not isinstance(document, Mapping):
        return False
    return list(document.get("Statement") or []) == DEFAULT_POLICY["Statement"] and set(document) <= {
        "Version",
        "Statement",
    }


def policy_key(text: Any) -> Any:
    """What a policy means: None for "no policy" and for the default, else the parsed document."""
    if text is None:
        return None
    document = parse_policy(text)
    if document is None:
        return text
    return None if is_default_policy(document) else document


def policy_from_aws(live: Any, reference: Any) -> str | None:
    """The policy to report: None for the default, the program's own text when equal as JSON."""
    document = parse_policy(live)
    if document is None or is_default_policy(document):
        return None
    if parse_policy(reference) == document:
        return str(reference)
    return str(live)


class VpcEndpointHandler(Ec2Handler):
    """A Gateway or Interface VPC endpoint (see the module doc)."""

    type_token = VPC_ENDPOINT_TYPE
    description = "A VPC endpoint: private access from a VPC to a cloud service."
    noun = "VPC endpoint"
    lookup = Lookup("describe_vpc_endpoints", "VpcEndpointIds", "VpcEndpoints", "VpcEndpointId", ENDPOINT_NOT_FOUND)
    unordered = _LISTS
    unique_together = ("vpcId", "serviceName")  # one endpoint per service and VPC (route tables, private DNS)
    properties = (
        vpc_property("endpoint"),
        PropertySpec(
            "serviceName",
            "string",
            "The service, e.g. com.amazonaws.cn-north-1.s3. Changing it replaces the endpoint.",
            required=True,
            replace_on_change=True,
        ),
        PropertySpec(
            "vpcEndpointType",
            "string",
            "Gateway or Interface. Changing it replaces the endpoint.",
            default="Gateway",
            replace_on_change=True,
        ),
        PropertySpec(
            "routeTableIds",
            "array",
            "Route tables that get the service's routes (Gateway).",
            default=[],
            item_type="string",
        ),
        PropertySpec(
            "subnetIds",
            "array",
            "Subnets that get an endpoint interface (Interface).",
            default=[],
            item_type="string",
        ),
        PropertySpec(
            "securityGroupIds",
            "array",
            "Security groups of the endpoint interfaces (Interface).",
            default=[],
            item_type="string",
        ),
        PropertySpec(
            "privateDnsEnabled",
            "boolean",
            "Resolve the service's public DNS name to the endpoint (Interface).",
            default=False,
        ),
        PropertySpec("policy", "string", "Endpoint policy (JSON). Unset means AWS's default full-access policy."),
        tags_property("endpoint"),
        output("vpcEndpointId", "The endpoint's id."),
        output("state", "The endpoint's state (available, pending...)."),
        output("networkInterfaceIds", "Interfaces AWS made for an Interface endpoint.", "array", item_type="string"),
        output("dnsNames", "DNS names of an Interface endpoint.", "array", item_type="string"),
        output("ownerId", "The account that owns the endpoint."),
    )

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        failures = id_failures(inputs, "vpcId", "vpc")
        failures += enum_failures(inputs, "vpcEndpointType", ENDPOINT_TYPES)
        failures += id_list_failures(inputs, "routeTableIds", "rtb")
        failures += id_list_failures(inputs, "subnetIds", "subnet")
        failures += id_list_failures(inputs, "securityGroupIds", "sg")
        kind = inputs.get("vpcEndpointType")
        if kind == "Gateway":
            for name in ("subnetIds", "securityGroupIds"):
                if inputs.get(name):
                    failures.append(Failure(name, f"{name} only applies to Interface endpoints; use routeTableIds"))
            if inputs.get("privateDnsEnabled") is True:
                failures.append(Failure("privateDnsEnabled", "privateDnsEnabled only applies to Interface endpoints"))
        elif kind == "Interface" and inputs.get("routeTableIds"):
            failures.append(Failure("routeTableIds", "routeTableIds only applies to Gateway endpoints; use subnetIds"))
        policy = inputs.get("policy")
        if isinstance(policy, str):
            document = parse_policy(policy)
            if not isinstance(document, Mapping):
                failures.append(Failure("policy", "policy must be a JSON object (an IAM policy document)"))
        failures += tagging.validate_tags(inputs.get("tags"))
        return failures

    def aligned_state(self, old_state: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        """Also the policy: the program's text where it means the same as the state's."""
        aligned = super().aligned_state(old_state, news)
        new_policy = news.get("policy")
        if not is_unknown(new_policy) and policy_key(aligned.get("policy")) == policy_key(new_policy):
            aligned = {**aligned, "policy": new_policy}
        return aligned

    def create(self, ctx: HandlerContext, inputs: dict[str, Any]) -> CreateResult:
        kind = inputs.get("vpcEndpointType") or "Gateway"
        params: dict[str, Any] = {
            "VpcId": inputs["vpcId"],
            "ServiceName": inputs["serviceName"],
            "VpcEndpointType": kind,
            "TagSpecifications": tag_specifications(ctx, "vpc-endpoint", inputs.get("tags")),
        }
        if kind == "Gateway":
            params["RouteTableIds"] = list(inputs.get("routeTableIds") or [])
        else:
            params["SubnetIds"] = list(inputs.get("subnetIds") or [])
            params["SecurityGroupIds"] = list(inputs.get("securityGroupIds") or [])
            params["PrivateDnsEnabled"] = bool(inputs.get("privateDnsEnabled", False))
        if inputs.get("policy"):
            params["PolicyDocument"] = inputs["policy"]
        endpoint_id = str(ctx.call("ec2", "create_vpc_endpoint", **params)["VpcEndpoint"]["VpcEndpointId"])
        return self.finish_create(ctx, endpoint_id, inputs, lambda: self._wait_available(ctx, endpoint_id))

    def _get(self, ctx: HandlerContext, endpoint_id: str) -> dict[str, Any] | None:
        """The endpoint, or None when it is gone (its states are spelt in either case)."""
        endpoint = super()._get(ctx, endpoint_id)
        if endpoint is None or str(endpoint.get("State", "")).lower() in GONE_STATES:
            return None
        return endpoint

    def _wait_available(self, ctx: HandlerContext, endpoint_id: str) -> None:
        def ready() -> bool:
            endpoint = self._get(ctx, endpoint_id)
            if endpoint is None:
                raise ProviderError(f"{ctx.resource}: VPC endpoint {endpoint_id} failed or vanished while starting")
            state = str(endpoint.get("State", "")).lower()
            if state == "pendingacceptance":
                raise ProviderError(
                    f"{ctx.resource}: VPC endpoint {endpoint_id} waits for the service owner to accept it"
                )
            return state == "available"

        ctx.wait_until(f"VPC endpoint {endpoint_id} to become available", ready)

    def _outputs(self, ctx: HandlerContext, endpoint: dict[str, Any], reference: Mapping[str, Any]) -> dict[str, Any]:
        kind = str(endpoint.get("VpcEndpointType") or "Gateway")
        interface = kind.lower() == "interface"
        groups = [str(g["GroupId"]) for g in endpoint.get("Groups", []) or []]
        return {
            "vpcId": endpoint.get("VpcId"),
            "serviceName": endpoint.get("ServiceName"),
            "vpcEndpointType": kind,
            "routeTableIds": order_like(map(str, endpoint.get("RouteTableIds") or []), reference.get("routeTableIds")),
            "subnetIds": order_like(map(str, endpoint.get("SubnetIds") or []), reference.get("subnetIds")),
            "securityGroupIds": order_like(groups, reference.get("securityGroupIds")),
            # Not applicable to Gateway endpoints (moto reports true there): false, as the default.
            "privateDnsEnabled": bool(endpoint.get("PrivateDnsEnabled")) if interface else False,
            "policy": policy_from_aws(endpoint.get("PolicyDocument"), reference.get("policy")),
            "tags": tagging.from_aws(endpoint.get("Tags")),
            "vpcEndpointId": str(endpoint["VpcEndpointId"]),
            "state": endpoint.get("State"),
            "networkInterfaceIds": [str(n) for n in endpoint.get("NetworkInterfaceIds") or []],
            "dnsNames": [str(d["DnsName"]) for d in endpoint.get("DnsEntries") or [] if d.get("DnsName")],
            "ownerId": endpoint.get("OwnerId"),
        }

    def find_owned(self, ctx: HandlerContext, urn_prefix: str) -> dict[str, str]:
        found = super().find_owned(ctx, urn_prefix)
        return {i: urn for i, urn in found.items() if self._get(ctx, i) is not None}

    def apply_update(self, ctx: HandlerContext, resource_id: str, live: dict[str, Any], news: dict[str, Any]) -> None:
        params: dict[str, Any] = {}
        for name, add, remove in (
            ("routeTableIds", "AddRouteTableIds", "RemoveRouteTableIds"),
            ("subnetIds", "AddSubnetIds", "RemoveSubnetIds"),
            ("securityGroupIds", "AddSecurityGroupIds", "RemoveSecurityGroupIds"),
        ):
            wanted = [str(i) for i in news.get(name) or []]
            have = list(live[name])
            if [i for i in wanted if i not in have]:
                params[add] = [i for i in wanted if i not in have]
            if [i for i in have if i not in wanted]:
                params[remove] = [i for i in have if i not in wanted]
        wanted_policy = news.get("policy")
        if policy_key(wanted_policy) != policy_key(live["policy"]):
            params["PolicyDocument"] = wanted_policy or json.dumps(DEFAULT_POLICY)
        wanted_dns = bool(news.get("privateDnsEnabled", False))
        if _is_interface(live) and wanted_dns != live["privateDnsEnabled"]:
            params["PrivateDnsEnabled"] = wanted_dns
        if params:
            ctx.call("ec2", "modify_vpc_endpoint", VpcEndpointId=resource_id, **params)

    def update(
        self, ctx: HandlerContext, resource_id: str, old_state: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        outputs = super().update(ctx, resource_id, old_state, news)
        wanted_dns = bool(news.get("privateDnsEnabled", False))
        if _is_interface(outputs) and outputs["privateDnsEnabled"] != wanted_dns:
            raise ProviderError(
                f"{ctx.resource}: the cloud accepted ModifyVpcEndpoint(PrivateDnsEnabled={wanted_dns}) for "
                f"{resource_id} but the endpoint still reports privateDnsEnabled={outputs['privateDnsEnabled']} "
                "(moto 5.2.5 ignores this setting); replace the endpoint to change it there"
            )
        return outputs

    def delete(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any]) -> None:
        endpoint = self._get(ctx, resource_id)
        if endpoint is None:
            return
        tables = [str(t) for t in endpoint.get("RouteTableIds") or []]
        if tables:  # moto gap (module doc); also valid on AWS
            ctx.call("ec2", "modify_vpc_endpoint", VpcEndpointId=resource_id, RemoveRouteTableIds=tables)
        if delete_batch_item(ctx, "delete_vpc_endpoints", ENDPOINT_NOT_FOUND, VpcEndpointIds=[resource_id]):
            ctx.wait_until(f"VPC endpoint {resource_id} to be deleted", lambda: self._get(ctx, resource_id) is None)


def _is_interface(outputs: Mapping[str, Any]) -> bool:
    return str(outputs["vpcEndpointType"]).lower() == "interface"
