"""Cloud evidence: every API the checks need, fetched once per scan, read-only, concurrently.

Works on any AWS-compatible endpoint (a department's existing cloud as well as ours) with the normal boto3
credential chain, and sees every resource, tagged by our stacks or not. Each client carries a guard on
botocore's ``before-call`` event that refuses any operation that is not a read (Describe/List/Get/Search/
Head), so nothing in a scan can change what it inspects, whatever a future check asks for.

An API that fails is recorded under ``errors`` with the reason (the checks needing it report error, never
pass); an endpoint that cannot be reached at all raises ``SourceUnreachable`` naming the address.
"""

from __future__ import annotations

import base64
import csv
import datetime as dt
import io
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    NoCredentialsError,
)

from compliance.checks.base import TENANT_TAG, tags_of
from infra.config.user_data import redact_secrets

READ_PREFIXES = ("Describe", "List", "Get", "Search", "Head", "Lookup")
REPORT_BUILDERS = frozenset({"iam.GenerateCredentialReport"})
"""Calls that are not reads by name but change nothing a check judges: IAM builds the account's credential
report (a snapshot of every user's passwords, MFA and keys) before it can be read, as Prowler does too."""
CREDENTIAL_REPORT_POLLS = 20

# Errors that mean "this setting is simply absent", not "could not read".
ABSENT = {
    "NoSuchBucketPolicy", "NoSuchPublicAccessBlockConfiguration", "ServerSideEncryptionConfigurationNotFoundError",
    "NoSuchTagSet", "NoSuchEntity", "NoSuchLifecycleConfiguration", "ObjectLockConfigurationNotFoundError",
    "TrailNotFoundException",
}

REGIONAL_KEYS = (
    "vpcs", "subnets", "route_tables", "security_groups", "network_acls", "flow_logs", "internet_gateways",
    "nat_gateways", "vpc_peering_connections", "transit_gateway_attachments", "transit_gateway_route_tables",
    "volumes", "snapshots", "ebs_encryption_by_default", "kms_keys", "trails", "log_groups", "instances",
)
GLOBAL_KEYS = ("buckets", "password_policy", "account_summary", "policies", "other_regions", "users",
               "credential_report")


class SourceUnreachable(Exception):
    """The source cannot be reached or refuses us: the scan cannot run (exit 2)."""

    def __init__(self, source: str, address: str, reason: str) -> None:
        self.source, self.address, self.reason = source, address, reason
        super().__init__(f"{source} at {address} is unreachable: {reason}")


class MutatingCallRefused(Exception):
    """A scan tried to call an API that is not a read; refused before it left the process."""


@dataclass
class CallLog:
    """Every API call of the scan, counted per ``service.Operation`` (thread-safe)."""

    counts: Counter[str] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, name: str) -> None:
        with self.lock:
            self.counts[name] += 1

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def plain(value: Any) -> Any:
    """API answers as JSON data: datetimes become ISO text, ResponseMetadata goes."""
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items() if key != "ResponseMetadata"}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


def _field(call: Callable[..., Any], bucket: str, key: str) -> Any:
    return call(Bucket=bucket)[key]


def _error_code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))


def _reason(exc: Exception) -> str:
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".strip()
    return f"{type(exc).__name__}: {exc}"


UNREACHABLE = (EndpointConnectionError, ConnectTimeoutError)


