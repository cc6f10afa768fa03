"""ACL policies rendered from one template per role, so no tenant's policy is written by hand.

The rendered files are committed under ``policies/vault/rendered/`` for review; a unit test
checks that they match what the templates produce, and ``egov vault plan`` warns when they
are stale. ``string.Template`` keeps this free of new dependencies; the values substituted
are validated identifiers (tenant ids, mount names) plus the one-line department name.
"""

from __future__ import annotations

from pathlib import Path
from string import Template

from infra.repository import REPO_ROOT
from infra.vault.model import TENANTS_NAMESPACE, DesiredState, Tenant

TEMPLATES_DIR = REPO_ROOT / "policies" / "vault" / "templates"
DEFAULT_DESIRED = REPO_ROOT / "policies" / "vault" / "tenants.yaml"

# Names and mounts shared by the resource builder and the templates.
PIPELINE_POLICY = "pipeline"
OPERATORS_POLICY = "operators"
PULUMI_POLICY = "pulumi"
AUDITOR_POLICY = "auditor"
# OpenBao's built-in policy, attached to every token not created with no_default_policy. It is managed
# (kept exactly as shipped) so that plan reports any change to it, in the root and every tenant namespace.
DEFAULT_POLICY = "default"
PULUMI_ROLE = "pulumi"
PIPELINE_ROLE = "pipeline"
KV_MOUNT = "kv"
TRANSIT_MOUNT = "transit"
PKI_MOUNT = "pki"
ROOT_PKI_MOUNT = "pki"
INT_PKI_MOUNT = "pki_int"
APPROLE_MOUNT = "approle"
# The CIDR ledger of `egov tenant plan` (infra/tenants/ledger.py uses it; a unit test checks both agree):
# a KV v2 mount with check-and-set required, and the one policy that may read and CAS-write its document.
LEDGER_MOUNT = "tenant-ledger"
LEDGER_POLICY = "tenant-ledger"
LEDGER_DOCUMENT = "cidrs"
LEDGER_MAX_VERSIONS = 100
LEDGER_TEMPLATE = REPO_ROOT / "policies" / "vault" / "ledger" / "tenant-ledger.hcl.tmpl"

TEMPLATE_FOR_ROLE = {
    "pipeline": "tenant-pipeline.hcl.tmpl",
    "pipeline-offboarded": "tenant-offboarded.hcl.tmpl",
    "operators": "operators.hcl.tmpl",
    "pulumi": "pulumi.hcl.tmpl",
    "auditor": "auditor.hcl.tmpl",
    "default": "default.hcl.tmpl",
}


def _template(role: str, templates_dir: Path) -> Template:
    return Template((templates_dir / TEMPLATE_FOR_ROLE[role]).read_text(encoding="utf-8"))


def transit_key_name(tenant: Tenant) -> str:
    """The tenant's transit key is named after the tenant, which keeps audit lines readable."""
    return tenant.id


def pki_role_name(tenant: Tenant) -> str:
    return tenant.id


def render_tenant_policy(tenant: Tenant, templates_dir: Path = TEMPLATES_DIR) -> str:
    """The pipeline policy of one tenant: full access while active, decrypt/read-only once offboarded."""
    role = "pipeline-offboarded" if tenant.offboarded else "pipeline"
    return _template(role, templates_dir).substitute(
        tenant=tenant.id,
        department=tenant.department,
        namespace=tenant.namespace,
        transit_key=transit_key_name(tenant),
        pki_role=pki_role_name(tenant),
    )


def render_operators_policy(templates_dir: Path = TEMPLATES_DIR) -> str:
    return _template("operators", templates_dir).substitute(
        root_pki=ROOT_PKI_MOUNT, int_pki=INT_PKI_MOUNT, transit=TRANSIT_MOUNT, tenants=TENANTS_NAMESPACE,
        pipeline_policy=PIPELINE_POLICY, approle=APPROLE_MOUNT, pipeline_role=PIPELINE_ROLE,
        pulumi_role=PULUMI_ROLE, ledger=LEDGER_MOUNT,
    )


