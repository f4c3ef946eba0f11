"""Each schema error and cross-file rule, on a small broken data folder, at its exact place."""

from __future__ import annotations

from pathlib import Path

import pytest

from bilan.diagnostics import Diagnostic, Severity
from bilan.errors import UsageError
from bilan.validate import validate_data
from tests.conftest import DataMaker, bilan, fiche


def found(data: Path) -> list[tuple[str, str, int, int]]:
    result = validate_data(data)
    return [(Path(d.path).name, d.code, d.line, d.column) for d in result.diagnostics]


def only(data: Path) -> Diagnostic:
    result = validate_data(data)
    assert len(result.diagnostics) == 1, result.diagnostics
    return result.diagnostics[0]


def test_minimal_data_is_valid(make_data: DataMaker) -> None:
    assert found(make_data()) == []


def test_unknown_key_suggests_the_closest(make_data: DataMaker) -> None:
    text = fiche().replace("objectifs:", "objectif:")
    diag = only(make_data({"e01-test.yaml": text}))
    assert (diag.code, diag.line, diag.column) == ("S001", 8, 1)
    assert "objectifs" in diag.hint


def test_missing_field_points_at_its_mapping(make_data: DataMaker) -> None:
    text = fiche().replace("    titre: Action existante 1\n", "")
    diag = only(make_data({"e01-test.yaml": text}))
    assert (diag.code, diag.line, diag.column) == ("S002", 4, 5)
    assert "titre" in diag.message


def test_boolean_where_text_expected_says_to_quote(make_data: DataMaker) -> None:
    text = fiche().replace("  - Un objectif", "  - non").replace("  - Un résultat", "  - on")
    diag = only(make_data({"e01-test.yaml": text}))
    assert (diag.code, diag.line, diag.column) == ("S003", 11, 5)
    assert "guillemets" in diag.hint


def test_unknown_theme_suggests_the_closest(make_data: DataMaker) -> None:
    text = fiche().replace("[fonctions-ressources]", "[fonction-ressources]")
    diag = only(make_data({"e01-test.yaml": text}))
    assert (diag.code, diag.line, diag.column) == ("S004", 7, 14)
    assert "fonctions-ressources" in diag.hint


def test_phase_out_of_range(make_data: DataMaker) -> None:
    diag = only(
        make_data({"e01-test.yaml": fiche(), "2016/e01-test.yaml": bilan(phases="[1, 2, 5]")})
    )
    assert (diag.code, diag.line, diag.column) == ("S004", 5, 18)
    assert "1, 2, 3, 4" in diag.message


def test_malformed_quarter(make_data: DataMaker) -> None:
    text = bilan().replace("debut: 2015-T4", "debut: 2015-Q4")
    diag = only(make_data({"e01-test.yaml": fiche(), "2016/e01-test.yaml": text}))
    assert (diag.code, diag.line, diag.column) == ("S006", 4, 10)


def test_date_where_quarter_expected(make_data: DataMaker) -> None:
    text = bilan().replace("debut: 2015-T4", "debut: 2015-10-01")
    diag = only(make_data({"e01-test.yaml": fiche(), "2016/e01-test.yaml": text}))
    assert (diag.code, diag.line, diag.column) == ("S003", 4, 10)


def test_id_must_equal_file_name(make_data: DataMaker) -> None:
    diag = only(make_data({"e01-autre.yaml": fiche()}))
    assert (diag.code, diag.line, diag.column) == ("R001", 1, 5)


def test_action_in_two_fiches_names_both_files(make_data: DataMaker) -> None:
    data = make_data({"e01-test.yaml": fiche(), "e01-bis.yaml": fiche("e01-bis")})
    result = validate_data(data)
    r002 = [d for d in result.diagnostics if d.code == "R002"]
    assert [(Path(d.path).name, d.line, d.column) for d in r002] == [
        ("e01-bis.yaml", 5, 13),
        ("e01-test.yaml", 5, 13),
    ]
    assert "e01-test.yaml" in r002[0].message and "e01-bis.yaml" in r002[1].message


def test_numbering_gap(make_data: DataMaker) -> None:
    data = make_data({"e01-test.yaml": fiche(), "e03-test.yaml": fiche("e03-test", number=3)})
    diag = only(data)
    assert diag.code == "R003" and "existante 2" in diag.message


def test_unknown_commune_suggests_the_closest(make_data: DataMaker) -> None:
    text = bilan(extra="communes: [alpha, le-cress]\n")
    diag = only(make_data({"e01-test.yaml": fiche(), "2016/e01-test.yaml": text}))
    assert (diag.code, diag.line, diag.column) == ("R004", 6, 19)
    assert "le-cres" in diag.hint


def test_phase_going_back_is_a_warning(make_data: DataMaker) -> None:
    diag = only(
        make_data({"e01-test.yaml": fiche(), "2016/e01-test.yaml": bilan(phases="[1, 3, 2]")})
    )
    assert (diag.code, diag.line, diag.column, diag.severity) == ("R005", 5, 18, Severity.WARNING)


def test_double_phase_does_not_go_back(make_data: DataMaker) -> None:
    text = bilan(phases="[[3, 4], [3, 4], 4, null, 4]")
    assert found(make_data({"e01-test.yaml": fiche(), "2016/e01-test.yaml": text})) == []


