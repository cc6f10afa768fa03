"""boto3 clients built from the provider's configuration.

One place decides endpoint, region, retries and timeouts so every resource family
talks to the same cloud the same way: moto on loopback by default, a real
AWS-compatible endpoint by configuration.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from botocore.exceptions import BotoCoreError

from infra.provider import VERSION

if TYPE_CHECKING:  # boto3 is imported on first use: check, diff and previews never need it (0.3 CPU-s)
    import boto3
    from botocore.config import Config

DEFAULT_REGION = "cn-north-1"
DEFAULT_RETRY_MODE = "standard"
# Enough attempts to ride out API throttling (RequestLimitExceeded) and 5xx bursts
# when the engine runs many resource operations in parallel.
DEFAULT_MAX_ATTEMPTS = 10
RETRY_MODES = ("standard", "adaptive")


@dataclass(frozen=True)
class ProviderConfig:
    """Where and how the provider talks to the cloud."""

    region: str = DEFAULT_REGION
    endpoint: str | None = None
    retry_mode: str = DEFAULT_RETRY_MODE
    max_attempts: int = DEFAULT_MAX_ATTEMPTS

    @classmethod
    def resolve(
        cls,
        *,
        endpoint: str | None = None,
        region: str | None = None,
        retry_mode: str | None = None,
        max_attempts: int | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> ProviderConfig:
        """Explicit values win, then the usual AWS environment variables, then defaults.

        Does not validate: callers report ``problems()`` in their own way.
        """
        env = os.environ if environ is None else environ
        resolved_region = region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION") or DEFAULT_REGION
        resolved_endpoint = endpoint or env.get("AWS_ENDPOINT_URL") or None
        mode = retry_mode or env.get("AWS_RETRY_MODE") or DEFAULT_RETRY_MODE
        attempts = max_attempts
        if attempts is None:
            raw = env.get("AWS_MAX_ATTEMPTS")
            attempts = int(raw) if raw and raw.isdigit() else DEFAULT_MAX_ATTEMPTS
        return cls(region=resolved_region, endpoint=resolved_endpoint, retry_mode=mode, max_attempts=attempts)

    def problems(self) -> list[str]:
        """Why this configuration cannot work (empty when it can)."""
        found: list[str] = []
        if self.endpoint is not None:
            parsed = urlparse(self.endpoint)
            if parsed.scheme not in ("http", "https") or not parsed.netloc:
                found.append(f"endpoint {self.endpoint!r} must be an http(s) URL such as http://127.0.0.1:5000")
        if not self.region:
            found.append("region must not be empty")
        if self.retry_mode not in RETRY_MODES:
            found.append(f"retryMode {self.retry_mode!r} must be one of {', '.join(RETRY_MODES)}")
        if self.max_attempts < 1:
            found.append(f"maxRetries must be at least 1, got {self.max_attempts}")
        return found


class ClientFactory:
    """Creates and caches one boto3 client per service for a ProviderConfig.

    boto3 clients are thread-safe once built but sessions are not, so building is
    serialised; the provider runs blocking handler calls in worker threads.
    """

    def __init__(self, config: ProviderConfig, session: boto3.session.Session | None = None) -> None:
        self.config = config
        self._session = session
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    def _botocore_config(self) -> Config:
        from botocore.config import Config

        return Config(
            region_name=self.config.region,
            retries={"mode": self.config.retry_mode, "max_attempts": self.config.max_attempts},
            connect_timeout=10,
            read_timeout=60,
            user_agent_extra=f"egov-provider/{VERSION}",
        )

    def client(self, service: str) -> Any:
        """The cached boto3 client for ``service`` (``ec2``, ``kms``...)."""
        with self._lock:
            cached = self._clients.get(service)
            if cached is not None:
                return cached
            if self._session is None:
                self._session = _new_session(self.config.region)
            made = self._session.client(
                service,
                region_name=self.config.region,
                endpoint_url=self.config.endpoint,
                config=self._botocore_config(),
            )
            self._clients[service] = made
            return made

    def partition(self) -> str | None:
        """The ARN partition of the configured region (``aws-cn`` for cn-*), if botocore knows it."""
        session = self._session or _new_session(self.config.region)
        try:
            return str(session.get_partition_for_region(self.config.region))
        except (BotoCoreError, ValueError):
            return None


def _new_session(region: str) -> boto3.session.Session:
    import boto3

    return boto3.session.Session(region_name=region)
