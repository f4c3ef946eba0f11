"""What validate, build and stats share: the same diagnostics and summary for the same
data, in the format chosen (or the CI's); and an unexpected error told as a bug of bilan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bilan import validate
from bilan.cli import app, issue_tracker
from bilan.reporters import CODE_QUALITY_FILE

runner = CliRunner()


def broken(real_data: Path, old: str, new: str, bilan: bool = False) -> Path:
    """p12's fiche (or, with ``bilan``, its 2016 bilan) with ``old`` replaced by ``new``."""
    folder = real_data / ("rapports/2016/bilans" if bilan else "actions")
    fiche = folder / "p12-reseau-enseignement-musical.yaml"
    text = fiche.read_text("utf-8")
    assert old in text
    fiche.write_text(text.replace(old, new, 1), "utf-8")
    return real_data


def commands(data: Path, tmp_path: Path, *options: str) -> dict[str, list[str]]:
    """The three commands on ``data``; for build and stats, the option is --diagnostics."""
    out = str(tmp_path / "out")
    return {
        "validate": ["validate", "--data", str(data), *options],
        "build": ["build", "-y", "2016", "--data", str(data), "-o", out, "-f", "md", *options],
        "stats": ["stats", "-y", "2016", "--data", str(data), *options],
    }


def test_errors_give_the_same_diagnostics_and_summary(real_data: Path, tmp_path: Path) -> None:
    data = broken(real_data, "objectifs:", "objectif:")
    runs = {name: runner.invoke(app, args) for name, args in commands(data, tmp_path).items()}
    shown = runs["validate"].stdout
    assert shown.splitlines()[-1] == "59 fichiers vérifiés : 1 erreur, 0 avertissement."
    for name in ("build", "stats"):
        assert runs[name].exit_code == 1
        assert runs[name].stdout == ""
        assert runs[name].stderr.startswith(shown), name  # then « erreur : … » and its hint
    assert "rapport non construit" in runs["build"].stderr
    assert "chiffres non calculés" in runs["stats"].stderr


def test_warnings_give_the_same_diagnostics_and_summary(real_data: Path, tmp_path: Path) -> None:
    data = broken(real_data, "phases: [1, 2, 2,", "phases: [2, 1, 2,", bilan=True)
    runs = {name: runner.invoke(app, args) for name, args in commands(data, tmp_path).items()}
    shown = runs["validate"].stdout
    assert "avertissement R005" in shown
    assert shown.splitlines()[-1] == "59 fichiers vérifiés : 0 erreur, 1 avertissement."
    for name in ("build", "stats"):
        assert runs[name].exit_code == 0
        assert runs[name].stderr == shown, name
    assert runs["build"].stdout.startswith("Rapport 2016 construit")
    assert runs["stats"].stdout.startswith("Bilan 2016 : chiffres consolidés")


def test_the_chosen_format_is_the_same_for_the_three(real_data: Path, tmp_path: Path) -> None:
    data = broken(real_data, "objectifs:", "objectif:")
    argv = commands(data, tmp_path)
    validated = json.loads(runner.invoke(app, [*argv["validate"], "--format", "json"]).stdout)
    for name in ("build", "stats"):
        err = runner.invoke(app, [*argv[name], "--diagnostics", "json"]).stderr
        document = err[: err.rindex("}") + 1]  # then « erreur : … »
        assert json.loads(document) == validated, name
    assert validated["fichiers"] == 59 and validated["erreurs"] == 1


def test_in_github_actions_the_three_annotate(
    real_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    data = broken(real_data, "objectifs:", "objectif:")
    argv = commands(data, tmp_path)
    assert runner.invoke(app, argv["validate"]).stdout.startswith("::error file=")
    assert runner.invoke(app, argv["build"]).stderr.startswith("::error file=")
    explicit = runner.invoke(app, [*argv["validate"], "-f", "text"]).stdout  # a name wins
    assert "::" not in explicit and "erreur S001" in explicit
    text = runner.invoke(app, [*argv["stats"], "--diagnostics", "text"]).stderr
    assert "erreur S001: champ inconnu « objectif »" in text.splitlines()[0]


def test_in_gitlab_ci_the_log_stays_text_and_the_report_goes_to_its_file(
    real_data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GITLAB_CI", "true")
    monkeypatch.chdir(tmp_path)
    data = broken(real_data, "objectifs:", "objectif:")
    result = runner.invoke(app, commands(data, tmp_path)["validate"])
    assert result.exit_code == 1
    assert ": erreur S001: champ inconnu « objectif »" in result.stdout
    [issue] = json.loads((tmp_path / CODE_QUALITY_FILE).read_text("utf-8"))
    assert issue["check_name"] == "S001"


# --- unexpected errors ---------------------------------------------------------------------


def failing(*_args: object, **_kwargs: object) -> None:
    raise KeyError("pilote")


def test_an_unexpected_error_is_a_french_bug_report(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(validate, "validate_data", failing)
    data = str(tmp_path / "mes données")
    result = runner.invoke(app, ["validate", "--data", data, "--strict"])
    assert result.exit_code == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == "erreur interne : KeyError: 'pilote'"
    assert "défaut de bilan" in lines[1] and "pas une erreur dans vos données" in lines[1]
    assert lines[3] == f"    bilan --debug validate --data '{data}' --strict"
    url = issue_tracker()
    assert url is not None and url.startswith("https://") and url in lines[4]
    assert "Traceback" not in result.stderr


def test_with_debug_the_trace_is_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(validate, "validate_data", failing)
    result = runner.invoke(app, ["--debug", "validate"])
    assert isinstance(result.exception, KeyError)  # raised as is: Python prints the trace
    assert "erreur interne" not in result.stderr


def test_the_bug_report_names_the_command_that_failed(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from bilan import stats

    monkeypatch.setattr(stats, "year_figures", failing)
    result = runner.invoke(app, ["stats", "-y", "2016", "-f", "json"])
    assert result.exit_code == 1
    assert "    bilan --debug stats -y 2016 -f json" in result.stderr.splitlines()


def test_a_known_error_is_not_a_bug(tmp_path: Path) -> None:
    result = runner.invoke(app, ["validate", "--data", str(tmp_path / "absent")])
    assert result.exit_code == 2
    assert result.stderr.startswith("erreur : dossier de données introuvable")
    assert "erreur interne" not in result.stderr
