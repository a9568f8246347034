"""The README's two opening commands are the project's contract with a newcomer."""

from __future__ import annotations

import re

from tests.conftest import REPO


def opening_commands() -> list[str]:
    block = re.search(r"```bash\n(.*?)```", (REPO / "README.md").read_text(encoding="utf-8"), re.DOTALL)
    assert block, "README.md must open with a bash block"
    return [line for line in block.group(1).splitlines() if line and not line.startswith("#")]


def test_readme_opens_with_a_build_command_and_a_test_command():
    build, test = opening_commands()
    assert build.endswith("python -m dataset_builder build")
    assert "pytest" in test


def test_ci_runs_the_readme_test_command_verbatim():
    _, test = opening_commands()
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8").splitlines()
    assert test in ci