class CloudCollector:
    """Collects ``evidence["cloud"]`` for ``regions`` (fully) and every other region the endpoint lists
    (inventory only, for data residency).

    With ``tenant``, a department's scan: buckets, keys, instances, snapshots and volumes tagged as another
    department's are left out, and their per-item reads are not made (so a gate costs the department's and
    the platform's resources, not every department's, and its evidence holds no other department's data).
    The network (VPCs, subnets, routes, groups, ACLs, attachments) stays whole: isolation is judged on it."""

    def __init__(self, *, regions: Iterable[str], allowed_regions: Iterable[str], endpoint: str | None = None,
                 max_workers: int = 8, session: boto3.session.Session | None = None,
                 connect_timeout: float = 5, read_timeout: float = 60, max_attempts: int = 4,
                 tenant: str | None = None) -> None:
        self.tenant = tenant
        self.left_out: dict[str, int] = {}
        self._left_out_lock = threading.Lock()
        self.regions = list(dict.fromkeys(regions))
        self.allowed_regions = list(allowed_regions)
        self.endpoint = endpoint
        self.max_workers = max_workers
        self.session = session or boto3.session.Session()
        self.config = Config(retries={"max_attempts": max_attempts, "mode": "standard"},
                             connect_timeout=connect_timeout, read_timeout=read_timeout,
                             max_pool_connections=max_workers * 2)
        self.calls = CallLog()
        self._clients: dict[tuple[str, str], Any] = {}
        self._clients_lock = threading.Lock()
        self._items: ThreadPoolExecutor | None = None
        self.account = ""

    @property
    def address(self) -> str:
        return self.endpoint or "the default AWS endpoints"

    # ----------------------------------------------------------------- clients

    def client(self, service: str, region: str) -> Any:
        with self._clients_lock:
            key = (service, region)
            if key not in self._clients:
                client = self.session.client(service, region_name=region, endpoint_url=self.endpoint,
                                             config=self.config)
                client.meta.events.register("before-call.*.*", self._before_call)
                self._clients[key] = client
            return self._clients[key]

    def _before_call(self, model: Any, **_: Any) -> None:
        name = f"{model.service_model.service_name}.{model.name}"
        if not model.name.startswith(READ_PREFIXES) and name not in REPORT_BUILDERS:
            raise MutatingCallRefused(f"the scanner refuses to call {name}: it only reads")
        self.calls.record(name)

    # ----------------------------------------------------------------- collection

    def collect(self, progress: Callable[[str], None] = lambda _: None) -> dict[str, Any]:
        """The cloud evidence bundle; ``SourceUnreachable`` when the endpoint does not answer at all."""
        home = self.regions[0]
        progress(f"cloud: connecting to {self.address}")
        identity = self._probe(home)
        self.account = str(identity.get("Account", ""))
        evidence: dict[str, Any] = {
            "endpoint": self.endpoint, "account": identity.get("Account", ""), "allowed_regions": self.allowed_regions,
            "scanned_regions": self.regions, "global": {}, "regions": {region: {} for region in self.regions},
            "errors": {},
        }
        tasks: list[tuple[str, Callable[[], Any]]] = []
        for region in self.regions:
            for key in REGIONAL_KEYS:
                tasks.append((f"regions.{region}.{key}", self._regional_task(key, region)))
        tasks += [("global.buckets", lambda: self._buckets(home)),
                  ("global.password_policy", lambda: self._password_policy(home)),
                  ("global.account_summary", lambda: self._account_summary(home)),
                  ("global.policies", lambda: self._policies(home)),
                  ("global.users", lambda: self._users(home)),
                  ("global.credential_report", lambda: self._credential_report(home)),
                  ("global.other_regions", lambda: self._other_regions(home))]
        unreachable: list[str] = []
        done = 0
        # Collections run in one pool; the reads per bucket, key, trail or region in a second one, so a
        # collection waiting on its items never starves the pool its items run in.
        with ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="scan-items") as items, \
                ThreadPoolExecutor(max_workers=self.max_workers, thread_name_prefix="scan-cloud") as pool:
            self._items = items
            futures = {pool.submit(function): where for where, function in tasks}
            for future, where in futures.items():
                try:
                    value = plain(future.result())
                except UNREACHABLE as exc:
                    unreachable.append(f"{where}: {exc}")
                    evidence["errors"][where] = f"unreachable: {exc}"
                    continue
                except MutatingCallRefused:
                    raise
                except (ClientError, BotoCoreError, ValueError, KeyError) as exc:
                    evidence["errors"][where] = _reason(exc)
                    continue
                scope, rest = where.split(".", 1)
                if scope == "global":
                    evidence["global"][rest] = value
                else:
                    region, key = rest.split(".", 1)
                    evidence["regions"][region][key] = value
                done += 1
                if done % 10 == 0:
                    progress(f"cloud: {done}/{len(tasks)} collections, {self.calls.total} API calls")
        self._items = None
        if unreachable:
            raise SourceUnreachable("cloud", self.address, f"{len(unreachable)} collections failed to connect, "
                                    f"first: {unreachable[0]}")
        if self.tenant:
            evidence["scope"] = {"tenant": self.tenant, "left_out": dict(sorted(self.left_out.items()))}
        progress(f"cloud: {len(tasks)} collections, {self.calls.total} API calls, "
                 f"{len(evidence['errors'])} unreadable")
        return evidence

    def _foreign(self, kind: str, item: Mapping[str, Any]) -> bool:
        """Whether ``item`` is another department's in a department's scan (then counted as left out)."""
        owner = tags_of(item).get(TENANT_TAG)
        if not self.tenant or not owner or owner == self.tenant:
            return False
        with self._left_out_lock:
            self.left_out[kind] = self.left_out.get(kind, 0) + 1
        return True

    def _own(self, kind: str, items: Iterable[Mapping[str, Any]]) -> list[Any]:
        return [item for item in items if not self._foreign(kind, item)]

    def _probe(self, region: str) -> Mapping[str, Any]:
        try:
            return dict(self.client("sts", region).get_caller_identity())
        except UNREACHABLE as exc:
            raise SourceUnreachable("cloud", self.address, str(exc)) from exc
        except NoCredentialsError as exc:
            raise SourceUnreachable("cloud", self.address, "no credentials (set AWS_ACCESS_KEY_ID/"
                                    "AWS_SECRET_ACCESS_KEY or a profile)") from exc
        except ClientError as exc:
            raise SourceUnreachable("cloud", self.address, f"refused: {_reason(exc)}") from exc
        except BotoCoreError as exc:
            raise SourceUnreachable("cloud", self.address, _reason(exc)) from exc

    # ----------------------------------------------------------------- regional

    def _pages(self, client: Any, operation: str, key: str, **params: Any) -> list[Any]:
        if client.can_paginate(operation):
            items: list[Any] = []
            for page in client.get_paginator(operation).paginate(**params):
                items.extend(page.get(key) or ())
            return items
        return list(getattr(client, operation)(**params).get(key) or ())

    def _regional_task(self, key: str, region: str) -> Callable[[], Any]:
        simple = {
            "vpcs": ("describe_vpcs", "Vpcs"), "subnets": ("describe_subnets", "Subnets"),
            "route_tables": ("describe_route_tables", "RouteTables"),
            "security_groups": ("describe_security_groups", "SecurityGroups"),
            "network_acls": ("describe_network_acls", "NetworkAcls"), "flow_logs": ("describe_flow_logs", "FlowLogs"),
            "internet_gateways": ("describe_internet_gateways", "InternetGateways"),
            "nat_gateways": ("describe_nat_gateways", "NatGateways"),
            "vpc_peering_connections": ("describe_vpc_peering_connections", "VpcPeeringConnections"),
            "transit_gateway_attachments": ("describe_transit_gateway_attachments", "TransitGatewayAttachments"),
        }
        if key == "volumes":
            return lambda: self._own("volumes", self._pages(self.client("ec2", region), "describe_volumes", "Volumes"))
        if key in simple:
            operation, result_key = simple[key]
            return lambda: self._pages(self.client("ec2", region), operation, result_key)
        special: dict[str, Callable[[], Any]] = {
            "transit_gateway_route_tables": lambda: self._tgw_route_tables(region),
            "snapshots": lambda: self._snapshots(region),
            "instances": lambda: self._instances(region),
            "ebs_encryption_by_default": lambda: bool(
                self.client("ec2", region).get_ebs_encryption_by_default().get("EbsEncryptionByDefault")),
            "kms_keys": lambda: self._kms_keys(region),
            "trails": lambda: self._trails(region),
            "log_groups": lambda: self._pages(self.client("logs", region), "describe_log_groups", "logGroups"),
        }
        return special[key]

    def _each(self, function: Callable[[Any], Any], items: Iterable[Any]) -> list[Any]:
        """``function`` over ``items`` on the item pool (in order); inline when no scan is running."""
        if self._items is None:
            return [function(item) for item in items]
        return list(self._items.map(function, items))

    def _tgw_route_tables(self, region: str) -> list[dict[str, Any]]:
        ec2 = self.client("ec2", region)
        tables = self._pages(ec2, "describe_transit_gateway_route_tables", "TransitGatewayRouteTables")
        for table in tables:
            table_id = table["TransitGatewayRouteTableId"]
            table["Routes"] = ec2.search_transit_gateway_routes(
                TransitGatewayRouteTableId=table_id, Filters=[{"Name": "state", "Values": ["active", "blackhole"]}],
            ).get("Routes", [])
            # Which attachments use this table: asked of the table, since moto's attachment listing reports
            # one association for all of them.
            table["Associations"] = self._pages(ec2, "get_transit_gateway_route_table_associations",
                                                "Associations", TransitGatewayRouteTableId=table_id)
        return tables

    def _snapshots(self, region: str) -> list[dict[str, Any]]:
        """The account's own snapshots, each with who may create volumes from it."""
        ec2 = self.client("ec2", region)

        def read(snapshot: dict[str, Any]) -> dict[str, Any]:
            answer = ec2.describe_snapshot_attribute(SnapshotId=snapshot["SnapshotId"],
                                                     Attribute="createVolumePermission")
            snapshot["CreateVolumePermissions"] = answer.get("CreateVolumePermissions", [])
            return snapshot

        snapshots = self._pages(ec2, "describe_snapshots", "Snapshots", OwnerIds=["self"])
        # Some endpoints (moto) ignore OwnerIds=self and return public ones too: keep the account's own.
        mine = [s for s in snapshots if not self.account or str(s.get("OwnerId")) == self.account]
        return self._each(read, self._own("snapshots", mine))

    def _instances(self, region: str) -> list[dict[str, Any]]:
        """Every instance not terminated (one DescribeInstances listing per region), each with its user data as
        text, secret-looking lines redacted (``infra.config.user_data``). A user-data attribute that cannot be
        read leaves ``UserData`` out: its check reports an error."""
        ec2 = self.client("ec2", region)

        def read(instance: dict[str, Any]) -> dict[str, Any]:
            try:
                answer = ec2.describe_instance_attribute(InstanceId=instance["InstanceId"], Attribute="userData")
            except ClientError:
                return instance
            encoded = (answer.get("UserData") or {}).get("Value") or ""
            try:
                text = base64.b64decode(encoded).decode("utf-8")
            except (ValueError, UnicodeDecodeError):
                text = encoded
            # Evidence never holds the secret it reports: secret-looking lines are kept as a marker of their kind.
            instance["UserData"] = redact_secrets(text)
            return instance

        reservations = self._pages(ec2, "describe_instances", "Reservations")
        live = [dict(i) for r in reservations for i in r.get("Instances") or ()
                if (i.get("State") or {}).get("Name") not in ("shutting-down", "terminated")]
        return self._each(read, self._own("instances", live))

    def _kms_keys(self, region: str) -> list[dict[str, Any]]:
        kms = self.client("kms", region)

        def read(entry: Mapping[str, Any]) -> dict[str, Any] | None:
            meta = dict(kms.describe_key(KeyId=entry["KeyId"])["KeyMetadata"])
            if meta.get("KeyManager") == "CUSTOMER" and meta.get("KeyState") != "PendingDeletion":
                meta["Tags"] = [{"Key": t["TagKey"], "Value": t["TagValue"]}
                                for t in kms.list_resource_tags(KeyId=entry["KeyId"]).get("Tags", [])]
                if self._foreign("kms_keys", meta):
                    return None
                if meta.get("KeySpec", "SYMMETRIC_DEFAULT") == "SYMMETRIC_DEFAULT":
                    meta["RotationEnabled"] = bool(kms.get_key_rotation_status(KeyId=entry["KeyId"])
                                                   .get("KeyRotationEnabled"))
            return meta

        return [key for key in self._each(read, self._pages(kms, "list_keys", "Keys")) if key is not None]

    def _trails(self, region: str) -> list[dict[str, Any]]:
        trails = []
        for trail in self.client("cloudtrail", region).describe_trails(includeShadowTrails=True).get("trailList", []):
            arn = trail.get("TrailARN") or trail["Name"]
            home = self.client("cloudtrail", trail.get("HomeRegion") or region)  # a shadow trail answers at home
            trail["Status"] = {k: v for k, v in home.get_trail_status(Name=arn).items() if k != "ResponseMetadata"}
            selectors = home.get_event_selectors(TrailName=arn)
            trail["EventSelectors"] = selectors.get("EventSelectors")
            trail["AdvancedEventSelectors"] = selectors.get("AdvancedEventSelectors")
            tagged = home.list_tags(ResourceIdList=[arn]).get("ResourceTagList") or [{}]
            trail["Tags"] = tagged[0].get("TagsList") or []
            trails.append(trail)
        return trails

    # ----------------------------------------------------------------- global

    def _optional(self, call: Callable[[], Any], default: Any = None) -> Any:
        try:
            return call()
        except ClientError as exc:
            if _error_code(exc) in ABSENT:
                return default
            raise

    def _buckets(self, region: str) -> list[dict[str, Any]]:
        s3 = self.client("s3", region)

        def read(bucket: dict[str, Any]) -> dict[str, Any] | None:
            name = bucket["Name"]
            bucket["Tags"] = self._optional(partial(_field, s3.get_bucket_tagging, name, "TagSet"), [])
            if self._foreign("buckets", bucket):
                return None
            bucket["Region"] = s3.get_bucket_location(Bucket=name).get("LocationConstraint") or "us-east-1"
            bucket["Encryption"] = self._optional(partial(_field, s3.get_bucket_encryption, name,
                                                          "ServerSideEncryptionConfiguration"))
            bucket["PublicAccessBlock"] = self._optional(partial(_field, s3.get_public_access_block, name,
                                                                 "PublicAccessBlockConfiguration"))
            bucket["Policy"] = self._optional(partial(_field, s3.get_bucket_policy, name, "Policy"))
            bucket["Versioning"] = s3.get_bucket_versioning(Bucket=name).get("Status")
            bucket["Logging"] = s3.get_bucket_logging(Bucket=name).get("LoggingEnabled")
            bucket["Lifecycle"] = self._optional(partial(_field, s3.get_bucket_lifecycle_configuration, name, "Rules"))
            return bucket

        return [b for b in self._each(read, s3.list_buckets().get("Buckets", [])) if b is not None]

    def _password_policy(self, region: str) -> Any:
        return self._optional(lambda: self.client("iam", region).get_account_password_policy()["PasswordPolicy"])

    def _account_summary(self, region: str) -> Any:
        return self.client("iam", region).get_account_summary()["SummaryMap"]

    def _policies(self, region: str) -> list[dict[str, Any]]:
        iam = self.client("iam", region)
        def read(policy: dict[str, Any]) -> dict[str, Any]:
            version = iam.get_policy_version(PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])
            policy["Document"] = version["PolicyVersion"]["Document"]
            return policy

        return self._each(read, self._pages(iam, "list_policies", "Policies", Scope="Local"))

    def _users(self, region: str) -> list[dict[str, Any]]:
        """Every IAM user with what grants it permissions directly (managed and inline policies), its groups,
        MFA devices, console password and access keys."""
        iam = self.client("iam", region)

        def read(user: dict[str, Any]) -> dict[str, Any]:
            name = user["UserName"]
            user["AttachedPolicies"] = self._pages(iam, "list_attached_user_policies", "AttachedPolicies",
                                                   UserName=name)
            inline = self._pages(iam, "list_user_policies", "PolicyNames", UserName=name)
            user["InlinePolicies"] = [
                {"PolicyName": policy,
                 "Document": iam.get_user_policy(UserName=name, PolicyName=policy)["PolicyDocument"]}
                for policy in inline]
            user["Groups"] = [g["GroupName"] for g in self._pages(iam, "list_groups_for_user", "Groups", UserName=name)]
            user["MFADevices"] = self._pages(iam, "list_mfa_devices", "MFADevices", UserName=name)
            user["LoginProfile"] = self._optional(lambda: iam.get_login_profile(UserName=name)["LoginProfile"])
            user["AccessKeys"] = self._pages(iam, "list_access_keys", "AccessKeyMetadata", UserName=name)
            user["Tags"] = self._pages(iam, "list_user_tags", "Tags", UserName=name)
            return user

        return self._each(read, self._pages(iam, "list_users", "Users"))

    def _credential_report(self, region: str) -> dict[str, Any]:
        """The account's credential report (generated, then read once complete): ``GeneratedTime`` and one
        row per user, the CSV columns as keys; ``CollectedAt`` is the "now" the age checks count from."""
        iam = self.client("iam", region)
        for _ in range(CREDENTIAL_REPORT_POLLS):
            if iam.generate_credential_report().get("State") == "COMPLETE":
                break
            time.sleep(0.5)
        answer = iam.get_credential_report()
        content = answer["Content"]
        text = content.decode("utf-8") if isinstance(content, bytes) else str(content)
        return {"GeneratedTime": answer.get("GeneratedTime"), "CollectedAt": dt.datetime.now(dt.UTC).isoformat(),
                "Users": list(csv.DictReader(io.StringIO(text)))}

    def _partition(self, region: str) -> str:
        try:
            return str(self.session.get_partition_for_region(region))
        except BotoCoreError:
            return ""  # a region botocore does not know (a private cloud): inventory it too

    def _other_regions(self, region: str) -> dict[str, Any]:
        """For every region the endpoint lists beyond those scanned: VPCs, volumes, keys, log groups."""
        listed = [r["RegionName"] for r in self.client("ec2", region).describe_regions().get("Regions", [])]
        # One account lives in one partition (aws, aws-cn...): regions of another cannot hold its resources.
        home = self._partition(region)
        others = [name for name in listed if name not in self.regions and self._partition(name) in (home, "")]

        def inventory(name: str) -> dict[str, Any]:
            ec2, kms = self.client("ec2", name), self.client("kms", name)
            keys = [dict(kms.describe_key(KeyId=k["KeyId"])["KeyMetadata"]) for k in kms.list_keys().get("Keys", [])]
            return {
                "vpcs": ec2.describe_vpcs().get("Vpcs", []),
                "volumes": ec2.describe_volumes().get("Volumes", []),
                "kms_keys": keys,
                "log_groups": self.client("logs", name).describe_log_groups().get("logGroups", []),
            }

        return dict(zip(others, self._each(inventory, others), strict=True))
