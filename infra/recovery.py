"""Bring a stack back in line with the cloud after an interrupted or failed run.

Two kinds of debris: pending creates the engine recorded but never confirmed (cleared with the
engine's own `refresh --clear-pending-creates`), and resources the cloud made whose create
response never arrived (found by the provider's owner tag and deleted). Afterwards `pulumi up`
creates whatever is missing exactly once.
"""

from __future__ import annotations

import json
from collections.abc import Callable

import boto3
import yaml

from infra.engine import Stack
from infra.provider.clients import ClientFactory, ProviderConfig
from infra.provider.recovery import Leftover, delete_leftovers, find_leftovers


def _clients(stack: Stack) -> ClientFactory:
    """Clients as the stack's provider would build them: its config, then the stack's environment."""
    config = json.loads(stack.run("config", "--json").stdout or "{}")
    resolved = ProviderConfig.resolve(
        endpoint=(config.get("egov:endpoint") or {}).get("value"),
        region=(config.get("egov:region") or {}).get("value"),
        environ=stack.env,
    )
    session = boto3.session.Session(
        aws_access_key_id=stack.env.get("AWS_ACCESS_KEY_ID"),
        aws_secret_access_key=stack.env.get("AWS_SECRET_ACCESS_KEY"),
        aws_session_token=stack.env.get("AWS_SESSION_TOKEN"),
        profile_name=stack.env.get("AWS_PROFILE"),
    )
    return ClientFactory(resolved, session=session)


def recover(stack: Stack, *, dry_run: bool = False, progress: Callable[[str], None] = lambda _: None
            ) -> list[Leftover]:
    """Clear pending creates and delete leftovers; returns the leftovers found."""
    deployment = stack.export().get("deployment", {})
    pending = [op for op in deployment.get("pending_operations") or [] if op.get("type") == "creating"]
    if pending and not dry_run:
        progress(f"clearing {len(pending)} pending create(s) from the state")
        stack.run("refresh", "--yes", "--skip-preview", "--clear-pending-creates")
        deployment = stack.export().get("deployment", {})
    project = yaml.safe_load((stack.project_dir / "Pulumi.yaml").read_text())["name"]
    known = {str(r["id"]) for r in deployment.get("resources") or [] if r.get("id")}
    clients = _clients(stack)
    leftovers = find_leftovers(f"urn:pulumi:{stack.name}::{project}::", known, clients)
    if leftovers and not dry_run:
        delete_leftovers(leftovers, clients, progress)
    return leftovers
