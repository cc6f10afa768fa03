"""Network ACLs: ``egov:ec2:NetworkAcl`` (with its subnet associations) and ``egov:ec2:NetworkAclEntry``.

A subnet always belongs to exactly one network ACL. Associating a subnet with an ACL
therefore *moves* it (ReplaceNetworkAclAssociation on the subnet's current association),
and dropping it from ``subnetIds`` (or deleting the ACL) moves it back to the VPC's
default ACL.

An entry is identified by (ACL, direction, rule number): those replace it; protocol,
action, CIDR block, ports and ICMP type/code change in place with ReplaceNetworkAclEntry.
Its Pulumi id is ``<acl id>:<ingress|egress>:<rule number>`` (also the import id).

Moto 5.2.5 gaps, worked around here:

* DescribeNetworkAcls answers an unknown ACL id with ``InvalidRouteTableID.NotFound``
  instead of ``InvalidNetworkAclID.NotFound``; both mean "gone".
* DeleteNetworkAclEntry on an entry that does not exist fails with an internal error
  (an uncaught StopIteration) instead of ``InvalidNetworkAclEntry.NotFound``, so delete
  looks the entry up first.
* ICMP type/code are dropped by Create/ReplaceNetworkAclEntry (moto reads the wrong
  parameter names) and never returned. When an icmp entry comes back without
  ``IcmpTypeCode``, read keeps the values from the state; on import they are unknown and
  must be filled in by hand.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from infra.provider import tags as tagging
from infra.provider.ec2 import (
    Ec2Handler,
    delete_with_grace,
    describe_one,
    ec2_arn,
    ec2_filter,
    enum_failures,
    id_failures,
    id_list_failures,
    ipv4_cidr_problem,
    order_like,
    tag_specifications,
    tagged_identity,
    vpc_property,
)
from infra.provider.errors import ApiError, ProviderError
from infra.provider.handler import (
    CloudHandler,
    CreateResult,
    Failure,
    HandlerContext,
    Lookup,
    PropertySpec,
    is_unknown,
    range_failures,
)

NETWORK_ACL_TYPE = "egov:ec2:NetworkAcl"
NETWORK_ACL_ENTRY_TYPE = "egov:ec2:NetworkAclEntry"
ACL_NOT_FOUND = ("InvalidNetworkAclID.NotFound", "InvalidRouteTableID.NotFound")
ENTRY_NOT_FOUND = ("InvalidNetworkAclEntry.NotFound", *ACL_NOT_FOUND)
PROTOCOLS = {"tcp": "6", "udp": "17", "icmp": "1", "-1": "-1"}
PROTOCOL_NAMES = {number: name for name, number in PROTOCOLS.items()}
ACTIONS = ("allow", "deny")
MIN_RULE, MAX_RULE = 1, 32766


# -- egov:ec2:NetworkAcl ---------------------------------------------------------------------------------


class NetworkAclHandler(Ec2Handler):
    """A network ACL of a VPC and the subnets that use it; vpcId replaces, the rest is in place."""

    type_token = NETWORK_ACL_TYPE
    description = "A network ACL of a VPC, with the subnets associated with it."
    noun = "network ACL"
    outputs_after_tag_sync = True
    lookup = Lookup("describe_network_acls", "NetworkAclIds", "NetworkAcls", "NetworkAclId", ACL_NOT_FOUND)
    unordered = ("subnetIds",)
    default_grace_seconds = 30.0
    properties = (
        vpc_property("ACL"),
        PropertySpec(
            "subnetIds",
            "array",
            "Subnets that use this ACL; a subnet removed from the list goes back to the VPC's default ACL.",
            default=[],
            item_type="string",
        ),
        *tagged_identity("ACL", "networkAclId"),
    )

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        failures = id_failures(inputs, "vpcId", "vpc")
        failures += id_list_failures(inputs, "subnetIds", "subnet")
        failures += tagging.validate_tags(inputs.get("tags"))
        return failures

    def _outputs(self, ctx: HandlerContext, item: dict[str, Any], reference: Mapping[str, Any]) -> dict[str, Any]:
        acl_id = str(item["NetworkAclId"])
        owner = str(item.get("OwnerId") or "") or None
        subnets = [str(a["SubnetId"]) for a in item.get("Associations", []) or [] if a.get("SubnetId")]
        return {
            "vpcId": item.get("VpcId"),
            "subnetIds": order_like(subnets, reference.get("subnetIds")),
            "tags": tagging.from_aws(item.get("Tags")),
            "networkAclId": acl_id,
            "arn": ec2_arn(ctx, "network-acl", acl_id, owner),
            "ownerId": owner,
        }

    def create(self, ctx: HandlerContext, inputs: dict[str, Any]) -> CreateResult:
        response = ctx.call(
            "ec2",
            "create_network_acl",
            VpcId=inputs["vpcId"],
            TagSpecifications=tag_specifications(ctx, "network-acl", inputs.get("tags")),
        )
        acl_id = str(response["NetworkAcl"]["NetworkAclId"])

        def move_subnets() -> None:
            self._move(ctx, [str(s) for s in inputs.get("subnetIds") or []], acl_id)

        return self.finish_create(ctx, acl_id, inputs, move_subnets)

    def _move(self, ctx: HandlerContext, subnet_ids: list[str], acl_id: str) -> None:
        """Point each subnet's (only) ACL association at ``acl_id``; one lookup finds them all."""
        if not subnet_ids:
            return
        acls = ctx.collect(
            "ec2", "describe_network_acls", "NetworkAcls", Filters=[ec2_filter("association.subnet-id", *subnet_ids)]
        )
        current: dict[str, tuple[str, str]] = {}
        for acl in acls:
            for association in acl.get("Associations", []) or []:
                subnet_id = association.get("SubnetId")
                if subnet_id in subnet_ids:
                    current[subnet_id] = (str(acl.get("NetworkAclId")), str(association["NetworkAclAssociationId"]))
        for subnet_id in subnet_ids:
            if subnet_id not in current:
                raise ProviderError(
                    f"{ctx.resource}: subnet {subnet_id} has no network ACL association to move to {acl_id}; "
                    "does the subnet exist?"
                )
            owner, association_id = current[subnet_id]
            if owner != acl_id:
                ctx.call(
                    "ec2", "replace_network_acl_association", AssociationId=association_id, NetworkAclId=acl_id
                )

    def _default_acl(self, ctx: HandlerContext, vpc_id: str) -> str:
        acls = ctx.collect(
            "ec2",
            "describe_network_acls",
            "NetworkAcls",
            Filters=[ec2_filter("vpc-id", vpc_id), ec2_filter("default", "true")],
        )
        if not acls:
            raise ProviderError(f"{ctx.resource}: VPC {vpc_id} has no default network ACL to return subnets to")
        return str(acls[0]["NetworkAclId"])

    def read_reference(self, state: dict[str, Any], inputs: dict[str, Any]) -> Mapping[str, Any]:
        return {"subnetIds": state.get("subnetIds") or inputs.get("subnetIds")}

    def apply_update(self, ctx: HandlerContext, resource_id: str, live: dict[str, Any], news: dict[str, Any]) -> None:
        wanted = [str(s) for s in news.get("subnetIds") or []]
        self._move(ctx, [s for s in wanted if s not in live["subnetIds"]], resource_id)
        leaving = [s for s in live["subnetIds"] if s not in wanted]
        if leaving:
            self._move(ctx, leaving, self._default_acl(ctx, str(live["vpcId"])))

    def delete(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any]) -> None:
        live = self._describe(ctx, resource_id, {})
        if live is None:
            return
        if live["subnetIds"]:
            self._move(ctx, list(live["subnetIds"]), self._default_acl(ctx, str(live["vpcId"])))
        delete_with_grace(
            ctx,
            lambda: ctx.call("ec2", "delete_network_acl", NetworkAclId=resource_id),
            not_found=ACL_NOT_FOUND,
            grace_seconds=self.dependency_grace_seconds,
            what=f"network ACL {resource_id}",
        )


