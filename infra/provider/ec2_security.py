"""Security groups: ``egov:ec2:SecurityGroup``, ``egov:ec2:SecurityGroupRule``,
``egov:ec2:DefaultSecurityGroupLockdown`` and ``egov:ec2:SecurityGroupRuleGuard``.

A group created here starts with no rules at all: AWS's default allow-all egress rule is
revoked right after CreateSecurityGroup, so the group allows exactly the
``SecurityGroupRule`` resources declared for it. Each rule is one AWS security group rule
(its id is the ``sgr-...`` id AWS returns), read back with DescribeSecurityGroupRules, so
refresh notices a rule revoked or changed behind Pulumi's back.

``DefaultSecurityGroupLockdown`` empties a VPC's default security group (which AWS creates
allowing all traffic between its members and all egress) and reports the rules it finds
on refresh, so someone re-adding a rule shows up as drift that the next update removes.

``SecurityGroupRuleGuard`` does the same for a group whose rules *are* managed: told the
``sgr-`` ids of the group's SecurityGroupRule resources, it reports every other rule of the
group (one added with the console or boto3, which no resource would ever read) on refresh,
and the next update revokes exactly those.

Moto 5.2.5 gap: DescribeSecurityGroupRules omits ``Description`` for rules that reference
another security group (moto keeps it only in DescribeSecurityGroups' UserIdGroupPairs).
``read`` then takes the description from DescribeSecurityGroups; on AWS the rule carries
it and that fallback is never used.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
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
    tag_specifications,
    tagged_identity,
    vpc_property,
)
from infra.provider.errors import ApiError, ProviderError
from infra.provider.handler import (
    CreateResult,
    Failure,
    HandlerContext,
    Lookup,
    PropertySpec,
    ReadResult,
    ResourceHandler,
    is_unknown,
    output,
    tags_property,
)

SECURITY_GROUP_TYPE = "egov:ec2:SecurityGroup"
SECURITY_GROUP_RULE_TYPE = "egov:ec2:SecurityGroupRule"
LOCKDOWN_TYPE = "egov:ec2:DefaultSecurityGroupLockdown"
GUARD_TYPE = "egov:ec2:SecurityGroupRuleGuard"

GROUP_NOT_FOUND = ("InvalidGroup.NotFound", "InvalidGroupId.NotFound")
RULE_NOT_FOUND = ("InvalidSecurityGroupRuleId.NotFound", "InvalidPermission.NotFound", *GROUP_NOT_FOUND)
DEFAULT_DESCRIPTION = "Managed by Pulumi"
RULE_TYPES = ("ingress", "egress")
PROTOCOLS = ("tcp", "udp", "icmp", "-1")
PROTOCOL_NUMBERS = {"6": "tcp", "17": "udp", "1": "icmp", "all": "-1"}
MAX_TEXT = 255
_TEXT = re.compile(r"[a-zA-Z0-9 ._\-:/()#,@\[\]+=&;{}!$*]*")
_TEXT_RULE = "letters a-z A-Z, digits, spaces and ._-:/()#,@[]+=&;{}!$*"


def text_failures(inputs: Mapping[str, Any], prop: str) -> list[Failure]:
    """AWS's rule for group names and descriptions in a VPC: up to 255 characters from a fixed set."""
    value = inputs.get(prop)
    if not isinstance(value, str):
        return []
    if len(value) > MAX_TEXT:
        return [Failure(prop, f"{prop} is {len(value)} characters long; the limit is {MAX_TEXT}")]
    bad = sorted(set(_TEXT.sub("", value)))
    if bad:
        shown = "".join(bad)
        return [Failure(prop, f"{prop} contains characters AWS does not accept ({shown!r}); use {_TEXT_RULE}")]
    return []


def canonical_protocol(value: Any) -> str:
    text = str(value).lower()
    return PROTOCOL_NUMBERS.get(text, text)


# -- egov:ec2:SecurityGroup --------------------------------------------------------------------------------


