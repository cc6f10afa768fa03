"""`pulumi preview` of the core and bridge stacks with the egov policy pack against without it (one run).

Both stacks are deployed with the pack (as the demo does, so this also proves the demo passes it), then
each no-change preview runs twice, without and with ``--policy-pack``, alternating; the ratio is the cost
of the preventive gate. Results: bench/RESULTS.md (section replaced in place).
"""

from __future__ import annotations

import re
import tempfile
import time
import uuid
from dataclasses import replace
from pathlib import Path

from infra.engine import POLICY_PACK_DIR, Stack, engine_version
from infra.local.environment import LocalEnvironment, LocalPaths

RESULTS = Path(__file__).with_name("RESULTS.md")
SECTION = "## Policy pack: core + bridge preview with vs without (bench/policy_pack.py)"


def replace_section(title: str, lines: list[str]) -> None:
    """Replace the section starting with ``title`` in bench/RESULTS.md (or append it)."""
    section = "\n".join(lines) + "\n"
    text = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n\n"
    pattern = re.compile(re.escape(title) + r".*?(?=\n## |\Z)", re.S)
    text = pattern.sub(lambda _: section, text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    RESULTS.write_text(text)


def timed_preview(stack: Stack) -> float:
    start = time.perf_counter()
    stack.run("preview", "--expect-no-changes")
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        local = LocalEnvironment(LocalPaths(Path(tmp) / "egov"))
        local.up(print)
        env = local.env()
        try:
            suffix = uuid.uuid4().hex[:6]
            core = Stack(f"packcore{suffix}", env=env, config_file=Path(tmp) / "core.yaml", policy_pack=POLICY_PACK_DIR)
            core.init(local.secrets_provider)
            core.set_config("kind", "core")
            core.set_config("archiveForceDestroy", "true")
            bridge = Stack(f"packbridge{suffix}", env=env, config_file=Path(tmp) / "bridge.yaml",
                           policy_pack=POLICY_PACK_DIR)
            bridge.init(local.secrets_provider)
            bridge.set_config("kind", "bridge")
            bridge.set_config("coreStack", core.name)
            core.up()
            bridge.up()
            without = with_pack = 0.0
            for stack in (core, bridge):
                without += timed_preview(replace(stack, policy_pack=None))
                with_pack += timed_preview(stack)
            bridge.destroy()
            core.destroy()
            bridge.remove()
            core.remove()
        finally:
            local.down()
    print(f"core+bridge no-change preview: without pack {without:.2f}s, with pack {with_pack:.2f}s, "
          f"ratio {with_pack / without:.2f}")
    replace_section(SECTION, [
        SECTION, "",
        f"Pulumi {engine_version()}, the sample platform, measured {time.strftime('%Y-%m-%d')} in one run. Both stacks "
        "were deployed with the pack (all policies mandatory: it passes), then each no-change preview ran "
        "without and with `--policy-pack policies/pack`.",
        "",
        "| preview of core + bridge | seconds |", "|---|---:|",
        f"| without the pack | {without:.2f} |", f"| with the pack | {with_pack:.2f} |",
        f"| ratio with / without | {with_pack / without:.2f} |", "",
    ])


if __name__ == "__main__":
    main()
