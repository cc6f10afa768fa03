"""`egov cert issue|verify`: parse, call infra/vault/certs.py, render. No certificate logic here."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

import hvac
import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from infra.vault import certs
from infra.vault.errors import VaultOpsError

cert_app = typer.Typer(help="Issue TLS certificates from OpenBao's PKI and verify certificates against our root.",
                       no_args_is_help=True)

console = Console(stderr=True)
out = Console()


def _client(namespace: str) -> hvac.Client:
    """VAULT_ADDR/VAULT_TOKEN/VAULT_CACERT when set, else the embedded OpenBao (see infra/cli/vault_connection.py)."""
    from infra.cli.vault_connection import vault_connection

    return vault_connection().client(namespace)


def _fail(message: str) -> typer.Exit:
    console.print(f"[bold red]error:[/] {escape(message)}")
    return typer.Exit(1)


def _read(path: Path, what: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise _fail(f"cannot read the {what} {path}: {exc.strerror or exc}") from exc


@cert_app.command("issue")
def cert_issue(
    role: Annotated[str, typer.Option("--role", help="PKI role to issue from (it decides the allowed names).")],
    cn: Annotated[str, typer.Option("--cn", help="Common name, also the first SAN.")],
    san: Annotated[list[str] | None, typer.Option("--san", help="Further DNS names or IPs; repeatable.")] = None,
    ttl: Annotated[str | None, typer.Option("--ttl", help="Lifetime like 720h (default: the role's).")] = None,
    out_dir: Annotated[Path | None, typer.Option(
        "--out", help="Write cert.pem, key.pem (0600), chain.pem, ca.pem here; without it the PEMs are printed.",
    )] = None,
    mount: Annotated[str, typer.Option("--mount", help="The issuing PKI mount.")] = certs.DEFAULT_ISSUING_MOUNT,
    namespace: Annotated[str, typer.Option("--namespace", help="OpenBao namespace of the mount.")] = "",
) -> None:
    """Issue a certificate with a new key from OpenBao; refused when a name is outside the role."""
    try:
        issued = certs.issue(_client(namespace), role, cn, san or [], ttl, mount_point=mount)
    except VaultOpsError as exc:
        raise _fail(str(exc)) from exc
    table = Table(title=f"issued from {mount}/issue/{role}", show_header=False)
    table.add_row("serial", issued.serial_number)
    table.add_row("names", escape(", ".join([cn, *(san or [])])))
    table.add_row("key", issued.private_key_type)
    if out_dir is None:
        console.print(table)
        out.print(issued.certificate + "\n" + "".join(p + "\n" for p in issued.chain) + issued.private_key,
                  highlight=False, soft_wrap=True)
        return
    files = certs.write_bundle(issued, out_dir)
    for name, path in files.items():
        table.add_row(name, escape(str(path)))
    console.print(table)


@cert_app.command("verify")
def cert_verify(
    cert: Annotated[Path, typer.Argument(help="Certificate (PEM or DER); a PEM bundle's extra certs are the chain.")],
    chain: Annotated[list[Path] | None, typer.Option("--chain", help="Intermediate CAs (PEM); repeatable.")] = None,
    root: Annotated[Path | None, typer.Option(
        "--root", help="The trusted root (PEM). Default: the CA of --root-mount in the OpenBao that VAULT_ADDR "
        "(or the embedded one) points at.",
    )] = None,
    root_mount: Annotated[str, typer.Option("--root-mount", help="Root PKI mount for the default root.")] = (
        certs.DEFAULT_ROOT_MOUNT),
    name: Annotated[list[str] | None, typer.Option(
        "--name", help="A DNS name or IP the certificate must cover; repeatable.")] = None,
    crl: Annotated[Path | None, typer.Option("--crl", help="Use this CRL (PEM or DER) instead of fetching.")] = None,
    crl_ca: Annotated[Path | None, typer.Option(
        "--crl-ca", help="CA bundle for fetching the CRL over HTTPS (default: VAULT_CACERT, else the system store).",
    )] = None,
    no_fetch: Annotated[bool, typer.Option("--no-crl-fetch", help="Do not fetch the CRL named in the cert.")] = False,
) -> None:
    """Verify chain, signature, key, names, validity, key usage and revocation; exit 1 on any error."""
    try:
        bundle = certs.load_certificates(_read(cert, "certificate"))
    except ValueError as exc:
        raise _fail(f"{cert} holds no certificate: {exc}") from exc
    chain_data: list[certs.CertInput] = [_read(path, "chain file") for path in chain or []]
    chain_data += bundle[1:]
    if root is not None:
        root_data: bytes | str = _read(root, "root certificate")
    else:
        try:
            root_data = certs.read_ca(_client(""), root_mount)
        except VaultOpsError as exc:
            raise _fail(f"{exc}; or pass --root with the trusted root certificate") from exc
    verify: bool | str = str(crl_ca) if crl_ca else os.environ.get("VAULT_CACERT") or True
    result = certs.verify_certificate(
        bundle[0], root=root_data, chain=chain_data, names=name or [],
        crls=[_read(crl, "CRL")] if crl else None, fetch_crls=not no_fetch, crl_verify=verify,
    )
    _render(cert, result)
    if not result.ok:
        raise typer.Exit(1)


def _render(path: Path, result: certs.VerifyResult) -> None:
    summary = Table(title=f"certificate {escape(str(path))}", show_header=False)
    summary.add_row("subject", escape(result.subject))
    summary.add_row("issuer", escape(result.issuer))
    summary.add_row("serial", result.serial)
    if result.not_before and result.not_after:
        summary.add_row("valid", f"{result.not_before:%Y-%m-%d %H:%M} .. {result.not_after:%Y-%m-%d %H:%M} UTC")
    summary.add_row("names", escape(", ".join(result.names)))
    summary.add_row("key", result.key)
    summary.add_row("revocation", escape(result.crl_source or "not checked"))
    out.print(summary)
    if result.findings:
        findings = Table(title="findings")
        for column in ("severity", "code", "message"):
            findings.add_column(column)
        for finding in result.findings:
            colour = "red" if finding.severity == "error" else "yellow"
            findings.add_row(f"[{colour}]{finding.severity}", str(finding.code), escape(finding.message))
        out.print(findings)
    verdict = "[bold green]valid" if result.ok else "[bold red]INVALID"
    out.print(f"{verdict}[/] ({sum(f.severity == 'error' for f in result.findings)} errors, "
              f"{sum(f.severity == 'warning' for f in result.findings)} warnings)")