class SecurityGroupHandler(Ec2Handler):
    """A VPC security group with no rules of its own; rules are SecurityGroupRule resources."""

    type_token = SECURITY_GROUP_TYPE
    description = "A VPC security group that starts with no rules (AWS's default egress rule is revoked)."
    noun = "security group"
    outputs_after_tag_sync = True
    lookup = Lookup("describe_security_groups", "GroupIds", "SecurityGroups", "GroupId", GROUP_NOT_FOUND)
    unique_together = ("vpcId", "groupName")  # names are unique per VPC
    properties = (
        vpc_property("group"),
        PropertySpec(
            "groupName",
            "string",
            "Name, unique in the VPC. Changing it replaces the group.",
            required=True,
            replace_on_change=True,
        ),
        PropertySpec(
            "description",
            "string",
            "Description. Changing it replaces the group (AWS cannot change it).",
            default=DEFAULT_DESCRIPTION,
            replace_on_change=True,
        ),
        *tagged_identity("group", "groupId"),
    )

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        failures = id_failures(inputs, "vpcId", "vpc")
        name = inputs.get("groupName")
        if isinstance(name, str):
            if not name:
                failures.append(Failure("groupName", "groupName must not be empty"))
            elif name.lower().startswith("sg-"):
                failures.append(Failure("groupName", f"groupName {name!r} must not start with 'sg-' (AWS reserves it)"))
            elif name == "default":
                failures.append(
                    Failure(
                        "groupName",
                        "groupName 'default' is the VPC's own group; lock it down with "
                        f"{LOCKDOWN_TYPE} instead of creating one",
                    )
                )
        failures += text_failures(inputs, "groupName")
        failures += text_failures(inputs, "description")
        failures += tagging.validate_tags(inputs.get("tags"))
        return failures

    def create(self, ctx: HandlerContext, inputs: dict[str, Any]) -> CreateResult:
        response = ctx.call(
            "ec2",
            "create_security_group",
            VpcId=inputs["vpcId"],
            GroupName=inputs["groupName"],
            Description=inputs.get("description") or DEFAULT_DESCRIPTION,
            TagSpecifications=tag_specifications(ctx, "security-group", inputs.get("tags")),
        )
        group_id = str(response["GroupId"])

        def revoke_default_egress() -> None:
            revoke_rules(ctx, group_id, [r for r in group_rules(ctx, group_id) if r.get("IsEgress")])

        return self.finish_create(ctx, group_id, inputs, revoke_default_egress)

    def _outputs(self, ctx: HandlerContext, item: dict[str, Any], reference: Mapping[str, Any]) -> dict[str, Any]:
        group_id = str(item["GroupId"])
        owner = str(item.get("OwnerId") or "") or None
        return {
            "vpcId": item.get("VpcId"),
            "groupName": item.get("GroupName"),
            "description": item.get("Description"),
            "tags": tagging.from_aws(item.get("Tags")),
            "groupId": group_id,
            "arn": ec2_arn(ctx, "security-group", group_id, owner),
            "ownerId": owner,
        }

    def delete(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any]) -> None:
        def blockers() -> list[str]:
            found: list[str] = []
            try:
                for n in ctx.collect(
                    "ec2",
                    "describe_network_interfaces",
                    "NetworkInterfaces",
                    Filters=[ec2_filter("group-id", resource_id)],
                ):
                    found.append(f"network interface {n['NetworkInterfaceId']} ({n.get('Description') or 'in use'})")
                for g in ctx.collect(
                    "ec2",
                    "describe_security_groups",
                    "SecurityGroups",
                    Filters=[ec2_filter("ip-permission.group-id", resource_id)],
                ):
                    if g.get("GroupId") != resource_id:
                        found.append(f"a rule of security group {g['GroupId']} ({g.get('GroupName')})")
            except ProviderError:
                pass
            return found

        delete_with_grace(
            ctx,
            lambda: ctx.call("ec2", "delete_security_group", GroupId=resource_id),
            not_found=GROUP_NOT_FOUND,
            grace_seconds=self.dependency_grace_seconds,
            blockers=blockers,
            what=f"security group {resource_id}",
        )


def group_rules(ctx: HandlerContext, group_id: str) -> list[dict[str, Any]]:
    """Every rule of a group, as DescribeSecurityGroupRules reports them."""
    return ctx.collect(
        "ec2", "describe_security_group_rules", "SecurityGroupRules", Filters=[ec2_filter("group-id", group_id)]
    )


def revoke_rules(ctx: HandlerContext, group_id: str, rules: Iterable[Mapping[str, Any]]) -> None:
    """Revoke rules by id, ingress and egress separately (one call each)."""
    for egress, method in ((False, "revoke_security_group_ingress"), (True, "revoke_security_group_egress")):
        ids = [str(r["SecurityGroupRuleId"]) for r in rules if bool(r.get("IsEgress")) == egress]
        if ids:
            ctx.call("ec2", method, GroupId=group_id, SecurityGroupRuleIds=ids)


