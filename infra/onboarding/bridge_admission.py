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
serialises the ``up`` itself between hosts.
"""

from __future__ import annotations

import dataclasses
import fcntl
import hashlib
import json
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from compliance.rules.pack import load_config
from infra.config import FLOWS_FILE, PLATFORM_FILE, compile_bridge, load_flows, load_platform
from infra.config.compiler import ACL_ENTRY_LIMIT
from infra.config.platform import Platform
from infra.config.tenant_flows import CONFIG_KEY, MAX_SLOT, AdmittedTenant, parse_tenant_flows, raise_for
from infra.engine import POLICY_PACK_DIR, Stack
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
                      find_attachment: FindAttachment | None = None) -> None:
    """Add ``plan``'s tenant and its flows to the bridge and bring the bridge up (no ``up`` when nothing changes).

    The bridge's route back to the tenant's block goes through the tenant's transit-gateway attachment:
    ``attachment_id``, else the one ``find_attachment`` (default: the cloud, by the tenant's tag and block) finds.
    """
    with _locked(bridge):
        entries = _entries(bridge)
        if attachment_id is None:  # looked up every time: a re-created tenant network has a new attachment
            attachment_id = (find_attachment or find_tenant_attachment)(bridge, plan)
        wanted = {**entries, plan.tenant: bridge_entry(plan, free_slot(entries, plan.tenant), attachment_id)}
        _converge(bridge, entries, wanted)


def close_tenant_flows(bridge: Stack, tenant: str) -> None:
    """Remove ``tenant``'s flows from the bridge and bring it up (no ``up`` when it has none there).

    Call it before the tenant's network is destroyed: the bridge's route back to the tenant's block points
    at the tenant's attachment."""
    with _locked(bridge):
        entries = _entries(bridge)
        wanted = {name: entry for name, entry in entries.items() if name != tenant}
        _converge(bridge, entries, wanted)


def admitted_tenants(bridge: Stack, platform: Platform) -> tuple[AdmittedTenant, ...]:
    """The admitted tenants in the bridge's config, validated (for `egov hosts harden`)."""
    return parse_tenant_flows(_entries(bridge), platform)


def _converge(bridge: Stack, entries: dict[str, Any], wanted: dict[str, Any]) -> None:
    config = _config(bridge)
    platform, flows = _policy_inputs(bridge, config)
    tenants = parse_tenant_flows(wanted, platform)  # a bad entry stops here, nothing written
    compile_bridge(platform, flows, tenants=tenants, acl_entry_limit=_acl_limit(config))  # quotas too
    if wanted != entries:
        bridge.set_config(CONFIG_KEY, json.dumps(wanted, sort_keys=True, separators=(",", ":")))
    applied = bridge.outputs().get(CONFIG_KEY)
    if applied == wanted:
        return
    _with_pack(bridge).up()


def _with_pack(bridge: Stack) -> Stack:
    if bridge.policy_pack is not None:
        return bridge
    return dataclasses.replace(bridge, policy_pack=POLICY_PACK_DIR, policy_config_check=load_config)


def _config(bridge: Stack) -> dict[str, Any]:
    """The stack's config as ``key -> value`` without the project prefix (one CLI call)."""
    raw = json.loads(bridge.run("config", "--json").stdout or "{}")
    return {key.split(":", 1)[-1]: item.get("value") for key, item in raw.items() if isinstance(item, dict)}


def _entries(bridge: Stack) -> dict[str, Any]:
    text = _config(bridge).get(CONFIG_KEY)
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


@contextmanager
def _locked(bridge: Stack) -> Iterator[None]:
    """Serialise read-change-write-up of the bridge's config on this host: a lock file named after the config
    file (not the file itself, which the CLI replaces when it writes)."""
    digest = hashlib.sha256(str(bridge.config_path.resolve()).encode()).hexdigest()[:16]
    path = Path(tempfile.gettempdir()) / f"egov-bridge-config-{digest}.lock"
    with open(path, "a", encoding="utf-8") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


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
