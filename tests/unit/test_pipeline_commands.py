"""Every `egov` command the pipelines run exists, with every option they pass: check-jsonschema validates the
files' shape (make lint), not that the CLI they call accepts what they say. Read from the YAML's scripts, walked
through the CLI's own command tree."""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator
from typing import Any

import pytest
import typer.main
import yaml

from infra.cli.main import app
from infra.repository import REPO_ROOT

PIPELINES = [REPO_ROOT / "pipelines" / "gitlab-ci.yml", REPO_ROOT / ".github" / "workflows" / "tenant.yml"]
SCRIPT_KEYS = ("script", "before_script", "after_script", "run")


def scripts(node: Any) -> Iterator[str]:
    """The shell text of every GitLab `script`/`before_script`/`after_script` and GitHub `run`."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in SCRIPT_KEYS:
                yield from ([value] if isinstance(value, str) else [str(v) for v in value])
            else:
                yield from scripts(value)
    elif isinstance(node, list):
        for item in node:
            yield from scripts(item)


def invocations(text: str) -> list[list[str]]:
    """The words after each `egov` in a script, up to the end of its shell command."""
    found = []
    for match in re.finditer(r"(?:^|[\s;&|(])egov\s+([^;&|\n]+)", text):
        found.append(shlex.split(match.group(1)))
    return found


def resolve(words: list[str]) -> tuple[Any, list[str]]:
    """The command the words name, and the options they pass to it (typer's own click: groups have
    ``commands``)."""
    command: Any = typer.main.get_command(app)
    rest = list(words)
    while rest and hasattr(command, "commands") and not rest[0].startswith("-"):
        assert rest[0] in command.commands, f"egov has no command {rest[0]!r} (in: egov {' '.join(words)})"
        command = command.commands[rest.pop(0)]
    return command, [word.split("=", 1)[0] for word in rest if word.startswith("--")]


@pytest.mark.parametrize("pipeline", PIPELINES, ids=lambda path: path.name)
def test_every_egov_command_in_the_pipeline_exists_with_its_options(pipeline: Any) -> None:
    document = yaml.safe_load(pipeline.read_text())
    called = [words for text in scripts(document) for words in invocations(text)]
    assert {" ".join(words[:2]) for words in called} >= {"tenant plan", "tenant apply"}, called
    for words in called:
        command, options = resolve(words)
        known = {name for param in command.params for name in (*param.opts, *param.secondary_opts)}
        unknown = [option for option in options if option not in known]
        assert not unknown, f"{pipeline.name}: `egov {' '.join(words)}`: no option {', '.join(unknown)}"