# -- egov:ec2:SecurityGroupRule -------------------------------------------------------------------------------

_RULE_IDENTITY = ("securityGroupId", "type", "protocol", "fromPort", "toPort", "cidrIpv4", "referencedSecurityGroupId")


class SecurityGroupRuleHandler(Ec2Handler):
    """One ingress or egress rule of a security group; every property but tags replaces it.

    Ports: tcp/udp need fromPort <= toPort in 0-65535; icmp takes the ICMP type in
    fromPort and the code in toPort (-1 = all); protocol -1 (all traffic) takes none.
    The peer is exactly one of cidrIpv4 and referencedSecurityGroupId.
    """

    type_token = SECURITY_GROUP_RULE_TYPE
    description = "One ingress or egress rule of a security group."
    noun = "security group rule"
    outputs_after_tag_sync = True
    lookup = Lookup(
        "describe_security_group_rules",
        "SecurityGroupRuleIds",
        "SecurityGroupRules",
        "SecurityGroupRuleId",
        RULE_NOT_FOUND,
    )
    unique_together = _RULE_IDENTITY  # AWS refuses a second identical rule (one differing in description only)
    owner_filter = False  # DescribeSecurityGroupRules documents only ``tag:<key>``, no ``tag-key``
    properties = (
        PropertySpec(
            "securityGroupId", "string", "The group the rule belongs to.", required=True, replace_on_change=True
        ),
        PropertySpec("type", "string", "ingress or egress.", required=True, replace_on_change=True),
        PropertySpec("protocol", "string", "tcp, udp, icmp or -1 (all).", required=True, replace_on_change=True),
        PropertySpec("fromPort", "integer", "First port (tcp/udp) or ICMP type (icmp).", replace_on_change=True),
        PropertySpec("toPort", "integer", "Last port (tcp/udp) or ICMP code (icmp).", replace_on_change=True),
        PropertySpec("cidrIpv4", "string", "The IPv4 peer network.", replace_on_change=True),
        PropertySpec("referencedSecurityGroupId", "string", "The peer security group.", replace_on_change=True),
        PropertySpec("description", "string", "What the rule is for.", replace_on_change=True),
        tags_property("rule"),
        output("securityGroupRuleId", "The rule's id (sgr-...)."),
    )

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        failures = id_failures(inputs, "securityGroupId", "sg")
        failures += id_failures(inputs, "referencedSecurityGroupId", "sg")
        failures += enum_failures(inputs, "type", RULE_TYPES)
        failures += enum_failures(inputs, "protocol", PROTOCOLS)
        failures += port_failures(inputs)
        cidr = inputs.get("cidrIpv4")
        peer = inputs.get("referencedSecurityGroupId")
        if cidr is None and peer is None:
            failures.append(Failure("cidrIpv4", "a rule needs a peer: set cidrIpv4 or referencedSecurityGroupId"))
        elif cidr is not None and peer is not None:
            failures.append(
                Failure("cidrIpv4", "set only one of cidrIpv4 and referencedSecurityGroupId; one rule has one peer")
            )
        if isinstance(cidr, str):
            problem = ipv4_cidr_problem("cidrIpv4", cidr)
            if problem:
                failures.append(Failure("cidrIpv4", problem))
        failures += text_failures(inputs, "description")
        failures += tagging.validate_tags(inputs.get("tags"))
        return failures

    def create(self, ctx: HandlerContext, inputs: dict[str, Any]) -> CreateResult:
        group_id = str(inputs["securityGroupId"])
        egress = inputs["type"] == "egress"
        method = "authorize_security_group_egress" if egress else "authorize_security_group_ingress"
        response = ctx.call(
            "ec2",
            method,
            GroupId=group_id,
            IpPermissions=[ip_permission(inputs)],
            TagSpecifications=tag_specifications(ctx, "security-group-rule", inputs.get("tags")),
        )
        rules = response.get("SecurityGroupRules") or []
        if not rules:
            raise ProviderError(
                f"{ctx.resource}: the cloud authorized the rule on {group_id} but returned no security group "
                "rule id (SecurityGroupRules is empty); this provider needs a cloud that returns it"
            )
        created = dict(rules[0])
        rule_id = str(created["SecurityGroupRuleId"])
        if created.get("ReferencedGroupInfo") and "Description" not in created:
            # Moto gap (module doc): the description we just set, instead of DescribeSecurityGroups.
            created["Description"] = inputs.get("description")
        # The response carries the whole rule as DescribeSecurityGroupRules shows it: no read after.
        return self.finish_create(ctx, rule_id, inputs, item=created)

    def _outputs(self, ctx: HandlerContext, item: dict[str, Any], reference: Mapping[str, Any]) -> dict[str, Any]:
        rule_id = str(item["SecurityGroupRuleId"])
        outputs = rule_outputs(item)
        peer_group = outputs.get("referencedSecurityGroupId")
        if peer_group and "Description" not in item:
            outputs["description"] = _pair_description(ctx, item, str(peer_group))
        if outputs.get("cidrIpv4") is None and peer_group is None:
            kind = "an IPv6 network" if item.get("CidrIpv6") else "a prefix list" if item.get("PrefixListId") else "?"
            raise ProviderError(
                f"{ctx.resource}: security group rule {rule_id} has {kind} as its peer, which "
                f"{SECURITY_GROUP_RULE_TYPE} does not manage (it takes cidrIpv4 or referencedSecurityGroupId)"
            )
        outputs["tags"] = tagging.from_aws(item.get("Tags"))
        outputs["securityGroupRuleId"] = rule_id
        return outputs

    def delete(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any]) -> None:
        # Looked up first: recovery deletes leftovers knowing only the id.
        rule = self._get(ctx, resource_id)
        if rule is None:
            return
        try:
            revoke_rules(ctx, str(rule["GroupId"]), [rule])
        except ApiError as exc:
            if exc.code not in RULE_NOT_FOUND:
                raise


