"""Storage rules: public buckets, default encryption, personal-information buckets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PUBLIC_ACCESS_SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
PI_TAG = "egov:pi"
"""Tag marking a bucket that holds personal information ("true")."""
CLASSIFICATION_TAG = "egov:data-classification"
TENANT_TAG = "egov:tenant"


def public_bucket(bucket: Mapping[str, Any]) -> str | None:
    """All four public-access-block settings must be on (``PublicAccessBlock``)."""
    block = bucket.get("PublicAccessBlock") or {}
    off = [name for name in PUBLIC_ACCESS_SETTINGS if block.get(name) is not True]
    return f"does not block public access: {', '.join(off)} off" if off else None


def _algorithms(bucket: Mapping[str, Any]) -> list[Any]:
    rules = (bucket.get("Encryption") or {}).get("Rules") or ()
    return [r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm") for r in rules]


def bucket_not_kms_encrypted(bucket: Mapping[str, Any]) -> str | None:
    """Default encryption with a KMS key (``Encryption.Rules``), not SSE-S3 or none."""
    algorithms = _algorithms(bucket)
    if not algorithms:
        return "has no default encryption"
    if not any(algorithm in KMS_ALGORITHMS for algorithm in algorithms):
        return f"encrypts with {', '.join(str(a) for a in algorithms)}, not with a KMS key"
    return None


def volume_unencrypted(volume: Mapping[str, Any]) -> str | None:
    return None if volume.get("Encrypted") is True else "is not encrypted"


def _tags(item: Mapping[str, Any]) -> dict[str, str]:
    raw = item.get("Tags")
    if isinstance(raw, list):
        return {str(tag.get("Key")): str(tag.get("Value", "")) for tag in raw if isinstance(tag, Mapping)}
    return {str(k): str(v) for k, v in (raw or {}).items()}


def pi_bucket_unprotected(bucket: Mapping[str, Any], tenant_keys: Mapping[str, str] | None = None) -> str | None:
    """A bucket tagged as holding personal information needs a classification tag and default encryption
    with a customer key of its tenant. ``tenant_keys`` maps key ids/ARNs to the owning tenant; None means
    the owners are unknown (then any KMS key id is accepted, the tenant cannot be proven wrong)."""
    tags = _tags(bucket)
    if tags.get(PI_TAG, "").lower() != "true":
        return None
    missing = [tag for tag in (CLASSIFICATION_TAG, TENANT_TAG) if not tags.get(tag)]
    if missing:
        return f"holds personal information but has no {' or '.join(missing)} tag"
    key_ids = [r.get("ApplyServerSideEncryptionByDefault", {}).get("KMSMasterKeyID")
               for r in (bucket.get("Encryption") or {}).get("Rules") or ()]
    key_ids = [key for key in key_ids if key]
    if not key_ids:
        return "holds personal information but is not encrypted with a customer key of its tenant"
    if tenant_keys is not None:
        tenant = tags[TENANT_TAG]
        if not any(tenant_keys.get(str(key)) == tenant for key in key_ids):
            return f"holds personal information of {tenant} but its key {key_ids[0]} is not {tenant}'s"
    return None
