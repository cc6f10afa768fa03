"""What every EC2 family shares: input checks for ids and CIDR blocks, tags, owner lookup,
waits for AWS's lingering dependencies, and ``Ec2Handler``, the handler skeleton bound to EC2.

The families live in modules of their own (``ec2_vpc``, ``ec2_subnets``, ``ec2_gateways``,
``ec2_routes``, ``ec2_security``, ``ec2_acl``, ``ec2_endpoints``, ``ec2_flowlogs`` and the
``ec2_tgw*`` transit families) and import from here, never from each other; only
``provider.default_registry`` lists them.
"""

from __future__ import annotations

import ipaddress
import json
import re
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from typing import Any, ClassVar

from infra.provider import tags as tagging
from infra.provider.errors import ApiError, ProviderError
from infra.provider.handler import (
    CloudHandler,
    Failure,
    HandlerContext,
    PropertySpec,
    contains_unknown,
    is_unknown,
    output,
    tags_property,
)

DEPENDENCY_VIOLATION = "DependencyViolation"

_DOTTED_CIDR = re.compile(r"[0-9]{1,3}(\.[0-9]{1,3}){3}/(0|[1-9][0-9]?)")



def ipv4_cidr_problem(
    prop: str, value: str, *, min_prefix: int = 0, max_prefix: int = 32, subject: str | None = None,
    example: str = "10.0.1.0/24",
) -> str | None:
    """Why ``value`` cannot be the IPv4 CIDR block ``prop``, or None if it can.

    Host bits must be zero: AWS would either refuse the block or store the network
    address, and the stored value would then differ from the program's forever. ``subject`` names what the
    block is for (e.g. "a VPC CIDR block") in the IPv6 and prefix-range messages.
    """
    if ":" in value:
        need = f"{subject} must be IPv4" if subject else "only IPv4 CIDR blocks are supported here"
        return f"{prop} {value!r} is an IPv6 network; {need}"
    if "/" not in value:
        return f"{prop} {value!r} has no prefix length; write it as a.b.c.d/n, e.g. {example}"
    if not _DOTTED_CIDR.fullmatch(value):
        return f"{prop} {value!r} is not an IPv4 CIDR block; write it as a.b.c.d/n, e.g. {example}"
    try:
        interface = ipaddress.IPv4Interface(value)
    except ValueError:
        return f"{prop} {value!r} is not a valid IPv4 CIDR block (each part 0-255, prefix 0-32)"
    network = interface.network
    if not min_prefix <= network.prefixlen <= max_prefix:
        return (f"{prop} {value!r} has prefix /{network.prefixlen}; "
                f"{subject or 'it'} must be between /{min_prefix} and /{max_prefix}")
    if interface.ip != network.network_address:
        host_bits = ipaddress.IPv4Address(int(interface.ip) & int(network.hostmask))
        return (
            f"{prop} {value!r} has host bits set ({host_bits}); "
            f"the /{network.prefixlen} network containing it is {network}"
        )
    return None


def cidr_failures(inputs: Mapping[str, Any], prop: str, *, min_prefix: int = 0, max_prefix: int = 32) -> list[Failure]:
    value = inputs.get(prop)
    if not isinstance(value, str):
        return []
    problem = ipv4_cidr_problem(prop, value, min_prefix=min_prefix, max_prefix=max_prefix)
    return [Failure(prop, problem)] if problem else []


def enum_failures(inputs: Mapping[str, Any], prop: str, allowed: Iterable[str]) -> list[Failure]:
    """``prop`` must be one of ``allowed`` (case-sensitive, as AWS is)."""
    value = inputs.get(prop)
    choices = tuple(allowed)
    if isinstance(value, str) and value not in choices:
        return [Failure(prop, f"{prop} {value!r} must be one of: {', '.join(choices)}")]
    return []


ID_KINDS: dict[str, str] = {
    "vpc": "VPC",
    "subnet": "subnet",
    "sg": "security group",
    "sgr": "security group rule",
    "rtb": "route table",
    "acl": "network ACL",
    "igw": "internet gateway",
    "nat": "NAT gateway",
    "vpce": "VPC endpoint",
    "eni": "network interface",
    "pcx": "VPC peering connection",
    "tgw": "transit gateway",
    "tgw-rtb": "transit gateway route table",
    "tgw-attach": "transit gateway attachment",
}
"""Id prefixes AWS gives EC2 objects, and what they name (the longest prefix wins: tgw-rtb-1 is no tgw- id)."""


def id_kind(value: str) -> str | None:
    """The prefix of ``ID_KINDS`` that ``value`` is an id of, or None."""
    matches = [prefix for prefix in ID_KINDS if value.startswith(f"{prefix}-") and len(value) > len(prefix) + 1]
    return max(matches, key=len) if matches else None