def port_failures(inputs: Mapping[str, Any]) -> list[Failure]:
    """Port rules by protocol (see SecurityGroupRuleHandler)."""
    protocol = inputs.get("protocol")
    low, high = inputs.get("fromPort"), inputs.get("toPort")
    if not isinstance(protocol, str) or protocol not in PROTOCOLS:
        return []
    if protocol == "-1":
        present = [name for name, value in (("fromPort", low), ("toPort", high)) if value is not None]
        return [
            Failure(name, f"{name} does not apply to protocol '-1' (all traffic, all ports); leave it out")
            for name in present
        ]
    failures: list[Failure] = []
    for name, value in (("fromPort", low), ("toPort", high)):
        if value is None:
            what = (
                "the ICMP type (-1 for all)"
                if protocol == "icmp" and name == "fromPort"
                else ("the ICMP code (-1 for all)" if protocol == "icmp" else "a port 0-65535")
            )
            failures.append(Failure(name, f"protocol {protocol!r} needs {name}: {what}"))
    if failures or is_unknown(low) or is_unknown(high) or not isinstance(low, int) or not isinstance(high, int):
        return failures
    if protocol == "icmp":
        for name, value in (("fromPort", low), ("toPort", high)):
            if not -1 <= value <= 255:
                failures.append(Failure(name, f"{name} {value} is not an ICMP type/code (-1 to 255)"))
        if low == -1 and high != -1:
            failures.append(Failure("toPort", "an ICMP code needs an ICMP type: with fromPort -1, toPort must be -1"))
        return failures
    for name, value in (("fromPort", low), ("toPort", high)):
        if not 0 <= value <= 65535:
            failures.append(Failure(name, f"{name} {value} is not a port (0-65535)"))
    if not failures and low > high:
        failures.append(Failure("fromPort", f"fromPort {low} is greater than toPort {high}"))
    return failures


def ip_permission(inputs: Mapping[str, Any]) -> dict[str, Any]:
    """The IpPermissions entry for one rule."""
    permission: dict[str, Any] = {"IpProtocol": inputs["protocol"]}
    if inputs["protocol"] != "-1":
        permission["FromPort"] = inputs["fromPort"]
        permission["ToPort"] = inputs["toPort"]
    description = inputs.get("description")
    if inputs.get("cidrIpv4") is not None:
        permission["IpRanges"] = [
            {"CidrIp": inputs["cidrIpv4"], **({"Description": description} if description else {})}
        ]
    else:
        permission["UserIdGroupPairs"] = [
            {"GroupId": inputs["referencedSecurityGroupId"], **({"Description": description} if description else {})}
        ]
    return permission


