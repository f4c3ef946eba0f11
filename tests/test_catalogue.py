"""The catalogue of codes: each rule's examples do what they say, every code is produced
somewhere and documented once, and a project can change a rule's severity."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bilan import rules
from bilan.catalogue import BASE, CATALOGUE, Entry, rule_entry
from bilan.catalogue_doc import run_example
from bilan.diagnostics import Severity
from bilan.errors import UsageError
from bilan.validate import validate_data
from tests.conftest import ROOT

RULES = [*rules.FICHE_RULES, *rules.BILAN_RULES, *rules.DATASET_RULES]
RULE_ENTRIES = [CATALOGUE[rule.code] for rule in RULES]


def test_the_example_folder_is_valid() -> None:
    found, files, _text = run_example({})
    assert found == []
    assert files == len(BASE)


@pytest.mark.parametrize("entry", RULE_ENTRIES, ids=lambda entry: entry.code)
def test_failing_example_yields_exactly_its_code_at_the_marked_lines(entry: Entry) -> None:
    assert entry.failing is not None
    found, _files, _text = run_example(entry.failing.files)
    assert found, f"{entry.code} : l'exemple qui échoue ne donne rien"
    assert {d.code for d in found} == {entry.code}
    assert {d.severity for d in found} == {entry.severity}
    marks = entry.failing.marks()
    assert {code for _path, _line, code in marks} <= {entry.code}
    if marks:
        assert sorted((d.path, d.line) for d in found) == sorted(
            (path, line) for path, line, _code in marks
        )
    else:  # a finding about a folder: no line to mark
        assert [d.line for d in found] == [0]


@pytest.mark.parametrize("entry", RULE_ENTRIES, ids=lambda entry: entry.code)
def test_passing_example_yields_nothing(entry: Entry) -> None:
    assert entry.passing is not None
    assert entry.passing.marks() == []
    found, _files, _text = run_example(entry.passing.files)
    assert found == []


def test_one_code_per_rule() -> None:
    codes = [rule.code for rule in RULES]
    assert len(codes) == len(set(codes))
    assert all(re.fullmatch(r"R\d{3}", code) for code in codes)


def test_a_docstring_without_its_examples_is_refused() -> None:
    def check(*_args: object) -> object:
        """Seulement une description."""

    with pytest.raises(ValueError, match="R999"):
        rule_entry(rules.Rule("R999", "Titre", Severity.ERROR, check))


def code_literals() -> set[str]:
    """The codes written in the modules that produce diagnostics (all but the catalogue)."""
    sources = [p for p in (ROOT / "src" / "bilan").glob("*.py") if p.stem != "catalogue"]
    return {code for p in sources for code in re.findall(r'"([FYSRNP]\d{3})"', p.read_text())}


def test_every_code_of_the_catalogue_is_produced_somewhere() -> None:
    assert sorted(set(CATALOGUE) - code_literals()) == []


def test_every_code_produced_is_in_the_catalogue() -> None:
    assert sorted(code_literals() - set(CATALOGUE)) == []


def test_usage_errors_have_no_code() -> None:
    """A missing data folder or communes file stops the command (exit 2): no code."""
    assert "F001" not in CATALOGUE


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in {**BASE, **files}.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(text, encoding="utf-8")
    return root / "data"


def test_a_project_can_change_or_turn_off_a_rule(tmp_path: Path) -> None:
    r005 = CATALOGUE["R005"].failing
    assert r005 is not None
    data = write(tmp_path, r005.files)
    [default] = validate_data(data).diagnostics
    assert (default.code, default.severity) == ("R005", Severity.WARNING)
    stricter = validate_data(data, severities=rules.severity_overrides({"R005": "erreur"}))
    assert [(d.code, d.severity) for d in stricter.diagnostics] == [("R005", Severity.ERROR)]
    assert not stricter.ok
    assert (
        validate_data(data, severities=rules.severity_overrides({"R005": "off"})).diagnostics == []
    )


def test_a_data_set_rule_can_be_turned_off(tmp_path: Path) -> None:
    r003 = CATALOGUE["R003"].failing
    assert r003 is not None
    data = write(tmp_path, r003.files)
    assert [d.code for d in validate_data(data).diagnostics] == ["R003"]
    off = rules.severity_overrides({"R003": "off"})
    assert validate_data(data, severities=off).diagnostics == []


@pytest.mark.parametrize(
    ("chosen", "message"),
    [
        ({"Y001": "off"}, "ce n'est pas le code d'une règle"),
        ({"R999": "off"}, "ce n'est pas le code d'une règle"),
        ({"R005": "grave"}, "gravité inconnue « grave » pour R005"),
    ],
)
def test_only_rule_codes_and_known_severities_can_be_chosen(
    chosen: dict[str, str], message: str
) -> None:
    with pytest.raises(UsageError, match=message):
        rules.severity_overrides(chosen)
