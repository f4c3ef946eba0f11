"""`bilan validate` through the command line: formats, exit codes, no traceback."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bilan.cli import app
from tests.conftest import DATA, DataMaker, bilan, fiche

runner = CliRunner()


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def test_repository_data_is_valid() -> None:
    code, out, _ = invoke("validate", "--data", str(DATA))
    assert code == 0, out
    assert "aucun problème" in out


def test_text_format_shows_location_source_line_caret_and_hint(make_data: DataMaker) -> None:
    data = make_data({"e01-test.yaml": fiche().replace("objectifs:", "objectif:")})
    code, out, _ = invoke("validate", "--data", str(data))
    assert code == 1
    lines = out.splitlines()
    assert lines[0].endswith("e01-test.yaml:8:1: erreur S001: champ inconnu « objectif »")
    assert lines[1] == "    objectif:"
    assert lines[2] == "    ^"
    assert lines[3] == "    Conseil : vouliez-vous dire « objectifs » ?"
    assert lines[-1] == "5 fichiers vérifiés : 1 erreur, 0 avertissement."


def test_json_format(make_data: DataMaker) -> None:
    data = make_data({"e01-test.yaml": fiche(), "2016/e01-test.yaml": bilan(phases="[1, 3, 2]")})
    code, out, _ = invoke("validate", "--data", str(data), "--format", "json")
    assert code == 0
    payload = json.loads(out)
    assert payload["valide"] is True
    assert payload["avertissements"] == 1
    [diag] = payload["diagnostics"]
    assert (diag["code"], diag["line"], diag["column"], diag["severity"]) == (
        "R005",
        5,
        18,
        "avertissement",
    )


def test_strict_makes_warnings_fail(make_data: DataMaker) -> None:
    data = make_data({"e01-test.yaml": fiche(), "2016/e01-test.yaml": bilan(phases="[1, 3, 2]")})
    assert invoke("validate", "--data", str(data))[0] == 0
    assert invoke("validate", "--data", str(data), "--strict")[0] == 1


def test_github_annotations(make_data: DataMaker) -> None:
    data = make_data({"e01-test.yaml": fiche().replace("objectifs:", "objectif:")})
    code, out, _ = invoke("validate", "--data", str(data), "--format", "github")
    assert code == 1
    annotation = out.splitlines()[0]
    assert annotation.startswith("::error file=")
    assert (
        "e01-test.yaml,line=8,col=1,title=S001 Champ inconnu::champ inconnu « objectif »"
        in annotation
    )


def test_gitlab_code_quality(make_data: DataMaker) -> None:
    data = make_data({"e01-test.yaml": fiche().replace("objectifs:", "objectif:")})
    code, out, _ = invoke("validate", "--data", str(data), "--format", "gitlab")
    assert code == 1
    [issue] = json.loads(out)
    assert issue["check_name"] == "S001"
    assert issue["location"]["lines"]["begin"] == 8
    assert issue["severity"] == "major"
    assert len(issue["fingerprint"]) == 64


@pytest.mark.parametrize("missing", ["folder", "communes", "actions"])
def test_missing_data_is_a_usage_error(make_data: DataMaker, tmp_path: Path, missing: str) -> None:
    data = tmp_path / "nowhere" if missing == "folder" else make_data(communes=None)
    if missing == "actions":
        data = make_data()
        shutil.rmtree(data / "actions")
    code, out, err = invoke("validate", "--data", str(data))
    assert code == 2
    assert "introuvable" in err
    assert "Traceback" not in out + err


def test_unknown_option_is_a_usage_error() -> None:
    assert runner.invoke(app, ["validate", "--nope"]).exit_code == 2


def test_version() -> None:
    code, out, _ = invoke("--version")
    assert code == 0 and out.startswith("bilan ")
