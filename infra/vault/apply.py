"""``egov vault plan|apply|offboard``: the library side (the CLI only renders).

Order of work, so that nothing is half-applied by surprise: validate the YAML, check OpenBao is
reachable/unsealed/authorised, read everything, compute the full plan, and only then write,
one action at a time in dependency order. If a write fails, :class:`ApplyError` lists exactly
what was applied and what was not; the next run re-reads the server and converges.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from infra.vault import policies as pol
from infra.vault.breakglass import BREAK_GLASS_VARIABLE, break_glass_reason
from infra.vault.errors import PlanRefused, VaultOpsError
from infra.vault.live import Connection, Executor, Observer, preflight
from infra.vault.model import TENANTS_NAMESPACE, DesiredState, Tenant, load_desired, parse_desired
from infra.vault.plan import Action, Finding, Plan, SealState, compute_plan
from infra.vault.resources import Resource, build_resources
from infra.vault.seal import KEYS_DIR_VARIABLE, read_seal_status, seal_tenant, unseal_tenant

Progress = Callable[[str], None]


class ApplyError(VaultOpsError):
    """A write failed mid-way: what was applied, what failed and what was not applied."""

    def __init__(self, address: str, applied: list[Action], failed: Action, error: Exception,
                 remaining: list[Action]) -> None:
        self.applied, self.failed, self.error, self.remaining = applied, failed, error, remaining
        total = len(applied) + 1 + len(remaining)
        lines = [f"apply to {address} stopped at step {len(applied) + 1} of {total}: "
                 f"{failed.describe()} failed: {error}"]
        lines.append(f"applied ({len(applied)}):")
        lines += [f"  + {a.describe()}" for a in applied] or ["  (none)"]
        lines.append(f"not applied ({len(remaining) + 1}):")
        lines += [f"  - {a.describe()}" for a in [failed, *remaining]]
        lines.append("Fix the cause and run `egov vault apply` again: it re-reads OpenBao and does only what is "
                     "still missing.")
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class ApplyResult:
    plan: Plan
    applied: tuple[Action, ...]


def make_plan(conn: Connection, state: DesiredState, rendered_dir: Path | None = None) -> Plan:
    """Read OpenBao (after a preflight) and diff it against the desired state; writes nothing."""
    preflight(conn)
    url_base = state.platform.pki.url_base or conn.address
    resources = build_resources(state, url_base)
    observer = Observer(conn)
    observed = observer.observe(resources)
    findings: list[Finding] = list(observer.findings) + observer.unmanaged_findings(resources)
    if observed.get(f"sys/namespaces/{TENANTS_NAMESPACE}") is not None:
        findings += observer.unmanaged_tenants(TENANTS_NAMESPACE, {t.id for t in state.tenants})
    findings += _new_seal_findings(conn, state, resources, observed)
    if rendered_dir is not None:
        stale = pol.stale_files(state, rendered_dir)
        if stale:
            findings.append(Finding("warning", f"rendered policies in {rendered_dir}",
                                    f"out of date: {', '.join(stale)}",
                                    "run `egov vault render` and commit the result, so review sees what is applied"))
    plan = compute_plan(resources, observed, conn.address, findings, sealed=observer.sealed,
                        seal_states=_seal_states(state, observed))
    return dataclasses.replace(plan, findings=plan.findings + tuple(_break_glass_findings(conn, plan)))


def _break_glass_findings(conn: Connection, plan: Plan) -> list[Finding]:
    """Actions the operators policy refuses on purpose, when there is no break-glass token to run them."""
    if conn.break_glass() is not None:
        return []
    return [Finding("error", str(action.resource), f"needs the break-glass (root) token: {reason}",
                    f"apply it with the root token in {BREAK_GLASS_VARIABLE} (the operator's own token runs "
                    "everything else), or have the platform's root-token holders apply this change")
            for action in plan.actions if (reason := break_glass_reason(action))]


def _namespace_key(tenant: Tenant) -> str:
    return f"{TENANTS_NAMESPACE}/sys/namespaces/{tenant.id}"


def _seal_states(state: DesiredState, observed: dict[str, dict[str, Any] | None]) -> list[SealState]:
    states = []
    for tenant in state.tenants:
        seen = observed.get(_namespace_key(tenant))
        seal = state.namespace_seal(tenant)
        if seen is None:
            states.append(SealState(tenant.id, tenant.namespace, tenant.sealable, exists=False,
                                    threshold=seal.threshold if seal else 0, shares=seal.shares if seal else 0))
            continue
        states.append(SealState(tenant.id, tenant.namespace, tenant.sealable, exists=True,
                                sealable=bool(seen.get("sealable")), sealed=bool(seen.get("sealed")),
                                threshold=int(seen.get("seal_threshold") or 0),
                                shares=int(seen.get("seal_shares") or 0)))
    return states


def _new_seal_findings(conn: Connection, state: DesiredState, resources: list[Resource],
                       observed: dict[str, dict[str, Any] | None]) -> list[Finding]:
    """Where the key shares of each sealable namespace about to be created go; refuse if nowhere."""
    findings = []
    for tenant in state.tenants:
        seal = state.namespace_seal(tenant)
        if seal is None or observed.get(_namespace_key(tenant)) is not None:
            continue
        subject = f"namespace {tenant.namespace} (tenant {tenant.id!r})"
        store = conn.key_store
        if store is None:
            findings.append(Finding(
                "error", subject,
                f"is to be created with its own seal, whose {seal.shares} key shares OpenBao returns only once, "
                f"but there is nowhere to put them ({KEYS_DIR_VARIABLE} is not set)",
                f"set {KEYS_DIR_VARIABLE} to a directory on the key custodians' handover medium and plan again"))
            continue
        where = "the department's key custodians (one share each), then delete the file"
        findings.append(Finding(
            "warning", subject,
            f"is created with its own seal: {seal.shares} key shares ({seal.threshold} unseal it) are returned "
            f"once and written to {store.path(tenant.id)} (0600); apply unseals the namespace with them",
            f"on this machine `egov vault unseal-tenant {tenant.id}` uses that file; in production hand the "
            f"shares to {where}"))
    return findings


def apply_plan(conn: Connection, state: DesiredState, shown: Plan, progress: Progress = lambda _: None,
               rendered_dir: Path | None = None, on_applied: Callable[[Action], None] = lambda _: None) -> ApplyResult:
    """Apply exactly the plan that was shown, after checking OpenBao still needs exactly that."""
    if shown.blocking:
        raise PlanRefused("refusing to apply; nothing was changed:\n"
                          + "\n".join(f"  - {finding}" for finding in shown.blocking))
    fresh = make_plan(conn, state, rendered_dir)
    if fresh.describe() != shown.describe():
        raise VaultOpsError(f"OpenBao at {conn.address} changed since the plan was shown (someone else applied?); "
                            "nothing was changed. Review the new plan with `egov vault plan` and apply again.")
    executor = Executor(conn, conn.break_glass())
    applied: list[Action] = []
    actions = list(fresh.actions)
    for index, action in enumerate(actions):
        progress(f"[{index + 1}/{len(actions)}] {action.describe()}")
        try:
            executor.run(action)
        except Exception as exc:  # any failure: report precisely, then stop
            raise ApplyError(conn.address, applied, action, exc, actions[index + 1:]) from exc
        applied.append(action)
        on_applied(action)
    return ApplyResult(plan=fresh, applied=tuple(applied))


# ------------------------------------------------------------------------------------ sealing


def _declared(state: DesiredState, tenant_id: str) -> Tenant:
    try:
        return state.tenant(tenant_id)
    except KeyError as exc:
        raise VaultOpsError(str(exc.args[0])) from None


def seal_tenant_namespace(conn: Connection, state: DesiredState, tenant_id: str) -> str:
    """`egov vault seal-tenant`: seal one tenant's namespace; every other namespace keeps working."""
    preflight(conn)
    tenant = _declared(state, tenant_id)
    return seal_tenant(conn, tenant.namespace, tenant.id)


