"""`bilan new`: a valid, commented skeleton; never an overwrite, never a number twice."""

from __future__ import annotations

import datetime
import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bilan.cli import app
from bilan.dataset import load_dataset
from bilan.skeleton import fiche_id, slug
from bilan.vocabulary import default_vocabulary
from tests.conftest import ROOT

runner = CliRunner()


def new(data: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, ["new", "--data", str(data), *args], catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def validate(data: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["validate", "--data", str(data), *args], catch_exceptions=False)
    return result.exit_code, result.stdout


@pytest.mark.parametrize(
    ("kind", "number", "title", "expected"),
    [
        (
            "prospective",
            11,
            "Mutualisation des salles de spectacle",
            "p11-mutualisation-salles-spectacle",
        ),
        ("existante", 5, "Groupements d'achats", "e05-groupements-achats"),
        (
            "existante",
            14,
            "Produits locaux, fêtes et traditions",
            "e14-produits-locaux-fetes-traditions",
        ),
        ("prospective", 3, "Réseau thématique RH", "p03-reseau-thematique-rh"),
        ("prospective", 13, "Le « plus » d'une action", "p13-plus-action"),
        ("existante", 1, "De la", "e01-de-la"),  # only little words: keep them
    ],
)
def test_id_from_type_number_and_title(kind: str, number: int, title: str, expected: str) -> None:
    prefix = default_vocabulary().type_by_id[kind].prefixe
    assert fiche_id(prefix, number, title) == expected


def test_long_titles_are_cut_between_words() -> None:
    words = slug(
        "Convention d'assistance technique de la Ville de Montpellier à Montpellier "
        "Méditerranée Métropole pour le traitement de ses archives"
    )
    assert len(words) <= 50
    assert words == "convention-assistance-technique-ville-montpellier"


def test_new_fiche_passes_validate_on_the_real_data(real_data: Path) -> None:
    code, out, err = new(
        real_data, "--type", "prospective", "--numero", "13", "--titre", "Réseau thématique sport"
    )
    assert code == 0, err
    path = real_data / "actions" / "p13-reseau-thematique-sport.yaml"
    own = real_data / "rapports" / "2016" / "bilans" / "p13-reseau-thematique-sport.yaml"
    assert path.is_file() and own.is_file()
    assert "p13-reseau-thematique-sport.yaml" in out
    assert "Bilan 2016 créé" in out  # the latest year of data/rapports/
    assert "thème mis par défaut" in err
    text = path.read_text(encoding="utf-8")
    assert text.startswith("# yaml-language-server: $schema=../../schemas/fiche.schema.json\n")
    assert "\nentree:" not in text  # 2016 is the first edition
    assert text.count("\n# ") >= 8  # every top-level field is explained
    first = own.read_text(encoding="utf-8")
    assert first.startswith(
        "# yaml-language-server: $schema=../../../../schemas/bilan.schema.json\n"
    )
    assert "\nfiche: p13-reseau-thematique-sport\n" in first
    code, report = validate(real_data, "--strict")
    assert code == 0, report
    assert "aucun problème" in report


def test_new_fiche_is_valid_for_the_json_schema(real_data: Path) -> None:
    new(
        real_data,
        "-t",
        "existante",
        "-n",
        "16",
        "--titre",
        "Fourrière",
        "--theme",
        "interventions-techniques",
    )
    path = real_data / "actions" / "e16-fourriere.yaml"
    own = real_data / "rapports" / "2016" / "bilans" / "e16-fourriere.yaml"
    assert "themes: [interventions-techniques]" in path.read_text(encoding="utf-8")
    for schema, file in (("fiche", path), ("bilan", own)):
        result = subprocess.run(
            [
                sys.executable,
                "-m",
                "check_jsonschema",
                "--schemafile",
                str(ROOT / "schemas" / f"{schema}.schema.json"),
                str(file),
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        assert result.returncode == 0, result.stdout


def test_title_with_quotes_colons_and_hash_is_kept_as_typed(real_data: Path) -> None:
    title = 'Réseau « sport » : "clubs" # équipements'
    code, _, err = new(
        real_data, "-t", "prospective", "-n", "13", "--titre", title, "--annee", "2016"
    )
    assert code == 0, err
    code, report = validate(real_data, "--format", "json")
    assert code == 0, report
    assert json.loads(report)["erreurs"] == 0
    dataset, _ = load_dataset(real_data)
    [made] = [item.fiche for item in dataset.fiches if item.fiche.id.startswith("p13-")]
    assert made.titre == title
    assert made.actions[0].titre == title


def test_refuses_to_overwrite(real_data: Path) -> None:
    target = real_data / "actions" / "p13-reseau-thematique-sport.yaml"
    target.write_text("# brouillon\n", encoding="utf-8")
    code, _, err = new(
        real_data, "-t", "prospective", "-n", "13", "--titre", "Réseau thématique sport"
    )
    assert code == 1
    assert "existe déjà" in err
    assert target.read_text(encoding="utf-8") == "# brouillon\n"


def test_refuses_a_number_used_by_another_fiche(real_data: Path) -> None:
    before = sorted(p.name for p in (real_data / "actions").iterdir())
    code, _, err = new(real_data, "-t", "prospective", "-n", "11", "--titre", "Autre chose")
    assert code == 1
    assert "l'action prospective 11 est déjà décrite par" in err
    assert "p11-salles-de-spectacle.yaml" in err
    assert sorted(p.name for p in (real_data / "actions").iterdir()) == before


def test_a_number_that_leaves_a_gap_is_written_with_a_warning(real_data: Path) -> None:
    code, _, err = new(real_data, "-t", "prospective", "-n", "15", "--titre", "Plus loin")
    assert code == 0
    assert "actions prospectives 13, 14" in err
    code, report = validate(real_data)
    assert code == 1
    assert "R003" in report  # validate still says what is missing


def test_default_year_without_reports_is_the_current_year(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    code, out, err = new(data, "-t", "existante", "-n", "1", "--titre", "Première")
    assert code == 0, err
    assert "Fiche créée" in out
    assert f"le bilan {datetime.date.today().year} de la fiche n'est pas créé" in err
    assert (data / "actions" / "e01-premiere.yaml").is_file()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-t", "autre", "-n", "1", "--titre", "X"], "type d'action inconnu « autre »"),
        (
            ["-t", "existante", "-n", "0", "--titre", "X"],
            "'--numero' / '-n' : la valeur doit être au moins 1",
        ),
        (["-t", "existante", "-n", "1"], "option obligatoire manquante : '--titre'"),
        (
            ["-t", "existante", "-n", "1", "--titre", "X", "--theme", "sport"],
            "thème inconnu « sport »",
        ),
        (["-t", "existante", "-n", "1", "--titre", "!!!"], "ni lettre ni chiffre"),
    ],
)
def test_usage_errors(tmp_path: Path, args: list[str], message: str) -> None:
    data = tmp_path / "data"
    data.mkdir()
    code, _, err = new(data, *args)
    assert code == 2
    assert message in err
    assert not (data / "actions").exists() or not any((data / "actions").iterdir())


def test_unwritable_folder_is_reported_without_traceback(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    (data / "actions").write_text("un fichier, pas un dossier", encoding="utf-8")
    code, out, err = new(data, "-t", "existante", "-n", "1", "--titre", "Première")
    assert code == 2
    assert "impossible d'écrire" in err
    assert "Traceback" not in out + err
