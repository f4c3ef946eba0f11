"""bilan.figures on small hand-made fiches and bilans: each rule of the consolidated figures."""

from __future__ import annotations

from typing import Any

import pytest

from bilan.diagnostics import errors
from bilan.opendata import rows
from bilan.validate import validate_data
from tests.conftest import YEAR, DataMaker, bilan, fiche


def figures_of(
    make_data: DataMaker, files: dict[str, str | bytes], bilans: bool = True
) -> dict[str, Any]:
    """The figures of YEAR, as `bilan validate` and `bilan build` compute them (``bilans``:
    see :func:`tests.conftest.make_data`)."""
    checked = validate_data(make_data(files, bilans=bilans), years=[YEAR])
    assert errors(checked.diagnostics) == []
    return checked.figures[YEAR]


def with_rows(*rows: str) -> str:
    """A bilan of e01-test with one calendar row per expected result, and that fiche with
    as many expected results: returns the bilan (see :func:`fiche_with_results`)."""
    lines = "".join(
        f"    - {{resultat: {n}, phases: {phases}}}\n" for n, phases in enumerate(rows, 1)
    )
    return "fiche: e01-test\netat: en-cours\ncalendrier:\n  debut: 2015-T4\n  lignes:\n" + lines


def fiche_with_results(count: int) -> str:
    results = "".join(f"  - Résultat {n}\n" for n in range(1, count + 1))
    return fiche().replace("  - Un résultat\n", results)


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


def without_sheet(ident: str, etat: str | None) -> str:
    """A bilan of YEAR without a sheet (« sans_fiche »)."""
    state = f"etat: {etat}\n" if etat else ""
    return f"fiche: {ident}\n" + state + "sans_fiche: Pas de fiche cette année.\n"


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
    text = bilan(phases=phases).replace("debut: 2015-T4", f"debut: {debut}")
    figures = figures_of(make_data, {"e01-test.yaml": fiche(), f"{YEAR}/e01-test.yaml": text})
    [action] = figures["par_action"]
    assert action["phase_fin_annee"] == expected
    counts = dict.fromkeys(("1", "2", "3", "4", "aucune"), 0)
    assert figures["phases_fin_annee"] == counts | {bucket: 1}


def test_double_phase_is_written_3_4_in_open_data(make_data: DataMaker) -> None:
    figures = figures_of(
        make_data,
        {
            "e01-test.yaml": fiche(),
            f"{YEAR}/e01-test.yaml": bilan(phases="[1, 2, 3, [3, 4], [3, 4]]"),
        },
    )
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
    figures = figures_of(
        make_data,
        {
            "e01-test.yaml": fiche_with_results(len(calendar)),
            f"{YEAR}/e01-test.yaml": with_rows(*calendar),
        },
    )
    [action] = figures["par_action"]
    assert action["phase_fin_annee"] == expected


def test_a_fiche_covering_several_actions_counts_its_meetings_once(make_data: DataMaker) -> None:
    figures = figures_of(
        make_data,
        {
            "e01-test.yaml": with_second_action(fiche("e01-test"), 2),
            f"{YEAR}/e01-test.yaml": bilan("e01-test", extra=meetings(5)),
            "e03-test.yaml": fiche("e03-test", number=3),
            f"{YEAR}/e03-test.yaml": bilan("e03-test", extra=meetings(2)),
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
            f"{YEAR}/p01-test.yaml": bilan("p01-test"),
            "p02-test.yaml": prospective("p02-test", 2),
            f"{YEAR}/p02-test.yaml": bilan("p02-test").replace(
                "etat: en-cours", "etat: non-demarree"
            ),
            "p03-test.yaml": prospective("p03-test", 3),
            "p04-test.yaml": prospective("p04-test", 4),
            f"{YEAR}/p04-test.yaml": without_sheet("p04-test", None),
            "p05-test.yaml": prospective("p05-test", 5),
            f"{YEAR}/p05-test.yaml": without_sheet("p05-test", "non-demarree"),
            f"{YEAR}/p06-test.yaml": bilan("p06-test").replace("etat: en-cours", "etat: terminee"),
            "p06-test.yaml": prospective("p06-test", 6),
            "p07-test.yaml": prospective("p07-test", 7),
            f"{YEAR}/p07-test.yaml": bilan("p07-test").replace(
                "etat: en-cours", "etat: abandonnee"
            ),
        },
        bilans=False,
    )
    # finished counts as started; abandoned as neither started nor still to start
    assert figures["prospectives"] == {"demarrees": 2, "non_demarrees": 2}
    assert [a["numero"] for a in figures["prospectives_demarrees"]] == [1, 6]
    assert [a["numero"] for a in figures["prospectives_non_demarrees"]] == [2, 5]
    assert figures["prospectives_non_demarrees"][0]["titre"] == "Action prospective 2"
    assert [a["fiche"] for a in figures["fiches"]["non_fournies"]] == ["p03-test"]
    assert [a["fiche"] for a in figures["fiches"]["sans_fiche"]] == ["p04-test", "p05-test"]
    assert figures["fiches"]["total"] == 4
    assert [a["bilan_fourni"] for a in figures["par_action"]] == [
        True, True, False, True, True, True, True
    ]  # fmt: skip
    assert figures["etats"] == {"non-demarree": 2, "en-cours": 1, "terminee": 1, "abandonnee": 1}


def test_an_action_under_two_themes_counts_in_each(make_data: DataMaker) -> None:
    text = fiche("p01-test", kind="prospective", number=1).replace(
        "themes: [fonctions-ressources]",
        "themes: [services-a-la-population, interventions-techniques]",
    )
    figures = figures_of(make_data, {"p01-test.yaml": text})
    by_theme = {k: v["prospectives"] for k, v in figures["actions"]["par_theme"].items()}
    assert by_theme == {
        "fonctions-ressources": 0,
        "services-a-la-population": 1,
        "amenagement-developpement-durable": 0,
        "interventions-techniques": 1,
    }
    assert figures["actions"] == figures["actions"] | {"total": 1, "prospectives": 1}
    assert figures["communes"]["total"] == 3
