"""The CI examples and the pre-commit hooks work as shipped.

Each file is checked against its tool's schema (check-jsonschema's copies of the GitHub
and GitLab schemas, ``pre-commit validate-…``), then the ``bilan`` commands it names are
run, from a folder laid out like the repository, and what the next steps use (report
files, the folder published by GitLab Pages) is checked to exist.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from bilan.cli import app
from tests.conftest import DATA, ROOT

GITHUB = ROOT / ".github" / "workflows" / "bilan.yml"
GITLAB = ROOT / ".gitlab-ci.yml"
HOOKS = ROOT / ".pre-commit-hooks.yaml"
PRE_COMMIT = ROOT / ".pre-commit-config.yaml"

runner = CliRunner()


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", *args], capture_output=True, text=True, check=False, cwd=ROOT
    )


def github_lines() -> list[str]:
    steps = [step for job in load(GITHUB)["jobs"].values() for step in job["steps"]]
    return [line for step in steps if "run" in step for line in step["run"].splitlines()]


def gitlab_jobs() -> dict[str, dict[str, Any]]:
    return {
        name: job for name, job in load(GITLAB).items() if isinstance(job, dict) and "script" in job
    }


def hook_entries(path: Path) -> list[str]:
    data = load(path)
    hooks = data if isinstance(data, list) else [h for repo in data["repos"] for h in repo["hooks"]]
    return [hook["entry"] for hook in hooks]


def bilan_words(line: str) -> list[str] | None:
    """The arguments of a ``bilan`` command line (``bilan`` or ``.venv/bin/bilan``)."""
    words = shlex.split(line.split("||")[0])
    if not words or Path(words[0]).name != "bilan":
        return None
    return words[1:]


def test_github_workflow_is_valid_for_github() -> None:
    result = tool("check_jsonschema", "--builtin-schema", "vendor.github-workflows", str(GITHUB))
    assert result.returncode == 0, result.stdout


def test_gitlab_ci_is_valid_for_gitlab() -> None:
    result = tool(
        "check_jsonschema",
        "--builtin-schema",
        "vendor.gitlab-ci",
        "--data-transform",
        "gitlab-ci",
        str(GITLAB),
    )
    assert result.returncode == 0, result.stdout


def test_pre_commit_files_are_valid_for_pre_commit() -> None:
    manifest = tool("pre_commit", "validate-manifest", str(HOOKS))
    assert manifest.returncode == 0, manifest.stdout + manifest.stderr
    config = tool("pre_commit", "validate-config", str(PRE_COMMIT))
    assert config.returncode == 0, config.stdout + config.stderr


def test_hook_for_other_repositories_runs_bilan_validate_on_data_changes() -> None:
    [hook] = load(HOOKS)
    assert hook["id"] == "bilan-validate"
    assert hook["language"] == "python"  # pre-commit installs this package, whose script is bilan
    assert (
        "bilan" in tomllib.loads((ROOT / "pyproject.toml").read_text("utf-8"))["project"]["scripts"]
    )
    assert hook["entry"] == "bilan validate"
    assert hook["pass_filenames"] is False  # validation needs the whole folder
    assert re.search(hook["files"], "data/actions/p11-salles-de-spectacle.yaml")
    assert re.search(hook["files"], "data/rapports/2016/00-edito.md")
    assert not re.search(hook["files"], "src/bilan/cli.py")


def test_local_hooks_use_the_tools_of_the_virtual_environment() -> None:
    entries = hook_entries(PRE_COMMIT)
    assert any(bilan_words(entry) == ["validate"] for entry in entries)
    assert any(entry.split()[0].endswith("ruff") for entry in entries)
    for entry in entries:
        assert entry.split()[0].startswith(".venv/bin/")  # what `make install` creates


@pytest.fixture
def workspace(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A folder laid out like a clone of the repository, as the current directory."""
    shutil.copytree(DATA, tmp_path / "data")
    monkeypatch.chdir(tmp_path)
    return tmp_path


GITHUB_ENV = {"GITHUB_ACTIONS": "true", "CI": "true"}
GITLAB_ENV = {"GITLAB_CI": "true", "CI": "true"}
"""What each CI sets in every job (and bilan looks at)."""


def run_line(line: str, workspace: Path, env: dict[str, str] | None = None) -> int:
    """Run one line of a CI script, in the environment the CI gives it: ``bilan`` through
    the CLI runner (with a ``>`` redirection), anything else through the shell."""
    words = bilan_words(line)
    if words is None:
        return subprocess.run(line, shell=True, cwd=workspace, check=False).returncode
    target = None
    if ">" in words:
        words, target = words[: words.index(">")], words[words.index(">") + 1]
    result = runner.invoke(app, words, env=env, catch_exceptions=False)
    if target is not None:
        (workspace / target).write_text(result.stdout, encoding="utf-8")
    return 0 if "|| true" in line else result.exit_code


