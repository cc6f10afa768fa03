"""Open and close an admitted tenant's flows on the extranet bridge.

The bridge stack's ``tenantFlows`` config (``infra/config/tenant_flows.py``) is the one source of the
admitted tenants' flows: the bridge program compiles it with flows.yaml into SG rules, NACL entries and
transit routes, and `egov hosts harden` compiles the gateway's nftables from it. ``open_tenant_flows``
writes the tenant's entry and runs the bridge ``up`` with the policy pack; ``close_tenant_flows`` removes
it and runs ``up``. Both check the whole result first (validation and quotas, by the same compiler): a
refused entry is a ``ConfigError`` naming the tenant, and neither the config nor the cloud is touched.

Idempotent: the bridge exports the entries its last successful ``up`` applied (``tenantFlows`` output);
when that already equals the config, nothing runs. A failed ``up`` leaves the config ahead of the output,
so calling again runs ``up`` again (resumable). Calls for several tenants are serialised on this host by a
lock named after the stack's config file (read, change, write and ``up`` happen under it); Pulumi's stack lock
serialises the ``up`` itself between hosts. Calls waiting for the lock do not each run an ``up``: whoever holds
it applies every pending change that passes the same checks in one (``bridge_queue``).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from compliance.rules.pack import load_config
from infra.config import FLOWS_FILE, PLATFORM_FILE, ConfigError, compile_bridge, load_flows, load_platform
from infra.config.compiler import ACL_ENTRY_LIMIT
from infra.config.platform import Platform
from infra.config.tenant_flows import CONFIG_KEY, MAX_SLOT, AdmittedTenant, parse_tenant_flows, raise_for
from infra.engine import POLICY_PACK_DIR, Stack
from infra.files import exclusive_lock, private_directory
from infra.onboarding.bridge_queue import CLOSE, OPEN, pending_change, pending_changes, queue_directory
from infra.tenants.plan import TenantPlan

ACL_LIMIT_KEY = "aclEntryLimit"
FindAttachment = Callable[[Stack, TenantPlan], str]


def bridge_entry(plan: TenantPlan, slot: int, attachment_id: str | None) -> dict[str, Any]:
    """The tenant's ``tenantFlows`` entry: its block, slot, attachment and its plan's flows, in plan order."""
    entry: dict[str, Any] = {"slot": slot, "cidr": plan.cidr}
    if attachment_id is not None:
        entry["attachmentId"] = attachment_id
    entry["flows"] = [{"direction": flow.direction, "peer": flow.peer, "protocol": flow.protocol,
                       "ports": list(flow.ports), "purpose": flow.purpose} for flow in plan.flows]
    return entry


def free_slot(entries: dict[str, Any], tenant: str) -> int:
    """The tenant's slot if it has one, else the lowest free one (others keep theirs: their numbers stay)."""
    current = entries.get(tenant)
    if isinstance(current, dict) and isinstance(current.get("slot"), int):
        return int(current["slot"])
    taken = {entry.get("slot") for entry in entries.values() if isinstance(entry, dict)}
    for slot in range(MAX_SLOT + 1):
        if slot not in taken:
            return slot
    raise_for(tenant, f"all {MAX_SLOT + 1} bridge slots are taken by admitted tenants",
              "close a tenant's flows first, or split tenants across bridges")
    raise AssertionError("unreachable")


def open_tenant_flows(bridge: Stack, plan: TenantPlan, *, attachment_id: str | None = None,
                      find_attachment: FindAttachment | None = None) -> list[str]:
    """Add ``plan``'s tenant and its flows to the bridge and bring the bridge up (no ``up`` when nothing changes).

    The bridge's route back to the tenant's block goes through the tenant's transit-gateway attachment:
    ``attachment_id``, else the one ``find_attachment`` (default: the cloud, by the tenant's tag and block) finds.
    Returns the tenants whose changes the ``up`` run here carried (see ``bridge_queue``), empty when none ran.
    """
    if attachment_id is None:  # looked up every time: a re-created tenant network has a new attachment
        attachment_id = (find_attachment or find_tenant_attachment)(bridge, plan)
    entry = bridge_entry(plan, 0, attachment_id)
    del entry["slot"]  # given when applied: the lowest free one then
    return _change(bridge, plan.tenant, OPEN, entry)


def close_tenant_flows(bridge: Stack, tenant: str) -> list[str]:
    """Remove ``tenant``'s flows from the bridge and bring it up (no ``up`` when it has none there).

    Call it before the tenant's network is destroyed: the bridge's route back to the tenant's block points
    at the tenant's attachment. Returns what ``open_tenant_flows`` returns."""
    return _change(bridge, tenant, CLOSE, None)


def admitted_tenants(bridge: Stack, platform: Platform) -> tuple[AdmittedTenant, ...]:
    """The admitted tenants in the bridge's config, validated (for `egov hosts harden`)."""
    return parse_tenant_flows(_entries(_config(bridge)), platform)


