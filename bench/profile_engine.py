"""Where `pulumi up` and a no-change preview of core + bridge spend their time: CPU seconds per process
(engine, language host, program, provider, moto), cloud requests split into writes and reads, and the
same with the file backend's per-step checkpoints switched off (for comparison only: that setting gives
up crash recovery), beside the boto3 floor's CPU.

Run: `.venv/bin/python bench/profile_engine.py`. Writes the `## Profile` section of bench/RESULTS.md.
CPU seconds hold up on a shared machine far better than wall time: other work delays a process but
does not make it burn more CPU. The sampler reads /proc every 50 ms, so a process living less than that
is missed (none of the engine's do).
"""

from __future__ import annotations

import base64
import json
import os
import re
import subprocess
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from core_bridge import Floor  # run as a script, like core_bridge.py: bench/ is on sys.path

from infra.engine import Stack, engine_env, engine_version, pulumi_binary
from infra.local.environment import LocalEnvironment
from infra.local.paths import LocalPaths

RESULTS = Path(__file__).with_name("RESULTS.md")
TICK = os.sysconf("SC_CLK_TCK")
READ_ACTIONS = re.compile(r"^(Describe|Get|List|Search)")
PARTS = ("engine (Go)", "language host (Go)", "program (Python)", "provider (Python)", "moto")


def _stat(pid: int) -> tuple[int, float] | None:
    """(parent pid, CPU seconds used so far) of a live process."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rfind(")") + 2:].split()
    return int(fields[1]), (int(fields[11]) + int(fields[12])) / TICK


def _part(pid: int) -> str:
    try:
        command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "other"
    if "pulumi-language-python-exec" in command:
        return "program (Python)"
    if "infra/provider" in command:
        return "provider (Python)"
    if "pulumi-language-python" in command:
        return "language host (Go)"
    if command.split(" ")[0].endswith("/pulumi"):
        return "engine (Go)"
    return "other"


def cpu_of(command: Sequence[str], env: dict[str, str], cwd: Path, moto_pid: int) -> tuple[float, dict[str, float]]:
    """Run ``command``; wall seconds and CPU seconds per part of its process tree (plus moto's)."""
    moto_before = (_stat(moto_pid) or (0, 0.0))[1]
    start = time.perf_counter()
    proc = subprocess.Popen(command, env=env, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    last: dict[int, float] = {}
    kinds: dict[int, str] = {}
    while proc.poll() is None:
        stats = {int(d): s for d in os.listdir("/proc") if d.isdigit() and (s := _stat(int(d))) is not None}
        tree, grown = {proc.pid}, True
        while grown:
            before = len(tree)
            tree |= {pid for pid, (parent, _) in stats.items() if parent in tree}
            grown = len(tree) != before
        for pid in tree & stats.keys():
            last[pid] = stats[pid][1]
            kinds.setdefault(pid, _part(pid))
        time.sleep(0.05)
    output = proc.stdout.read().decode(errors="replace") if proc.stdout else ""
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)} failed:\n{output[-3000:]}")
    wall = time.perf_counter() - start
    used: dict[str, float] = {}
    for pid, seconds in last.items():
        used[kinds[pid]] = used.get(kinds[pid], 0.0) + seconds
    used["moto"] = (_stat(moto_pid) or (0, moto_before))[1] - moto_before
    return wall, used


def requests_since(recording: Path, offset: int) -> tuple[int, int]:
    """(writes, reads) among the cloud requests recorded after byte ``offset``."""
    writes = reads = 0
    with recording.open("rb") as handle:
        handle.seek(offset)
        for line in handle:
            entry = json.loads(line)
            target = str((entry.get("headers") or {}).get("X-Amz-Target", "")).rsplit(".", 1)[-1]
            body = str(entry.get("body") or "")
            if entry.get("body_encoded"):
                body = base64.b64decode(body).decode(errors="replace")
            match = re.search(r"(?:^|&)Action=([A-Za-z]+)", body) if not target else None
            action = target or (match.group(1) if match else str(entry.get("method")))
            if READ_ACTIONS.match(action) or action in ("GET", "HEAD"):
                reads += 1
            else:
                writes += 1
    return writes, reads


