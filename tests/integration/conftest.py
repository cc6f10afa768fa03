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
from tests.integration.moto_server import CREDENTIALS, moto_server
from tests.integration.openbao_server import openbao_server as start_openbao_server

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
def ec2(local_env: LocalEnvironment):  # type: ignore[no-untyped-def]
    """A plain boto3 client on the embedded cloud: tests verify through it, never through our code."""
    e = local_env.env()
    return boto3.client(
        "ec2", endpoint_url=e["AWS_ENDPOINT_URL"], region_name=e["AWS_DEFAULT_REGION"],
        aws_access_key_id=e["AWS_ACCESS_KEY_ID"], aws_secret_access_key=e["AWS_SECRET_ACCESS_KEY"],
    )


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


@pytest.fixture(scope="module")
def moto_endpoint() -> Iterator[str]:
    """A moto server of the requesting test module's own on a free loopback port, stopped after the module."""
    with moto_server() as endpoint:
        yield endpoint


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