def rule_outputs(rule: Mapping[str, Any]) -> dict[str, Any]:
    """Our inputs from a DescribeSecurityGroupRules item (tags and id not included)."""
    protocol = canonical_protocol(rule.get("IpProtocol", "-1"))
    ports = protocol != "-1"
    return {
        "securityGroupId": rule.get("GroupId"),
        "type": "egress" if rule.get("IsEgress") else "ingress",
        "protocol": protocol,
        "fromPort": rule.get("FromPort") if ports else None,
        "toPort": rule.get("ToPort") if ports else None,
        "cidrIpv4": rule.get("CidrIpv4"),
        "referencedSecurityGroupId": (rule.get("ReferencedGroupInfo") or {}).get("GroupId"),
        "description": rule.get("Description") or None,
    }


def _pair_description(ctx: HandlerContext, rule: Mapping[str, Any], peer_group: str) -> str | None:
    """Moto gap (module doc): a group-referencing rule's description from DescribeSecurityGroups."""
    group = describe_one(
        ctx, "describe_security_groups", "SecurityGroups", GROUP_NOT_FOUND, GroupIds=[str(rule["GroupId"])]
    )
    if group is None:
        return None
    permissions = group.get("IpPermissionsEgress" if rule.get("IsEgress") else "IpPermissions", []) or []
    protocol = canonical_protocol(rule.get("IpProtocol", "-1"))
    for permission in permissions:
        if canonical_protocol(permission.get("IpProtocol", "-1")) != protocol:
            continue
        if protocol != "-1" and (permission.get("FromPort"), permission.get("ToPort")) != (
            rule.get("FromPort"),
            rule.get("ToPort"),
        ):
            continue
        for pair in permission.get("UserIdGroupPairs", []) or []:
            if pair.get("GroupId") == peer_group and pair.get("Description"):
                return str(pair["Description"])
    return None


# -- egov:ec2:DefaultSecurityGroupLockdown --------------------------------------------------------------


def rule_summary(rule: Mapping[str, Any]) -> dict[str, Any]:
    """A rule as the lockdown reports it: its id, protocol, ports and peer (whatever kind)."""
    summary = {
        "securityGroupRuleId": rule.get("SecurityGroupRuleId"),
        "protocol": canonical_protocol(rule.get("IpProtocol", "-1")),
        "fromPort": rule.get("FromPort"),
        "toPort": rule.get("ToPort"),
        "cidrIpv4": rule.get("CidrIpv4"),
        "cidrIpv6": rule.get("CidrIpv6"),
        "prefixListId": rule.get("PrefixListId"),
        "referencedSecurityGroupId": (rule.get("ReferencedGroupInfo") or {}).get("GroupId"),
        "description": rule.get("Description"),
    }
    return {key: value for key, value in summary.items() if value is not None}


