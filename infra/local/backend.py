"""The Pulumi backend of the embedded environment: a directory (``file://``, the default) or a bucket in the
embedded cloud's object storage (``egov local up --backend s3``).

The choice is remembered in ``.egov/pulumi/backend.json`` like the rest of the embedded environment, so
`egov local env`, `egov demo`, `egov recover` and the status all use the same backend without being told
again. Moving a ``.egov`` whose backend holds stacks to the other backend is refused: the stacks would be
left behind, and the next `up` would create every resource a second time.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from infra.engine import engine_version
from infra.local.paths import LocalPaths
from infra.local.process import LocalEnvError
from infra.local.status import PartStatus
from infra.state_backend import FileBackend, S3Backend

BACKEND_KINDS = ("file", "s3")
DEFAULT_KIND = "file"
STATE_BUCKET = "egov-pulumi-state"
STATE_KEY_ALIAS = "alias/egov-pulumi-state"
STACKS_PREFIX = (".pulumi", "stacks")
STATE_VERSION_DAYS = 180
"""How long a replaced checkpoint stays restorable. Pulumi writes the whole checkpoint at every step (about 1,000
versions for one demo), so versions without an expiry grow without end; 180 days matches the log retention
the MLPS asks for, so any state an audit log refers to can still be read."""


@dataclass(frozen=True)
class BackendChoice:
    """Which backend this ``.egov`` uses; for s3, the bucket (the endpoint is the embedded cloud's, read when
    the URL is built, since its port is the cloud's own setting)."""

    kind: str = DEFAULT_KIND
    bucket: str = ""

    @classmethod
    def load(cls, paths: LocalPaths) -> BackendChoice:
        path = paths.backend_choice
        if not path.exists():
            return cls()
        try:
            data = json.loads(path.read_text())
            kind, bucket = data["kind"], str(data.get("bucket", ""))
        except (ValueError, KeyError, TypeError) as exc:
            raise LocalEnvError(f"{path}: not a backend choice ({type(exc).__name__}: {exc}); delete it and run "
                                "`egov local up --backend file|s3` again") from exc
        if kind not in BACKEND_KINDS or (kind == "s3" and not bucket):
            raise LocalEnvError(f"{path}: field 'kind' is {kind!r} with bucket {bucket!r}; expected 'file', or "
                                "'s3' with a bucket; delete it and run `egov local up --backend file|s3` again")
        return cls(kind, bucket)

    def save(self, paths: LocalPaths) -> None:
        paths.backend_choice.parent.mkdir(parents=True, exist_ok=True)
        tmp = paths.backend_choice.with_suffix(".tmp")
        tmp.write_text(json.dumps({"kind": self.kind, "bucket": self.bucket}) + "\n")
        tmp.replace(paths.backend_choice)


def s3_backend(bucket: str, cloud_env: Mapping[str, str]) -> S3Backend:
    """The embedded cloud's bucket as a backend: path-style addressing (moto on 127.0.0.1 has no virtual hosts),
    and response checksums only where required (moto sends none)."""
    return S3Backend(bucket=bucket, endpoint=cloud_env["AWS_ENDPOINT_URL"], region=cloud_env["AWS_REGION"],
                     path_style=True, checksum_when_required=True)


def backend_url(paths: LocalPaths, cloud_env: Mapping[str, str] | None = None) -> str:
    """PULUMI_BACKEND_URL for this ``.egov``; ``cloud_env`` (the embedded cloud's environment) for s3."""
    choice = BackendChoice.load(paths)
    if choice.kind == "file":
        return FileBackend(paths.pulumi_state).url
    if cloud_env is None:
        raise LocalEnvError("the s3 backend needs the embedded cloud's address (pass its environment)")
    return s3_backend(choice.bucket, cloud_env).url


# ---- stacks on either backend

def file_stacks(paths: LocalPaths) -> list[str]:
    stacks_dir = paths.pulumi_state / ".pulumi" / "stacks"
    return sorted(p.name.split(".json")[0] for p in stacks_dir.rglob("*.json*")
                  if p.name.endswith((".json", ".json.gz"))) if stacks_dir.exists() else []


def bucket_stacks(backend: S3Backend, client: Any) -> list[str]:
    """Stack names from the checkpoint keys (``.pulumi/stacks/<project>/<stack>.json``), backups excluded."""
    prefix = backend.key(*STACKS_PREFIX) + "/"
    names: set[str] = set()
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=backend.bucket, Prefix=prefix):
        for entry in page.get("Contents", []):
            name = entry["Key"].rsplit("/", 1)[-1]
            if name.endswith((".json", ".json.gz")):
                names.add(name.split(".json")[0])
    return sorted(names)


# ---- the state bucket

def tls_only_policy(bucket: str) -> dict[str, Any]:
    """Deny every request not made over TLS (aws:SecureTransport), on the bucket and its objects."""
    return {
        "Version": "2012-10-17",
        "Statement": [{
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }],
    }


def _state_key(kms: Any) -> str:
    """The state bucket's KMS key (by alias), made once with rotation on; returns its ARN."""
    for page in kms.get_paginator("list_aliases").paginate():
        for alias in page.get("Aliases", []):
            if alias["AliasName"] == STATE_KEY_ALIAS and alias.get("TargetKeyId"):
                return str(kms.describe_key(KeyId=alias["TargetKeyId"])["KeyMetadata"]["Arn"])
    key = kms.create_key(Description="egov: encrypts the Pulumi state bucket",
                         Tags=[{"TagKey": "egov:purpose", "TagValue": "pulumi-state"}])["KeyMetadata"]
    kms.enable_key_rotation(KeyId=key["KeyId"])
    kms.create_alias(AliasName=STATE_KEY_ALIAS, TargetKeyId=key["KeyId"])
    return str(key["Arn"])