def id_problem(prop: str, value: Any, prefix: str) -> str | None:
    """Why ``value`` cannot be the ``<prefix>-...`` id ``prop`` (catches names, and ids of another kind,
    passed where such an id belongs), or None if it can (or is not known yet)."""
    if not isinstance(value, str) or is_unknown(value):
        return None
    kind = id_kind(value)
    if kind == prefix:
        return None
    if kind is not None:
        return f"{prop} {value!r} is a {ID_KINDS[kind]} id; it needs a {ID_KINDS[prefix]} id ({prefix}-...)"
    return f"{prop} {value!r} is not a {prefix}-... id"


def id_failures(inputs: Mapping[str, Any], prop: str, prefix: str) -> list[Failure]:
    """An AWS id property must be a ``<prefix>-...`` id."""
    problem = id_problem(prop, inputs.get(prop), prefix)
    return [Failure(prop, problem)] if problem else []


def id_list_failures(inputs: Mapping[str, Any], prop: str, prefix: str) -> list[Failure]:
    """Every known item of a list of ids is a ``<prefix>-...`` id, and none repeats."""
    values = inputs.get(prop)
    if not isinstance(values, list | tuple):
        return []
    failures: list[Failure] = []
    seen: set[str] = set()
    for index, value in enumerate(values):
        path = f"{prop}[{index}]"
        problem = id_problem(path, value, prefix)
        if problem:
            failures.append(Failure(path, problem))
        elif isinstance(value, str) and not is_unknown(value):
            if value in seen:
                failures.append(Failure(path, f"{path} {value!r} is listed twice"))
            seen.add(value)
    return failures


def ec2_filter(name: str, *values: str) -> dict[str, Any]:
    return {"Name": name, "Values": list(values)}


def is_code(exc: ApiError, codes: Iterable[str]) -> bool:
    return exc.code in tuple(codes)


def describe_one(
    ctx: HandlerContext,
    method: str,
    list_key: str,
    not_found: Iterable[str],
    **params: Any,
) -> dict[str, Any] | None:
    """The single item a describe call by id returns, or None when the cloud says it does not exist."""
    try:
        items = ctx.call("ec2", method, **params).get(list_key, [])
    except ApiError as exc:
        if is_code(exc, not_found):
            return None
        raise
    return dict(items[0]) if items else None


def owned(
    ctx: HandlerContext,
    method: str,
    list_key: str,
    id_key: str,
    urn_prefix: str,
    *,
    server_filter: bool = True,
    skip_states: Collection[str] = (),
) -> dict[str, str]:
    """Ids of items whose OWNER_TAG starts with ``urn_prefix``, mapped to that URN.

    The tag-key filter only narrows the listing (moto ignores it for some types, e.g. transit
    gateway route tables and attachments); the tags themselves decide. ``server_filter=False``
    for describe calls that have no ``tag-key`` filter (DescribeSecurityGroupRules documents
    only ``tag:<key>``): list all, filter here. Items whose ``State`` is in ``skip_states``
    (on their way out) are left out.
    """
    params: dict[str, Any] = {}
    if server_filter:
        params["Filters"] = [ec2_filter("tag-key", tagging.OWNER_TAG)]
    found: dict[str, str] = {}
    for item in ctx.collect("ec2", method, list_key, **params):
        if item.get("State") in skip_states:
            continue
        urn = tagging.owner_urn(item.get("Tags"))
        if urn and urn.startswith(urn_prefix):
            found[str(item[id_key])] = urn
    return found


def tag_specifications(ctx: HandlerContext, resource_type: str, tags: Mapping[str, str] | None) -> list[dict[str, Any]]:
    """TagSpecifications for a create call: the user's tags plus the owner tag (see ``tags.OWNER_TAG``)."""
    return [{"ResourceType": resource_type, "Tags": tagging.with_owner(tags or {}, ctx.resource.urn)}]


def sync_tags(ctx: HandlerContext, resource_id: str, current: Mapping[str, str], desired: Mapping[str, str]) -> None:
    """Make the user tags on ``resource_id`` equal ``desired`` (the owner tag is left alone)."""
    tagging.sync(
        current,
        desired,
        remove=lambda keys: ctx.call("ec2", "delete_tags", Resources=[resource_id], Tags=[{"Key": k} for k in keys]),
        add=lambda tags: ctx.call("ec2", "create_tags", Resources=[resource_id], Tags=tagging.to_aws(tags)),
    )


def ec2_arn(ctx: HandlerContext, kind: str, resource_id: str, owner: str | None) -> str | None:
    """``arn:<partition>:ec2:<region>:<owner>:<kind>/<id>``; None when partition or owner is unknown.

    Built here rather than taken from responses because moto stamps ``arn:aws:`` on
    resources in ``cn-*`` regions, where the partition is ``aws-cn``.
    """
    partition = ctx.clients.partition()
    if not partition or not owner:
        return None
    return f"arn:{partition}:ec2:{ctx.clients.config.region}:{owner}:{kind}/{resource_id}"


