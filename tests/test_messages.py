"""The mistakes people make when they edit a fiche by hand, each reported once, at the
line where it was made, with the fix (issue 16: messages for French writers).

Each case breaks the fiche below as a staff member would in VS Code, in GitHub's web
editor or after pasting from Word, and pins the file, line, column, code and a part of
the hint that states the fix.
"""

from __future__ import annotations

import json
import textwrap
from dataclasses import dataclass
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bilan.catalogue import BASE, SLIPS, Slip
from bilan.cli import app
from bilan.diagnostics import Diagnostic
from bilan.validate import validate_data
from tests.conftest import ROOT

FICHE = textwrap.dedent(
    """\
    id: e01-test
    titre: Fiche de test
    actions:
      - type: existante
        numero: 1
        titre: Action de test
        themes: [fonctions-ressources]
    objectifs:
      - Un objectif
      - Un autre objectif
    resultats_attendus:
      - Un résultat
    """
)
"""A valid fiche (data/actions/e01-test.yaml) of 12 lines."""

BILAN = textwrap.dedent(
    """\
    fiche: e01-test
    etat: en-cours
    calendrier:
      debut: 2015-T4
      phases: [1, 2, 3, 4]
    communes: [castelnau-le-lez, le-cres]
    indicateurs:
      - libelle: Budget
        categorie: budget
        valeur: 32000
        unite: EUR
      - libelle: Réunions
        valeur: 12
    points_forts:
      - Un point fort
      - Un autre point fort
    difficultes:
      - Une difficulté
    perspectives:
      resultats_a_venir:
        - Un résultat à venir
      axes_amelioration:
        - Un axe d'amélioration
    """
)
"""Its valid 2016 bilan (data/rapports/2016/bilans/e01-test.yaml), 23 lines: « etat » on
line 2, « points_forts » 14, « difficultes » 17, « perspectives » 19."""

COMMUNES = textwrap.dedent(
    """\
    metropole: {nom: Métropole test, population: 1000}
    communes:
      - {id: castelnau-le-lez, nom: Castelnau-le-Lez, insee: "34057"}
      - {id: le-cres, nom: Le Crès, insee: "34090"}
      - {id: saint-jean-de-vedas, nom: Saint-Jean-de-Védas, insee: "34270"}
      - {id: villeneuve-les-maguelone, nom: Villeneuve-lès-Maguelone, insee: "34337"}
    """
)
RAPPORT = textwrap.dedent(
    """\
    annee: 2016
    organisme: Métropole test
    titre: Schéma de mutualisation
    sous_titre: Bilan 2016
    publication: Janvier 2017
    calendrier: {debut: 2015-T4, fin: 2019-T4}
    """
)
EDITO = textwrap.dedent(
    """\
    ---
    titre: Édito
    ordre: 0
    ---

    La métropole, ses {{ chiffres.communes.total }} communes et leurs {{ chiffres.actions.existantes }} actions existantes.
    """
)
PERSPECTIVES = BILAN[BILAN.index("perspectives:") :]
"""The last block of the bilan (lines 19 to 23), as pasted from another bilan."""


def write_data(root: Path, fiche: str = FICHE, bilan: str = BILAN, edito: str = EDITO) -> Path:
    data = root / "data"
    (data / "actions").mkdir(parents=True)
    (data / "rapports" / "2016" / "bilans").mkdir(parents=True)
    (data / "communes.yaml").write_text(COMMUNES, encoding="utf-8")
    (data / "actions" / "e01-test.yaml").write_text(fiche, encoding="utf-8")
    (data / "rapports" / "2016" / "bilans" / "e01-test.yaml").write_text(bilan, encoding="utf-8")
    (data / "rapports" / "2016" / "rapport.yaml").write_text(RAPPORT, encoding="utf-8")
    (data / "rapports" / "2016" / "00-edito.md").write_text(edito, encoding="utf-8")
    return data


def only(data: Path) -> Diagnostic:
    found = validate_data(data).diagnostics
    assert len(found) == 1, "\n".join(f"{d.location()} {d.code} {d.message}" for d in found)
    return found[0]


@dataclass(frozen=True)
class Mistake:
    id: str
    old: str
    new: str
    line: int
    column: int
    code: str
    hint: str
    """A part of the hint: the fix, as the writer should type it."""
    message: str = ""
    file: str = "bilan"
    """Where the mistake is made: in the « bilan » (BILAN) or the « fiche » (FICHE)."""

    def data(self, root: Path) -> Path:
        original = BILAN if self.file == "bilan" else FICHE
        assert self.old in original
        changed = original.replace(self.old, self.new, 1)
        if self.file == "bilan":
            return write_data(root, bilan=changed)
        return write_data(root, fiche=changed)


