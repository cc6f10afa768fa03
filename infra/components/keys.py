"""``KeySet``: one customer managed KMS key per purpose, rotation on, alias ``alias/egov-<stack>-<purpose>``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pulumi
from pulumi_egov.kms import Alias, Key

from infra.components.inputs import PolicyInput, policy_json

DEFAULT_PURPOSES = ("audit", "logs", "data")
# Keys are never deleted at once: destroy schedules deletion after this many days (7-30).
DEFAULT_DELETION_WINDOW_DAYS = 30


def alias_name(stack: str, purpose: str) -> str:
    return f"alias/egov-{stack}-{purpose}"


def audit_key_policy(account_id: str, partition: str) -> dict[str, Any]:
    """The audit key's policy: the account administers it; CloudTrail and the log delivery service (VPC flow
    logs into the SSE-KMS archive) may encrypt with it for this account only. Without such a policy AWS
    refuses a trail that names the key (InsufficientEncryptionPolicyException)."""
    own_account = {"StringEquals": {"aws:SourceAccount": account_id}}
    encrypt = ["kms:GenerateDataKey*", "kms:Encrypt", "kms:Decrypt", "kms:DescribeKey"]
    return {
        "Version": "2012-10-17",
        "Statement": [
            {"Sid": "AccountAdministers", "Effect": "Allow",
             "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"}, "Action": "kms:*", "Resource": "*"},
            {"Sid": "CloudTrailEncrypts", "Effect": "Allow", "Principal": {"Service": "cloudtrail.amazonaws.com"},
             "Action": ["kms:GenerateDataKey*", "kms:DescribeKey"], "Resource": "*", "Condition": own_account},
            {"Sid": "LogDeliveryEncrypts", "Effect": "Allow", "Principal": {"Service": "delivery.logs.amazonaws.com"},
             "Action": encrypt, "Resource": "*", "Condition": own_account},
        ],
    }


class KeySet(pulumi.ComponentResource):
    """The stack's KMS keys. ``keys[purpose]`` and ``arns[purpose]`` for the components that encrypt.

    ``policies[purpose]`` sets a key's policy; keys without one get the cloud's default (account only).
    """

    keys: dict[str, Key]
    aliases: dict[str, Alias]

    def __init__(
        self,
        name: str,
        *,
        stack: str,
        purposes: Sequence[str] = DEFAULT_PURPOSES,
        deletion_window_days: int = DEFAULT_DELETION_WINDOW_DAYS,
        policies: Mapping[str, PolicyInput] | None = None,
        tags: Mapping[str, str] | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        if len(set(purposes)) != len(purposes) or not purposes:
            raise ValueError(f"KeySet {name}: purposes must be distinct and non-empty, got {list(purposes)}")
        unknown = sorted(set(policies or {}) - set(purposes))
        if unknown:
            raise ValueError(f"KeySet {name}: key policies given for unknown purposes {unknown}")
        super().__init__("egov:components:KeySet", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.keys = {}
        self.aliases = {}
        for purpose in purposes:
            key = Key(
                f"{name}-{purpose}",
                description=f"egov-cloud {stack}: {purpose} key (customer managed, yearly rotation)",
                enable_key_rotation=True,
                pending_window_in_days=deletion_window_days,
                policy=policy_json((policies or {}).get(purpose)),
                tags={**(tags or {}), "egov:stack": stack, "egov:purpose": purpose},
                opts=child,
            )
            self.keys[purpose] = key
            self.aliases[purpose] = Alias(
                f"{name}-{purpose}-alias", name=alias_name(stack, purpose), target_key_id=key.key_id, opts=child
            )
        self.register_outputs({"arns": self.arns})

    @property
    def arns(self) -> dict[str, pulumi.Output[str | None]]:
        return {purpose: key.arn for purpose, key in self.keys.items()}

    def arn(self, purpose: str) -> pulumi.Output[str | None]:
        if purpose not in self.keys:
            raise KeyError(f"no {purpose!r} key in this key set; it has: {', '.join(self.keys)}")
        return self.keys[purpose].arn
