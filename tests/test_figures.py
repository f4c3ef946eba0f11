"""bilan.figures.compute on small hand-made fiches: each rule of the consolidated figures."""

from __future__ import annotations

from typing import Any

import pytest

from bilan.dataset import load_dataset
from bilan.diagnostics import errors
from bilan.figures import compute
from bilan.opendata import rows
from tests.conftest import DataMaker, fiche

YEAR = 2016
DEFAULT_PHASES = "[1, 2, 3, 4]"


def figures_of(make_data: DataMaker, files: dict[str, str | bytes]) -> dict[str, Any]:
    dataset, diagnostics = load_dataset(make_data(files))
    assert errors(diagnostics) == []
    assert dataset.communes is not None
    return compute([item.fiche for item in dataset.fiches], dataset.communes, YEAR)


def with_rows(text: str, *rows: str) -> str:
    """Replace a fiche's single calendar row by one row per expected result."""
    lines = "".join(
        f"        - {{resultat: {n}, phases: {phases}}}\n" for n, phases in enumerate(rows, 1)
    )
    results = "".join(f"  - Résultat {n}\n" for n in range(1, len(rows) + 1))
    return text.replace(f"      phases: {DEFAULT_PHASES}\n", "      lignes:\n" + lines).replace(
        "  - Un résultat\n", results
    )


def with_second_action(text: str, number: int) -> str:
    """A fiche that also covers existing action ``number``."""
    first = "    themes: [fonctions-ressources]\n"
    second = (
        f"  - {{type: existante, numero: {number}, titre: Action {number}, "
        "themes: [fonctions-ressources]}\n"
    )
    return text.replace(first, first + second, 1)


def meetings(count: int) -> str:
    return f"indicateurs:\n  - {{libelle: Réunions, categorie: reunions, valeur: {count}}}\n"


def without_sheet(ident: str, number: int, etat: str | None) -> str:
    """A prospective fiche whose 2016 report has no sheet (« sans_fiche »)."""
    state = f"    etat: {etat}\n" if etat else ""
    return (
        f"id: {ident}\n"
        f"titre: Fiche {ident}\n"
        "actions:\n"
        f"  - {{type: prospective, numero: {number}, titre: Action prospective {number}, "
        "themes: [fonctions-ressources]}\n"
        "bilans:\n"
        f"  {YEAR}:\n" + state + "    sans_fiche: Pas de fiche cette année.\n"
    )


@pytest.mark.parametrize(
    ("phases", "debut", "expected", "bucket"),
    [
        ("[1, 1, 2, 2, 3, 3]", "2015-T4", 3, "3"),  # the T4 2016 cell itself
        ("[1, 2, 3, 4]", "2015-T4", 4, "4"),  # calendar ends before T4 2016: its last phase
        ("[1, null, null, null, null, 2]", "2015-T4", 1, "1"),  # an empty quarter keeps the phase
        ("[null, null, null, null, null, 1]", "2015-T4", None, "aucune"),  # not begun yet
        ("[1, 2, 3]", "2017-T1", None, "aucune"),  # calendar starts after the year
        ("[1, 2, [3, 4], [3, 4], [3, 4], 4]", "2015-T4", [3, 4], "4"),  # « 3/4 » counts as 4
    ],
)
def test_phase_at_year_end(
    make_data: DataMaker, phases: str, debut: str, expected: object, bucket: str
) -> None:
    text = fiche(phases=phases).replace("debut: 2015-T4", f"debut: {debut}")
    figures = figures_of(make_data, {"e01-test.yaml": text})
    [action] = figures["par_action"]
    assert action["phase_fin_annee"] == expected
    counts = dict.fromkeys(("1", "2", "3", "4", "aucune"), 0)
    assert figures["phases_fin_annee"] == counts | {bucket: 1}


def test_double_phase_is_written_3_4_in_open_data(make_data: DataMaker) -> None:
    figures = figures_of(make_data, {"e01-test.yaml": fiche(phases="[1, 2, 3, [3, 4], [3, 4]]")})
    [row] = rows(figures)
    assert row["phase_fin_annee"] == "3/4"


