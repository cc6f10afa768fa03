"""Engine overhead: `pulumi up` of 1, 10 and 50 VPCs (and a no-change preview at 50) through our
language host and provider, beside the same VPCs created by plain boto3 calls in the same run.

Run: `make bench` (or `.venv/bin/python bench/engine.py`). Writes the table into bench/RESULTS.md.
Ratios are what to compare across machines; absolute seconds only hold for this one.
"""

from __future__ import annotations

import re
import tempfile
import time
import uuid
from pathlib import Path

import boto3

from infra.engine import Stack, engine_version
from infra.local.environment import LocalEnvironment
from infra.local.paths import LocalPaths

RESULTS = Path(__file__).with_name("RESULTS.md")
SIZES = (1, 10, 50)


def boto3_floor(env: dict[str, str], count: int) -> float:
    """Create `count` tagged VPCs the way our provider does (create, wait, tag), then delete them."""
    ec2 = boto3.client("ec2", endpoint_url=env["AWS_ENDPOINT_URL"], region_name=env["AWS_DEFAULT_REGION"],
                       aws_access_key_id=env["AWS_ACCESS_KEY_ID"], aws_secret_access_key=env["AWS_SECRET_ACCESS_KEY"])
    start = time.perf_counter()
    ids = []
    for i in range(count):
        vpc = ec2.create_vpc(CidrBlock=f"10.{100 + i}.0.0/16", TagSpecifications=[
            {"ResourceType": "vpc", "Tags": [{"Key": "Name", "Value": f"floor-{i}"}]}])["Vpc"]
        ec2.get_waiter("vpc_available").wait(VpcIds=[vpc["VpcId"]])
        ec2.describe_vpcs(VpcIds=[vpc["VpcId"]])
        ids.append(vpc["VpcId"])
    elapsed = time.perf_counter() - start
    for vpc_id in ids:
        ec2.delete_vpc(VpcId=vpc_id)
    return elapsed


def timed(action: object) -> float:
    start = time.perf_counter()
    action()  # type: ignore[operator]
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        local = LocalEnvironment(LocalPaths(Path(tmp) / "egov"))
        local.up(print)
        env = local.env()
        rows = []
        try:
            # Warm-up: the first engine run pays one-off costs (bytecode compilation, plugin start-up caches)
            # that would otherwise land on whichever size is measured first.
            warm = Stack("benchwarm", env=env, config_file=Path(tmp) / "warm.yaml")
            warm.init(local.secrets_provider)
            warm.up()
            warm.destroy()
            warm.remove()
            for count in SIZES:
                stack = Stack(f"bench{uuid.uuid4().hex[:6]}", env=env, config_file=Path(tmp) / f"b{count}.yaml")
                stack.init(local.secrets_provider)
                stack.set_config("vpcCount", str(count))
                up = timed(stack.up)
                preview = timed(lambda s=stack: s.run("preview", "--expect-no-changes"))  # type: ignore[misc]
                stack.destroy()
                stack.remove()
                floor = boto3_floor(env, count)
                rows.append((count, up, preview, floor))
                print(f"{count:>3} VPCs: pulumi up {up:6.2f}s  no-change preview {preview:6.2f}s  boto3 {floor:6.2f}s")
        finally:
            local.down()
    write_results(rows)


def write_results(rows: list[tuple[int, float, float, float]]) -> None:
    lines = [
        "## Engine: pulumi up vs plain boto3 (bench/engine.py)",
        "",
        f"Pulumi {engine_version()}, our language host and provider, moto server on 127.0.0.1, "
        f"measured {time.strftime('%Y-%m-%d')} in one run on this machine (2 cores).",
        "",
        "| VPCs | pulumi up (s) | no-change preview (s) | boto3 floor (s) | up / floor | up per VPC (s) |",
        "|---:|---:|---:|---:|---:|---:|",
    ]
    for count, up, preview, floor in rows:
        lines.append(f"| {count} | {up:.2f} | {preview:.2f} | {floor:.2f} | {up / floor:.1f}x | {up / count:.2f} |")
    section = "\n".join(lines) + "\n"
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\n"
    pattern = re.compile(r"## Engine: .*?(?=\n## |\Z)", re.S)
    text = pattern.sub(section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    RESULTS.write_text(text)


if __name__ == "__main__":
    main()
