"""Tenant planning: how long `egov tenant plan` takes alone and with twenty at once, and what the CIDR
ledger's check-and-set costs under contention, on a real OpenBao (TLS, 127.0.0.1) of its own.

- one `egov tenant plan --no-preview` process, wall time (Python start-up included: that is what a pipeline
  pays; the preview with the policy pack is a `pulumi preview` of the tenant stack, measured with the stacks);
- twenty `egov tenant plan` processes started together, wall time until the last one ends;
- the ledger alone: twenty allocations one after another in one process, and twenty runner processes
  released at the same moment (start-up excluded: each times from the release to its allocation), so the
  figure is the cost of CAS conflicts and retries.

Run: ``.venv/bin/python bench/tenants.py [--ledger-only]`` (prints a Markdown table for bench/RESULTS.md).

Onboarding: ``.venv/bin/python bench/tenants.py --onboarding [--count 20] [--parallel 1,4,8] [--format json,html,pdf]
[--flows none|one|sample]``
brings up an embedded environment of its own (moto, OpenBao), deploys the platform (core + bridge,
`egov vault apply`), then times `egov tenant apply` processes end to end (every step, the gate and the report
included): one tenant alone, then ``count`` tenants with N running at once for each N. Every round onboards
new departments (fresh ids, so nothing is skipped as done earlier).

The one tenant asks for the sample request's flows (tenants/tax-bureau.yaml), so its admission changes the
bridge. The departments of the rounds of ``count`` ask for no flow (``--flows none``, the default): one
bridge's network ACL cannot hold twenty departments with flows. At the raised quota of 40 entries per
direction (the demo's, set here too) the sample's flows stop at about the sixth department (``--flows
sample``), and one flow from the extranet each (``--flows one``) at the thirteenth: 15 entries of the platform
plus 2 per department (README, "Plan for scale"). A bridge has 20 slots for departments, so every round runs on
a platform (environment, core, bridge) of its own. Each round also counts the bridge's updates (admissions
waiting for the bridge at the same time share one) and the tenant stacks' updates: one per department
without a flow to or from the extranet, two with one (admission's `up` opens its extranet side), so the
sample's one tenant costs an `up` that the rounds' departments do not.
"""

from __future__ import annotations

import contextlib
import copy
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import hvac
import yaml

from infra.config import PLATFORM_FILE, load_platform
from infra.config.tenant_request import validate_request
from infra.demo import BRIDGE_ACL_QUOTA
from infra.local.openbao import OpenBao
from infra.local.paths import LocalPaths
from infra.repository import REPO_ROOT
from infra.tenants.ledger import LEDGER_MOUNT, Ledger, ensure_ledger, ledger_token

SAMPLE = REPO_ROOT / "tenants" / "tax-bureau.yaml"
RUNNERS = 20


FLOW_CHOICES = ("none", "one", "sample")


def _request_data(tenant: str, *, flows: str = "sample") -> dict[str, Any]:
    data: dict[str, Any] = copy.deepcopy(yaml.safe_load(SAMPLE.read_text()))
    data.update(id=tenant, names={"zh": "测试部门", "en": f"Department {tenant}"})
    if flows == "none":
        data["flows"] = []
    elif flows == "one":
        data["flows"] = [flow for flow in data["flows"] if flow["source"] == "extranet"][:1]
        data["flows"][0]["ports"] = data["flows"][0]["ports"][:1]
    return data


def worker() -> None:
    """One ledger runner: says it is ready, waits for the release file, allocates, prints its seconds from
    release to done."""
    env = os.environ
    platform = load_platform(PLATFORM_FILE)
    request = validate_request(_request_data(env["TENANT"]), platform)
    client = hvac.Client(url=env["VAULT_ADDR"], token=env["LEDGER_TOKEN"], verify=env["VAULT_CACERT"])
    release = Path(env["RELEASE"])
    release.with_name(f"ready-{request.id}").touch()
    while not release.exists():
        time.sleep(0.002)
    released = release.stat().st_mtime
    assert platform.tenant_pool is not None
    Ledger(client, platform.tenant_pool).allocate(request)
    print(json.dumps({"seconds": time.time() - released}))


def _reset(admin: hvac.Client) -> None:
    admin.secrets.kv.v2.delete_metadata_and_all_versions("cidrs", mount_point=LEDGER_MOUNT)