MISTAKES = [
    # The mistakes of issue 16
    Mistake(
        "french-colon-in-item",
        "  - Un point fort\n",
        "  - Délais : trop longs\n",
        15,
        5,
        "S003",
        'ajoutez des guillemets : « - "Délais : trop longs" »',
    ),
    Mistake(
        "no-break-space-after-key",
        "points_forts:",
        "points_forts\u00a0:",
        14,
        1,
        "S001",
        "« points_forts: »",
        "espace insécable",
    ),
    Mistake(
        "narrow-no-break-space-before-colon",
        "etat: en-cours",
        "etat\u202f: en-cours",
        2,
        1,
        "S001",
        "« etat: en-cours »",
        "espace insécable",
    ),
    Mistake(
        "no-break-space-after-colon",
        "etat: en-cours",
        "etat:\u00a0en-cours",
        2,
        6,
        "Y001",
        "remplacez-la par une espace ordinaire : « etat: en-cours »",
    ),
    Mistake(
        "missing-dash",
        "  - Un autre point fort\n",
        "  Un autre point fort\n",
        16,
        3,
        "Y001",
        "« - Un autre point fort »",
    ),
    Mistake(
        "apostrophe-in-single-quotes",
        "  - Une difficulté\n",
        "  - 'celui de l'énergie'\n",
        18,
        16,
        "Y001",
        '« - "celui de l\'énergie" »',
    ),
    Mistake(
        "key-two-spaces-too-little",
        "  phases: [1, 2, 3, 4]",
        "phases: [1, 2, 3, 4]",
        5,
        1,
        "S001",
        "ajoutez 2 espaces au début de la ligne 5",
    ),
    Mistake(
        "nested-key-two-spaces-too-little",
        "  axes_amelioration:\n    - Un axe",
        "axes_amelioration:\n    - Un axe",
        22,
        1,
        "S001",
        "ajoutez 2 espaces au début de la ligne 22, pour aligner « axes_amelioration: » sur "
        "« resultats_a_venir: » (ligne 20)",
    ),
    Mistake(
        "key-two-spaces-too-much",
        "difficultes:",
        "  difficultes:",
        17,
        3,
        "Y001",
        "alignez-le sur « points_forts: » (ligne 14) en retirant 2 espaces : « difficultes: »",
    ),
    Mistake(
        "block-pasted-at-column-1",
        PERSPECTIVES,
        "perspectives:\n" + textwrap.dedent(PERSPECTIVES.split("\n", 1)[1]),
        19,
        1,
        "S001",
        "ajoutez 2 espaces au début de chacune des lignes 20 à 23",
    ),
    Mistake(
        "block-pasted-two-spaces-too-deep",
        PERSPECTIVES,
        textwrap.indent(PERSPECTIVES, "  "),
        19,
        3,
        "Y001",
        "alignez-le sur « difficultes: » (ligne 17) en retirant 2 espaces : « perspectives: »",
    ),
    Mistake(
        "block-inside-the-block-above",
        "communes: [castelnau-le-lez, le-cres]",
        "  communes: [castelnau-le-lez, le-cres]",
        6,
        3,
        "S001",
        "retirez 2 espaces au début de la ligne 6",
    ),
    Mistake(
        "tab",
        "  debut: 2015-T4",
        "\tdebut: 2015-T4",
        4,
        1,
        "Y009",
        "par 2 espaces",
    ),
    Mistake(
        "curly-quotes-around-key",
        "etat: en-cours",
        "“etat”: en-cours",
        2,
        1,
        "S001",
        "retirez les guillemets : « etat: en-cours »",
    ),
    Mistake(
        "curly-quotes-around-value",
        "etat: en-cours",
        "etat: “en-cours”",
        2,
        7,
        "S004",
        "retirez les guillemets : « en-cours »",
    ),
    Mistake(
        "french-quotes-around-value",
        "etat: en-cours",
        "etat: « en-cours »",
        2,
        7,
        "S004",
        "retirez les guillemets : « en-cours »",
    ),
    Mistake(
        "decimal-comma",
        "    valeur: 12\n",
        "    valeur: 6,5\n",
        13,
        13,
        "S003",
        "écrivez « valeur: 6.5 »",
    ),
    Mistake(
        "thousands-separated-by-spaces",
        "    valeur: 32000",
        "    valeur: 24 500 000",
        10,
        13,
        "S003",
        "écrivez « valeur: 24500000 » (sans espaces)",
    ),
    Mistake(
        "yes-where-a-number-is-expected",
        "    valeur: 12\n",
        "    valeur: oui\n",
        13,
        13,
        "S003",
        "en chiffres",
    ),
    Mistake(
        "date-where-a-quarter-is-expected",
        "  debut: 2015-T4",
        "  debut: 2017-01-01",
        4,
        10,
        "S003",
        "« debut: 2017-T1 »",
    ),
    Mistake(
        "value-with-its-unit",
        "    valeur: 12\n",
        "    valeur: 32 000 €\n",
        13,
        13,
        "S003",
        "écrivez « valeur: 32000 » (sans espaces), et l'unité à part : « unite: EUR »",
    ),
    Mistake(
        "commune-names-instead-of-ids",
        "communes: [castelnau-le-lez, le-cres]",
        "communes: [Castelnau le Lez, St Jean de Vedas]",
        6,
        12,
        "S006",
        "« communes: [castelnau-le-lez, saint-jean-de-vedas] »",
    ),
    Mistake(
        "phase-names-instead-of-numbers",
        "  phases: [1, 2, 3, 4]",
        "  phases: [diagnostic, plan d'action]",
        5,
        12,
        "S004",
        "« phases: [1, 2] »",
        "diagnostic = 1 ; plan d'action = 2",
    ),
    Mistake(
        "merge-conflict-markers",
        "etat: en-cours\n",
        "<<<<<<< HEAD\netat: en-cours\n=======\netat: terminee\n>>>>>>> autre\n",
        2,
        1,
        "Y012",
        "supprimez les marques de conflit de fusion lignes 2 à 6 et gardez une des deux "
        "versions : ligne 3 (« HEAD ») ou ligne 5 (« autre »)",
    ),
    # Their neighbours
    Mistake(
        "colon-in-a-value",
        "titre: Fiche de test",
        "titre: Objectif : mutualiser",
        2,
        17,
        "Y001",
        '« titre: "Objectif : mutualiser" »',
        file="fiche",
    ),
    Mistake(
        "curly-quotes-around-a-text-with-a-colon",
        "titre: Fiche de test",
        "titre: “Objectif : mutualiser”",
        2,
        18,
        "Y001",
        '« titre: "Objectif : mutualiser" »',
        file="fiche",
    ),
    Mistake(
        "double-quotes-inside-double-quotes",
        "  - Un objectif\n",
        '  - "le "bon" objectif"\n',
        9,
        9,
        "Y001",
        "« - 'le \"bon\" objectif' »",
        file="fiche",
    ),
    Mistake(
        "unclosed-quote",
        "titre: Fiche de test",
        'titre: "Fiche de test',
        2,
        8,
        "Y001",
        '« titre: "Fiche de test" »',
        file="fiche",
    ),
    Mistake(
        "unclosed-bracket",
        "    themes: [fonctions-ressources]",
        "    themes: [fonctions-ressources",
        7,
        13,
        "Y001",
        "ajoutez « ] » à la fin de la ligne : « themes: [fonctions-ressources] »",
        file="fiche",
    ),
    Mistake(
        "bullet-from-a-word-processor",
        "  - Un autre objectif",
        "  • Un autre objectif",
        10,
        3,
        "Y001",
        "remplacez « • » par « - » : « - Un autre objectif »",
        file="fiche",
    ),
    Mistake(
        "no-space-after-the-dash",
        "  - Un autre objectif",
        "  -Un autre objectif",
        10,
        4,
        "Y001",
        "« - Un autre objectif »",
        file="fiche",
    ),
    Mistake(
        "missing-dash-before-an-indicator",
        "  - libelle: Réunions",
        "    libelle: Réunions",
        12,
        5,
        "Y002",
        "remplacez les 2 espaces avant « libelle: » par « - » : « - libelle: Réunions »",
    ),
    Mistake(
        "indicator-field-at-the-dash-column",
        "    valeur: 12\n",
        "  valeur: 12\n",
        13,
        3,
        "Y001",
        "ajoutez 2 espaces au début de la ligne 13",
    ),
    Mistake(
        "first-field-not-indented",
        "  debut: 2015-T4",
        "debut: 2015-T4",
        4,
        1,
        "Y001",
        "ajoutez 2 espaces au début de la ligne 4, pour l'aligner sur la ligne 5",
    ),
    Mistake(
        "first-field-too-deep",
        "  debut: 2015-T4",
        "    debut: 2015-T4",
        4,
        5,
        "Y001",
        "retirez 2 espaces au début de la ligne 4",
    ),
    Mistake(
        "field-inside-the-block-above",
        "etat: en-cours\ncalendrier:\n",
        "calendrier:\n  etat: en-cours\n",
        3,
        3,
        "S001",
        "retirez 2 espaces au début de la ligne 3",
    ),
    Mistake(
        "block-fields-not-indented",
        "  debut: 2015-T4\n  phases: [1, 2, 3, 4]\n",
        "debut: 2015-T4\nphases: [1, 2, 3, 4]\n",
        3,
        1,
        "S001",
        "ajoutez 2 espaces au début de chacune des lignes 4 à 5",
    ),
    Mistake(
        "missing-colon",
        "etat: en-cours",
        "etat en-cours",
        2,
        5,
        "Y001",
        "écrivez « etat: en-cours »",
    ),
    Mistake(
        "missing-space-after-colon",
        "etat: en-cours",
        "etat:en-cours",
        2,
        5,
        "Y001",
        "ajoutez une espace après « : » : « etat: en-cours »",
    ),
    Mistake(
        "empty-cell",
        "  phases: [1, 2, 3, 4]",
        "  phases: [, 1, 2]",
        5,
        11,
        "Y001",
        "une case vide s'écrit null : « phases: [null, 1, 2] »",
    ),
    Mistake(
        "phases-without-commas",
        "  phases: [1, 2, 3, 4]",
        "  phases: [1 2 3]",
        5,
        12,
        "S004",
        "« phases: [1, 2, 3] »",
    ),
    Mistake(
        "phase-out-of-the-vocabulary",
        "  phases: [1, 2, 3, 4]",
        "  phases: [1, 2, 5]",
        5,
        18,
        "S004",
        "1 diagnostic, 2 plan d'action, 3 mise en œuvre, 4 suivi ou fin",
    ),
    Mistake(
        "quarter-written-the-french-way",
        "  debut: 2015-T4",
        "  debut: 4e trimestre 2015",
        4,
        10,
        "S006",
        "« debut: 2015-T4 »",
    ),
    Mistake(
        "accented-field-name",
        "difficultes:",
        "difficultés:",
        17,
        1,
        "S001",
        "« difficultes: »",
    ),
    Mistake(
        "misspelt-required-field",
        "titre: Fiche de test",
        "tite: Fiche de test",
        2,
        1,
        "S001",
        "vouliez-vous dire « titre » ?",
        file="fiche",
    ),
    Mistake(
        "state-written-as-a-label",
        "etat: en-cours",
        "etat: En cours",
        2,
        7,
        "S004",
        "écrivez « en-cours »",
    ),
    Mistake(
        "theme-written-as-a-label",
        "themes: [fonctions-ressources]",
        "themes: [Fonctions ressources]",
        7,
        14,
        "S004",
        "écrivez « fonctions-ressources »",
        file="fiche",
    ),
    Mistake(
        "text-starting-with-a-star",
        "  - Un autre objectif",
        "  - *Un* autre objectif",
        10,
        5,
        "Y001",
        '« - "*Un* autre objectif" »',
        file="fiche",
    ),
    Mistake(
        "commune-id-with-an-accent",
        "communes: [castelnau-le-lez, le-cres]",
        "communes: [castelnau-le-lez, le-crès]",
        6,
        30,
        "S006",
        "« communes: [castelnau-le-lez, le-cres] »",
    ),
    Mistake(
        "no-break-space-after-a-value",
        "etat: en-cours",
        "etat: en-cours\u00a0",
        2,
        7,
        "S004",
        "supprimez l'espace insécable (copiée de Word) autour de « en-cours »",
    ),
    Mistake(
        "list-where-fields-are-expected",
        PERSPECTIVES,
        "perspectives:\n  - Un résultat à venir\n",
        20,
        3,
        "S003",
        "écrivez par exemple « resultats_a_venir: » sous « perspectives: »",
    ),
    Mistake(
        "missing-required-field",
        "  - libelle: Réunions\n    valeur: 12\n",
        "  - valeur: 12\n",
        12,
        5,
        "S002",
        "ajoutez une ligne « libelle: … » à ce bloc, au même retrait que ses autres champs",
    ),
    Mistake(
        "list-without-brackets",
        "    themes: [fonctions-ressources]",
        "    themes: fonctions-ressources",
        7,
        13,
        "S003",
        "« themes: [fonctions-ressources] »",
        file="fiche",
    ),
]