def profile(local: LocalEnvironment, env: dict[str, str], tmp: Path, moto_pid: int) -> dict[str, dict[str, float]]:
    suffix = uuid.uuid4().hex[:6]
    core = Stack(f"profcore{suffix}", env=env, config_file=tmp / f"core{suffix}.yaml")
    core.init(local.secrets_provider)
    core.set_config("kind", "core")
    core.set_config("archiveForceDestroy", "true")
    bridge = Stack(f"profbridge{suffix}", env=env, config_file=tmp / f"bridge{suffix}.yaml")
    bridge.init(local.secrets_provider)
    bridge.set_config("kind", "bridge")
    bridge.set_config("coreStack", core.name)
    recording = local.paths.moto / "recording.jsonl"
    totals: dict[str, dict[str, float]] = {}
    for label, args in (("up", ("up", "--yes", "--skip-preview")), ("preview", ("preview", "--expect-no-changes"))):
        row = totals.setdefault(label, {})
        offset = recording.stat().st_size
        for stack in (core, bridge):
            assert stack.config_file is not None
            command = [pulumi_binary(), *args, "--non-interactive", "--stack", stack.name,
                       "--config-file", str(stack.config_file)]
            wall, used = cpu_of(command, engine_env(stack.env), stack.project_dir, moto_pid)
            row["wall"] = row.get("wall", 0.0) + wall
            for part, seconds in used.items():
                row[part] = row.get(part, 0.0) + seconds
        row["writes"], row["reads"] = (float(n) for n in requests_since(recording, offset))
    bridge.destroy()
    core.destroy()
    bridge.remove()
    core.remove()
    return totals


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        local = LocalEnvironment(LocalPaths(Path(tmp) / "egov"))
        local.up(print)
        env = local.env()
        moto_pid = int(json.loads((local.paths.moto / "server.json").read_text())["pid"])
        try:
            warm = Stack("profwarm", env=env, config_file=Path(tmp) / "warm.yaml")
            warm.init(local.secrets_provider)
            warm.up()
            warm.destroy()
            warm.remove()
            runs = {
                "as shipped": profile(local, env, Path(tmp), moto_pid),
                "PULUMI_SKIP_CHECKPOINTS=true": profile(
                    local, {**env, "PULUMI_SKIP_CHECKPOINTS": "true"}, Path(tmp), moto_pid),
            }
            floor = Floor(env)
            recording = local.paths.moto / "recording.jsonl"
            offset, moto_before = recording.stat().st_size, (_stat(moto_pid) or (0, 0.0))[1]
            cpu_before, start = time.process_time(), time.perf_counter()
            floor.bridge(floor.core())
            floor_row = {"wall": time.perf_counter() - start, "client (Python)": time.process_time() - cpu_before,
                         "moto": (_stat(moto_pid) or (0, moto_before))[1] - moto_before}
            floor_row["writes"], floor_row["reads"] = (float(n) for n in requests_since(recording, offset))
        finally:
            local.down()
    write_results(runs, floor_row)


def write_results(runs: dict[str, dict[str, dict[str, float]]], floor: dict[str, float]) -> None:
    load = Path("/proc/loadavg").read_text().split()[0]
    lines = [
        "## Profile: where core + bridge spend their time (bench/profile_engine.py)",
        "",
        f"Pulumi {engine_version()}, measured {time.strftime('%Y-%m-%d')} in one run; CPU seconds per process "
        f"from /proc (load average {load} at the end: wall seconds are only indicative on this shared "
        "machine). Cloud requests as recorded by moto.",
        "",
        "| run | step | wall (s) | " + " | ".join(f"{p} CPU (s)" for p in PARTS) + " | CPU total (s) "
        "| cloud writes | cloud reads |",
        "|---|---|---:|" + "---:|" * (len(PARTS) + 3),
    ]
    for name, steps in runs.items():
        for step, row in steps.items():
            cpu = sum(row.get(p, 0.0) for p in PARTS)
            cells = " | ".join(f"{row.get(part, 0.0):.2f}" for part in PARTS)
            lines.append(f"| {name} | {step} | {row['wall']:.2f} | {cells} | {cpu:.2f} | {row['writes']:.0f} "
                         f"| {row['reads']:.0f} |")
    client, moto = floor["client (Python)"], floor["moto"]
    lines.append(f"| boto3 floor | same creates | {floor['wall']:.2f} | n/a | n/a | {client:.2f} (boto3 client) | n/a "
                 f"| {moto:.2f} | {client + moto:.2f} | {floor['writes']:.0f} | {floor['reads']:.0f} |")
    section = "\n".join(lines) + "\n"
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\n"
    pattern = re.compile(r"## Profile: .*?(?=\n## |\Z)", re.S)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    RESULTS.write_text(text)


if __name__ == "__main__":
    main()