def _plans(env: dict[str, str], work: Path, count: int) -> float:
    paths = []
    for index in range(count):
        tenant = f"bench-{index:02d}"
        path = work / f"{tenant}.yaml"
        path.write_text(yaml.safe_dump(_request_data(tenant), allow_unicode=True))
        paths.append(path)
    start = time.perf_counter()
    runners = [subprocess.Popen([sys.executable, "-c", "from infra.cli.main import app; app()", "tenant", "plan",
                                 str(path), "--no-preview", "--out", str(path.with_suffix(".json"))], env=env,
                                cwd=REPO_ROOT,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True) for path in paths]
    for runner in runners:
        _, stderr = runner.communicate(timeout=600)
        if runner.returncode != 0:
            raise SystemExit(f"egov tenant plan failed: {stderr}")
    return time.perf_counter() - start


def _option(name: str, default: str) -> str:
    return sys.argv[sys.argv.index(name) + 1] if name in sys.argv else default


def _apply_all(env: dict[str, str], work: Path, tenants: list[str], parallel: int, options: list[str], *,
               flows: str = "sample") -> float:
    """Wall time of `egov tenant apply` for every tenant, ``parallel`` processes at a time."""
    paths = []
    for tenant in tenants:
        path = work / f"{tenant}.yaml"
        path.write_text(yaml.safe_dump(_request_data(tenant, flows=flows), allow_unicode=True))
        paths.append(path)
    start = time.perf_counter()
    pending = list(paths)
    running: list[tuple[Path, subprocess.Popen[str]]] = []
    while pending or running:
        while pending and len(running) < parallel:
            path = pending.pop(0)
            running.append((path, subprocess.Popen(
                [sys.executable, "-c", "from infra.cli.main import app; app()", "tenant", "apply", str(path), *options],
                env=env, cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)))
        path, runner = running.pop(0)
        _, stderr = runner.communicate(timeout=3600)
        if runner.returncode != 0:
            raise SystemExit(f"egov tenant apply {path.name} failed: {stderr[-3000:]}")
    return time.perf_counter() - start


@contextlib.contextmanager
def _platform(work: Path, formats: str) -> Iterator[tuple[dict[str, str], list[str], float, Any]]:
    """A fresh embedded environment with core + bridge up and `egov vault apply` done: the environment, the
    `egov tenant apply` options for it, and how long the two `up`s took. A bridge admits at most 20
    departments (its slots), so each round gets a platform of its own."""
    from infra.engine import Stack
    from infra.local.environment import LocalEnvironment

    local = LocalEnvironment(LocalPaths(work / "egov"))
    stacks: list[Stack] = []
    try:
        local.up()
        env = {**os.environ, **local.env(), "COLUMNS": "200"}
        for name, kind in (("bench-core", "core"), ("bench-bridge", "bridge")):
            stack = Stack(name, env=env, config_file=work / f"Pulumi.{name}.yaml")
            stack.init(local.secrets_provider)
            stack.set_config("kind", kind)
            stacks.append(stack)
        core, bridge = stacks
        core.set_config("archiveForceDestroy", "true")
        core.set_config("accountId", "123456789012")
        bridge.set_config("coreStack", core.name)
        bridge.set_config("aclEntryLimit", str(BRIDGE_ACL_QUOTA))  # as the demo declares it
        start = time.perf_counter()
        core.up()
        bridge.up()
        platform_seconds = time.perf_counter() - start
        applied = subprocess.run([sys.executable, "-c", "from infra.cli.main import app; app()", "vault", "apply",
                                  "--yes"], env=env, cwd=REPO_ROOT, capture_output=True, text=True, check=False)
        if applied.returncode != 0:
            raise SystemExit(f"egov vault apply failed: {applied.stderr}")
        options = ["--core-stack", core.name, "--bridge-stack", bridge.name, "--bridge-config-file",
                   str(bridge.config_path), "--account-id", "123456789012", "--format", formats]
        yield env, options, platform_seconds, bridge
    finally:
        for stack in reversed(stacks):
            stack.run("destroy", "--yes", "--skip-preview", check=False)
        local.down()