# -- egov:ec2:NetworkAclEntry -------------------------------------------------------------------------------


def entry_id(acl_id: str, egress: bool, rule_number: int) -> str:
    return f"{acl_id}:{'egress' if egress else 'ingress'}:{rule_number}"


def parse_entry_id(resource_id: str) -> tuple[str, bool, int] | None:
    """(ACL id, egress, rule number) from ``acl-...:ingress|egress:N``; None if malformed."""
    parts = resource_id.split(":")
    if len(parts) != 3 or not parts[0].startswith("acl-") or parts[1] not in ("ingress", "egress"):
        return None
    if not parts[2].isdigit():
        return None
    return parts[0], parts[1] == "egress", int(parts[2])


def entry_failures(inputs: Mapping[str, Any]) -> list[Failure]:
    """Rule number range, and which of ports / ICMP type+code the protocol needs."""
    failures = range_failures(inputs, "ruleNumber", MIN_RULE, MAX_RULE)
    protocol = inputs.get("protocol")
    if not isinstance(protocol, str) or protocol not in PROTOCOLS:
        return failures
    ports = (("fromPort", inputs.get("fromPort")), ("toPort", inputs.get("toPort")))
    icmp = (("icmpType", inputs.get("icmpType")), ("icmpCode", inputs.get("icmpCode")))
    uses_ports = protocol in ("tcp", "udp")
    for name, value in ports if not uses_ports else ():
        if value is not None:
            failures.append(Failure(name, f"{name} only applies to tcp and udp, not protocol {protocol!r}"))
    for name, value in icmp if protocol != "icmp" else ():
        if value is not None:
            failures.append(Failure(name, f"{name} only applies to protocol 'icmp', not {protocol!r}"))
    needed = ports if uses_ports else icmp if protocol == "icmp" else ()
    for name, value in needed:
        if value is None:
            hint = "a port 0-65535" if uses_ports else "-1 for all"
            failures.append(Failure(name, f"protocol {protocol!r} needs {name} ({hint})"))
    numbers = [(name, value) for name, value in needed if isinstance(value, int) and not is_unknown(value)]
    if failures or len(numbers) != len(needed):
        return failures
    low_limit, high_limit, what = (
        (0, 65535, "a port (0-65535)") if uses_ports else (-1, 255, "an ICMP type/code (-1 to 255)")
    )
    for name, value in numbers:
        if not low_limit <= value <= high_limit:
            failures.append(Failure(name, f"{name} {value} is not {what}"))
    if uses_ports and not failures and numbers[0][1] > numbers[1][1]:
        failures.append(Failure("fromPort", f"fromPort {numbers[0][1]} is greater than toPort {numbers[1][1]}"))
    return failures


