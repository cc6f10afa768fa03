"""Opening and closing a tenant's flows through the extranet bridge.

placeholder: the ``tenantflows`` branch replaces this module with the real one (the bridge stack's compiler
learns tenant flows); until then onboarding calls these with exactly their final signatures and they do nothing.
"""

from __future__ import annotations

from infra.engine import Stack
from infra.tenants.plan import TenantPlan


def open_tenant_flows(bridge: Stack, plan: TenantPlan) -> None:
    """placeholder"""


def close_tenant_flows(bridge: Stack, tenant: str) -> None:
    """placeholder"""
