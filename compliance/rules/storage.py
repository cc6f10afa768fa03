"""Storage rules: public buckets, default encryption, personal-information buckets."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from compliance.text import Text, text

PUBLIC_ACCESS_SETTINGS = ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets")
KMS_ALGORITHMS = ("aws:kms", "aws:kms:dsse")
PI_TAG = "egov:pi"
"""Tag marking a bucket that holds personal information ("true")."""
CLASSIFICATION_TAG = "egov:data-classification"
TENANT_TAG = "egov:tenant"


def public_bucket(bucket: Mapping[str, Any]) -> Text | None:
    """All four public-access-block settings must be on (``PublicAccessBlock``)."""
    block = bucket.get("PublicAccessBlock") or {}
    off = [name for name in PUBLIC_ACCESS_SETTINGS if block.get(name) is not True]
    if not off:
        return None
    return text("does not block public access: {off} off", "未阻止公共访问: {off} 未开启", off=", ".join(off))


def _algorithms(bucket: Mapping[str, Any]) -> list[Any]:
    rules = (bucket.get("Encryption") or {}).get("Rules") or ()
    return [r.get("ApplyServerSideEncryptionByDefault", {}).get("SSEAlgorithm") for r in rules]


def bucket_not_kms_encrypted(bucket: Mapping[str, Any]) -> Text | None:
    """Default encryption with a KMS key (``Encryption.Rules``), not SSE-S3 or none."""
    algorithms = _algorithms(bucket)
    if not algorithms:
        return text("has no default encryption", "未配置默认加密")
    if not any(algorithm in KMS_ALGORITHMS for algorithm in algorithms):
        return text("encrypts with {alg}, not with a KMS key", "使用 {alg} 加密, 而非 KMS 密钥",
                    alg=", ".join(str(a) for a in algorithms))
    return None


def volume_unencrypted(volume: Mapping[str, Any]) -> Text | None:
    return None if volume.get("Encrypted") is True else text("is not encrypted", "未加密")


def _tags(item: Mapping[str, Any]) -> dict[str, str]:
    raw = item.get("Tags")
    if isinstance(raw, list):
        return {str(tag.get("Key")): str(tag.get("Value", "")) for tag in raw if isinstance(tag, Mapping)}
    return {str(k): str(v) for k, v in (raw or {}).items()}


def pi_bucket_unprotected(bucket: Mapping[str, Any], tenant_keys: Mapping[str, str] | None = None) -> Text | None:
    """A bucket tagged as holding personal information needs a classification tag and default encryption
    with a customer key of its tenant. ``tenant_keys`` maps key ids/ARNs to the owning tenant; None means
    the owners are unknown (then any KMS key id is accepted, the tenant cannot be proven wrong)."""
    tags = _tags(bucket)
    if tags.get(PI_TAG, "").lower() != "true":
        return None
    missing = [tag for tag in (CLASSIFICATION_TAG, TENANT_TAG) if not tags.get(tag)]
    if missing:
        return text("holds personal information but has no {tags} tag", "存放个人信息但缺少 {tags} 标签",
                    tags=" or ".join(missing))
    key_ids = [r.get("ApplyServerSideEncryptionByDefault", {}).get("KMSMasterKeyID")
               for r in (bucket.get("Encryption") or {}).get("Rules") or ()]
    key_ids = [key for key in key_ids if key]
    if not key_ids:
        return text("holds personal information but is not encrypted with a customer key of its tenant",
                    "存放个人信息但未使用本租户的客户密钥加密")
    if tenant_keys is not None:
        tenant = tags[TENANT_TAG]
        if not any(tenant_keys.get(str(key)) == tenant for key in key_ids):
            return text("holds personal information of {tenant} but its key {key} is not {tenant}'s",
                        "存放 {tenant} 的个人信息, 但其密钥 {key} 不属于 {tenant}", tenant=tenant, key=key_ids[0])
    return None