@pytest.mark.parametrize("case", MISTAKES, ids=[m.id for m in MISTAKES])
def test_each_mistake_is_one_error_at_its_line_with_the_fix(case: Mistake, tmp_path: Path) -> None:
    found = only(case.data(tmp_path))
    assert (Path(found.path).name, Path(found.path).parent.name) == (
        "e01-test.yaml",
        "bilans" if case.file == "bilan" else "actions",
    )
    assert (found.line, found.column, found.code) == (case.line, case.column, case.code), (
        found.message,
        found.hint,
    )
    assert case.hint in found.hint, found.hint
    assert case.message in found.message, found.message


def test_the_base_data_is_valid(tmp_path: Path) -> None:
    assert validate_data(write_data(tmp_path)).diagnostics == []


def test_a_mistake_through_the_command_line_exits_1_with_its_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_data(tmp_path, bilan=BILAN.replace("  - Un point fort\n", "  - Délais : trop longs\n"))
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(app, ["validate"], catch_exceptions=False)
    assert result.exit_code == 1
    assert "data/rapports/2016/bilans/e01-test.yaml:15:5: erreur S003: " in result.output
    assert 'Conseil : ajoutez des guillemets : « - "Délais : trop longs" »' in result.output


def test_narrative_reference_typo_suggests_the_nearest_name(tmp_path: Path) -> None:
    edito = EDITO.replace("chiffres.actions.existantes", "chiffres.action.existantes")
    found = only(write_data(tmp_path, edito=edito))
    assert (Path(found.path).name, found.line, found.column, found.code) == (
        "00-edito.md",
        6,
        70,
        "N003",
    )
    assert found.hint == (
        "vouliez-vous dire « chiffres.actions.existantes » ? Écrivez « …}} communes et leurs "
        "{{ chiffres.actions.existantes }} actions existantes. »"
    )