def unseal_tenant_namespace(conn: Connection, state: DesiredState, tenant_id: str) -> str:
    """`egov vault unseal-tenant`: unseal with the key shares stored on this machine."""
    preflight(conn)
    tenant = _declared(state, tenant_id)
    return unseal_tenant(conn, tenant.namespace, tenant.id, conn.key_store)


def unseal_sealed_tenants(conn: Connection, state: DesiredState) -> list[str]:
    """`egov vault apply --unseal-tenants`: unseal every sealed sealable tenant before planning."""
    preflight(conn)
    done = []
    for tenant in state.tenants:
        if not tenant.sealable or conn.call("GET", TENANTS_NAMESPACE, f"sys/namespaces/{tenant.id}") is None:
            continue
        status = read_seal_status(conn, tenant.namespace)
        if status is not None and status.sealed:
            done.append(unseal_tenant(conn, tenant.namespace, tenant.id, conn.key_store))
    return done


# ------------------------------------------------------------------------------------ offboarding


def mark_offboarded(text: str, tenant_id: str, file: str) -> str:
    """The YAML text with ``offboarded: true`` set on one tenant, comments and layout untouched.

    The edit is textual (PyYAML would drop comments): find the tenant's mapping through the
    composed node tree, then replace its ``offboarded`` value or add the key after ``id``.
    """
    root = yaml.compose(text)
    tenants = _mapping_value(root, "tenants")
    if not isinstance(tenants, yaml.SequenceNode):
        raise VaultOpsError(f"{file}: no `tenants` list to offboard {tenant_id!r} from")
    for item in tenants.value:
        if not isinstance(item, yaml.MappingNode) or _scalar(_mapping_value(item, "id")) != tenant_id:
            continue
        if item.flow_style:
            raise VaultOpsError(f"{file}: tenant {tenant_id!r} is written in flow style ({{...}}); add "
                                "`offboarded: true` to it by hand and run `egov vault apply`")
        lines = text.splitlines(keepends=True)
        for key, value in item.value:
            if _scalar(key) == "offboarded":
                line = lines[value.start_mark.line]
                lines[value.start_mark.line] = (line[:value.start_mark.column] + "true"
                                                + line[value.end_mark.column:])
                return "".join(lines)
        id_key = next(key for key, _ in item.value if _scalar(key) == "id")
        id_line = id_key.start_mark.line
        if not lines[id_line].endswith("\n"):
            lines[id_line] += "\n"
        lines.insert(id_line + 1, " " * id_key.start_mark.column + "offboarded: true\n")
        return "".join(lines)
    raise VaultOpsError(f"{file}: no tenant with id {tenant_id!r}; offboarding needs a declared tenant")


def _mapping_value(node: yaml.Node | None, key: str) -> yaml.Node | None:
    if not isinstance(node, yaml.MappingNode):
        return None
    for k, v in node.value:
        if _scalar(k) == key:
            return v
    return None


def _scalar(node: yaml.Node | None) -> str | None:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else None


def offboard_desired(path: Path, tenant_id: str) -> tuple[str, DesiredState]:
    """The edited file text and its validated state; the file itself is not written yet."""
    state = load_desired(path)
    try:
        state.tenant(tenant_id)
    except KeyError as exc:
        raise VaultOpsError(f"{path}: {exc.args[0]}") from None
    text = mark_offboarded(path.read_text(encoding="utf-8"), tenant_id, str(path))
    new_state = parse_desired(text, str(path))
    if not new_state.tenant(tenant_id).offboarded:
        raise VaultOpsError(f"{path}: could not mark tenant {tenant_id!r} offboarded automatically; add "
                            "`offboarded: true` to it by hand and run `egov vault apply`")
    return text, new_state