def entry_params(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """Parameters of CreateNetworkAclEntry / ReplaceNetworkAclEntry for ``inputs``."""
    params: dict[str, Any] = {
        "NetworkAclId": inputs["networkAclId"],
        "RuleNumber": inputs["ruleNumber"],
        "Egress": bool(inputs.get("egress", False)),
        "Protocol": PROTOCOLS[inputs["protocol"]],
        "RuleAction": inputs["ruleAction"],
        "CidrBlock": inputs["cidrBlock"],
    }
    if inputs["protocol"] in ("tcp", "udp"):
        params["PortRange"] = {"From": inputs["fromPort"], "To": inputs["toPort"]}
    elif inputs["protocol"] == "icmp":
        params["IcmpTypeCode"] = {"Type": inputs["icmpType"], "Code": inputs["icmpCode"]}
    return params


def entry_outputs(acl_id: str, entry: Mapping[str, Any], state: Mapping[str, Any]) -> dict[str, Any]:
    protocol = PROTOCOL_NAMES.get(str(entry.get("Protocol")), str(entry.get("Protocol")))
    outputs: dict[str, Any] = {
        "networkAclId": acl_id,
        "ruleNumber": int(entry["RuleNumber"]),
        "egress": bool(entry.get("Egress")),
        "protocol": protocol,
        "ruleAction": entry.get("RuleAction"),
        "cidrBlock": entry.get("CidrBlock"),
        "fromPort": None,
        "toPort": None,
        "icmpType": None,
        "icmpCode": None,
    }
    if protocol in ("tcp", "udp"):
        port_range = entry.get("PortRange") or {}
        outputs["fromPort"], outputs["toPort"] = port_range.get("From"), port_range.get("To")
    elif protocol == "icmp":
        icmp = entry.get("IcmpTypeCode")
        if icmp:
            outputs["icmpType"], outputs["icmpCode"] = icmp.get("Type"), icmp.get("Code")
        else:  # moto gap (module doc)
            outputs["icmpType"], outputs["icmpCode"] = state.get("icmpType"), state.get("icmpCode")
    return outputs


class NetworkAclEntryHandler(CloudHandler):
    """One numbered allow/deny entry of a network ACL (see the module doc for what replaces)."""

    type_token = NETWORK_ACL_ENTRY_TYPE
    description = "One numbered rule of a network ACL."
    noun = "network ACL entry"
    properties = (
        PropertySpec(
            "networkAclId",
            "string",
            "The ACL. Changing it replaces the entry.",
            required=True,
            replace_on_change=True,
        ),
        PropertySpec(
            "ruleNumber",
            "integer",
            f"Evaluation order, {MIN_RULE}-{MAX_RULE} (lowest first). Changing it replaces the entry.",
            required=True,
            replace_on_change=True,
        ),
        PropertySpec(
            "egress",
            "boolean",
            "Outbound (true) or inbound (false). Changing it replaces the entry.",
            default=False,
            replace_on_change=True,
        ),
        PropertySpec("protocol", "string", "tcp, udp, icmp or -1 (all).", required=True),
        PropertySpec("ruleAction", "string", "allow or deny.", required=True),
        PropertySpec("cidrBlock", "string", "The IPv4 network the entry matches.", required=True),
        PropertySpec("fromPort", "integer", "First port (tcp/udp only)."),
        PropertySpec("toPort", "integer", "Last port (tcp/udp only)."),
        PropertySpec("icmpType", "integer", "ICMP type, -1 for all (icmp only)."),
        PropertySpec("icmpCode", "integer", "ICMP code, -1 for all (icmp only)."),
    )

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        failures = id_failures(inputs, "networkAclId", "acl")
        failures += enum_failures(inputs, "protocol", PROTOCOLS)
        failures += enum_failures(inputs, "ruleAction", ACTIONS)
        cidr = inputs.get("cidrBlock")
        if isinstance(cidr, str):
            problem = ipv4_cidr_problem("cidrBlock", cidr)
            if problem:
                failures.append(Failure("cidrBlock", problem))
        failures += entry_failures(inputs)
        return failures

    def _entry(self, ctx: HandlerContext, acl_id: str, egress: bool, number: int) -> dict[str, Any] | None:
        acl = describe_one(ctx, "describe_network_acls", "NetworkAcls", ACL_NOT_FOUND, NetworkAclIds=[acl_id])
        if acl is None:
            return None
        for entry in acl.get("Entries", []) or []:
            if bool(entry.get("Egress")) == egress and int(entry.get("RuleNumber", -1)) == number:
                return dict(entry)
        return None

    def _parse(self, ctx: HandlerContext, resource_id: str) -> tuple[str, bool, int]:
        parsed = parse_entry_id(resource_id)
        if parsed is None:
            raise ProviderError(
                f"{ctx.resource}: {resource_id!r} is not a network ACL entry id; "
                "it is written <acl id>:<ingress|egress>:<rule number>, e.g. acl-0abc:ingress:100"
            )
        return parsed

    def _describe(self, ctx: HandlerContext, resource_id: str, reference: Mapping[str, Any]) -> dict[str, Any] | None:
        acl_id, egress, number = self._parse(ctx, resource_id)
        entry = self._entry(ctx, acl_id, egress, number)
        return entry_outputs(acl_id, entry, reference) if entry is not None else None

    def create(self, ctx: HandlerContext, inputs: dict[str, Any]) -> CreateResult:
        params = entry_params(inputs)
        ctx.call("ec2", "create_network_acl_entry", **params)
        acl_id = str(params.pop("NetworkAclId"))
        resource_id = entry_id(acl_id, bool(params["Egress"]), int(params["RuleNumber"]))
        # CreateNetworkAclEntry answers only "true": the entry is what was sent (check refused anything AWS
        # would store differently), so the outputs come from the request, as a describe would show it.
        return CreateResult(resource_id=resource_id, outputs=entry_outputs(acl_id, params, inputs))

    def apply_update(self, ctx: HandlerContext, resource_id: str, live: dict[str, Any], news: dict[str, Any]) -> None:
        acl_id, _, _ = self._parse(ctx, resource_id)
        ctx.call("ec2", "replace_network_acl_entry", **entry_params({**news, "networkAclId": acl_id}))

    def delete(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any]) -> None:
        acl_id, egress, number = self._parse(ctx, resource_id)
        if self._entry(ctx, acl_id, egress, number) is None:  # moto gap (module doc)
            return
        try:
            ctx.call("ec2", "delete_network_acl_entry", NetworkAclId=acl_id, Egress=egress, RuleNumber=number)
        except ApiError as exc:
            if exc.code not in ENTRY_NOT_FOUND:
                raise