class DefaultSecurityGroupLockdownHandler(ResourceHandler):
    """Revokes every rule of a VPC's default security group and keeps it empty.

    Create and update revoke whatever rules the group has; read reports the rules
    present now (``ingressRules``/``egressRules``), and diff asks for an update whenever
    the refreshed state shows any, so drift is both visible and repaired. Deleting this
    resource leaves the group empty: AWS's original allow rules are not restored, which
    is the safe direction for a group every unconfigured interface falls into.
    """

    type_token = LOCKDOWN_TYPE
    description = "Keeps a VPC's default security group free of rules."
    drift_outputs = ("ingressRules", "egressRules")
    properties = (
        PropertySpec(
            "securityGroupId",
            "string",
            "The VPC's default security group (a VPC's defaultSecurityGroupId). Changing it replaces this resource.",
            required=True,
            replace_on_change=True,
        ),
        output("vpcId", "The VPC the group belongs to."),
        output(
            "ingressRules", "Ingress rules found on the group (empty when locked down).", "array", item_type="object"
        ),
        output("egressRules", "Egress rules found on the group (empty when locked down).", "array", item_type="object"),
    )

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        return id_failures(inputs, "securityGroupId", "sg")

    def _describe(self, ctx: HandlerContext, group_id: str) -> dict[str, Any] | None:
        found = self._group_and_rules(ctx, group_id)
        return None if found is None else self._summary(group_id, *found)

    @staticmethod
    def _group_and_rules(ctx: HandlerContext, group_id: str) -> tuple[dict[str, Any], list[Any]] | None:
        group = describe_one(ctx, "describe_security_groups", "SecurityGroups", GROUP_NOT_FOUND, GroupIds=[group_id])
        return None if group is None else (group, group_rules(ctx, group_id))

    @staticmethod
    def _summary(group_id: str, group: Mapping[str, Any], rules: list[Any]) -> dict[str, Any]:
        return {
            "securityGroupId": group_id,
            "vpcId": group.get("VpcId"),
            "groupName": group.get("GroupName"),
            "ingressRules": [rule_summary(r) for r in rules if not r.get("IsEgress")],
            "egressRules": [rule_summary(r) for r in rules if r.get("IsEgress")],
        }

    def _lock_down(self, ctx: HandlerContext, group_id: str) -> dict[str, Any]:
        found = self._group_and_rules(ctx, group_id)
        if found is None:
            raise ProviderError(f"{ctx.resource}: security group {group_id} does not exist")
        group, rules = found
        if group.get("GroupName") != "default":
            raise ProviderError(
                f"{ctx.resource}: security group {group_id} is not a VPC's default security group; "
                f"{LOCKDOWN_TYPE} only empties default groups (manage other groups' rules with "
                f"{SECURITY_GROUP_RULE_TYPE})"
            )
        if not rules:
            clean = self._summary(group_id, group, [])
            clean.pop("groupName")
            return clean
        revoke_rules(ctx, group_id, rules)
        # Read back: what counts is that no rule is left, not that the revoke calls succeeded.
        after = self._describe(ctx, group_id)
        if after is None:
            raise ProviderError(f"{ctx.resource}: security group {group_id} disappeared while locking it down")
        after.pop("groupName")
        if after["ingressRules"] or after["egressRules"]:
            raise ProviderError(
                f"{ctx.resource}: rules are still present on {group_id} after revoking them all: "
                f"{after['ingressRules'] + after['egressRules']}"
            )
        return after

    def create(self, ctx: HandlerContext, inputs: dict[str, Any]) -> CreateResult:
        group_id = str(inputs["securityGroupId"])
        return CreateResult(resource_id=group_id, outputs=self._lock_down(ctx, group_id))

    def read(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any], inputs: dict[str, Any]) -> ReadResult:
        outputs = self._describe(ctx, resource_id) if resource_id else None
        if outputs is not None:
            outputs.pop("groupName")
        return self.read_result(resource_id, outputs)

    def update(
        self, ctx: HandlerContext, resource_id: str, old_state: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        return self._lock_down(ctx, resource_id)

    def delete(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any]) -> None:
        """Nothing to undo (see the class docstring)."""


# -- egov:ec2:SecurityGroupRuleGuard ----------------------------------------------------------------------


def unmanaged_rules(rules: Iterable[Mapping[str, Any]], managed_ids: Iterable[str]) -> list[dict[str, Any]]:
    """The rules (DescribeSecurityGroupRules items) whose id is not in ``managed_ids``, as the
    guard reports them: ``type`` (ingress/egress) plus ``rule_summary``, sorted by rule id so
    refreshed state does not change with the order the cloud lists rules in."""
    managed = set(managed_ids)
    found = [
        {"type": "egress" if rule.get("IsEgress") else "ingress", **rule_summary(rule)}
        for rule in rules
        if rule.get("SecurityGroupRuleId") not in managed
    ]
    return sorted(found, key=lambda summary: str(summary.get("securityGroupRuleId")))


def _id_list(value: Any) -> list[str]:
    return [str(item) for item in value] if isinstance(value, list | tuple) else []


