"""Fixtures for integration tests: a real embedded environment (moto server + OpenBao) in a temp dir,
for the provider tests, a plain moto server of each test module's own, and for the OpenBao tests a real
OpenBao of each test module's own."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import boto3
import pytest

from infra.engine import Stack
from infra.local.environment import LocalEnvironment
from infra.local.openbao import OpenBao
from infra.local.paths import LocalPaths
from infra.provider.clients import ClientFactory, ProviderConfig
from infra.provider.errors import ResourceRef
from infra.provider.handler import HandlerContext, ResourceHandler
from tests.integration.moto_server import CREDENTIALS, MOTO_ACCOUNT, boto3_client, moto_server
from tests.integration.openbao_server import openbao_server as start_openbao_server
from tests.integration.provider_checks import AZ_A, AZ_B, REGION, STACK

T = TypeVar("T")


def finish_within(seconds: float, work: Callable[[], T]) -> T:
    """``work()``, waited for at most ``seconds``: a hang fails the test (naming the deadline) instead of
    stalling the suite. Deadlines here are generous on purpose; how fast something is belongs in bench/."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = work()
        except BaseException as exc:  # handed to the test's thread below
            outcome["error"] = exc

    worker = threading.Thread(target=run, name="finish-within", daemon=True)
    worker.start()
    worker.join(seconds)
    if worker.is_alive():
        pytest.fail(f"did not finish within {seconds:.0f}s")
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]  # type: ignore[no-any-return]


@pytest.fixture()
def within() -> Callable[[float, Callable[[], Any]], Any]:
    """``finish_within`` for tests: ``within(60, lambda: bao.up())``."""
    return finish_within


@pytest.fixture(scope="session")
def local_env(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LocalEnvironment]:
    env = LocalEnvironment(LocalPaths(tmp_path_factory.mktemp("egov-home")))
    try:
        env.up()
        yield env
    finally:
        env.down()


@pytest.fixture()
def aws(local_env: LocalEnvironment) -> Callable[[str], Any]:
    """A plain boto3 client factory on the embedded cloud: tests verify through it, never through our code."""
    e = local_env.env()

    def client(service: str) -> Any:
        return boto3.client(
            service, endpoint_url=e["AWS_ENDPOINT_URL"], region_name=e["AWS_DEFAULT_REGION"],
            aws_access_key_id=e["AWS_ACCESS_KEY_ID"], aws_secret_access_key=e["AWS_SECRET_ACCESS_KEY"],
        )

    return client


@pytest.fixture()
def ec2(aws: Callable[[str], Any]) -> Any:
    """The embedded cloud's EC2, through plain boto3."""
    return aws("ec2")


@pytest.fixture()
def stack_factory(local_env: LocalEnvironment, tmp_path: Path) -> Iterator[object]:
    """Make fresh stacks with their config in tmp_path; destroy and remove them afterwards."""
    made: list[Stack] = []

    def make(kind: str = "foundation") -> Stack:
        name = f"t{uuid.uuid4().hex[:8]}"
        stack = Stack(name, env=local_env.env(), config_file=tmp_path / f"Pulumi.{name}.yaml")
        stack.init(local_env.secrets_provider)
        stack.set_config("kind", kind)
        made.append(stack)
        return stack

    yield make
    for stack in made:
        stack.run("destroy", "--yes", "--skip-preview", check=False)
        stack.remove()


@pytest.fixture()
def deployed(stack_factory: Callable[..., Stack]) -> Iterator[tuple[Stack, Stack]]:
    """The platform as the demo makes it: core then bridge, up through the real engine; destroyed bridge first
    afterwards, whatever the test did."""
    core = stack_factory(kind="core")
    core.set_config("archiveForceDestroy", "true")
    core.set_config("keyDeletionWindowDays", "7")
    core.set_config("accountId", MOTO_ACCOUNT)
    bridge = stack_factory(kind="bridge")
    bridge.set_config("coreStack", core.name)
    try:
        core.up()
        bridge.up()
        yield core, bridge
    finally:
        bridge.run("destroy", "--yes", "--skip-preview", check=False)
        core.run("destroy", "--yes", "--skip-preview", check=False)


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """A moto server of the requesting test module's own on a free loopback port, stopped after the module."""
    with moto_server() as endpoint:
        yield endpoint


@pytest.fixture(scope="module")
def moto_aws(moto_endpoint: str) -> Callable[[str], Any]:
    """A plain boto3 client factory on the module's own moto server: the provider tests verify what the
    handlers did (and make drift behind their back) through it, never through the code under test."""

    def client(service: str) -> Any:
        return boto3_client(service, moto_endpoint, REGION)

    return client


@pytest.fixture(scope="module")
def moto_ec2(moto_aws: Callable[[str], Any]) -> Any:
    return moto_aws("ec2")


@pytest.fixture(scope="module")
def clients(moto_endpoint: str) -> ClientFactory:
    """The provider's clients on the module's moto server (two attempts, so failures show fast)."""
    return ClientFactory(ProviderConfig(region=REGION, endpoint=moto_endpoint, max_attempts=2))


@pytest.fixture()
def context(clients: ClientFactory) -> Callable[[ResourceHandler], HandlerContext]:
    """A HandlerContext for a fresh resource of the handler's family, in the tests' stack (``STACK``)."""

    def make(handler: ResourceHandler) -> HandlerContext:
        urn = f"urn:pulumi:{STACK}::egov::{handler.type_token}::r{uuid.uuid4().hex[:8]}"
        return HandlerContext(resource=ResourceRef.from_urn(urn), clients=clients, timeout=30)

    return make


@pytest.fixture(scope="module")
def vpc(moto_ec2: Any) -> str:
    """A VPC made with boto3 on the module's moto server, for the families that live in one."""
    return str(moto_ec2.create_vpc(CidrBlock="10.60.0.0/16")["Vpc"]["VpcId"])


@pytest.fixture(scope="module")
def subnets(moto_ec2: Any, vpc: str) -> list[str]:
    """Two plain subnets of ``vpc`` made with boto3, for families that need some."""
    return [
        moto_ec2.create_subnet(VpcId=vpc, CidrBlock=cidr, AvailabilityZone=az)["Subnet"]["SubnetId"]
        for cidr, az in (("10.60.200.0/24", AZ_A), ("10.60.201.0/24", AZ_B))
    ]


@pytest.fixture()
def moto_credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    """moto accepts any keys; the provider uses the normal boto3 chain, so put test keys in the environment."""
    for key, value in CREDENTIALS.items():
        monkeypatch.setenv(key, value)
    monkeypatch.delenv("AWS_PROFILE", raising=False)


@pytest.fixture(scope="module")
def openbao_server(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[OpenBao]:
    """A real OpenBao of the requesting test module's own, up in a fresh LocalPaths root (named after the
    module), stopped after the module; killed by its recorded PID if stopping it fails."""
    name = request.module.__name__.rsplit(".", 1)[-1].removeprefix("test_").replace("_", "-")
    with start_openbao_server(tmp_path_factory.mktemp(f"egov-{name}")) as bao:
        yield bao


@pytest.fixture(scope="module")
def bao(openbao_server: OpenBao) -> OpenBao:
    """The module's own OpenBao under the name the OpenBao tests use; a module that needs setup of its own
    (tenants, data) overrides this fixture and builds on ``openbao_server``."""
    return openbao_server