def commands(lines: list[str]) -> Iterator[str]:
    for line in lines:
        if bilan_words(line) is not None:
            yield line


def test_commands_of_the_ci_examples_run(workspace: Path) -> None:
    github = list(commands(github_lines()))
    jobs = gitlab_jobs()
    gitlab = [line for name in ("validate", "build") for line in jobs[name]["script"]]
    assert any(bilan_words(line) == ["validate"] for line in github)  # annotations: automatic
    assert any(bilan_words(line) == ["validate"] for line in gitlab)  # Code Quality: automatic
    assert any("build" in line for line in github) and any("build" in line for line in gitlab)
    hooks = [
        entry for entry in hook_entries(HOOKS) + hook_entries(PRE_COMMIT) if bilan_words(entry)
    ]
    for line in dict.fromkeys(github):
        assert run_line(line, workspace, GITHUB_ENV) == 0, line
    for line in dict.fromkeys(gitlab):
        assert run_line(line, workspace, GITLAB_ENV) == 0, line
    for line in dict.fromkeys(hooks):
        assert run_line(line, workspace) == 0, line

    # GitHub uploads the report folder it names.
    [upload] = [
        s
        for j in load(GITHUB)["jobs"].values()
        for s in j["steps"]
        if "upload" in s.get("uses", "")
    ]
    [folder, *excluded] = upload["with"]["path"].split()
    assert (workspace / folder / "index.html").is_file()  # the list of editions
    assert (workspace / folder / "2016" / "index.html").is_file()
    assert excluded == ["!build/.bilan-cache/"]

    # GitLab reads the Code Quality report the validate job writes: empty on valid data.
    report = jobs["validate"]["artifacts"]["reports"]["codequality"]
    assert json.loads((workspace / report).read_text("utf-8")) == []

    # GitLab Pages publishes public/, copied from the build.
    for line in jobs["pages"]["script"]:
        assert run_line(line, workspace) == 0, line
    assert jobs["pages"]["artifacts"]["paths"] == ["public"]
    assert (workspace / "public" / "index.html").is_file()  # the list of editions
    assert (workspace / "public" / "2016" / "bilan-2016.pdf").is_file()  # each edition kept
    assert not (workspace / "public" / ".bilan-cache").exists()


def test_code_quality_report_follows_gitlab_format(workspace: Path) -> None:
    """GitLab's required fields: description, check_name, fingerprint (unique), severity
    (info, minor, major, critical or blocker), location.path relative to the repository,
    location.lines.begin."""
    data = workspace / "data"
    for name, old, wrong in (
        ("actions/p11-salles-de-spectacle.yaml", "objectifs:", "objectif:"),
        (
            "rapports/2016/bilans/p12-reseau-enseignement-musical.yaml",
            "phases: [1, 2, 2,",
            "phases: [2, 1, 2,",
        ),
    ):
        path = data / name
        path.write_text(path.read_text("utf-8").replace(old, wrong), "utf-8")
    [validate] = [line for line in gitlab_jobs()["validate"]["script"] if bilan_words(line)]
    report = workspace / gitlab_jobs()["validate"]["artifacts"]["reports"]["codequality"]
    result = runner.invoke(app, bilan_words(validate), env=GITLAB_ENV)
    assert result.exit_code == 1  # the job fails…
    assert "S001" in result.stdout and not result.stdout.startswith("[")  # …with a readable log
    issues = json.loads(report.read_text("utf-8"))  # and the report GitLab shows
    explicit = runner.invoke(app, ["validate", "--format", "gitlab"], env=GITLAB_ENV)
    assert json.loads(explicit.stdout) == issues  # the format, when asked, wins
    # S001 in p11, R005 in p12 (no R003: p11's actions are unknown, not missing),
    # and P001: p12's bilan belongs to the published 2016 edition.
    assert {issue["check_name"] for issue in issues} == {"S001", "R005", "P001"}
    for issue in issues:
        assert issue["description"]
        assert issue["severity"] in {"info", "minor", "major", "critical", "blocker"}
        assert issue["location"]["path"].startswith("data/")  # as in the repository
        assert issue["location"]["lines"]["begin"] >= 1
    assert len({issue["fingerprint"] for issue in issues}) == len(issues)
    severities = {issue["check_name"]: issue["severity"] for issue in issues}
    assert severities == {"S001": "major", "R005": "minor", "P001": "major"}
