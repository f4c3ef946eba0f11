"""`bilan stats`: the figures of the report, the same numbers as the build's open data."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bilan.cli import app
from bilan.french import number
from bilan.validate import validate_data
from tests.conftest import DATA

runner = CliRunner()


def stats(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["stats", *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def figures() -> dict[str, Any]:
    return validate_data(DATA, years=[2016]).figures[2016]


def test_json_has_the_keys_of_the_issue(figures: dict[str, Any]) -> None:
    code, out, _ = stats("--year", "2016", "--data", str(DATA), "--format", "json")
    assert code == 0
    payload = json.loads(out)
    assert payload["annee"] == 2016
    actions = payload["actions"]
    assert actions["total"] == actions["existantes"] + actions["prospectives"]
    assert set(actions["par_theme"]) == {
        "fonctions-ressources",
        "services-a-la-population",
        "amenagement-developpement-durable",
        "interventions-techniques",
    }
    assert isinstance(payload["prospectives_non_demarrees"], list)
    assert (
        len(payload["prospectives_demarrees"]) + len(payload["prospectives_non_demarrees"])
        <= (actions["prospectives"])
    )
    assert sum(payload["phases_fin_annee"].values()) == actions["total"]
    assert payload["reunions"]["total"] > 0
    assert payload == figures


def test_json_is_what_the_build_publishes(tmp_path: Path) -> None:
    built = runner.invoke(
        app,
        ["build", "--year", "2016", "--data", str(DATA), "--out", str(tmp_path), "-f", "data"],
        catch_exceptions=False,
    )
    assert built.exit_code == 0, built.output
    published = json.loads((tmp_path / "2016" / "donnees" / "actions.json").read_text("utf-8"))
    _, out, _ = stats("--year", "2016", "--data", str(DATA), "--format", "json")
    assert json.loads(out) == published["chiffres"]


def test_table_is_french_text_with_the_same_numbers(figures: dict[str, Any]) -> None:
    code, out, _ = stats("-y", "2016", "--data", str(DATA))
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "Bilan 2016 : chiffres consolidés"

    def row(label: str) -> list[str]:
        [found] = [line.split() for line in lines if line.strip().startswith(label)]
        return found

    actions = figures["actions"]
    assert row("total")[-1] == number(actions["total"])
    assert row("existantes")[-1] == number(actions["existantes"])
    theme = actions["par_theme"]["services-a-la-population"]
    assert row("Services à la population")[-3:] == [
        number(theme["existantes"]),
        number(theme["prospectives"]),
        number(theme["total"]),
    ]
    assert row("non démarrées")[-1] == number(figures["prospectives"]["non_demarrees"])
    for item in figures["prospectives_non_demarrees"]:
        assert f"({item['fiche']})" in out
    assert row("3 Mise en œuvre")[-1] == number(figures["phases_fin_annee"]["3"])
    assert row("aucune phase")[-1] == number(figures["phases_fin_annee"]["aucune"])
    assert row("indiquées par les fiches")[-1] == number(figures["reunions"]["total"])


def test_invalid_data_prints_diagnostics_and_no_figure(real_data: Path) -> None:
    fiche = real_data / "actions" / "p11-salles-de-spectacle.yaml"
    fiche.write_text(fiche.read_text("utf-8").replace("objectifs:", "objectif:"), "utf-8")
    code, out, err = stats("--year", "2016", "--data", str(real_data))
    assert code == 1
    assert out == ""
    assert "S001" in err
    assert "chiffres non calculés" in err


def test_unknown_year_is_a_usage_error() -> None:
    code, out, err = stats("--year", "2015", "--data", str(DATA))
    assert code == 2
    assert out == ""
    assert "pas de rapport pour l'année 2015" in err


def test_the_year_defaults_to_the_latest(real_data: Path) -> None:
    later = real_data / "rapports" / "2017"
    later.mkdir()
    (later / "rapport.yaml").write_text(
        (real_data / "rapports" / "2016" / "rapport.yaml")
        .read_text("utf-8")
        .replace("annee: 2016", "annee: 2017"),
        "utf-8",
    )
    code, out, _ = stats("--data", str(real_data), "--format", "json")
    assert code == 0
    assert json.loads(out)["annee"] == 2017
    code, out, _ = stats("--data", str(DATA), "--format", "json")
    assert json.loads(out)["annee"] == 2016


def test_a_missing_data_folder_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = stats("--data", str(tmp_path / "absent"))
    assert code == 2
    assert "dossier des données introuvable" in err