@pytest.mark.parametrize(
    ("written", "column", "message", "hint"),
    [
        (
            "{{ chiffres.communes.total }",
            19,
            "il manque une accolade fermante « } »",
            "{{ chiffres.communes.total }} communes",
        ),
        (
            "{ chiffres.communes.total }}",
            19,
            "il manque une accolade ouvrante « { »",
            "{{ chiffres.communes.total }} communes",
        ),
        (
            "{{ chiffres.communes total }}",
            19,
            "avec des points, sans espace",
            "{{ chiffres.communes.total }} communes",
        ),
    ],
)
def test_badly_written_reference_is_explained_in_french(
    tmp_path: Path, written: str, column: int, message: str, hint: str
) -> None:
    edito = EDITO.replace("{{ chiffres.communes.total }}", written)
    found = only(write_data(tmp_path, edito=edito))
    assert (found.line, found.column, found.code) == (6, column, "N004")
    assert message in found.message
    assert hint in found.hint


def test_merge_conflict_in_a_narrative_is_one_error(tmp_path: Path) -> None:
    edito = EDITO.replace(
        "La métropole,",
        "<<<<<<< HEAD\nLa métropole,\n=======\nLa Métropole,\n>>>>>>> 1a2b3c4 (relecture)\n",
    )
    found = only(write_data(tmp_path, edito=edito))
    assert (Path(found.path).name, found.line, found.column, found.code) == (
        "00-edito.md",
        6,
        1,
        "Y012",
    )
    assert "lignes 6 à 10" in found.hint


