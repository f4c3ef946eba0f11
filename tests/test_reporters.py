"""Each reporter on hand-built diagnostics, and how the format is chosen."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bilan.diagnostics import Diagnostic, Severity
from bilan.errors import BilanError
from bilan.reporters import (
    CODE_QUALITY_FILE,
    REPORTERS,
    GithubReporter,
    GitlabCiReporter,
    GitlabReporter,
    JsonReporter,
    TextReporter,
    choose_reporter,
    summary,
)

ERROR = Diagnostic(
    "data/actions/e01.yaml",
    2,
    8,
    "S001",
    Severity.ERROR,
    "champ inconnu « objectif »",
    "vouliez-vous dire « objectifs » ?",
)
WARNING = Diagnostic("data/actions/e01.yaml", 3, 0, "R005", Severity.WARNING, "la phase revient")
FOLDER = Diagnostic("data/actions", 0, 0, "R003", Severity.ERROR, "aucune fiche ne couvre 2")
FOUND = [ERROR, WARNING, FOLDER]


def test_summary_counts_files_errors_and_warnings() -> None:
    assert summary([], 1) == "1 fichier vérifié : aucun problème."
    assert summary([], 33) == "33 fichiers vérifiés : aucun problème."
    assert summary(FOUND, 33) == "33 fichiers vérifiés : 2 erreurs, 1 avertissement."
    assert summary([WARNING], 2) == "2 fichiers vérifiés : 0 erreur, 1 avertissement."


def test_text_shows_each_problem_its_source_line_caret_and_hint_then_the_summary(
    tmp_path: Path,
) -> None:
    (tmp_path / "data" / "actions").mkdir(parents=True)
    (tmp_path / "data" / "actions" / "e01.yaml").write_text(
        "id: e01\ntitre: objectif\n\tx: 1\n", encoding="utf-8"
    )
    assert TextReporter(tmp_path).render(FOUND, 4).splitlines() == [
        "data/actions/e01.yaml:2:8: erreur S001: champ inconnu « objectif »",
        "    titre: objectif",
        "           ^",
        "    Conseil : vouliez-vous dire « objectifs » ?",
        "data/actions/e01.yaml:3:0: avertissement R005: la phase revient",
        "    \tx: 1",
        "data/actions: erreur R003: aucune fiche ne couvre 2",
        "4 fichiers vérifiés : 2 erreurs, 1 avertissement.",
    ]


def test_text_without_a_root_shows_no_source_line() -> None:
    assert TextReporter().render([ERROR], 1).splitlines()[1] == (
        "    Conseil : vouliez-vous dire « objectifs » ?"
    )


def test_text_never_prints_an_invisible_character() -> None:
    forged = Diagnostic("a\x1b[31m.yaml", 1, 1, "Y010", Severity.ERROR, "x\u202ey\nz")
    text = TextReporter().render([forged], 1)
    assert "\x1b" not in text and "\u202e" not in text and len(text.splitlines()) == 2


def test_json_holds_the_counts_and_every_diagnostic() -> None:
    payload = json.loads(JsonReporter().render(FOUND, 4))
    assert {k: payload[k] for k in ("valide", "fichiers", "erreurs", "avertissements")} == {
        "valide": False,
        "fichiers": 4,
        "erreurs": 2,
        "avertissements": 1,
    }
    assert payload["diagnostics"][0] == {
        "path": "data/actions/e01.yaml",
        "line": 2,
        "column": 8,
        "code": "S001",
        "severity": "erreur",
        "message": "champ inconnu « objectif »",
        "hint": "vouliez-vous dire « objectifs » ?",
    }
    assert json.loads(JsonReporter().render([], 1))["valide"] is True


def test_github_annotates_each_line_with_the_title_of_its_code() -> None:
    lines = GithubReporter().render(FOUND, 4).splitlines()
    assert lines == [
        "::error file=data/actions/e01.yaml,line=2,col=8,title=S001 Champ inconnu"
        "::champ inconnu « objectif » — Conseil : vouliez-vous dire « objectifs » ?",
        "::warning file=data/actions/e01.yaml,line=3,col=0,"
        "title=R005 Phase qui recule dans le calendrier::la phase revient",
        "::error file=data/actions,title=R003 Numérotation des actions incomplète"
        "::aucune fiche ne couvre 2",
        "4 fichiers vérifiés : 2 erreurs, 1 avertissement.",
    ]


def test_github_escapes_what_would_forge_a_command() -> None:
    forged = Diagnostic("a,b:c.yaml", 1, 1, "Y001", Severity.ERROR, "x\n::error::faux")
    [annotation, _summary] = GithubReporter().render([forged], 1).splitlines()
    assert annotation.startswith("::error file=a%2Cb%3Ac.yaml,")
    assert annotation.endswith("::x\\n::error::faux")


def test_gitlab_is_the_code_quality_report_alone() -> None:
    issues = json.loads(GitlabReporter().render(FOUND, 4))
    assert [(i["check_name"], i["severity"], i["location"]) for i in issues] == [
        ("S001", "major", {"path": "data/actions/e01.yaml", "lines": {"begin": 2}}),
        ("R005", "minor", {"path": "data/actions/e01.yaml", "lines": {"begin": 3}}),
        ("R003", "major", {"path": "data/actions", "lines": {"begin": 1}}),
    ]
    assert len({i["fingerprint"] for i in issues}) == 3
    assert json.loads(GitlabReporter().render([], 1)) == []


def test_gitlab_ci_prints_text_and_writes_the_code_quality_file(tmp_path: Path) -> None:
    printed: list[str] = []
    GitlabCiReporter(tmp_path).report(FOUND, 4, printed.append)
    assert printed == [TextReporter(tmp_path).render(FOUND, 4)]
    written = json.loads((tmp_path / CODE_QUALITY_FILE).read_text("utf-8"))
    assert written == json.loads(GitlabReporter().render(FOUND, 4))


def test_gitlab_ci_says_in_french_when_it_cannot_write_its_file(tmp_path: Path) -> None:
    (tmp_path / CODE_QUALITY_FILE).mkdir()
    with pytest.raises(BilanError, match="rapport Code Quality impossible à écrire"):
        GitlabCiReporter(tmp_path).report(FOUND, 4, lambda _text: None)


@pytest.mark.parametrize(
    ("name", "environ", "kind"),
    [
        (None, {}, TextReporter),
        (None, {"GITHUB_ACTIONS": "true"}, GithubReporter),
        (None, {"GITHUB_ACTIONS": "false"}, TextReporter),
        (None, {"GITLAB_CI": "true"}, GitlabCiReporter),
        ("json", {"GITHUB_ACTIONS": "true"}, JsonReporter),  # a name always wins
        ("text", {"GITLAB_CI": "true"}, TextReporter),
        ("gitlab", {"GITLAB_CI": "true"}, GitlabReporter),
    ],
)
def test_choice_of_the_reporter(
    name: str | None, environ: dict[str, str], kind: type[object]
) -> None:
    assert type(choose_reporter(name, environ)) is kind


def test_every_format_has_a_french_description() -> None:
    assert set(REPORTERS) == {"text", "json", "github", "gitlab"}
    assert all(kind.description for kind in REPORTERS.values())
