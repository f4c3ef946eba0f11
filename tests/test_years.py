"""Year after year: starting a year, sealing a published edition, progress since the
previous year, every edition built together."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bilan.cli import app
from bilan.models import Calendar, Indicator, Outlook, Report
from bilan.progress import assessments, indicator_changes, slips
from bilan.validate import validate_data
from tests.conftest import YEAR, DataMaker, bilan, fiche
from tests.golden import EXAMPLE_2017, example_2017
from tests.htmltree import parse

runner = CliRunner()
BUILD = ("-f", "html", "-f", "md", "-f", "data")


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def codes(data: Path, years: list[int] | None = None) -> list[tuple[str, str, int]]:
    return [(d.code, Path(d.path).name, d.line) for d in validate_data(data, years).diagnostics]


def edit(path: Path, old: str, new: str) -> None:
    text = path.read_text("utf-8")
    assert old in text, (path, old)
    path.write_text(text.replace(old, new, 1), "utf-8")


# --- bilan new-year ------------------------------------------------------------------------

OUTLOOK = """\
# Le bilan de l'équipe, relu en comité.
communes: [alpha]  # la seule commune pilote
indicateurs:
  - {libelle: Communes concernées, categorie: communes, valeur: 2}
points_forts: [Une équipe stable]
perspectives:
  resultats_a_venir: [Ouvrir le service, Former les agents]
