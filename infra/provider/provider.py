"""The ``egov`` provider: the engine's gRPC calls, dispatched to resource handlers.

This class is the only code that knows about the engine. Per request it picks the
handler by type token, converts properties with ``convert`` (unknowns, secrets),
keeps previews free of cloud calls, and runs the blocking boto3 work in a thread so
the asyncio gRPC server keeps serving the engine's parallel requests.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Mapping
from typing import Any

from pulumi.provider.experimental.property_value import PropertyValue
from pulumi.provider.experimental.provider import (
    CheckFailure,
    CheckRequest,
    CheckResponse,
    ConfigureRequest,
    ConfigureResponse,
    CreateRequest,
    CreateResponse,
    DeleteRequest,
    DiffRequest,
    DiffResponse,
    GetSchemaRequest,
    GetSchemaResponse,
    PropertyDiff,
    PropertyDiffKind,
    Provider,
    ReadRequest,
    ReadResponse,
    UpdateRequest,
    UpdateResponse,
)

from infra.provider import PACKAGE, convert
from infra.provider.account import (
    AccountPasswordPolicyHandler,
    DefaultVpcRemovalHandler,
    EbsEncryptionByDefaultHandler,
)
from infra.provider.clients import ClientFactory, ProviderConfig
from infra.provider.cloudtrail import TrailHandler
from infra.provider.ec2_acl import NetworkAclEntryHandler, NetworkAclHandler
from infra.provider.ec2_endpoints import VpcEndpointHandler
from infra.provider.ec2_flowlogs import FlowLogHandler
from infra.provider.ec2_gateways import InternetGatewayHandler
from infra.provider.ec2_instances import InstanceHandler
from infra.provider.ec2_routes import RouteTableAssociationHandler, RouteTableHandler
from infra.provider.ec2_security import (
    DefaultSecurityGroupLockdownHandler,
    SecurityGroupHandler,
    SecurityGroupRuleGuardHandler,
    SecurityGroupRuleHandler,
)
from infra.provider.ec2_subnets import SubnetHandler
from infra.provider.ec2_tgw import TransitGatewayHandler
from infra.provider.ec2_tgw_attachments import TransitGatewayVpcAttachmentHandler
from infra.provider.ec2_tgw_links import (
    TransitGatewayRouteTableAssociationHandler,
    TransitGatewayRouteTablePropagationHandler,
)
from infra.provider.ec2_tgw_route_tables import TransitGatewayRouteTableHandler
from infra.provider.ec2_tgw_routes import TransitGatewayRouteHandler
from infra.provider.ec2_vpc import VpcHandler
from infra.provider.errors import ProviderError, ResourceRef
from infra.provider.handler import DiffKind, HandlerContext, HandlerRegistry, ResourceHandler, is_unknown
from infra.provider.iam import RoleHandler, RolePolicyAttachmentHandler, RolePolicyHandler
from infra.provider.kms import AliasHandler, KeyHandler
from infra.provider.logs import LogGroupHandler
from infra.provider.s3 import BucketHandler
from infra.provider.schema import package_schema_json

log = logging.getLogger(__name__)

_DIFF_KINDS: dict[DiffKind, PropertyDiffKind] = {
    DiffKind.ADD: PropertyDiffKind.ADD,
    DiffKind.ADD_REPLACE: PropertyDiffKind.ADD_REPLACE,
    DiffKind.DELETE: PropertyDiffKind.DELETE,
    DiffKind.DELETE_REPLACE: PropertyDiffKind.DELETE_REPLACE,
    DiffKind.UPDATE: PropertyDiffKind.UPDATE,
    DiffKind.UPDATE_REPLACE: PropertyDiffKind.UPDATE_REPLACE,
}

CONFIG_KEYS = ("endpoint", "region", "retryMode", "maxRetries")


def default_registry() -> HandlerRegistry:
    """Every resource family the provider serves; a new family is one more entry here."""
    return HandlerRegistry([
        # the network around a VPC
        VpcHandler(), SubnetHandler(), InternetGatewayHandler(),
        RouteTableHandler(), RouteTableAssociationHandler(),
        SecurityGroupHandler(), SecurityGroupRuleHandler(),
        DefaultSecurityGroupLockdownHandler(), SecurityGroupRuleGuardHandler(),
        NetworkAclHandler(), NetworkAclEntryHandler(), FlowLogHandler(), VpcEndpointHandler(),
        # the transit gateway joining the zones
        TransitGatewayHandler(), TransitGatewayRouteTableHandler(), TransitGatewayVpcAttachmentHandler(),
        TransitGatewayRouteTableAssociationHandler(), TransitGatewayRouteTablePropagationHandler(),
        TransitGatewayRouteHandler(),
        # the hosts
        InstanceHandler(),
        # keys, storage, audit and identity
        KeyHandler(), AliasHandler(), BucketHandler(), LogGroupHandler(), TrailHandler(),
        RoleHandler(), RolePolicyHandler(), RolePolicyAttachmentHandler(),
        # account-level settings (per region or per account)
        EbsEncryptionByDefaultHandler(), DefaultVpcRemovalHandler(), AccountPasswordPolicyHandler(),
    ])


def config_from_request(args: Mapping[str, PropertyValue], variables: Mapping[str, str]) -> dict[str, Any]:
    """Provider settings from Configure/CheckConfig: structured args, else legacy variables.

    Unknown values (a setting computed from another resource, during preview) count as
    unset; previews make no cloud calls, so nothing uses them before they are known.
    """
    plain, _ = convert.to_plain(args)
    values: dict[str, Any] = {}
    for key in CONFIG_KEYS:
        value = plain.get(key)
        if value is None:
            value = variables.get(f"{PACKAGE}:config:{key}", variables.get(f"{PACKAGE}:{key}"))
        if value is None or is_unknown(value) or value == "":
            continue
        values[key] = value
    return values


def build_config(values: Mapping[str, Any]) -> tuple[ProviderConfig, list[tuple[str, str]]]:
    """A ProviderConfig from settings (env fallbacks applied) and every problem with it,
    each as (setting name, message)."""
    problems: list[tuple[str, str]] = []
    attempts = values.get("maxRetries")
    if attempts is not None and not isinstance(attempts, int):
        text = str(attempts)
        if text.isdigit():
            attempts = int(text)
        else:
            problems.append(("maxRetries", f"maxRetries must be a whole number, got {attempts!r}"))
            attempts = None
    strings: dict[str, str | None] = {}
    for key in ("endpoint", "region", "retryMode"):
        value = values.get(key)
        if value is not None and not isinstance(value, str):
            problems.append((key, f"{key} must be a string, got {type(value).__name__}"))
            value = None
        strings[key] = value
    config = ProviderConfig.resolve(
        endpoint=strings["endpoint"],
        region=strings["region"],
        retry_mode=strings["retryMode"],
        max_attempts=attempts,
    )
    problems.extend((message.split(" ", 1)[0], message) for message in config.problems())
    return config, problems


class EgovProvider(Provider):
    """The Pulumi provider for the ``egov`` package."""

    def __init__(self, registry: HandlerRegistry | None = None, config: ProviderConfig | None = None) -> None:
        super().__init__()
        self.registry = registry if registry is not None else default_registry()
        self._clients: ClientFactory | None = ClientFactory(config) if config is not None else None
        self._cancelled = threading.Event()

    # -- provider-level ------------------------------------------------------------------

    @property
    def clients(self) -> ClientFactory:
        """Clients for the configured cloud; from the environment if Configure has not run."""
        if self._clients is None:
            config = ProviderConfig.resolve()
            problems = config.problems()
            if problems:
                raise ProviderError(f"invalid egov provider settings in the environment: {'; '.join(problems)}")
            self._clients = ClientFactory(config)
        return self._clients

    async def get_schema(self, request: GetSchemaRequest) -> GetSchemaResponse:
        return GetSchemaResponse(schema=package_schema_json(self.registry))

    async def check_config(self, request: CheckRequest) -> CheckResponse:
        _, problems = build_config(config_from_request(request.new_inputs, {}))
        failures = [CheckFailure(name, message) for name, message in problems]
        return CheckResponse(inputs=request.new_inputs, failures=failures or None)

    async def configure(self, request: ConfigureRequest) -> ConfigureResponse:
        config, problems = build_config(config_from_request(request.args, request.variables))
        if problems:
            raise ProviderError(f"invalid egov provider configuration: {'; '.join(m for _, m in problems)}")
        self._clients = ClientFactory(config)
        log.debug("egov provider configured: region=%s endpoint=%s", config.region, config.endpoint)
        # Plain values only: no output values (their unmarshalling is fragile in the
        # experimental SDK) and no resource references; secrets we do keep track of.
        return ConfigureResponse(
            accept_secrets=True, supports_preview=True, accept_resources=False, accept_outputs=False
        )

    async def cancel(self) -> None:
        """Make in-flight waits stop early; the engine is shutting the provider down."""
        self._cancelled.set()

    # -- resources -----------------------------------------------------------------------

    def _start(
        self, urn: str, *, timeout: float = 0.0, random_seed: bytes = b"", needs_cloud: bool = True
    ) -> tuple[ResourceHandler, HandlerContext]:
        ref = ResourceRef.from_urn(urn)
        handler = self.registry.get(ref.type_token)
        clients = self.clients if needs_cloud else self._clients or ClientFactory(ProviderConfig())
        ctx = HandlerContext(
            resource=ref, clients=clients, timeout=timeout, cancelled=self._cancelled, random_seed=random_seed
        )
        return handler, ctx

    async def check(self, request: CheckRequest) -> CheckResponse:
        handler, ctx = self._start(request.urn, random_seed=request.random_seed, needs_cloud=False)
        news, secrets = convert.to_plain(request.new_inputs)
        olds, _ = convert.to_plain(request.old_inputs)
        result = handler.check(ctx, news, olds)
        return CheckResponse(
            inputs=convert.from_plain(result.inputs, secrets | handler.secret_names),
            failures=[CheckFailure(f.property, f.reason) for f in result.failures] or None,
        )

    async def diff(self, request: DiffRequest) -> DiffResponse:
        handler, ctx = self._start(request.urn, needs_cloud=False)
        old_state, _ = convert.to_plain(request.old_state)
        news, _ = convert.to_plain(request.new_inputs)
        result = handler.diff(ctx, request.resource_id, old_state, news, list(request.ignore_changes or []))
        return DiffResponse(
            changes=result.changes,
            replaces=result.replaces,
            stables=result.stables,
            delete_before_replace=result.delete_before_replace,
            diffs=result.diffs,
            # input_diff=False: the comparison is against the old *state*, not old inputs.
            detailed_diff={
                path: PropertyDiff(_DIFF_KINDS[kind], input_diff=False) for path, kind in result.detailed.items()
            },
        )

    async def create(self, request: CreateRequest) -> CreateResponse:
        handler, ctx = self._start(request.urn, timeout=request.timeout, needs_cloud=not request.preview)
        inputs, secrets = convert.to_plain(request.properties)
        if request.preview:
            result = handler.preview_create(ctx, inputs)
        else:
            result = await asyncio.to_thread(handler.create, ctx, inputs)
        return CreateResponse(
            resource_id=result.resource_id,
            properties=convert.from_plain(result.outputs, secrets | handler.secret_names),
        )

    async def read(self, request: ReadRequest) -> ReadResponse:
        handler, ctx = self._start(request.urn)
        state, state_secrets = convert.to_plain(request.properties)
        inputs, input_secrets = convert.to_plain(request.inputs)
        result = await asyncio.to_thread(handler.read, ctx, request.resource_id, state, inputs)
        if result.resource_id is None:
            # An empty id tells the engine the resource is gone; refresh drops it from state.
            return ReadResponse(resource_id="")
        secrets = state_secrets | input_secrets | handler.secret_names
        return ReadResponse(
            resource_id=result.resource_id,
            properties=convert.from_plain(result.outputs, secrets),
            inputs=convert.from_plain(result.inputs, secrets),
        )

    async def update(self, request: UpdateRequest) -> UpdateResponse:
        handler, ctx = self._start(request.urn, timeout=request.timeout, needs_cloud=not request.preview)
        old_state, _ = convert.to_plain(request.olds)
        news, secrets = convert.to_plain(request.news)
        if request.preview:
            outputs = handler.preview_update(ctx, request.resource_id, old_state, news)
        else:
            outputs = await asyncio.to_thread(handler.update, ctx, request.resource_id, old_state, news)
        return UpdateResponse(properties=convert.from_plain(outputs, secrets | handler.secret_names))

    async def delete(self, request: DeleteRequest) -> None:
        handler, ctx = self._start(request.urn, timeout=request.timeout)
        state, _ = convert.to_plain(request.properties)
        await asyncio.to_thread(handler.delete, ctx, request.resource_id, state)