@pytest.mark.parametrize(
    ("calendar", "expected"),
    [
        # result 1 done early, result 2 still in phase 2 at T4 2016: the action is in phase 2
        (("[null, 4]", "[1, 1, 1, 2, 2, 3]"), 2),
        (("[null, 4]", "[1, 1, 2, 3, 3, 3]", "[1, 2, [3, 4], [3, 4], [3, 4]]"), 3),
        (("[4, 4, 4, 4, 4]", "[1, 2, [3, 4], [3, 4], [3, 4]]"), [3, 4]),
    ],
)
def test_per_result_calendar_takes_the_least_advanced_result(
    make_data: DataMaker, calendar: tuple[str, ...], expected: object
) -> None:
    figures = figures_of(make_data, {"e01-test.yaml": with_rows(fiche(), *calendar)})
    [action] = figures["par_action"]
    assert action["phase_fin_annee"] == expected


def test_a_fiche_covering_several_actions_counts_its_meetings_once(make_data: DataMaker) -> None:
    figures = figures_of(
        make_data,
        {
            "e01-test.yaml": with_second_action(fiche("e01-test", extra_report=meetings(5)), 2),
            "e03-test.yaml": fiche("e03-test", number=3, extra_report=meetings(2)),
            "e04-test.yaml": fiche("e04-test", number=4),
        },
    )
    assert [a["reunions"] for a in figures["par_action"]] == [5, 5, 2, None]
    assert figures["reunions"] == {"total": 7, "actions_renseignees": 2}
    assert figures["actions"]["total"] == 4
    assert figures["fiches"]["total"] == 3


def test_started_and_not_started_new_actions(make_data: DataMaker) -> None:
    def prospective(ident: str, number: int) -> str:
        return fiche(ident, kind="prospective", number=number)

    figures = figures_of(
        make_data,
        {
            "p01-test.yaml": prospective("p01-test", 1),
            "p02-test.yaml": prospective("p02-test", 2).replace(
                "etat: en-cours", "etat: non-demarree"
            ),
            "p03-test.yaml": prospective("p03-test", 3).replace(f"  {YEAR}:", f"  {YEAR - 1}:"),
            "p04-test.yaml": without_sheet("p04-test", 4, None),
            "p05-test.yaml": without_sheet("p05-test", 5, "non-demarree"),
        },
    )
    assert figures["prospectives"] == {"demarrees": 1, "non_demarrees": 2}
    assert [a["numero"] for a in figures["prospectives_demarrees"]] == [1]
    assert [a["numero"] for a in figures["prospectives_non_demarrees"]] == [2, 5]
    assert figures["prospectives_non_demarrees"][0]["titre"] == "Action prospective 2"
    assert [a["fiche"] for a in figures["fiches"]["non_fournies"]] == ["p03-test"]
    assert [a["fiche"] for a in figures["fiches"]["sans_fiche"]] == ["p04-test", "p05-test"]
    assert figures["fiches"]["total"] == 2
    assert [a["bilan_fourni"] for a in figures["par_action"]] == [True, True, False, True, True]


def test_an_action_under_two_themes_counts_in_each(make_data: DataMaker) -> None:
    text = fiche("p07-test", kind="prospective", number=7).replace(
        "themes: [fonctions-ressources]",
        "themes: [services-a-la-population, interventions-techniques]",
    )
    figures = figures_of(make_data, {"p07-test.yaml": text})
    by_theme = {k: v["prospectives"] for k, v in figures["actions"]["par_theme"].items()}
    assert by_theme == {
        "fonctions-ressources": 0,
        "services-a-la-population": 1,
        "amenagement-developpement-durable": 0,
        "interventions-techniques": 1,
    }
    assert figures["actions"] == figures["actions"] | {"total": 1, "prospectives": 1}
    assert figures["communes"]["total"] == 3