def test_a_markdown_underline_is_not_a_conflict(tmp_path: Path) -> None:
    edito = EDITO.replace("La métropole,", "Titre\n=======\n\nLa métropole,")
    assert validate_data(write_data(tmp_path, edito=edito)).diagnostics == []


def test_phase_names_are_the_projects_own(tmp_path: Path) -> None:
    data = write_data(
        tmp_path, bilan=BILAN.replace("phases: [1, 2, 3, 4]", "phases: [étude, Réalisation]")
    )
    project = (ROOT / "data" / "bilan.yaml").read_text(encoding="utf-8")
    start, end = project.index("  phases:\n"), project.index("  etats:\n")
    (data / "bilan.yaml").write_text(
        project[:start]
        + "  phases:\n"
        + '    - {numero: 1, libelle: Étude, couleur: "#d6e6f5", trait: "#2f5f8f"}\n'
        + '    - {numero: 2, libelle: Réalisation, couleur: "#cde9d3", trait: "#2d6a3e"}\n'
        + project[end:],
        encoding="utf-8",
    )
    found = only(data)
    assert (found.line, found.column, found.code) == (5, 12, "S004")
    assert found.message == "les phases s'écrivent en chiffres : étude = 1 ; Réalisation = 2"
    assert found.hint == "écrivez « phases: [1, 2] » (1 étude, 2 réalisation)"