def delete_with_grace(
    ctx: HandlerContext,
    attempt: Callable[[], object],
    *,
    not_found: Iterable[str],
    grace_seconds: float,
    blockers: Callable[[], list[str]] | None = None,
    what: str,
) -> None:
    """Run ``attempt`` (a delete/detach call); NotFound is success.

    ``DependencyViolation`` is retried for ``grace_seconds`` because AWS keeps
    reporting just-deleted dependents (interfaces of a deleted endpoint, a route
    table association being removed) for a while. After that the error names the
    blockers ``blockers()`` can find.
    """
    missing = tuple(not_found)
    deadline = time.monotonic() + min(ctx.effective_timeout(), grace_seconds)
    delay = 1.0
    while True:
        try:
            attempt()
            return
        except ApiError as exc:
            if exc.code in missing:
                return
            if exc.code != DEPENDENCY_VIOLATION:
                raise
            if ctx.cancelled.is_set() or time.monotonic() + delay > deadline:
                found = blockers() if blockers is not None else []
                users = "it is still used by: " + "; ".join(found) if found else str(exc)
                raise ProviderError(
                    f"{ctx.resource}: cannot delete {what}: {users}. Delete or detach those first "
                    f"(if Pulumi manages them, make them depend on this resource). Cloud error: {exc.code}"
                ) from exc
        ctx.cancelled.wait(delay)
        delay = min(delay * 2, 10.0)


def label(item: Mapping[str, Any]) -> str:
    """' "name"' from an item's Name tag, so people recognise what an id is."""
    for tag in item.get("Tags", []) or []:
        if tag.get("Key") == "Name" and tag.get("Value"):
            return f' "{tag["Value"]}"'
    return ""


def order_like(live: Iterable[Any], reference: Any, key: Callable[[Any], Any] = lambda item: item) -> list[Any]:
    """``live`` items in the order ``reference`` (the state's list) has them, then the rest sorted.

    Keeps refreshed state stable for properties whose order AWS does not preserve.
    """
    items = list(live)
    ref = list(reference) if isinstance(reference, list | tuple) else []
    rank = {key(item): index for index, item in enumerate(ref) if not contains_unknown(item)}
    known = sorted((i for i in items if key(i) in rank), key=lambda i: rank[key(i)])
    rest = sorted((i for i in items if key(i) not in rank), key=lambda i: json.dumps(key(i), sort_keys=True))
    return known + rest


def vpc_property(what: str) -> PropertySpec:
    """The ``vpcId`` input of a family that lives in one VPC for life."""
    return PropertySpec(
        "vpcId", "string", f"The VPC. Changing it replaces the {what}.", required=True, replace_on_change=True
    )


def tagged_identity(
    what: str, id_name: str, *, arn_of: str | None = None, partition: str = "the region's partition"
) -> tuple[PropertySpec, ...]:
    """``tags`` and the outputs naming an EC2 object: its id, ARN (when ``partition`` is known) and owner."""
    of = arn_of or what
    return (
        tags_property(what),
        output(id_name, f"The {what}'s id."),
        output("arn", f"The {of}'s ARN, when {partition} is known."),
        output("ownerId", f"The account that owns the {of}."),
    )


class Ec2Handler(CloudHandler):
    """A family of EC2 objects: tags through CreateTags/DeleteTags, the OWNER_TAG lookup through the
    family's describe call (``owner_filter=False`` where that call has no ``tag-key`` filter).

    ``dependency_grace_seconds``: how long a delete retries while AWS still reports just-deleted
    dependents (see ``delete_with_grace``).
    """

    owner_filter: ClassVar[bool] = True
    default_grace_seconds: ClassVar[float] = 60.0

    def __init__(self, *, dependency_grace_seconds: float | None = None) -> None:
        grace = dependency_grace_seconds
        self.dependency_grace_seconds = self.default_grace_seconds if grace is None else grace

    def sync_tags(
        self, ctx: HandlerContext, resource_id: str, live: Mapping[str, Any], desired: Mapping[str, str]
    ) -> None:
        sync_tags(ctx, resource_id, live.get("tags") or {}, desired)

    def find_owned(self, ctx: HandlerContext, urn_prefix: str) -> dict[str, str]:
        return owned(
            ctx,
            self.lookup.method,
            self.lookup.list_key,
            self.lookup.id_key,
            urn_prefix,
            server_filter=self.owner_filter,
            skip_states=self.gone_states,
        )


def delete_batch_item(ctx: HandlerContext, method: str, not_found: Collection[str], **params: Any) -> bool:
    """Run a batch delete call (DeleteVpcEndpoints, DeleteFlowLogs) for one item; False when it was gone.

    These calls answer HTTP 200 and list per-item failures under ``Unsuccessful``: those are
    errors naming the item, never ignored (except the ``not_found`` ones).
    """
    response = ctx.call_or_none(not_found, "ec2", method, **params)
    if response is None:
        return False
    for item in response.get("Unsuccessful") or []:
        error = item.get("Error") or {}
        if error.get("Code") in not_found:
            return False
        operation = "".join(part.capitalize() for part in method.split("_"))
        raise ProviderError(
            f"{ctx.resource}: ec2:{operation} did not delete {item.get('ResourceId')}: "
            f"{error.get('Code')}: {error.get('Message')}"
        )
    return True
