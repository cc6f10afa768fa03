"""The tenant stack: one department's environment (``Tenant``), from the plan `egov tenant plan` wrote.

Config: ``planFile`` (required: the plan JSON, the one the merge request showed), ``coreStack`` and
``bridgeStack`` (their names or ``<org>/<project>/<stack>``: the transit gateway and the bridge's
attachment come from them), ``accountId`` (the cloud account trusted to assume the department role),
``admitted`` (default false: the extranet stays closed until the compliance gate passes),
``forceDestroy`` (default false; the archive bucket is never force-destroyed), ``offboarded`` (default false;
true after `egov tenant destroy`: only the key, its alias and the archive bucket remain).

Besides the ``Tenant`` component, the stack declares the department's workload host (``stacks/hosts.py``
``tenant_host``) and exports it as ``hosts`` like the core and bridge stacks; an offboarded tenant has none.
"""

from __future__ import annotations

import json
from pathlib import Path

import pulumi

from infra.components.audit import partition_of
from infra.components.tenant import Tenant
from infra.config import PLATFORM_FILE, load_platform
from infra.tenants.plan import TenantPlan
from stacks.bridge import core_reference_name
from stacks.hosts import export_hosts, tenant_host


def load_plan(path: str) -> TenantPlan:
    """The plan file, or a RunError saying what to do."""
    try:
        return TenantPlan.from_json(json.loads(Path(path).read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise pulumi.RunError(f"cannot read the tenant plan {path}: {exc}; run `egov tenant plan "
                              "tenants/<id>.yaml` and set planFile to the JSON it writes") from exc


def build() -> None:
    config = pulumi.Config()
    missing = [key for key in ("planFile", "coreStack", "bridgeStack", "accountId") if not config.get(key)]
    if missing:
        raise pulumi.RunError(f"the tenant stack needs {', '.join(missing)}: pulumi config set <key> <value>")
    plan = load_plan(config.require("planFile"))
    platform = load_platform(config.get("platformFile") or PLATFORM_FILE)
    core = pulumi.StackReference(core_reference_name(config.require("coreStack")))
    bridge = pulumi.StackReference(core_reference_name(config.require("bridgeStack")))
    offboarded = config.get_bool("offboarded") or False
    tenant = Tenant(
        plan,
        stack=pulumi.get_stack(),
        zone_cidrs={name: str(zone.cidr) for name, zone in platform.zones.items()},
        transit_gateway_id=core.get_output("transitGatewayId"),
        bridge_attachment_id=bridge.get_output("attachmentId"),
        account_id=config.require("accountId"),
        partition=partition_of(platform.region),
        admitted=config.get_bool("admitted") or False,
        force_destroy=config.get_bool("forceDestroy") or False,
        offboarded=offboarded,
    )
    pulumi.export("tenant", plan.tenant)
    pulumi.export("cidr", plan.cidr)
    pulumi.export("keyArn", tenant.key.arn)
    pulumi.export("bucketNames", {data_class: bucket.bucket for data_class, bucket in tenant.buckets.items()})
    pulumi.export("offboarded", offboarded)
    if offboarded:
        return
    pulumi.export("vpcId", tenant.vpc.vpc_id)
    pulumi.export("attachmentId", tenant.attachment_id)
    pulumi.export("tgwRouteTableId", tenant.transit_route_table.transit_gateway_route_table_id)
    pulumi.export("roleArn", tenant.role.arn)
    pulumi.export("extranetOpen", tenant.extranet_open)  # what admission compares with (see _set_admitted)
    export_hosts([tenant_host(tenant, plan, stack=pulumi.get_stack())])
