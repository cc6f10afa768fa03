"""Backend URLs (pure parsing and building) and the remembered backend choice of an embedded environment."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pytest

from infra.local.backend import BackendChoice, backend_url, s3_backend, select_backend, tls_only_policy
from infra.local.paths import LocalPaths
from infra.local.process import LocalEnvError
from infra.state_backend import BackendURLError, FileBackend, S3Backend, parse_backend_url

CLOUD = {"AWS_ENDPOINT_URL": "http://127.0.0.1:41234", "AWS_REGION": "cn-north-1",
         "AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


def test_the_embedded_bucket_url_carries_the_parameters_gocloud_reads() -> None:
    url = s3_backend("egov-pulumi-state", CLOUD).url
    parsed = urlparse(url)
    # Read back with the standard library, not with our parser: these are the names gocloud.dev's s3blob
    # (v0.46) takes: endpoint with its scheme, path-style addressing, the region; and no credentials.
    assert (parsed.scheme, parsed.netloc, parsed.path) == ("s3", "egov-pulumi-state", "")
    assert parse_qs(parsed.query) == {"endpoint": ["http://127.0.0.1:41234"], "s3ForcePathStyle": ["true"],
                                      "region": ["cn-north-1"],
                                      "response_checksum_validation": ["when_required"]}
    assert "testing" not in url


def test_s3_urls_round_trip_and_scheme_less_endpoints_get_one_as_pulumi_gives_them() -> None:
    backend = S3Backend("b", endpoint="https://oss.gov.example:443", region="cn-north-1", prefix="ops/state",
                        profile="ci", path_style=True, checksum_when_required=True)
    assert parse_backend_url(backend.url) == backend
    assert backend.key(".pulumi", "stacks") == "ops/state/.pulumi/stacks"
    assert parse_backend_url("s3://b?endpoint=minio:9000&disableSSL=true") == S3Backend("b", "http://minio:9000")
    assert parse_backend_url("s3://b?endpoint=minio:9000") == S3Backend("b", "https://minio:9000")
    assert parse_backend_url("s3://b?use_path_style=true") == S3Backend("b", path_style=True)
    assert parse_backend_url("s3://b") == S3Backend("b")


def test_file_urls_and_refusals() -> None:
    assert parse_backend_url("file:///srv/state") == FileBackend(Path("/srv/state"))
    with pytest.raises(BackendURLError, match="names no bucket"):
        parse_backend_url("s3://?region=x")
    with pytest.raises(BackendURLError, match="not azblob://"):
        parse_backend_url("azblob://container")


def test_tls_only_policy_denies_plain_http_on_bucket_and_objects() -> None:
    [statement] = tls_only_policy("b")["Statement"]
    assert statement["Effect"] == "Deny" and statement["Principal"] == "*"
    assert statement["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    assert set(statement["Resource"]) == {"arn:aws:s3:::b", "arn:aws:s3:::b/*"}


def test_egov_file_urls_read_back_and_write_no_sidecar(tmp_path: Path) -> None:
    backend = FileBackend(tmp_path)
    assert parse_backend_url(backend.url) == backend
    assert "metadata=skip" in backend.url  # fileblob's sidecar is rewritten in place: a kill leaves it empty


def test_only_broken_sidecars_are_named(tmp_path: Path) -> None:
    stacks = tmp_path / ".pulumi" / "stacks" / "egov-cloud"
    stacks.mkdir(parents=True)
    (stacks / "a.json.attrs").write_text('{"user.content_type": "application/json"}\n')
    (stacks / "b.json.attrs").write_bytes(b"")  # Create ran, the JSON never came: every read says "EOF"
    (stacks / "c.json.attrs").write_text('{"user.content_ty')
    (stacks / "d.json").write_bytes(b"")  # not a sidecar
    assert FileBackend(tmp_path).broken_sidecars() == [stacks / "b.json.attrs", stacks / "c.json.attrs"]
    assert FileBackend(tmp_path / "absent").broken_sidecars() == []


def test_file_is_the_default_and_the_choice_is_remembered(tmp_path: Path) -> None:
    paths = LocalPaths(tmp_path)
    assert backend_url(paths, CLOUD) == f"file://{paths.pulumi_state}?metadata=skip"
    BackendChoice("s3", "egov-pulumi-state").save(paths)
    assert json.loads(paths.backend_choice.read_text()) == {"kind": "s3", "bucket": "egov-pulumi-state"}
    assert backend_url(paths, CLOUD).startswith("s3://egov-pulumi-state?endpoint=http%3A%2F%2F127.0.0.1%3A41234")


@pytest.mark.parametrize("content", ['{"kind": "gs"}', '{"kind": "s3"}', "[1]", "not json"])
def test_a_damaged_choice_names_the_file(tmp_path: Path, content: str) -> None:
    paths = LocalPaths(tmp_path)
    paths.backend_choice.parent.mkdir(parents=True)
    paths.backend_choice.write_text(content)
    with pytest.raises(LocalEnvError, match=f"{paths.backend_choice}: .*`egov local up --backend file\\|s3`"):
        BackendChoice.load(paths)


def test_moving_a_file_backend_with_stacks_to_s3_is_refused_before_any_bucket(tmp_path: Path) -> None:
    paths = LocalPaths(tmp_path)
    stacks = paths.pulumi_state / ".pulumi" / "stacks" / "egov-cloud"
    stacks.mkdir(parents=True)
    (stacks / "demo-core.json").write_text("{}")
    (stacks / "demo-core.json.bak").write_text("{}")
    (stacks / "demo-bridge.json.gz").write_bytes(b"")
    # CLOUD points at a port nothing listens on: reaching for the bucket would fail differently.
    with pytest.raises(LocalEnvError) as refused:
        select_backend(paths, "s3", CLOUD)
    message = str(refused.value)
    assert (f"keeps its Pulumi state in file (file://{paths.pulumi_state}?metadata=skip) with 2 stack(s): "
            "demo-bridge, demo-core") in message
    assert "switching to s3 would leave them behind" in message and "another EGOV_HOME" in message
    assert not paths.backend_choice.exists()
