"""Where Pulumi keeps its state: a ``file://`` directory or an ``s3://`` bucket, as one URL.

The URL is the one source of truth: egov builds it for the embedded cloud (``egov local up --backend s3``),
an operator sets it for a real endpoint (``PULUMI_BACKEND_URL``), and everything that reads the backend
directly (the lock reader, the backend's status) parses it back here, never a second setting.

The s3 query parameters are those gocloud.dev's s3blob driver accepts in the version the engine is built
with (v0.46.1, aws-sdk-go-v2; ``blob/s3blob/s3blob.go`` and ``aws/aws.go``): ``endpoint``, ``region``,
``profile``, ``s3ForcePathStyle`` (alias of ``use_path_style``), ``disable_https``, ``ssetype``,
``kmskeyid``; Pulumi v3.274.1 adds ``request_checksum_calculation=when_required`` itself when an endpoint
is set (``translateLegacyS3Params``). Credentials never go into the URL: the engine and boto3 both read
them from the standard AWS environment (``AWS_ACCESS_KEY_ID``... or ``AWS_PROFILE``).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlparse

_TRUE = frozenset({"1", "true", "t", "yes"})


class BackendURLError(ValueError):
    """A backend URL egov cannot read; the message says which part and why."""


@dataclass(frozen=True)
class S3Backend:
    """An ``s3://bucket[/prefix]?endpoint=...&region=...`` backend."""

    bucket: str
    endpoint: str = ""
    region: str = ""
    prefix: str = ""
    profile: str = ""
    path_style: bool = False
    checksum_when_required: bool = False
    """Validate response checksums only where the API requires them (``response_checksum_validation``):
    S3-compatible stores such as moto send none, and the SDK would warn on every read."""

    @property
    def url(self) -> str:
        query: dict[str, str] = {}
        if self.endpoint:
            query["endpoint"] = self.endpoint
        if self.path_style:
            query["s3ForcePathStyle"] = "true"
        if self.region:
            query["region"] = self.region
        if self.profile:
            query["profile"] = self.profile
        if self.checksum_when_required:
            query["response_checksum_validation"] = "when_required"
        path = f"/{self.prefix}" if self.prefix else ""
        return f"s3://{self.bucket}{path}" + (f"?{urlencode(query)}" if query else "")

    def key(self, *parts: str) -> str:
        """An object key under the backend's prefix, e.g. ``key(".pulumi", "stacks")``."""
        return "/".join(part.strip("/") for part in (self.prefix, *parts) if part)

    def location(self, key: str) -> str:
        """An object as an operator would look for it (no credentials: the URL never holds any)."""
        return f"s3://{self.bucket}/{key}"

    def client(self, environ: Mapping[str, str]) -> Any:
        """A boto3 S3 client that reaches the bucket as the engine does: same endpoint, region, addressing,
        and credentials from the same environment."""
        import boto3
        from botocore.config import Config

        session = boto3.session.Session(
            aws_access_key_id=environ.get("AWS_ACCESS_KEY_ID"),
            aws_secret_access_key=environ.get("AWS_SECRET_ACCESS_KEY"),
            aws_session_token=environ.get("AWS_SESSION_TOKEN"),
            profile_name=self.profile or environ.get("AWS_PROFILE") or None,
            region_name=self.region or environ.get("AWS_REGION") or environ.get("AWS_DEFAULT_REGION") or None,
        )
        config = Config(s3={"addressing_style": "path" if self.path_style else "auto"},
                        retries={"max_attempts": 3, "mode": "standard"})
        return session.client("s3", endpoint_url=self.endpoint or None, config=config)


FILEBLOB_SIDECAR = ".attrs"


@dataclass(frozen=True)
class FileBackend:
    """A ``file://`` backend: a directory.

    Its URL asks gocloud.dev's fileblob for ``metadata=skip``. By default fileblob keeps a ``<key>.attrs``
    sidecar beside every checkpoint and lock and rewrites it in place (``os.Create``, then the JSON), while
    the checkpoint itself is written to a temporary file and renamed. An engine killed between the two, or a
    reader arriving at that moment, meets an empty sidecar, and from then on every read of the stack fails
    with ``error: EOF`` (``failed to load checkpoint: EOF``). The sidecar holds only a content type and an
    MD5 that nothing checks on read, so egov does without it."""

    root: Path

    @property
    def url(self) -> str:
        return f"file://{self.root}?metadata=skip"

    def broken_sidecars(self) -> list[Path]:
        """The sidecars an older run left empty or cut short (a store written before ``metadata=skip``):
        fileblob still reads a sidecar that exists, so one broken file makes its stack unreadable, and
        deleting it loses nothing."""
        broken = []
        for sidecar in sorted(self.root.rglob(f"*{FILEBLOB_SIDECAR}")) if self.root.is_dir() else []:
            try:
                json.loads(sidecar.read_bytes() or b"!")
            except (ValueError, OSError):
                broken.append(sidecar)
        return broken


def parse_backend_url(url: str) -> FileBackend | S3Backend:
    """The backend a ``PULUMI_BACKEND_URL`` names; raises BackendURLError for one egov cannot read."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        path = unquote(parsed.netloc + parsed.path) if parsed.netloc not in ("", "localhost") else unquote(parsed.path)
        if path.startswith("~"):
            path = str(Path(path).expanduser())
        return FileBackend(Path(path))
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise BackendURLError(f"backend URL {url!r} names no bucket: use s3://<bucket>?endpoint=...&region=...")
        query = {key: values[-1] for key, values in parse_qs(parsed.query).items()}
        path_style = (query.get("s3ForcePathStyle") or query.get("use_path_style") or "").lower() in _TRUE
        endpoint = query.get("endpoint", "")
        if endpoint and "://" not in endpoint:  # as Pulumi itself completes a scheme-less endpoint
            insecure = (query.get("disableSSL") or query.get("disable_https") or "").lower() in _TRUE
            endpoint = f"{'http' if insecure else 'https'}://{endpoint}"
        return S3Backend(bucket=parsed.netloc, endpoint=endpoint, region=query.get("region", ""),
                         prefix=unquote(parsed.path).strip("/"), profile=query.get("profile", ""),
                         path_style=path_style,
                         checksum_when_required=query.get("response_checksum_validation") == "when_required")
    raise BackendURLError(f"backend URL {url!r}: egov reads file:// and s3:// backends, not "
                          f"{parsed.scheme or '(no scheme)'}://")