def render_pulumi_policy(pulumi_key: str, templates_dir: Path = TEMPLATES_DIR) -> str:
    """Encrypt and decrypt with the one transit key of Pulumi's secrets provider; nothing else."""
    return _template("pulumi", templates_dir).substitute(transit=TRANSIT_MOUNT, pulumi_key=pulumi_key)


def render_ledger_policy(template: Path = LEDGER_TEMPLATE) -> str:
    """Read and check-and-set write of the ledger document, read of its metadata; nothing else."""
    return Template(template.read_text(encoding="utf-8")).substitute(mount=LEDGER_MOUNT, document=LEDGER_DOCUMENT)


def render_auditor_policy(templates_dir: Path = TEMPLATES_DIR) -> str:
    """Read and list what the scan judges (configuration and metadata), in the root and every tenant
    namespace; never a secret (KV data, transit encrypt/decrypt/export, AppRole role-id/secret-id)."""
    return _template("auditor", templates_dir).substitute(
        root_pki=ROOT_PKI_MOUNT, int_pki=INT_PKI_MOUNT, pki=PKI_MOUNT, transit=TRANSIT_MOUNT,
        tenants=TENANTS_NAMESPACE, approle=APPROLE_MOUNT,
    )


def render_default_policy(templates_dir: Path = TEMPLATES_DIR) -> str:
    return _template("default", templates_dir).substitute()


def render_all(state: DesiredState, templates_dir: Path = TEMPLATES_DIR) -> dict[str, str]:
    """Relative file name -> policy text, for every policy the desired state installs."""
    rendered = {f"root/{OPERATORS_POLICY}.hcl": render_operators_policy(templates_dir),
                f"root/{PULUMI_POLICY}.hcl": render_pulumi_policy(state.platform.pulumi_key, templates_dir),
                f"root/{AUDITOR_POLICY}.hcl": render_auditor_policy(templates_dir),
                f"root/{DEFAULT_POLICY}.hcl": render_default_policy(templates_dir),
                f"root/{LEDGER_POLICY}.hcl": render_ledger_policy()}
    for tenant in sorted(state.tenants, key=lambda t: t.id):
        rendered[f"{TENANTS_NAMESPACE}/{tenant.id}/{PIPELINE_POLICY}.hcl"] = render_tenant_policy(
            tenant, templates_dir)
    return rendered


def rendered_dir_for(desired_file: Path) -> Path:
    """Rendered policies live next to the desired-state file they come from."""
    return desired_file.parent / "rendered"


def kept_rendered_dir(desired_file: Path) -> Path | None:
    """The rendered policies' folder when it is kept (next to the file): only then is its staleness checked."""
    directory = rendered_dir_for(desired_file)
    return directory if directory.is_dir() else None


def stale_files(state: DesiredState, out_dir: Path, templates_dir: Path = TEMPLATES_DIR) -> list[str]:
    """Files under ``out_dir`` that are missing, differ, or no longer belong (relative names, sorted)."""
    wanted = render_all(state, templates_dir)
    stale = [name for name, text in wanted.items()
             if not (out_dir / name).is_file() or (out_dir / name).read_text(encoding="utf-8") != text]
    if out_dir.is_dir():
        stale += [str(path.relative_to(out_dir)) for path in out_dir.rglob("*.hcl")
                  if str(path.relative_to(out_dir)) not in wanted]
    return sorted(stale)


def write_rendered(state: DesiredState, out_dir: Path, templates_dir: Path = TEMPLATES_DIR) -> list[str]:
    """Write the rendered policies, drop files of tenants no longer declared; returns what changed."""
    changed = stale_files(state, out_dir, templates_dir)
    wanted = render_all(state, templates_dir)
    for name in changed:
        path = out_dir / name
        if name in wanted:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(wanted[name], encoding="utf-8")
        else:
            path.unlink()
            if path.parent != out_dir and not any(path.parent.iterdir()):
                path.parent.rmdir()
    return changed
