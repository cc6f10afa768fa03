"""A plain moto server subprocess of a test module's own, and boto3 clients that talk to it.

Unlike ``local_env`` (the embedded, persistent cloud), this is a throwaway ``python -m moto.server``
on a free loopback port with nothing but what the tests make. ``conftest.py`` turns it into the
module-scoped ``moto_endpoint`` fixture, so each test module gets a server (and a cloud) of its own.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import boto3

from infra.local.process import LOOPBACK, free_port, port_accepts

# moto accepts any keys; these are what the tests' clients and environment use.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
MOTO_ACCOUNT = "123456789012"  # the account moto answers every call for


@contextlib.contextmanager
def moto_server(start_timeout: float = 30) -> Iterator[str]:
    """A moto server of our own on a free loopback port, stopped on exit; yields its endpoint URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + start_timeout
        while not port_accepts(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"moto server did not start on port {port}")
            time.sleep(0.1)
        yield f"http://{LOOPBACK}:{port}"
    finally:
        stop_process(proc)


def stop_process(proc: subprocess.Popen[bytes], timeout: float = 10) -> None:
    """Stop a subprocess a test started: terminate, and kill it if it is still there after ``timeout``."""
    proc.terminate()
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def boto3_client(service: str, endpoint: str, region: str) -> Any:
    """A plain boto3 client on ``endpoint``: tests verify (and make drift) through it, never through our code."""
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint,
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )
