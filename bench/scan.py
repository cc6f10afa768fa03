"""`egov scan` cost on the embedded cloud: wall time, peak memory and API calls per scan for 1, 10 and 100
tenants' worth of resources (and for a running demo environment when ``--demo-endpoint`` is given).

A tenant's worth, made with plain boto3 on a moto server of this benchmark's own: a VPC tagged
egov:tenant, two subnets, a route table, two security groups, a flow log, a bucket (KMS-encrypted,
public access blocked, TLS-only policy), a KMS key, a log group and a volume. Every scan runs in a fresh
process, so its peak RSS is the scan's own (``ru_maxrss``). Each API appears once per scan and region
(or once per bucket/key/trail for the per-item reads); the table lists the calls per operation.

Run: `.venv/bin/python bench/scan.py [--demo-endpoint URL]`. Writes the "## Compliance scan" section of
bench/RESULTS.md and leaves every other section alone. Target: 100 tenants' worth in under 60 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from infra.local.process import LOOPBACK, free_port, port_accepts  # noqa: E402

RESULTS = Path(__file__).with_name("RESULTS.md")
SECTION = "## Compliance scan (bench/scan.py)"
REGION = "cn-north-1"
SIZES = (1, 10, 100)
TARGET_SECONDS = 60
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}


@contextmanager
def moto() -> Iterator[str]:
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "moto.server", "-H", LOOPBACK, "-p", str(port)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while not port_accepts(port):
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("moto did not start")
            time.sleep(0.1)
        yield f"http://{LOOPBACK}:{port}"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def seed_tenants(endpoint: str, first: int, last: int) -> None:
    """Tenants first..last-1, each a tenant's worth of resources (see the module docstring)."""
    import boto3

    def client(service: str) -> Any:
        return boto3.client(service, region_name=REGION, endpoint_url=endpoint, **{
            "aws_access_key_id": "testing", "aws_secret_access_key": "testing"})

    ec2, s3, kms, logs = client("ec2"), client("s3"), client("kms"), client("logs")
    for n in range(first, last):
        tenant = f"dept{n:03d}"
        tags = [{"Key": "egov:tenant", "Value": tenant}, {"Key": "Name", "Value": tenant}]
        vpc = ec2.create_vpc(CidrBlock=f"10.{n // 250}.{n % 250}.0/24",
                             TagSpecifications=[{"ResourceType": "vpc", "Tags": tags}])["Vpc"]["VpcId"]
        for index in range(2):
            ec2.create_subnet(VpcId=vpc, CidrBlock=f"10.{n // 250}.{n % 250}.{index * 128}/25",
                              AvailabilityZone=f"{REGION}{'ab'[index]}")
        ec2.create_route_table(VpcId=vpc)
        for name in ("app", "db"):
            group = ec2.create_security_group(GroupName=f"{tenant}-{name}", Description=name, VpcId=vpc)["GroupId"]
            ec2.authorize_security_group_ingress(GroupId=group, IpPermissions=[
                {"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": [{"CidrIp": "10.0.0.0/8"}]}])
        key = kms.create_key(Description=tenant, Tags=[{"TagKey": "egov:tenant", "TagValue": tenant}])
        key_id = key["KeyMetadata"]["KeyId"]
        kms.enable_key_rotation(KeyId=key_id)
        bucket = f"{tenant}-data"
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
        s3.put_bucket_encryption(Bucket=bucket, ServerSideEncryptionConfiguration={"Rules": [
            {"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": key_id}}]})
        s3.put_public_access_block(Bucket=bucket, PublicAccessBlockConfiguration={
            "BlockPublicAcls": True, "IgnorePublicAcls": True, "BlockPublicPolicy": True,
            "RestrictPublicBuckets": True})
        s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "egov:tenant", "Value": tenant}]})
        ec2.create_flow_logs(ResourceIds=[vpc], ResourceType="VPC", TrafficType="ALL",
                             LogDestinationType="s3", LogDestination=f"arn:aws:s3:::{bucket}")
        logs.create_log_group(logGroupName=f"/egov/{tenant}/audit")
        logs.put_retention_policy(logGroupName=f"/egov/{tenant}/audit", retentionInDays=180)
        ec2.create_volume(AvailabilityZone=f"{REGION}a", Size=8, Encrypted=True,
                          TagSpecifications=[{"ResourceType": "volume", "Tags": tags}])


def scan_once(endpoint: str) -> dict[str, Any]:
    """One scan in this process (run in a fresh child by ``measure``)."""
    from compliance.scan import ScanOptions, run_scan

    started = time.perf_counter()
    result = run_scan(ScanOptions(endpoint=endpoint, sources=["cloud"]))
    seconds = time.perf_counter() - started
    cloud = result.evidence["cloud"]
    resources = sum(len(v) for region in cloud["regions"].values() for v in region.values() if isinstance(v, list))
    resources += len(cloud["global"].get("buckets") or [])
    return {
        "seconds": round(seconds, 2),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "api_calls": sum(result.api_calls.values()),
        "by_operation": result.api_calls,
        "findings": len(result.findings),
        "resources": resources,
    }


def measure(endpoint: str) -> dict[str, Any]:
    env = {**os.environ, **CREDENTIALS}
    env.pop("AWS_ENDPOINT_URL", None)
    run = subprocess.run([sys.executable, __file__, "--scan-once", endpoint], capture_output=True, text=True,
                         env=env, cwd=REPO, check=True, timeout=900)
    return dict(json.loads(run.stdout.strip().splitlines()[-1]))


def write_results(rows: list[tuple[str, dict[str, Any]]], started: float) -> None:
    lines = [SECTION, "",
             "moto server on 127.0.0.1; the allowed regions of policies/platform.yaml (cn-north-1, cn-northwest-1) "
             "scanned fully, plus an inventory of the other regions of the same partition the endpoint lists (none "
             "in aws-cn); tenants' resources in cn-north-1; each scan in a fresh process (peak RSS includes Python, "
             "boto3 and every client); each list API called once per region, per-item reads once per bucket, key, "
             f"policy or trail. Measured {time.strftime('%Y-%m-%d')} in one run on this machine (2 cores, shared), "
             f"whole run {time.time() - started:.0f}s. Target: 100 tenants' worth in under {TARGET_SECONDS} s; "
             "memory must grow with resources, not with checks x resources.", "",
             "| environment | resources | findings | API calls | wall (s) | peak RSS (MiB) "
             "| extra RSS per extra resource |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    base = rows[0][1]
    for name, row in rows:
        growth = (row["peak_rss_mib"] - base["peak_rss_mib"]) / max(row["resources"] - base["resources"], 1)
        lines.append(f"| {name} | {row['resources']} | {row['findings']} | {row['api_calls']} | {row['seconds']} | "
                     f"{row['peak_rss_mib']} | {growth * 1024:.1f} KiB |")
    name, row = max(rows, key=lambda item: item[1]["api_calls"])
    largest = row["by_operation"]
    lines += ["", f"API calls per operation for the largest scan ({name}):", "",
              "| operation | calls |", "|---|---:|"]
    lines += [f"| {op} | {count} |" for op, count in sorted(largest.items())]
    lines.append("")
    text = RESULTS.read_text(encoding="utf-8") if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(rf"{re.escape(SECTION)}.*?(?=\n## |\Z)", re.S)
    section = "\n".join(lines)
    text = pattern.sub(section, text) if pattern.search(text) else text.rstrip("\n") + "\n\n" + section
    RESULTS.write_text(text, encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scan-once")
    parser.add_argument("--demo-endpoint", help="also scan a running demo environment (egov local env)")
    args = parser.parse_args()
    if args.scan_once:
        print(json.dumps(scan_once(args.scan_once)))
        return
    started = time.time()
    rows: list[tuple[str, dict[str, Any]]] = []
    os.environ.update(CREDENTIALS)
    with moto() as endpoint:
        done = 0
        for size in SIZES:
            seed_tenants(endpoint, done, size)
            done = size
            row = measure(endpoint)
            print(f"{size} tenants: {row['seconds']} s, {row['api_calls']} calls, {row['peak_rss_mib']} MiB",
                  flush=True)
            rows.append((f"{size} tenant{'s' if size > 1 else ''}' worth".replace("t' w", "t's w"), row))
    if args.demo_endpoint:
        row = measure(args.demo_endpoint)
        rows.append(("demo environment", row))
    write_results(rows, started)
    slowest = rows[len(SIZES) - 1][1]["seconds"]
    print(f"100 tenants: {slowest} s (target < {TARGET_SECONDS} s)")


if __name__ == "__main__":
    main()
