"""Fixtures every test layer shares: running the provider's coroutines, and Pulumi's mocks."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pulumi
import pytest

T = TypeVar("T")

MockArgs = pulumi.runtime.MockResourceArgs


def run_on_private_loop(coro: Coroutine[Any, Any, T]) -> T:
    """Run ``coro`` to completion on a loop of its own; unlike ``asyncio.run`` this leaves the thread's
    current loop (which Pulumi's mocks use) alone."""
    loop = asyncio.new_event_loop()
    try:
        return loop.run_until_complete(coro)
    finally:
        loop.close()


@pytest.fixture()
def run_async() -> Callable[[Coroutine[Any, Any, Any]], Any]:
    """``run_async(provider.create(...))``: a provider coroutine, run to completion (see ``run_on_private_loop``)."""
    return run_on_private_loop


class RecordingMocks(pulumi.runtime.Mocks):
    """Pulumi mocks that record every resource registered into ``registered`` and answer with its inputs
    plus ``outputs(args)``, under the id ``resource_id(args)``."""

    def __init__(
        self,
        registered: list[MockArgs],
        outputs: Callable[[MockArgs], dict[str, Any]],
        resource_id: Callable[[MockArgs], str],
    ) -> None:
        self.registered = registered
        self.outputs = outputs
        self.resource_id = resource_id

    def new_resource(self, args: MockArgs) -> tuple[str | None, dict[str, Any]]:
        self.registered.append(args)
        return self.resource_id(args), {**args.inputs, **self.outputs(args)}

    def call(self, args: pulumi.runtime.MockCallArgs) -> tuple[dict[str, Any], list[tuple[str, str]] | None]:
        return {}, None


def _default_id(args: MockArgs) -> str:
    return args.resource_id or f"{args.name}-id"


@pytest.fixture()
def pulumi_mocks() -> Iterator[Callable[..., RecordingMocks]]:
    """Install ``RecordingMocks``: ``pulumi_mocks(registered, outputs=..., resource_id=...)``. The SDK's mocks
    need a current event loop (an earlier ``asyncio.run()`` may have unset it): a fresh one is set for the
    test and closed afterwards."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)

    def install(
        registered: list[MockArgs],
        outputs: Callable[[MockArgs], dict[str, Any]] = lambda args: {},
        resource_id: Callable[[MockArgs], str] = _default_id,
    ) -> RecordingMocks:
        registered.clear()
        mocks = RecordingMocks(registered, outputs, resource_id)
        pulumi.runtime.set_mocks(mocks, preview=False)
        return mocks

    try:
        yield install
    finally:
        asyncio.set_event_loop(None)
        loop.close()