"""


def test_new_year_carries_the_bilans_over(make_data: DataMaker) -> None:
    data = make_data({"e01-test.yaml": fiche(), "2016/e01-test.yaml": bilan(extra=OUTLOOK)})
    code, out, err = invoke("new-year", "--year", "2017", "--data", str(data))
    assert code == 0, err
    assert "Année 2017 préparée" in out
    folder = data / "rapports" / "2017"
    text = (folder / "bilans" / "e01-test.yaml").read_text("utf-8")
    assert "# Le bilan de l'équipe, relu en comité." in text  # comments kept
    assert "communes: [alpha]  # la seule commune pilote" in text  # flow list and comment
    assert "phases: [1, 2, 3, 4]" in text and "debut: 2015-T4" in text
    assert "valeur" not in text and "À compléter" in text
    assert "resultat: 1  # Ouvrir le service" in text
    assert "annee: 2017" in (folder / "rapport.yaml").read_text("utf-8")
    assert (folder / "00-edito.md").read_text("utf-8").count("À compléter") == 1
    found = codes(data, [2017])
    assert {code for code, _name, _line in found} == {"R020", "R021", "N006"}
    assert ("R021", "e01-test.yaml", found[[c for c, *_ in found].index("R021")][2]) in found
    assert [line for code, name, line in found if code == "N006" and name == "00-edito.md"] == [6]


def test_new_year_refuses_a_started_year_and_writes_nothing_on_bad_data(
    make_data: DataMaker,
) -> None:
    data = make_data()
    assert invoke("new-year", "-y", "2017", "--data", str(data))[0] == 0
    before = snapshot(data)
    code, _out, err = invoke("new-year", "-y", "2017", "--data", str(data))
    assert code == 2 and "l'année 2017 est déjà commencée" in err
    code, _out, err = invoke("new-year", "-y", "2019", "--data", str(data))
    assert code == 2 and "pas de rapport 2018" in err
    assert snapshot(data) == before
    shutil.rmtree(data / "rapports" / "2017")
    edit(data / "actions" / "e01-test.yaml", "objectifs:", "objectif:")
    code, _out, err = invoke("new-year", "-y", "2017", "--data", str(data))
    assert code == 1 and "S001" in err and "année 2017 non préparée" in err
    assert not (data / "rapports" / "2017").exists()
    assert not list((data / "rapports").glob(".*"))


def test_an_assessment_without_status_or_of_an_unknown_result(make_data: DataMaker) -> None:
    data = make_data({"e01-test.yaml": fiche(), "2016/e01-test.yaml": bilan(extra=OUTLOOK)})
    invoke("new-year", "-y", "2017", "--data", str(data))
    path = data / "rapports" / "2017" / "bilans" / "e01-test.yaml"
    text = path.read_text("utf-8")
    text = text.replace("statut:\n", "statut: realise\n", 1).replace(
        "- resultat: 2", "- resultat: 3"
    )
    path.write_text(text, "utf-8")
    found = {code for code, name, _line in codes(data, [2017]) if name == "e01-test.yaml"}
    assert {"R018", "R021"} <= found  # result 3 does not exist; result 2 is not assessed


# --- The past is sealed --------------------------------------------------------------------


def test_a_published_edition_is_sealed(make_data: DataMaker) -> None:
    data = make_data()
    code, out, err = invoke("publish", "-y", "2016", "--date", "2017-01-15", "--data", str(data))
    assert code == 0, err
    assert "Édition 2016 scellée le 2017-01-15" in out
    assert codes(data) == []
    path = data / "rapports" / "2016" / "bilans" / "e01-test.yaml"
    # a change of layout alone changes no data
    edit(path, "phases: [1, 2, 3, 4]", "phases:\n    - 1\n    - 2\n    - 3\n    - 4")
    assert codes(data) == []
    edit(path, "    - 4", "    - 3")
    [(code, message)] = [(d.code, d.message) for d in validate_data(data).diagnostics]
    assert code == "P001" and "« calendrier.phases.4 » a changé" in message
    [found] = validate_data(data).diagnostics
    assert (found.line, found.column) == (9, 7)
    code, _out, err = invoke("publish", "-y", "2016", "--data", str(data))
    assert code == 2 and "déjà publiée" in err and "erratum" in err


def test_an_erratum_declares_a_correction_that_the_edition_shows(
    make_data: DataMaker, tmp_path: Path
) -> None:
    data = make_data()
    invoke("publish", "-y", "2016", "--date", "2017-01-15", "--data", str(data))
    edit(data / "rapports" / "2016" / "00-edito.md", "L'établissement", "L'intercommunalité")
    assert [c for c, *_ in codes(data)] == ["P001"]
    errata = data / "rapports" / "2016" / "errata.yaml"
    errata.write_text(
        "errata:\n  - date: 2017-03-02\n    fichier: 00-edito.md\n    texte: Édito précisé.\n",
        "utf-8",
    )
    assert codes(data) == []
    code, _out, err = invoke("build", "-y", "2016", "--data", str(data), "-o", str(tmp_path / "o"))
    assert code == 0, err
    page = parse((tmp_path / "o" / "2016" / "index.html").read_text("utf-8"))
    shown = page.find("section", class_="errata").text()
    assert "2 mars 2017" in shown and "Édito précisé." in shown
    edit(errata, "fichier: 00-edito.md", "fichier: 00-edit.md")
    assert ("P003", "errata.yaml", 3) in codes(data)


def test_errata_of_an_unpublished_year_and_a_damaged_publication(make_data: DataMaker) -> None:
    data = make_data()
    folder = data / "rapports" / "2016"
    (folder / "errata.yaml").write_text(
        "errata:\n  - {date: 2017-03-02, fichier: 00-edito.md, texte: x}\n", "utf-8"
    )
    assert codes(data) == [("P003", "errata.yaml", 1)]
    (folder / "errata.yaml").unlink()
    invoke("publish", "-y", "2016", "--data", str(data))
    (folder / "publication.json").write_text("{", "utf-8")
    assert codes(data) == [("P002", "publication.json", 1)]


def test_publishing_an_unfinished_edition_is_refused(make_data: DataMaker) -> None:
    data = make_data({"e01-test.yaml": fiche(), "2016/e01-test.yaml": bilan(extra=OUTLOOK)})
    invoke("new-year", "-y", "2017", "--data", str(data))
    code, _out, err = invoke("publish", "-y", "2017", "--data", str(data))
    assert code == 2 and "n'est pas terminée" in err and "À compléter" in err
    assert not (data / "rapports" / "2017" / "publication.json").exists()


def test_the_repository_edition_is_sealed_and_later_changes_leave_it_alone(
    sealed_data: Path, tmp_path: Path
) -> None:
    """The issue's scenario: a second year, a new action, e05's communes 23 → 26, P1
    abandoned and leaving the schéma; the 2016 edition stays byte for byte the same."""
    first = tmp_path / "avant"
    args = ("--data", str(sealed_data), *BUILD)
    assert invoke("build", "-y", "2016", "-o", str(first), *args)[0] == 0
    assert invoke("new-year", "-y", "2017", "--data", str(sealed_data))[0] == 0
    code, _out, err = invoke(
        "new", "-t", "prospective", "-n", "13", "--titre", "Réseau thématique sport",
        "-y", "2017", "--data", str(sealed_data),
    )  # fmt: skip
    assert code == 0, err
    later = sealed_data / "rapports" / "2017" / "bilans"
    text = (later / "e05-groupements-achats.yaml").read_text("utf-8")
    text = text.replace("categorie: communes\n", "categorie: communes\n    valeur: 26\n", 1)
    (later / "e05-groupements-achats.yaml").write_text(text, "utf-8")
    edit(later / "p01-reseau-affaires-juridiques.yaml", "etat: non-demarree", "etat: abandonnee")
    fiche_p01 = sealed_data / "actions" / "p01-reseau-affaires-juridiques.yaml"
    fiche_p01.write_text(
        fiche_p01.read_text("utf-8") + "sortie: {annee: 2017, motif: Schéma ajusté}\n", "utf-8"
    )
    # and an edit of a stable part for the next years: the published edition keeps its own
    edit(sealed_data / "actions" / "e05-groupements-achats.yaml", "titre:", "titre: Achats –")
    assert not [d for d in validate_data(sealed_data).diagnostics if d.is_error]
    second = tmp_path / "apres"
    assert invoke("build", "-y", "2016", "-o", str(second), *args)[0] == 0
    assert snapshot(second / "2016") == snapshot(first / "2016")
    code, out, _err = invoke("stats", "-y", "2017", "--data", str(sealed_data), "-f", "json")
    figures = json.loads(out)
    assert figures["actions"]["total"] == 28
    assert figures["etats"]["abandonnee"] == 1
    assert 1 not in [a["numero"] for a in figures["prospectives_demarrees"]]
    assert [a["numero"] for a in figures["evolution"]["entrees"]] == [13]
    e05 = next(line for line in figures["par_action"] if line["fiche"] == "e05-groupements-achats")
    assert e05["communes_concernees"] == 26
    code, _out, err = invoke("build", "-y", "2017", "-o", str(tmp_path / "2017"), *args)
    assert code == 0, err
    page = (tmp_path / "2017" / "2017" / "actions" / "e05-groupements-achats.html").read_text()
    table = parse(page).find("div", class_="progression").find("table")
    rows = {
        tr.find("th").text(): [td.text() for td in tr.find_all("td")]
        for tr in table.find("tbody").find_all("tr")
    }
    assert rows["Nombre de communes"] == ["23", "26", "+3 (+13 %)"]


# --- Progress, computed ---------------------------------------------------------------------


def _report(phases: list[Any], **fields: Any) -> Report:
    return Report.model_construct(
        fiche="e01-test",
        calendrier=Calendar.model_construct(debut="2015-T4", phases=phases, lignes=None),
        indicateurs=fields.get("indicateurs", []),
        perspectives=fields.get("perspectives"),
        evaluation=fields.get("evaluation", []),
    )


def test_slips_are_phases_that_start_later_than_planned() -> None:
    before = _report([1, 1, 2, 2, 3, 3, 4])
    now = _report([1, 1, 2, 2, 2, 2, 3, 4])
    assert [
        (s["phase"], s["prevu"], s["constate"], s["trimestres"]) for s in slips(before, now)
    ] == [
        (3, "T4 2016", "T2 2017", 2),
        (4, "T2 2017", "T3 2017", 1),
    ]
    assert slips(now, now) == []
    assert slips(now, before) == []  # ahead of plan is no slip


def test_indicators_side_by_side() -> None:
    before = _report(
        [1],
        indicateurs=[
            Indicator.model_construct(libelle="Communes", categorie="communes", valeur=23),
            Indicator.model_construct(libelle="Abandonné", categorie=None, valeur=4),
        ],
    )
    now = _report(
        [1],
        indicateurs=[Indicator.model_construct(libelle="Villes", categorie="communes", valeur=26)],
    )
    changes = indicator_changes(before, now)
    assert [(c["libelle"], c["avant"], c["apres"], c["ecart"]) for c in changes] == [
        ("Villes", 23, 26, 3),
        ("Abandonné", 4, None, None),
    ]
    assert changes[0]["pourcentage"] == 13.0


def test_each_announced_result_with_its_assessment() -> None:
    from bilan.models import Assessment

    before = _report([1], perspectives=Outlook.model_construct(resultats_a_venir=["A", "B"]))
    now = _report([1], evaluation=[Assessment.model_construct(resultat=2, statut="reporte")])
    assert [(a["resultat"], a["statut"]) for a in assessments(before, now)] == [
        ("A", None),
        ("B", "reporte"),
    ]


# --- The fictitious second year and every edition together -----------------------------------


def test_the_example_second_year_is_valid_and_finished(tmp_path: Path) -> None:
    assert (EXAMPLE_2017 / "rapports" / "2017" / "rapport.yaml").is_file()
    data = example_2017(tmp_path)
    assert validate_data(data).diagnostics == []


def test_build_all_lists_and_links_every_edition(tmp_path: Path) -> None:
    data = example_2017(tmp_path)
    out = tmp_path / "site"
    code, stdout, err = invoke("build", "--all", "--data", str(data), "-o", str(out), *BUILD)
    assert code == 0, err
    assert "Rapport 2016 construit" in stdout and "Rapport 2017 construit" in stdout
    listing = parse((out / "index.html").read_text("utf-8"))
    assert [a.attrs["href"] for a in listing.find("ul", class_="editions").find_all("a")] == [
        "2017/index.html",
        "2016/index.html",
    ]
    every = (out / "actions-toutes-annees.csv").read_text("utf-8").splitlines()
    assert every[0].startswith("annee,type,numero")
    assert [line[:4] for line in every[1:]].count("2016") == 27
    assert [line[:4] for line in every[1:]].count("2017") == 28
    page = parse((out / "2017" / "actions" / "e05-groupements-achats.html").read_text("utf-8"))
    links = [a.attrs["href"] for a in page.find("p", class_="pied-editions").find_all("a")]
    assert links == ["../../index.html", "../../2016/index.html"]
    progress = page.find("div", class_="progression").text()
    assert "23" in progress and "26" in progress and "+3 (+13 %)" in progress
    assert "prévue au T1 2018, commence au T3 2018" in progress
    single = tmp_path / "seul"
    invoke("build", "-y", "2016", "--data", str(data), "-o", str(single), *BUILD)
    assert "pied-editions" not in (single / "2016" / "index.html").read_text("utf-8")
    assert not (single / "index.html").exists()


@pytest.mark.parametrize("year", [2016, 2017])
def test_stats_json_per_year(tmp_path: Path, year: int) -> None:
    data = example_2017(tmp_path)
    code, out, _err = invoke("stats", "-y", str(year), "--data", str(data), "-f", "json")
    assert code == 0
    figures = json.loads(out)
    assert set(figures["etats"]) == {"non-demarree", "en-cours", "terminee", "abandonnee"}
    assert ("evolution" in figures) == (year == 2017)
    if year == 2017:
        slipped = [(g["fiche"], g["trimestres"]) for g in figures["evolution"]["glissements"]]
        assert slipped == [("e05-groupements-achats", 2), ("e07-archives", 1)]


def test_a_configuration_keeps_the_default_lists_it_leaves_out(make_data: DataMaker) -> None:
    data = make_data()
    (data / "bilan.yaml").write_text(
        "vocabulaire:\n  regroupement: {libelle: Relation, pluriel: Relations}\n", "utf-8"
    )
    checked = validate_data(data)
    assert checked.diagnostics == []
    assert [p.numero for p in checked.inputs[YEAR].vocabulary.phases] == [1, 2, 3, 4]