SLIP_FINDINGS = {
    "deux-points-dans-un-element": [
        ("bilans/e01-test.yaml", 7, 5, 'ajoutez des guillemets : « - "Délais : trop longs" »')
    ],
    "espace-insecable-apres-une-cle": [
        ("bilans/e01-test.yaml", 6, 1, "supprimez l'espace entre « points_forts » et « : »")
    ],
    "tiret-manquant": [
        ("bilans/e01-test.yaml", 8, 3, "commencez la ligne par « - », comme les autres éléments")
    ],
    "apostrophe-entre-apostrophes": [
        ("bilans/e01-test.yaml", 7, 16, "entourez le texte de guillemets droits")
    ],
    "cle-pas-assez-indentee": [
        ("bilans/e01-test.yaml", 5, 1, "ajoutez 2 espaces au début de la ligne 5")
    ],
    "bloc-colle-en-colonne-1": [
        ("bilans/e01-test.yaml", 6, 1, "ajoutez 2 espaces au début de chacune des lignes 7 à 10")
    ],
    "bloc-colle-trop-profond": [
        ("bilans/e01-test.yaml", 6, 3, "retirez 2 espaces au début de chacune des lignes 6 à 8"),
        ("bilans/e01-test.yaml", 8, 3, "alignez-le sur « difficultes: » (ligne 6) en retirant 2"),
    ],
    "nombre-a-la-francaise": [
        ("bilans/e01-test.yaml", 8, 13, "écrivez « valeur: 6.5 » (un point pour les décimales)"),
        ("bilans/e01-test.yaml", 8, 13, "écrivez « valeur: 24500000 » (sans espaces)"),
    ],
    "noms-de-communes": [("bilans/e01-test.yaml", 6, 12, "écrivez « communes: [le-cres, beta] »")],
    "phases-en-toutes-lettres": [
        ("bilans/e01-test.yaml", 5, 12, "écrivez « phases: [1, 2] » (1 diagnostic, 2 plan")
    ],
    "reference-mal-orthographiee": [
        ("2016/00-edito.md", 6, 27, "vouliez-vous dire « chiffres.actions.existantes » ?")
    ],
    "marques-de-conflit": [
        ("bilans/e01-test.yaml", 2, 1, "supprimez les marques de conflit de fusion lignes 2 à 6")
    ],
}
"""Where each mistake of docs/diagnostics.md's table is reported, and the fix it states."""


@pytest.mark.parametrize("slip", SLIPS, ids=[slip.id for slip in SLIPS])
def test_each_mistake_of_the_documented_table_exits_1_with_one_error_and_its_fix(
    slip: Slip, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    findings = SLIP_FINDINGS[slip.id]
    for index, (example, expected) in enumerate(zip(slip.examples, findings, strict=True)):
        root = tmp_path / str(index)
        for name, text in {**BASE, **example.files}.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text, encoding="utf-8")
        monkeypatch.chdir(root)
        result = CliRunner().invoke(app, ["validate", "--format", "json"], catch_exceptions=False)
        assert result.exit_code == 1
        found = json.loads(result.output)["diagnostics"]
        assert len(found) == 1, found
        (diagnostic,) = found
        place, line, column, hint = expected
        assert diagnostic["path"].endswith(place)
        assert (diagnostic["line"], diagnostic["column"]) == (line, column)
        assert hint in diagnostic["hint"]


def test_an_unclosed_header_says_where_its_closing_line_goes(tmp_path: Path) -> None:
    found = only(write_data(tmp_path, edito=EDITO.replace("ordre: 0\n---\n", "ordre: 0\n")))
    assert (Path(found.path).name, found.line, found.column, found.code) == (
        "00-edito.md",
        4,
        1,
        "N002",
    )
    assert found.hint == "ajoutez une ligne « --- » après la ligne 3, la dernière de l'en-tête"