def test_more_communes_than_members(make_data: DataMaker) -> None:
    extra = "indicateurs:\n  - {libelle: Communes, categorie: communes, valeur: 4}\n"
    diag = only(make_data({"e01-test.yaml": fiche(), "2016/e01-test.yaml": bilan(extra=extra)}))
    assert (diag.code, diag.line, diag.column) == ("R006", 7, 54)


def test_indicator_value_missing_from_its_text(make_data: DataMaker) -> None:
    extra = (
        "indicateurs:\n"
        "  - {libelle: Population, valeur: 441888, texte: 441 888 habitants}\n"
        '  - {libelle: Budget, valeur: 21214690, texte: "21 214 690 € HT"}\n'
        "  - {libelle: Réunions, valeur: 12, texte: 10 réunions}\n"
    )
    diag = only(make_data({"e01-test.yaml": fiche(), "2016/e01-test.yaml": bilan(extra=extra)}))
    assert (diag.code, diag.line, diag.column) == ("R007", 9, 33)


def test_calendar_row_for_unknown_result(make_data: DataMaker) -> None:
    text = bilan().replace(
        "  phases: [1, 2, 3, 4]\n",
        "  lignes:\n    - {resultat: 1, phases: [1]}\n    - {resultat: 2, phases: [1]}\n",
    )
    diag = only(make_data({"e01-test.yaml": fiche(), "2016/e01-test.yaml": text}))
    assert (diag.code, diag.line, diag.column) == ("R008", 7, 18)
    assert "n'en compte que 1" in diag.message


def test_both_calendar_layouts_is_an_error(make_data: DataMaker) -> None:
    text = bilan().replace(
        "  phases: [1, 2, 3, 4]\n",
        "  phases: [1]\n  lignes:\n    - {resultat: 1, phases: [1]}\n",
    )
    diag = only(make_data({"e01-test.yaml": fiche(), "2016/e01-test.yaml": text}))
    assert (diag.code, diag.line, diag.column) == ("S007", 4, 3)


def test_not_started_but_in_phase_3_is_a_warning(make_data: DataMaker) -> None:
    text = bilan(phases="[1, 2, 3, 3, 3]").replace("etat: en-cours", "etat: non-demarree")
    diag = only(make_data({"e01-test.yaml": fiche(), "2016/e01-test.yaml": text}))
    assert (diag.code, diag.line, diag.column) == ("R011", 5, 24)


def test_sans_fiche_excludes_content(make_data: DataMaker) -> None:
    text = bilan(extra="sans_fiche: Pas de fiche cette année.\n")
    diag = only(make_data({"e01-test.yaml": fiche(), "2016/e01-test.yaml": text}))
    assert (diag.code, diag.line) == ("S007", 1)


def test_duplicate_commune_id_in_communes_file(make_data: DataMaker) -> None:
    communes = (
        "metropole: {nom: M, population: 1}\n"
        "communes:\n"
        '  - {id: alpha, nom: Alpha, insee: "34001"}\n'
        '  - {id: alpha, nom: Autre, insee: "34002"}\n'
    )
    diag = only(make_data(communes=communes))
    assert (Path(diag.path).name, diag.code, diag.line, diag.column) == (
        "communes.yaml",
        "R014",
        4,
        10,
    )


def test_unquoted_insee_code(make_data: DataMaker) -> None:
    communes = (
        "metropole: {nom: M, population: 1}\ncommunes:\n  - {id: alpha, nom: Alpha, insee: 01053}\n"
    )
    diag = only(make_data(communes=communes))
    assert (diag.code, diag.line, diag.column) == ("S003", 3, 36)
    assert "guillemets" in diag.hint


def test_non_yaml_file_in_actions(make_data: DataMaker) -> None:
    data = make_data({"e01-test.yaml": fiche(), "notes.txt": "x", "e02.yml": "x"})
    assert [(name, code) for name, code, _l, _c in found(data)] == [
        ("e02.yml", "F002"),
        ("notes.txt", "F002"),
    ]


def test_all_problems_of_a_run_are_reported(make_data: DataMaker) -> None:
    files = {
        "e01-test.yaml": fiche().replace("objectifs:", "objectif:"),
        "e02-test.yaml": fiche("e02-test", number=2),
        "2016/e02-test.yaml": bilan("e02-test", phases="[9]"),
        "e03-test.yaml": b"a: [\n",
    }
    codes = sorted(code for _name, code, _l, _c in found(make_data(files)))
    assert codes == ["S001", "S004", "Y001"]


def test_missing_folders_are_usage_errors(make_data: DataMaker, tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        validate_data(tmp_path / "nowhere")
    data = make_data(communes=None)
    with pytest.raises(UsageError):
        validate_data(data)


def test_a_fiche_that_fails_to_load_is_not_also_a_numbering_gap(make_data: DataMaker) -> None:
    data = make_data(
        {
            "e01-test.yaml": fiche(),
            "e02-test.yaml": fiche("e02-test", number=2).replace("objectifs:", "objectif:"),
            "e03-test.yaml": fiche("e03-test", number=3),
        }
    )
    assert [code for _name, code, _l, _c in found(data)] == ["S001"]


def test_unknown_key_in_a_nested_block_suggests_from_that_block(make_data: DataMaker) -> None:
    text = fiche().replace("    numero: 1\n", "    numro: 1\n")
    found_codes = validate_data(make_data({"e01-test.yaml": text})).diagnostics
    unknown = next(d for d in found_codes if d.code == "S001")
    assert (unknown.line, unknown.column) == (5, 5)
    assert "numero" in unknown.hint