def _change(bridge: Stack, tenant: str, action: str, entry: dict[str, Any] | None) -> list[str]:
    """Publish the change, take the lock, and apply it with whatever else is pending (``bridge_queue``)."""
    lock = _lock_path(bridge)
    with pending_change(queue_directory(lock), tenant, action, entry), exclusive_lock(lock):
        config = _config(bridge)
        entries = _entries(config)
        platform, flows = _policy_inputs(bridge, config)
        limit = _acl_limit(config)

        def check(wanted: dict[str, Any]) -> None:
            tenants = parse_tenant_flows(wanted, platform)  # a bad entry stops here, nothing written
            compile_bridge(platform, flows, tenants=tenants, acl_entry_limit=limit)  # quotas too

        wanted = _with_change(entries, tenant, action, entry)
        check(wanted)  # the caller's own change: its refusal is the caller's error
        carried = [tenant]
        for other in pending_changes(queue_directory(lock)):
            if other.tenant == tenant:
                continue
            try:
                candidate = _with_change(wanted, other.tenant, other.action, other.entry)
                if candidate == wanted:
                    continue
                check(candidate)
            except ConfigError:  # left for its own caller, who reports why
                continue
            wanted = candidate
            carried.append(other.tenant)
        if wanted != entries:
            bridge.set_config(CONFIG_KEY, json.dumps(wanted, sort_keys=True, separators=(",", ":")))
        if bridge.outputs().get(CONFIG_KEY) == wanted:
            return []
        _with_pack(bridge).up()
        return carried


def _with_change(entries: dict[str, Any], tenant: str, action: str, entry: dict[str, Any] | None) -> dict[str, Any]:
    if action == CLOSE:
        return {name: value for name, value in entries.items() if name != tenant}
    assert entry is not None
    return {**entries, tenant: {"slot": free_slot(entries, tenant), **entry}}


def _with_pack(bridge: Stack) -> Stack:
    if bridge.policy_pack is not None:
        return bridge
    return dataclasses.replace(bridge, policy_pack=POLICY_PACK_DIR, policy_config_check=load_config)


def _config(bridge: Stack) -> dict[str, Any]:
    """The stack's config as ``key -> value`` without the project prefix (one CLI call)."""
    raw = json.loads(bridge.run("config", "--json").stdout or "{}")
    return {key.split(":", 1)[-1]: item.get("value") for key, item in raw.items() if isinstance(item, dict)}


def _entries(config: dict[str, Any]) -> dict[str, Any]:
    text = config.get(CONFIG_KEY)
    if not text:
        return {}
    data = json.loads(text) if isinstance(text, str) else text
    if not isinstance(data, dict):
        raise_for("<all>", f"is not a JSON object: {text!r:.60}", "repair it with `pulumi config set`")
    return dict(data)


def _policy_inputs(bridge: Stack, config: dict[str, Any]) -> tuple[Any, Any]:
    def path(key: str, default: Path) -> Path:
        value = config.get(key)
        if not value:
            return default
        return Path(value) if Path(value).is_absolute() else bridge.project_dir / value

    platform = load_platform(path("platformFile", PLATFORM_FILE))
    return platform, load_flows(path("flowsFile", FLOWS_FILE), platform)


def _acl_limit(config: dict[str, Any]) -> int:
    value = config.get(ACL_LIMIT_KEY)
    return int(value) if isinstance(value, str) and value.isdigit() else ACL_ENTRY_LIMIT


def _lock_path(bridge: Stack) -> Path:
    """A lock file named after the bridge's config file (not the file itself, which the CLI replaces when it
    writes), in this user's own directory: the pending changes beside it decide what the bridge admits."""
    digest = hashlib.sha256(str(bridge.config_path.resolve()).encode()).hexdigest()[:16]
    return private_directory(Path(tempfile.gettempdir()) / f"egov-{os.geteuid()}") / f"bridge-config-{digest}.lock"



def find_tenant_attachment(bridge: Stack, plan: TenantPlan) -> str:
    """The tenant's transit-gateway attachment in the cloud: tagged ``egov:tenant=<id>`` *and* in front of a VPC
    whose block is the plan's (a tag alone could be put on anything)."""
    import boto3

    env = bridge.env
    ec2 = boto3.client("ec2", endpoint_url=env.get("AWS_ENDPOINT_URL"), region_name=env.get("AWS_DEFAULT_REGION"),
                       aws_access_key_id=env.get("AWS_ACCESS_KEY_ID"),
                       aws_secret_access_key=env.get("AWS_SECRET_ACCESS_KEY"))
    found = ec2.describe_transit_gateway_vpc_attachments(
        Filters=[{"Name": "tag:egov:tenant", "Values": [plan.tenant]}])["TransitGatewayVpcAttachments"]
    tagged = [item for item in found  # checked here too: not every cloud API honours tag filters
              if {"Key": "egov:tenant", "Value": plan.tenant} in (item.get("Tags") or [])]
    live = [item for item in tagged if item.get("State") in ("available", "pending")]
    vpcs = {vpc["VpcId"]: vpc["CidrBlock"] for vpc in ec2.describe_vpcs(
        VpcIds=sorted({item["VpcId"] for item in live}))["Vpcs"]} if live else {}
    matching = sorted(item["TransitGatewayAttachmentId"] for item in live if vpcs.get(item["VpcId"]) == plan.cidr)
    if len(matching) != 1:
        what = "no" if not matching else f"{len(matching)}"
        raise_for(plan.tenant, f"{what} transit-gateway attachment tagged egov:tenant={plan.tenant} fronts a VPC "
                  f"with the tenant's block {plan.cidr}", "apply the tenant's stack first; its attachment "
                  "carries the route back from the bridge")
    return matching[0]
