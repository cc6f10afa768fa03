"""``AccountBaseline``: the account-level settings of a landing zone, in every region data may live in.

Per allowed region: EBS encryption by default on, and the cloud's default VPC deleted (its default security
group allows all egress and it has no flow logs; nothing of ours runs there). Once per account: the IAM
password policy of MLPS level 3 (GB/T 22239 8.1.4.1 a: complexity and periodic change). Each region gets an
explicit egov provider with that region and the stack's ``egov:*`` endpoint and retry settings, so the
settings land where the scanner looks for them.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_egov
from pulumi_egov.ec2 import DefaultVpcRemoval, EbsEncryptionByDefault
from pulumi_egov.iam import AccountPasswordPolicy

# At or above what compliance/checks/iam_password_policy_strong requires (8 characters, 3 of 4 classes,
# 90 days, 5 remembered): the CIS AWS Foundations values.
MIN_PASSWORD_LENGTH = 14
MAX_PASSWORD_AGE_DAYS = 90
PASSWORDS_REMEMBERED = 24


class AccountBaseline(pulumi.ComponentResource):
    """Landing-zone settings of the account in ``regions`` (the platform's allowed regions)."""

    def __init__(self, name: str, *, regions: Sequence[str],
                 opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("egov:components:AccountBaseline", name, None, opts)
        settings = pulumi.Config("egov")
        for region in regions:
            provider = pulumi_egov.Provider(
                f"{name}-{region}", region=region, endpoint=settings.get("endpoint"),
                max_retries=settings.get_int("maxRetries"), retry_mode=settings.get("retryMode"),
                opts=pulumi.ResourceOptions(parent=self),
            )
            in_region = pulumi.ResourceOptions(parent=self, provider=provider)
            EbsEncryptionByDefault(f"{name}-ebs-encryption-{region}", opts=in_region)
            DefaultVpcRemoval(f"{name}-no-default-vpc-{region}", opts=in_region)
        self.password_policy = AccountPasswordPolicy(
            f"{name}-password-policy", minimum_password_length=MIN_PASSWORD_LENGTH, require_uppercase_characters=True,
            require_lowercase_characters=True, require_numbers=True, require_symbols=True,
            max_password_age=MAX_PASSWORD_AGE_DAYS, password_reuse_prevention=PASSWORDS_REMEMBERED,
            opts=pulumi.ResourceOptions(parent=self))
        self.register_outputs({})
