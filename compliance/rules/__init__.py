"""Rules shared by the scanner's checks (live evidence) and the policy pack (planned properties).

Each rule decides one resource from a plain dict in the shape the cloud API returns it (the live
evidence shape), and returns the problem as a phrase ("is not encrypted") or None when compliant. The
checks pass what boto3 read; the pack converts the planned inputs of our provider's types into the same
shape with :mod:`compliance.rules.planned`, so one function decides both moments and they cannot drift.
``RULES`` names every shared rule with the catalog clauses its check and its policy both cite.
"""

from __future__ import annotations

from dataclasses import dataclass

from compliance.rules.audit_logs import RETENTION_MINIMUM_DAYS, flow_logs_missing, retention_too_short
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
    """A rule as both moments cite it: the check folder that judges live evidence and the clauses."""

    name: str
    check: str
    clauses: tuple[str, ...]


RULES: tuple[SharedRule, ...] = (
    SharedRule("public-bucket", "s3_bucket_level_public_access_block", ("CMP-29", "PI-10")),
    SharedRule("internet-admin-ports", "ec2_securitygroup_allow_ingress_from_internet_to_high_risk_ports",
               ("CMP-15", "CMP-16")),
    SharedRule("bucket-unencrypted", "s3_bucket_kms_encryption", ("CMP-23", "PI-09", "S-03")),
    SharedRule("volume-unencrypted", "ec2_ebs_volume_encryption", ("CMP-23",)),
    SharedRule("key-rotation-off", "kms_cmk_rotation_enabled", ("CRY-03",)),
    SharedRule("flow-logs-missing", "vpc_flow_logs_enabled", ("BND-13.a", "BND-13.b")),
    SharedRule("region-outside-allowlist", "egov_data_residency", ("CLD-01", "CLD-20", "PI-05", "S-10")),
    SharedRule("extranet-exposed", "egov_extranet_isolation", ("EGV-01", "BND-01")),
    SharedRule("log-retention-short", "cloudwatch_log_group_retention_180_days", ("SMC-07", "BND-14", "CMP-12")),
)
RULES_BY_NAME = {rule.name: rule for rule in RULES}

__all__ = [
    "HIGH_RISK_PORTS", "INTERNET", "PI_TAG", "RETENTION_MINIMUM_DAYS", "RULES", "RULES_BY_NAME", "SharedRule",
    "bucket_not_kms_encrypted", "extranet_exposed", "flow_logs_missing", "internet_admin_ports", "key_rotation_off",
    "open_to_internet", "pi_bucket_unprotected", "public_bucket", "region_outside", "retention_too_short",
    "volume_unencrypted",
]
