"""Rules shared by the scanner's checks (live evidence) and the policy pack (planned properties).

Each rule decides one resource from a plain dict in the shape the cloud API returns it (the live
evidence shape), and returns the problem as a phrase ("is not encrypted") or None when compliant. The
checks pass what boto3 read; the pack converts the planned inputs of our provider's types into the same
shape with :mod:`compliance.rules.planned`, so one function decides both moments and they cannot drift.
``RULES`` names every shared rule with the catalog clauses its check and its policy both cite.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import yaml

from compliance.rules.audit_logs import RETENTION_MINIMUM_DAYS, flow_logs_missing, retention_too_short
from compliance.rules.instances import imdsv1_allowed, public_ip_outside_internet, user_data_secret
from compliance.rules.keys import key_rotation_off
from compliance.rules.network import (
    HIGH_RISK_PORTS,
    INTERNET,
    extranet_exposed,
    internet_admin_ports,
    open_to_internet,
)
from compliance.rules.residency import region_outside
from compliance.rules.storage import (
    PI_TAG,
    bucket_not_kms_encrypted,
    pi_bucket_unprotected,
    public_bucket,
    volume_unencrypted,
)


@dataclass(frozen=True)
class SharedRule:
    """A rule as both moments cite it: the check folder that judges live evidence, whose metadata holds
    the clauses (one source: the pack's messages cite what the check's ``clauses`` say)."""

    name: str
    check: str

    @property
    def clauses(self) -> tuple[str, ...]:
        return _check_clauses(self.check)


@functools.cache
def _check_clauses(check: str) -> tuple[str, ...]:
    from compliance.checks.registry import CHECKS_DIR  # lazily: the check modules import these rules

    metadata = yaml.safe_load((CHECKS_DIR / check / "metadata.yaml").read_text())
    return tuple(metadata["clauses"])


RULES: tuple[SharedRule, ...] = (
    SharedRule("public-bucket", "s3_bucket_level_public_access_block"),
    SharedRule("internet-admin-ports", "ec2_securitygroup_allow_ingress_from_internet_to_high_risk_ports"),
    SharedRule("bucket-unencrypted", "s3_bucket_kms_encryption"),
    SharedRule("volume-unencrypted", "ec2_ebs_volume_encryption"),
    SharedRule("key-rotation-off", "kms_cmk_rotation_enabled"),
    SharedRule("flow-logs-missing", "vpc_flow_logs_enabled"),
    SharedRule("region-outside-allowlist", "egov_data_residency"),
    SharedRule("extranet-exposed", "egov_extranet_isolation"),
    SharedRule("log-retention-short", "cloudwatch_log_group_retention_180_days"),
    SharedRule("instance-imdsv1", "ec2_instance_imdsv2_required"),
    SharedRule("instance-public-ip", "ec2_instance_no_public_ip"),
    SharedRule("instance-user-data-secret", "ec2_instance_user_data_no_secrets"),
)
RULES_BY_NAME = {rule.name: rule for rule in RULES}

__all__ = [
    "HIGH_RISK_PORTS", "INTERNET", "PI_TAG", "RETENTION_MINIMUM_DAYS", "RULES", "RULES_BY_NAME", "SharedRule",
    "bucket_not_kms_encrypted", "extranet_exposed", "flow_logs_missing", "imdsv1_allowed", "internet_admin_ports",
    "key_rotation_off", "open_to_internet", "pi_bucket_unprotected", "public_bucket", "public_ip_outside_internet",
    "region_outside", "retention_too_short", "user_data_secret", "volume_unencrypted",
]
