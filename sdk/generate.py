"""Regenerate the Python SDK of the ``egov`` provider (``make sdk``): schema first, then Pulumi's own generator.

The schema comes from the handlers' property specs (``infra.provider.schema``); ``pulumi package gen-sdk
--language python`` of the engine in ``.tools/bin`` turns it into ``sdk/python`` through our language
host's ``GeneratePackage`` (upstream's Python code generator of the same release). Nothing here edits the
generated files: what is committed is exactly what the generator writes, so a test can regenerate into a
temporary directory and compare (``tests/unit/test_sdk.py``).

Usage: ``python sdk/generate.py [--out DIR]`` (default: this directory, i.e. ``sdk/schema.json`` and
``sdk/python``).
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from infra.engine import engine_env, pulumi_binary
from infra.provider.provider import default_registry
from infra.provider.schema import package_schema_json

SDK_DIR = Path(__file__).resolve().parent
LANGUAGE = "python"


def generate(out: Path) -> None:
    """Write ``out/schema.json`` and the SDK in ``out/python`` (replacing what was there)."""
    out.mkdir(parents=True, exist_ok=True)
    schema = out / "schema.json"
    schema.write_text(package_schema_json(default_registry()) + "\n")
    with tempfile.TemporaryDirectory(prefix="egov-sdk-") as scratch:
        work = Path(scratch)
        # A private PULUMI_HOME and a working directory outside the project: generation needs no plugins,
        # credentials or project, and must not depend on whoever ran it before.
        env = engine_env({"PULUMI_HOME": str(work / "home")})
        result = subprocess.run(
            [pulumi_binary(), "package", "gen-sdk", str(schema), "--language", LANGUAGE, "--out", str(work / "sdk")],
            cwd=work, env=env, capture_output=True, text=True, check=False,
        )
        if result.returncode != 0:
            raise SystemExit(
                f"pulumi package gen-sdk failed (exit {result.returncode}):\n{result.stderr or result.stdout}"
            )
        _sync(work / "sdk" / LANGUAGE, out / LANGUAGE)


def _sync(fresh: Path, target: Path) -> None:
    """Make ``target`` hold exactly ``fresh``'s files, rewriting only those that changed: an unchanged
    pyproject.toml keeps its timestamp, so ``make setup`` does not reinstall the SDK for nothing."""
    wanted = {path.relative_to(fresh) for path in fresh.rglob("*") if path.is_file()}
    if target.exists():
        for path in sorted(target.rglob("*"), reverse=True):
            relative = path.relative_to(target)
            if path.is_file() and relative not in wanted and not _built(relative):
                path.unlink()
            elif path.is_dir() and not any(path.iterdir()):
                path.rmdir()
    for relative in sorted(wanted):
        source, destination = fresh / relative, target / relative
        if not destination.is_file() or destination.read_bytes() != source.read_bytes():
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(source, destination)


def _built(relative: Path) -> bool:
    """What Python and the editable install leave beside the sources (the SDK's own .gitignore)."""
    return relative.suffix == ".pyc" or any(p == "__pycache__" or p.endswith(".egg-info") for p in relative.parts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=SDK_DIR, help="directory for schema.json and python/")
    args = parser.parse_args(argv)
    generate(args.out)
    print(f"SDK written to {args.out / LANGUAGE} (schema: {args.out / 'schema.json'})", file=sys.stderr)


if __name__ == "__main__":
    main()