class SecurityGroupRuleGuardHandler(ResourceHandler):
    """Keeps a security group free of rules that no SecurityGroupRule resource manages.

    ``managedRuleIds`` names the group's managed rules (the ``securityGroupRuleId`` of each
    SecurityGroupRule resource of the group, in any order). Read reports every other rule of
    the group in ``unmanagedRules``, and diff asks for an update whenever the refreshed state
    shows any, so a rule opened behind Pulumi's back is both visible (``pulumi refresh``) and
    revoked (the next update). Create and update revoke exactly the unmanaged rules, never a
    managed one. An update also spares the ids it is dropping from ``managedRuleIds``: those
    rules belong to SecurityGroupRule resources the same deployment deletes or replaces
    afterwards, and their own delete revokes them. Deleting the guard touches nothing: it
    never owned a rule.

    Import knows no managed ids, so every rule of the group shows as unmanaged until the
    program's ``managedRuleIds`` are applied (that update revokes only rules not in them).
    """

    type_token = GUARD_TYPE
    description = "Reports and revokes the rules of a security group that no SecurityGroupRule resource manages."
    unordered = ("managedRuleIds",)
    drift_outputs = ("unmanagedRules",)
    properties = (
        PropertySpec(
            "securityGroupId",
            "string",
            "The guarded security group. Changing it replaces this resource.",
            required=True,
            replace_on_change=True,
        ),
        PropertySpec(
            "managedRuleIds",
            "array",
            "The sgr-... ids of the group's rules that SecurityGroupRule resources manage (order does not matter).",
            default=[],
            item_type="string",
        ),
        output(
            "unmanagedRules",
            "Rules found on the group that are not in managedRuleIds (empty when the group is clean).",
            "array",
            item_type="object",
        ),
    )

    def validate(self, inputs: dict[str, Any]) -> list[Failure]:
        return id_failures(inputs, "securityGroupId", "sg") + id_list_failures(inputs, "managedRuleIds", "sgr")

    def _exists(self, ctx: HandlerContext, group_id: str) -> bool:
        group = describe_one(ctx, "describe_security_groups", "SecurityGroups", GROUP_NOT_FOUND, GroupIds=[group_id])
        return group is not None

    def _outputs(self, group_id: str, managed: list[str], unmanaged: list[dict[str, Any]]) -> dict[str, Any]:
        return {"securityGroupId": group_id, "managedRuleIds": managed, "unmanagedRules": unmanaged}

    def _enforce(
        self, ctx: HandlerContext, group_id: str, managed: list[str], spared: Iterable[str] = ()
    ) -> dict[str, Any]:
        """Revoke every rule of the group that is neither managed nor ``spared``; the outputs after."""
        if not self._exists(ctx, group_id):
            raise ProviderError(
                f"{ctx.resource}: security group {group_id} does not exist; run `pulumi refresh` so that "
                "Pulumi creates the group (and this guard) again on the next update"
            )
        keep = {*managed, *spared}
        unmanaged = [r for r in group_rules(ctx, group_id) if r.get("SecurityGroupRuleId") not in keep]
        if not unmanaged:
            return self._outputs(group_id, managed, [])
        revoke_rules(ctx, group_id, unmanaged)
        # Read back: what counts is that no unmanaged rule is left, not that the revoke calls succeeded.
        left = unmanaged_rules(group_rules(ctx, group_id), keep)
        if left:
            raise ProviderError(
                f"{ctx.resource}: rules no SecurityGroupRule manages are still present on {group_id} after "
                f"revoking them: {left}"
            )
        return self._outputs(group_id, managed, [])

    def create(self, ctx: HandlerContext, inputs: dict[str, Any]) -> CreateResult:
        group_id = str(inputs["securityGroupId"])
        outputs = self._enforce(ctx, group_id, _id_list(inputs.get("managedRuleIds")))
        return CreateResult(resource_id=group_id, outputs=outputs)

    def read(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any], inputs: dict[str, Any]) -> ReadResult:
        if not resource_id or not self._exists(ctx, resource_id):
            return ReadResult.gone()
        # Which rules are managed is the program's word (the last applied inputs), not the cloud's.
        managed = _id_list(inputs["managedRuleIds"] if "managedRuleIds" in inputs else state.get("managedRuleIds"))
        outputs = self._outputs(resource_id, managed, unmanaged_rules(group_rules(ctx, resource_id), managed))
        return self.read_result(resource_id, outputs)

    def update(
        self, ctx: HandlerContext, resource_id: str, old_state: dict[str, Any], news: dict[str, Any]
    ) -> dict[str, Any]:
        managed = _id_list(news.get("managedRuleIds"))
        dropped = [rule_id for rule_id in _id_list(old_state.get("managedRuleIds")) if rule_id not in managed]
        return self._enforce(ctx, resource_id, managed, spared=dropped)

    def delete(self, ctx: HandlerContext, resource_id: str, state: dict[str, Any]) -> None:
        """Nothing to undo (see the class docstring)."""