def ensure_state_bucket(s3: Any, kms: Any, bucket: str, region: str) -> str:
    """Create (or bring back in line) the state bucket: versioned, encrypted by its own KMS key by default,
    public access blocked, TLS-only policy. Every step is a put of the whole setting, so this is safe to
    repeat and puts back anything changed by hand. Returns the key's ARN."""
    from botocore.exceptions import ClientError

    try:
        s3.head_bucket(Bucket=bucket)
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") not in ("404", "NoSuchBucket", "NotFound"):
            raise
        create: dict[str, Any] = {"Bucket": bucket}
        if region != "us-east-1":
            create["CreateBucketConfiguration"] = {"LocationConstraint": region}
        s3.create_bucket(**create)
    key_arn = _state_key(kms)
    s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
        "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True, "RestrictPublicBuckets": True})
    s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_arn},
        "BucketKeyEnabled": True}]})
    s3.put_bucket_policy(Bucket=bucket, Policy=json.dumps(tls_only_policy(bucket)))
    s3.put_bucket_lifecycle_configuration(Bucket=bucket, LifecycleConfiguration={"Rules": [{
        "ID": "state-history", "Status": "Enabled", "Filter": {"Prefix": ""},
        "NoncurrentVersionExpiration": {"NoncurrentDays": STATE_VERSION_DAYS},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 7}}]})
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [
        {"Key": "egov:purpose", "Value": "pulumi-state"}, {"Key": "egov:managed-by", "Value": "egov local up"}]})
    return key_arn


def _aws_client(service: str, cloud_env: Mapping[str, str]) -> Any:
    import boto3

    return boto3.client(service, endpoint_url=cloud_env["AWS_ENDPOINT_URL"], region_name=cloud_env["AWS_REGION"],
                        aws_access_key_id=cloud_env["AWS_ACCESS_KEY_ID"],
                        aws_secret_access_key=cloud_env["AWS_SECRET_ACCESS_KEY"])


def select_backend(paths: LocalPaths, kind: str | None, cloud_env: Mapping[str, str]) -> BackendChoice:
    """Use ``kind`` from now on (None: keep the remembered one), setting up its bucket for s3.

    Refuses to move a ``.egov`` whose current backend holds stacks: they would stay behind, unseen, and the
    other backend would start from nothing.
    """
    current = BackendChoice.load(paths)
    if kind is None or kind == current.kind:
        wanted = current
    elif kind not in BACKEND_KINDS:
        raise LocalEnvError(f"--backend {kind!r}: use one of {', '.join(BACKEND_KINDS)}")
    else:
        left = stacks_of(paths, current, cloud_env)
        if left:
            raise LocalEnvError(
                f"this environment ({paths.root}) keeps its Pulumi state in {current.kind} "
                f"({describe(paths, current, cloud_env)}) with {len(left)} stack(s): {', '.join(left)}; "
                f"switching to {kind} would leave them behind and the next `up` would create their resources "
                f"again. Destroy and remove them first (`pulumi destroy` and `pulumi stack rm` of each, after "
                f"`eval \"$(egov local env)\"`), or use another EGOV_HOME for the {kind} backend")
        wanted = BackendChoice(kind, STATE_BUCKET if kind == "s3" else "")
    if wanted.kind == "s3":
        ensure_state_bucket(_aws_client("s3", cloud_env), _aws_client("kms", cloud_env), wanted.bucket,
                            cloud_env["AWS_REGION"])
    if wanted != current or not paths.backend_choice.exists():
        wanted.save(paths)
    return wanted


def describe(paths: LocalPaths, choice: BackendChoice, cloud_env: Mapping[str, str]) -> str:
    if choice.kind == "file":
        return FileBackend(paths.pulumi_state).url
    return s3_backend(choice.bucket, cloud_env).url


def stacks_of(paths: LocalPaths, choice: BackendChoice, cloud_env: Mapping[str, str]) -> list[str]:
    """The stacks a backend holds (an s3 bucket that does not exist yet holds none)."""
    if choice.kind == "file":
        return file_stacks(paths)
    from botocore.exceptions import ClientError

    backend = s3_backend(choice.bucket, cloud_env)
    try:
        return bucket_stacks(backend, backend.client(cloud_env))
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "NoSuchBucket":
            return []
        raise


def backend_status(paths: LocalPaths, cloud_env: Mapping[str, str]) -> PartStatus:
    """Healthy when the backend can be read (the directory exists, or the bucket answers) and the engine runs."""
    try:
        version = engine_version()
        engine_ok = True
    except (OSError, subprocess.CalledProcessError) as exc:
        version, engine_ok = f"unavailable ({exc})", False
    try:
        choice = BackendChoice.load(paths)
    except LocalEnvError as exc:
        return PartStatus("pulumi backend", running=False, healthy=False, version=version, detail=str(exc))
    address = describe(paths, choice, cloud_env)
    if choice.kind == "file":
        readable, stacks, problem = paths.pulumi_state.is_dir(), file_stacks(paths), "no state directory yet"
    else:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            stacks, readable, problem = stacks_of(paths, choice, cloud_env), True, ""
        except (BotoCoreError, ClientError) as exc:
            stacks, readable, problem = [], False, f"bucket {choice.bucket} cannot be read: {exc}"
    listed = f"{len(stacks)} stack(s): {', '.join(stacks)}" if stacks else "no stacks yet"
    detail = listed if readable else problem
    return PartStatus(name="pulumi backend", running=readable, healthy=readable and engine_ok, address=address,
                      version=version, detail=detail)