def onboarding() -> None:
    from infra.engine import Stack

    count = int(_option("--count", "20"))
    parallels = [int(n) for n in _option("--parallel", "1,4,8").split(",")]
    formats = _option("--format", "json,html,pdf")
    flows = _option("--flows", "none")
    if flows not in FLOW_CHOICES:
        raise SystemExit(f"--flows {flows!r}: use one of {', '.join(FLOW_CHOICES)}")
    rows: list[tuple[str, float]] = []
    rounds = [("1 tenant, `egov tenant apply` end to end", ["one-00"], 1, "sample")]
    rounds += [(f"{count} tenants, {parallel} at a time (wall)", [f"n{parallel}-{index:02d}" for index in range(count)],
                parallel, flows) for parallel in parallels]
    for label, tenants, parallel, wanted in rounds:
        with tempfile.TemporaryDirectory(prefix="egov-bench-onboarding-") as temp, \
                _platform(Path(temp), formats) as (env, options, platform_seconds, bridge):
            if not rows:
                rows.append(("platform: core + bridge `up` (not onboarding; for scale)", platform_seconds))
                print(rows[-1], file=sys.stderr, flush=True)
            before = bridge.update_count()
            rows.append((label, _apply_all(env, Path(temp), tenants, parallel, options, flows=wanted)))
            updates = bridge.update_count() - before
            tenant_updates = sum(Stack(f"tenant-{tenant}", env=env).update_count() for tenant in tenants)
            print(rows[-1], f"bridge updates: {updates}, tenant stack updates: {tenant_updates}", file=sys.stderr,
                  flush=True)
            rows.append((f"{label}: bridge updates (count)", float(updates)))
            rows.append((f"{label}: tenant stack updates (count)", float(tenant_updates)))
    print(f"formats: {formats}; rounds' flows: {flows}\n| measure | value |\n|---|---:|")
    for label, value in rows:
        shown = f"{value:.0f}" if label.endswith("(count)") else f"{value:.1f} s"
        print(f"| {label} | {shown} |", flush=True)


def main() -> None:
    platform = load_platform(PLATFORM_FILE)
    assert platform.tenant_pool is not None
    with tempfile.TemporaryDirectory(prefix="egov-bench-tenants-") as temp:
        work = Path(temp)
        bao = OpenBao(LocalPaths(work / "egov"))
        bao.up()
        try:
            root = bao.root_env()
            admin = hvac.Client(url=root["VAULT_ADDR"], token=root["VAULT_TOKEN"], verify=root["VAULT_CACERT"])
            ensure_ledger(admin)
            token = ledger_token(admin, ttl="1h")
            env = {**os.environ, **root, "EGOV_LEDGER_TOKEN": token, "EGOV_HOME": str(work / "egov")}
            rows: list[tuple[str, float]] = []
            if "--ledger-only" not in sys.argv:
                _reset(admin)
                rows.append(("1 `egov tenant plan` process (wall, start-up included)", _plans(env, work, 1)))
                _reset(admin)
                rows.append((f"{RUNNERS} `egov tenant plan` processes at once (wall, until the last ends)",
                             _plans(env, work, RUNNERS)))
            _reset(admin)
            client = hvac.Client(url=root["VAULT_ADDR"], token=token, verify=root["VAULT_CACERT"])
            ledger = Ledger(client, platform.tenant_pool)
            requests = [validate_request(_request_data(f"seq-{i:02d}"), platform) for i in range(RUNNERS)]
            start = time.perf_counter()
            for request in requests:
                ledger.allocate(request)
            rows.append((f"ledger: {RUNNERS} allocations one after another (one process)",
                         time.perf_counter() - start))
            _reset(admin)
            release = work / "release"
            runners = [subprocess.Popen(
                [sys.executable, __file__, "--worker"], cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                text=True,
                env={**os.environ, "VAULT_ADDR": root["VAULT_ADDR"], "VAULT_CACERT": root["VAULT_CACERT"],
                     "LEDGER_TOKEN": token, "TENANT": f"par-{i:02d}", "RELEASE": str(release)})
                for i in range(RUNNERS)]
            # Release only once every runner has imported and validated: start-up stays out of the figure.
            deadline = time.monotonic() + 300
            while len(list(work.glob("ready-par-*"))) < RUNNERS and time.monotonic() < deadline:
                time.sleep(0.05)
            release.touch()
            seconds = []
            for runner in runners:
                stdout, stderr = runner.communicate(timeout=600)
                if runner.returncode != 0:
                    raise SystemExit(f"a ledger runner failed: {stderr.strip().splitlines()[-1:]}")
                seconds.append(json.loads(stdout)["seconds"])
            rows.append((f"ledger: {RUNNERS} runner processes released together (slowest, start-up excluded)",
                         max(seconds)))
            rows.append((f"ledger: {RUNNERS} runner processes released together (median)",
                         sorted(seconds)[len(seconds) // 2]))
        finally:
            bao.down()
    print("| measure | seconds |\n|---|---:|")
    for label, value in rows:
        print(f"| {label} | {value:.2f} |")


if __name__ == "__main__":
    sys.path.insert(0, str(REPO_ROOT))
    if "--worker" in sys.argv:
        worker()
    elif "--onboarding" in sys.argv:
        onboarding()
    else:
        main()
