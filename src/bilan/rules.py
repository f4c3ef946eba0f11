"""Checks beyond the model: what no single model can see.

Each rule is a function declared with its code, its French title and its default
severity (:func:`fiche_rule`, :func:`dataset_rule`), as yamllint's rules are; it yields
located :class:`Finding` values, and the runner (:func:`fiche_findings`,
:func:`dataset_findings`) stamps them with the rule's code and severity, or the severity
a project chose for that code (``severities``: a code → « erreur », « avertissement » or
« off »). One code per rule.

A rule's docstring is its user documentation, hence in French: what the code means,
``Corriger :`` how to fix it, then a data folder that ``Échoue :`` and one that ``Passe :``,
written as changes to the example folder of :mod:`bilan.catalogue`: ``# data/…`` names a
file (``# data/new.yaml = data/old.yaml``: a new one, copied from the other), then
``N: text`` replaces its line N and ``+N: text`` inserts a line N; ``# ← CODE`` marks each
line the rule points at. ``docs/diagnostics.md`` shows the files in full, generated from
them, and a test runs every example.

Three kinds of rules. A fiche rule, ``(fiche, context) -> findings``, looks at a fiche's
file alone. A bilan rule, ``(entry, context) -> findings``, looks at one year's bilan of a
fiche (:class:`BilanEntry`: the bilan, its fiche, the fiche's bilan of the year before)
with what the data folder says besides it (the communes, the vocabulary): its result
depends on those files only, so the build cache keeps it. A data set rule looks across
files (numbering, duplicates, which fiche has which year) and only at what a fiche's
summary holds: its id, actions and years. Findings point at the value concerned, in its
file.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Generic, Literal, TypeVar

from bilan.dataset import ACTIONS_DIR, BILANS_DIR, REPORTS_DIR, DataSet, FicheSource, ReportSource
from bilan.diagnostics import Diagnostic, Severity, shortened
from bilan.document import Document, Path_
from bilan.errors import UsageError
from bilan.figures import cell_level
from bilan.files import display_path
from bilan.models import PLACEHOLDER, Cell, CommunesFile, Quarter, Report
from bilan.quarters import quarter_index, quarter_label
from bilan.vocabulary import Vocabulary, default_vocabulary

Off = Literal["off"]
Severities = Mapping[str, Severity | Off]
"""A project's choice of severity per rule code; a code left out keeps its default."""


@dataclass(frozen=True)
class Finding:
    """What a rule found and where; the runner adds the rule's code and severity."""

    path: str
    line: int
    column: int
    message: str
    hint: str = ""

    def diagnostic(self, code: str, severity: Severity) -> Diagnostic:
        return Diagnostic(
            self.path, self.line, self.column, code, severity, self.message, self.hint
        )


def at(doc: Document, path: Path_, message: str, hint: str = "", *, key: bool = False) -> Finding:
    """A finding at the value (or, with ``key``, the key) ``path`` of ``doc``."""
    line, column = doc.locate(path, key=key)
    return Finding(doc.path, line, column, message, hint)


Check = TypeVar("Check")


@dataclass(frozen=True)
class Rule(Generic[Check]):
    """A check and what it declares: its code, French title and default severity."""

    code: str
    title: str
    severity: Severity
    check: Check

    def severity_in(self, severities: Severities) -> Severity | None:
        """The severity ``severities`` gives this rule; None when it is turned off."""
        chosen = severities.get(self.code, self.severity)
        return None if chosen == "off" else Severity(chosen)


FicheCheck = Callable[[FicheSource, "RuleContext"], Iterator[Finding]]
BilanCheck = Callable[["BilanEntry", "RuleContext"], Iterator[Finding]]
DatasetCheck = Callable[[DataSet], Iterator[Finding]]

FICHE_RULES: list[Rule[FicheCheck]] = []
BILAN_RULES: list[Rule[BilanCheck]] = []
DATASET_RULES: list[Rule[DatasetCheck]] = []


def _declare(
    registry: list[Rule[Check]], code: str, title: str, severity: Severity
) -> Callable[[Check], Check]:
    def register(check: Check) -> Check:
        registry.append(Rule(code, title, severity, check))
        return check

    return register


def fiche_rule(
    code: str, title: str, severity: Severity = Severity.ERROR
) -> Callable[[FicheCheck], FicheCheck]:
    """Declare a fiche rule (see the module's docstring for what its docstring holds)."""
    return _declare(FICHE_RULES, code, title, severity)


def bilan_rule(
    code: str, title: str, severity: Severity = Severity.ERROR
) -> Callable[[BilanCheck], BilanCheck]:
    """Declare a bilan rule (see the module's docstring for what its docstring holds)."""
    return _declare(BILAN_RULES, code, title, severity)


def dataset_rule(
    code: str, title: str, severity: Severity = Severity.ERROR
) -> Callable[[DatasetCheck], DatasetCheck]:
    """Declare a data set rule (see the module's docstring for what its docstring holds)."""
    return _declare(DATASET_RULES, code, title, severity)


@fiche_rule("R001", "L'identifiant de la fiche diffère du nom du fichier")
def id_matches_file_name(item: FicheSource, _context: RuleContext) -> Iterator[Finding]:
    """L'identifiant `id` de la fiche n'est pas le nom de son fichier (sans `.yaml`).

    Corriger : renommez le fichier ou corrigez `id`, pour que les deux soient identiques
    (le bilan de chaque année porte le même nom que la fiche).

    Échoue :

        # data/actions/e01-test.yaml
        1: id: e01-tset  # ← R001

    Passe :

        # data/actions/e01-test.yaml
        1: id: e01-test
    """
    if item.id != item.stem:
        yield at(
            item.doc,
            ("id",),
            f"l'identifiant « {item.id} » diffère du nom du fichier « {item.stem}.yaml »",
            f"renommez le fichier en « {item.id}.yaml » ou corrigez l'identifiant",
        )


@bilan_rule("R016", "Bilan qui ne porte pas le nom de sa fiche")
def bilan_names_its_fiche(entry: BilanEntry, _context: RuleContext) -> Iterator[Finding]:
    """Le champ `fiche` d'un bilan n'est pas le nom de son fichier : un bilan porte le nom
    de la fiche dont il fait le bilan (`data/rapports/2016/bilans/e01-test.yaml` pour la
    fiche `e01-test`).

    Corriger : corrigez `fiche`, ou renommez le fichier du bilan.

    Échoue :

        # data/rapports/2016/bilans/e01-test.yaml
        1: fiche: e01-tset  # ← R016

    Passe :

        # data/rapports/2016/bilans/e01-test.yaml
        1: fiche: e01-test
    """
    bilan = entry.bilan
    if bilan.report.fiche != bilan.stem:
        yield at(
            bilan.doc,
            ("fiche",),
            f"ce bilan dit être celui de « {bilan.report.fiche} », mais son fichier s'appelle "
            f"« {bilan.stem}.yaml »",
            f"renommez le fichier en « {bilan.report.fiche}.yaml » ou corrigez « fiche »",
        )


@dataset_rule("R002", "Action présente dans plusieurs fiches")
def action_in_one_fiche(dataset: DataSet) -> Iterator[Finding]:
    """La même action (même type, même numéro) est décrite dans deux fiches. Le message
    est affiché une fois pour chaque fiche concernée.

    Corriger : une action n'est décrite que dans une fiche : retirez-la de l'une des deux,
    ou corrigez le `type` ou le `numero`.

    Échoue :

        # data/actions/e01-test.yaml
        5:     numero: 1  # ← R002
        # data/actions/e01-bis.yaml = data/actions/e01-test.yaml
        1: id: e01-bis
        5:     numero: 1  # ← R002
        6:     titre: Autre action
        # data/rapports/2016/bilans/e01-bis.yaml = data/rapports/2016/bilans/e01-test.yaml
        1: fiche: e01-bis

    Passe :

        # data/actions/e01-bis.yaml = data/actions/e01-test.yaml
        1: id: e01-bis
        5:     numero: 2
        6:     titre: Autre action
        # data/rapports/2016/bilans/e01-bis.yaml = data/rapports/2016/bilans/e01-test.yaml
        1: fiche: e01-bis
    """
    for (kind, number), places in sorted(dataset.action_places.items()):
        if len(places) < 2:
            continue
        # Each file named once, even when a fiche repeats the action many times.
        paths = list(dict.fromkeys(item.doc.path for item, _index in places))
        for item, index in places:
            others = ", ".join(p for p in paths if p != item.doc.path) or item.doc.path
            yield at(
                item.doc,
                ("actions", index, "numero"),
                f"l'action {kind} {number} figure aussi dans {others}",
                "une action n'est décrite que dans une seule fiche : retirez-la de l'une d'elles",
            )


@dataset_rule("R003", "Numérotation des actions incomplète")
def numbering_without_gaps(dataset: DataSet) -> Iterator[Finding]:
    """Il manque un numéro dans la suite des actions d'un type : aucune fiche ne couvre
    cette action. Le message porte sur le dossier `data/actions`, sans ligne ; pour
    plusieurs numéros qui se suivent, un seul message (« les actions existantes 2 à 4 »).

    Corriger : créez la fiche manquante (`bilan new --type existante --numero 2 --titre
    "…"`) ; si l'action n'a pas de fiche dans le rapport d'une année, donnez-lui un bilan
    `sans_fiche: motif`. Vérifiez aussi qu'une fiche ne porte pas un mauvais numéro.

    Échoue :

        # data/actions/e03-test.yaml = data/actions/e01-test.yaml
        1: id: e03-test
        5:     numero: 3
        6:     titre: Troisième action
        # data/rapports/2016/bilans/e03-test.yaml = data/rapports/2016/bilans/e01-test.yaml
        1: fiche: e03-test

    Passe :

        # data/actions/e02-test.yaml = data/actions/e01-test.yaml
        1: id: e02-test
        5:     numero: 2
        6:     titre: Deuxième action
        # data/rapports/2016/bilans/e02-test.yaml = data/rapports/2016/bilans/e01-test.yaml
        1: fiche: e02-test
    """
    if dataset.unloaded:  # the missing numbers may be in the fiches already reported
        return
    places = dataset.action_places
    folder = display_path(dataset.root / ACTIONS_DIR)
    kinds = dict.fromkeys(kind for kind, _number in places)
    for kind in kinds:
        numbers = sorted({number for (k, number) in places if k == kind})
        # One finding per run of missing numbers: a typo such as « numero: 900 » must not
        # produce (or allocate) hundreds of them.
        for before, after in zip([0, *numbers], numbers, strict=False):
            if after - before < 2:
                continue
            first, last = before + 1, after - 1
            what = (
                f"l'action {kind} {first}"
                if first == last
                else f"les actions {kind}s {first} à {last}"
            )
            yield Finding(
                folder,
                0,
                0,
                f"aucune fiche ne couvre {what} (les actions {kind}s vont de 1 à {numbers[-1]})",
                f'créez sa fiche : bilan new --type {kind} --numero {first} --titre "…" '
                "(pour une action sans fiche une année, indiquez « sans_fiche » dans son bilan)"
                if first == last
                else f"créez leurs fiches (bilan new --type {kind} --numero …), ou corrigez "
                f"le numéro {after} s'il est faux",
            )


class _Suggestions:
    """Closest known names, for a bounded number of unknown ones: each search costs the
    size of the list, and hundreds of unknown names are a wrong list, not typos."""

    LIMIT = 50

    def __init__(self, known: list[str]) -> None:
        self.known = known
        self.asked = 0

    def closest(self, name: str) -> str | None:
        self.asked += 1
        if self.asked > self.LIMIT:
            return None
        close = difflib.get_close_matches(name, self.known, n=1, cutoff=0.6)
        return close[0] if close else None


@bilan_rule("R004", "Commune inconnue")
def communes_exist(entry: BilanEntry, context: RuleContext) -> Iterator[Finding]:
    """Un bilan cite une commune dont l'identifiant n'est pas dans `data/communes.yaml`.

    Corriger : utilisez l'identifiant exact de `data/communes.yaml` (le conseil propose le
    plus proche), pas le nom de la commune.

    Échoue :

        # data/rapports/2016/bilans/e01-test.yaml
        +6: communes: [alpha, le-cress]  # ← R004

    Passe :

        # data/rapports/2016/bilans/e01-test.yaml
        +6: communes: [alpha, le-cres]
    """
    if context.communes is None:
        return
    known = context.known_communes
    for index, commune in enumerate(entry.report.communes):
        if commune not in known:
            close = context.suggestions.closest(commune)
            yield at(
                entry.bilan.doc,
                ("communes", index),
                f"commune inconnue « {commune} »",
                f"vouliez-vous dire « {close} » ?"
                if close
                else "les identifiants possibles sont dans data/communes.yaml",
            )


@bilan_rule("R012", "Commune citée deux fois")
def communes_cited_once(entry: BilanEntry, _context: RuleContext) -> Iterator[Finding]:
    """Un bilan cite deux fois la même commune dans sa liste `communes`.

    Corriger : retirez le doublon de la liste.

    Échoue :

        # data/rapports/2016/bilans/e01-test.yaml
        +6: communes: [alpha, beta, alpha]  # ← R012

    Passe :

        # data/rapports/2016/bilans/e01-test.yaml
        +6: communes: [alpha, beta]
    """
    seen: set[str] = set()
    for index, commune in enumerate(entry.report.communes):
        if commune in seen:
            yield at(
                entry.bilan.doc,
                ("communes", index),
                f"commune « {commune} » citée deux fois",
                "retirez le doublon de la liste",
            )
        seen.add(commune)


@dataset_rule("R014", "Commune en double dans communes.yaml")
def communes_file_unique(dataset: DataSet) -> Iterator[Finding]:
    """Deux communes de `data/communes.yaml` ont le même `id`, le même `insee` ou le même
    `nom`. Le message donne la commune qui porte déjà cette valeur.

    Corriger : corrigez la valeur : chaque commune a son identifiant, son code INSEE et son
    nom.

    Échoue :

        # data/communes.yaml
        6:   - {id: beta, nom: Bêta, insee: "34001"}  # ← R014

    Passe :

        # data/communes.yaml
        6:   - {id: beta, nom: Bêta, insee: "34002"}
    """
    if dataset.communes is None or dataset.communes_doc is None:
        return
    for attribute in ("id", "insee", "nom"):
        seen: dict[str, int] = {}
        for index, commune in enumerate(dataset.communes.communes):
            value = getattr(commune, attribute)
            if value in seen:
                yield at(
                    dataset.communes_doc,
                    ("communes", index, attribute),
                    f"{attribute} « {value} » déjà utilisé par la commune n° {seen[value] + 1}",
                    "chaque commune a son propre identifiant, nom et code INSEE",
                )
            seen.setdefault(value, index)


def calendar_rows(report: Report) -> Iterator[tuple[Path_, int | None, list[Cell]]]:
    """Each row of a bilan's calendar: its path in the file, its result number, its cells."""
    calendar = report.calendrier
    if calendar is None:
        return
    if calendar.lignes is not None:
        for index, row in enumerate(calendar.lignes):
            yield ("calendrier", "lignes", index, "phases"), row.resultat, row.phases
    else:
        yield ("calendrier", "phases"), None, calendar.phases or []


@bilan_rule("R005", "Phase qui recule dans le calendrier", Severity.WARNING)
def phases_do_not_go_back(entry: BilanEntry, context: RuleContext) -> Iterator[Finding]:
    """Dans un calendrier, une phase revient en arrière (par exemple 3 puis 2).

    Corriger : relisez le calendrier : les phases vont dans l'ordre de leurs numéros (1
    diagnostic, 2 plan d'action, 3 mise en œuvre, 4 suivi ou fin, avec le vocabulaire par
    défaut). Si le retour en arrière est réel, laissez tel quel.

    Échoue :

        # data/rapports/2016/bilans/e01-test.yaml
        5:   phases: [1, 3, 2]  # ← R005

    Passe :

        # data/rapports/2016/bilans/e01-test.yaml
        5:   phases: [1, 2, 3]
    """
    for path, _result, cells in calendar_rows(entry.report):
        floor = 0  # the lowest phase of the most advanced cell so far
        for index, cell in enumerate(cells):
            level = cell_level(cell)
            if level is None:
                continue
            if level < floor:
                yield at(
                    entry.bilan.doc,
                    (*path, index),
                    f"la phase revient à {level} après la phase {floor}",
                    f"vérifiez le calendrier : les phases vont de {context.phase_range}",
                )
            floor = max(floor, min(cell) if isinstance(cell, list) else level)


@bilan_rule("R008", "Ligne de calendrier pour un résultat attendu qui n'existe pas")
def calendar_rows_match_results(entry: BilanEntry, _context: RuleContext) -> Iterator[Finding]:
    """Une ligne de calendrier (`lignes:`) porte sur un résultat attendu dont le numéro
    dépasse le nombre de `resultats_attendus` de la fiche.

    Corriger : numérotez les lignes d'après l'ordre de `resultats_attendus` de la fiche (1
    pour le premier), ou ajoutez le résultat manquant à la fiche.

    Échoue :

        # data/actions/e01-test.yaml
        +8: resultats_attendus: [Un résultat]
        # data/rapports/2016/bilans/e01-test.yaml
        5:   lignes:
        +6:     - resultat: 2  # ← R008
        +7:       phases: [1, 2]

    Passe :

        # data/actions/e01-test.yaml
        +8: resultats_attendus: [Un résultat]
        # data/rapports/2016/bilans/e01-test.yaml
        5:   lignes: [{resultat: 1, phases: [1, 2]}]
    """
    calendar = entry.report.calendrier
    if calendar is None or calendar.lignes is None:
        return
    count = len(entry.fiche.fiche.resultats_attendus)
    for index, row in enumerate(calendar.lignes):
        if row.resultat > count:
            yield at(
                entry.bilan.doc,
                ("calendrier", "lignes", index, "resultat"),
                f"la ligne porte sur le résultat attendu n° {row.resultat}, mais la fiche "
                + (f"n'en compte que {count}" if count else "n'a aucun résultat attendu"),
                "numérotez les lignes d'après « resultats_attendus » de la fiche "
                "(1 pour le premier)",
            )


@bilan_rule("R006", "Plus de communes concernées que de communes membres")
def commune_counts_are_possible(entry: BilanEntry, context: RuleContext) -> Iterator[Finding]:
    """Un indicateur de catégorie `communes` compte plus de communes que
    `data/communes.yaml` n'en déclare.

    Corriger : corrigez le nombre ; s'il compte autre chose que des communes (des agents,
    des sites…), retirez `categorie: communes`.

    Échoue :

        # data/rapports/2016/bilans/e01-test.yaml
        +6: indicateurs:
        +7:   - libelle: Communes concernées
        +8:     categorie: communes
        +9:     valeur: 4  # ← R006

    Passe :

        # data/rapports/2016/bilans/e01-test.yaml
        +6: indicateurs:
        +7:   - {libelle: Communes concernées, categorie: communes, valeur: 2}
    """
    if context.communes is None:
        return
    total = len(context.communes.communes)
    for index, indicator in enumerate(entry.report.indicateurs):
        if indicator.categorie == "communes" and (indicator.valeur or 0) > total:
            yield at(
                entry.bilan.doc,
                ("indicateurs", index, "valeur"),
                f"{indicator.valeur:g} communes concernées, alors que data/communes.yaml "
                f"n'en compte que {total}",
                "vérifiez le nombre, ou retirez « categorie: communes » s'il compte autre chose",
            )


_DIGIT_GROUPS = re.compile(r"(?<=\d)[\s\u00a0\u202f.](?=\d{3}\b)")


def _numbers_in(text: str) -> set[str]:
    joined = _DIGIT_GROUPS.sub("", text)
    return set(re.findall(r"\d+(?:,\d+)?", joined))


@bilan_rule("R007", "Valeur d'indicateur absente de son texte")
def indicator_value_in_text(entry: BilanEntry, _context: RuleContext) -> Iterator[Finding]:
    """La `valeur` d'un indicateur ne figure pas dans son `texte` : le rapport dirait deux
    choses différentes. Les espaces entre milliers sont acceptés (`21 214 690 €` pour
    `21214690`), et la virgule pour les décimales (`2,5` pour `2.5`).

    Corriger : mettez la valeur et le texte d'accord.

    Échoue :

        # data/rapports/2016/bilans/e01-test.yaml
        +6: indicateurs:
        +7:   - libelle: Réunions
        +8:     valeur: 12  # ← R007
        +9:     texte: 10 réunions en 2016

    Passe :

        # data/rapports/2016/bilans/e01-test.yaml
        +6: indicateurs:
        +7:   - {libelle: Réunions, valeur: 12, texte: 12 réunions en 2016}
    """
    for index, indicator in enumerate(entry.report.indicateurs):
        if indicator.valeur is None or indicator.texte is None:
            continue
        if indicator.texte.strip().startswith(PLACEHOLDER):  # R020 says it is to write
            continue
        value = indicator.valeur
        written = str(int(value)) if float(value).is_integer() else str(value).replace(".", ",")
        if written not in _numbers_in(indicator.texte):
            yield at(
                entry.bilan.doc,
                ("indicateurs", index, "valeur"),
                f"la valeur {written} n'apparaît pas dans le texte de l'indicateur",
                "mettez à jour la valeur et le texte ensemble, pour que le rapport "
                "ne dise pas deux choses différentes",
            )


@bilan_rule("R011", "Action non démarrée mais calendrier avancé", Severity.WARNING)
def not_started_means_early(entry: BilanEntry, context: RuleContext) -> Iterator[Finding]:
    """L'action est dite non démarrée (un état qui veut dire « non démarrée », comme
    `etat: non-demarree`), mais son calendrier la montre en phase 3 ou plus au quatrième
    trimestre de l'année.

    Corriger : corrigez l'état (`en-cours`…) ou le calendrier, pour qu'ils disent la même
    chose.

    Échoue :

        # data/rapports/2016/bilans/e01-test.yaml
        2: etat: non-demarree
        5:   phases: [1, 2, 3, 3, 3]  # ← R011

    Passe :

        # data/rapports/2016/bilans/e01-test.yaml
        2: etat: non-demarree
        5:   phases: [1, 2]
    """
    report, year = entry.report, entry.year
    if report.calendrier is None or context.meaning(report.etat) != "non-demarree":
        return
    position = quarter_index(f"{year}-T4") - quarter_index(report.calendrier.debut)
    for path, _result, cells in calendar_rows(report):
        cell = cells[position] if 0 <= position < len(cells) else None
        level = cell_level(cell)
        if level is not None and level >= 3:
            yield at(
                entry.bilan.doc,
                (*path, position),
                f"action « non démarrée » mais en phase {level} au T4 {year}",
                "corrigez l'état ou le calendrier",
            )


@bilan_rule("R010", "Calendrier hors de la période du rapport", Severity.WARNING)
def calendar_within_report(entry: BilanEntry, _context: RuleContext) -> Iterator[Finding]:
    """Le calendrier commence avant, ou se termine après, la période que montre le rapport
    (`calendrier:` de `rapport.yaml`). Les trimestres hors période ne seront pas affichés.

    Corriger : vérifiez `debut` et le nombre de cases de `phases`. Si les dates sont justes,
    vous pouvez l'expliquer dans une `note:` du calendrier (l'avertissement restera affiché).

    Échoue :

        # data/rapports/2016/bilans/e01-test.yaml
        4:   debut: 2015-T1
        5:   phases: [1, 2, 3, 4]  # ← R010

    Passe :

        # data/rapports/2016/bilans/e01-test.yaml
        4:   debut: 2015-T4
    """
    calendar = entry.report.calendrier
    if calendar is None:
        return
    window = entry.window
    first, last = quarter_index(window.first), quarter_index(window.last)
    begin = quarter_index(calendar.debut)
    for path, _result, cells in calendar_rows(entry.report):
        filled = [i for i, cell in enumerate(cells) if cell is not None]
        if begin < first or (filled and begin + filled[-1] > last):
            yield at(
                entry.bilan.doc,
                path,
                f"le calendrier déborde de la période du rapport ({window.first} à {window.last})",
                "les trimestres hors période ne sont pas affichés",
            )


@bilan_rule("R018", "Évaluation d'un résultat à venir qui n'existe pas")
def assessments_match_outlook(entry: BilanEntry, _context: RuleContext) -> Iterator[Finding]:
    """L'`evaluation` d'un bilan porte sur un résultat à venir que le bilan de l'année
    précédente n'annonce pas (son numéro dépasse le nombre de `resultats_a_venir`), ou le
    même résultat est évalué deux fois.

    Corriger : numérotez les évaluations d'après les `resultats_a_venir` du bilan de
    l'année précédente (1 pour le premier), une fois chacun.

    Échoue :

        # data/rapports/2016/bilans/e01-test.yaml
        +6: perspectives: {resultats_a_venir: [Un résultat]}
        # data/rapports/2017/rapport.yaml = data/rapports/2016/rapport.yaml
        1: annee: 2017
        # data/rapports/2017/00-edito.md = data/rapports/2016/00-edito.md
        # data/rapports/2017/bilans/e01-test.yaml = data/rapports/2016/bilans/e01-test.yaml
        +6: evaluation: [{resultat: 1, statut: realise}, {resultat: 2, statut: realise}]  # ← R018

    Passe :

        # data/rapports/2016/bilans/e01-test.yaml
        +6: perspectives: {resultats_a_venir: [Un résultat]}
        # data/rapports/2017/rapport.yaml = data/rapports/2016/rapport.yaml
        1: annee: 2017
        # data/rapports/2017/00-edito.md = data/rapports/2016/00-edito.md
        # data/rapports/2017/bilans/e01-test.yaml = data/rapports/2016/bilans/e01-test.yaml
        +6: evaluation: [{resultat: 1, statut: realise}]
    """
    previous = entry.previous.report if entry.previous is not None else None
    announced = (
        len(previous.perspectives.resultats_a_venir) if previous and previous.perspectives else 0
    )
    seen: set[int] = set()
    for index, assessment in enumerate(entry.report.evaluation):
        number = assessment.resultat
        if number > announced:
            said = (
                f"le bilan {entry.year - 1} n'en annonce que {announced}"
                if announced
                else f"le bilan {entry.year - 1} de cette fiche n'annonce aucun résultat à venir"
            )
            yield at(
                entry.bilan.doc,
                ("evaluation", index, "resultat"),
                f"évaluation du résultat à venir n° {number}, mais {said}",
                f"numérotez les évaluations d'après « resultats_a_venir » du bilan {entry.year - 1}",
            )
        elif number in seen:
            yield at(
                entry.bilan.doc,
                ("evaluation", index, "resultat"),
                f"le résultat à venir n° {number} est évalué deux fois",
                "gardez une seule évaluation par résultat",
            )
        seen.add(number)


@bilan_rule("R019", "Calendrier qui réécrit l'année précédente", Severity.WARNING)
def calendar_keeps_the_past(entry: BilanEntry, _context: RuleContext) -> Iterator[Finding]:
    """Le calendrier d'un bilan ne montre pas, pour un trimestre de l'année précédente ou
    d'avant, la phase que montrait le bilan de l'année précédente : il réécrit ce que le
    rapport de l'année dernière a publié. Une seule fois par ligne de calendrier, au
    premier trimestre qui diffère.

    Corriger : recopiez les trimestres passés tels que le bilan précédent les montre ; si la
    correction est voulue, expliquez-la dans une `note:` du calendrier (l'avertissement
    disparaît).

    Échoue :

        # data/rapports/2017/rapport.yaml = data/rapports/2016/rapport.yaml
        1: annee: 2017
        # data/rapports/2017/00-edito.md = data/rapports/2016/00-edito.md
        # data/rapports/2017/bilans/e01-test.yaml = data/rapports/2016/bilans/e01-test.yaml
        5:   phases: [1, 1, 3, 4]  # ← R019

    Passe :

        # data/rapports/2017/rapport.yaml = data/rapports/2016/rapport.yaml
        1: annee: 2017
        # data/rapports/2017/00-edito.md = data/rapports/2016/00-edito.md
        # data/rapports/2017/bilans/e01-test.yaml = data/rapports/2016/bilans/e01-test.yaml
        5:   phases: [1, 1, 3, 4]
        +6:   note: Le plan d'action a été repris au T1 2016.
    """
    previous = entry.previous.report if entry.previous is not None else None
    now = entry.report.calendrier
    if previous is None or previous.calendrier is None or now is None or now.note:
        return
    end = quarter_index(f"{entry.year - 1}-T4")
    before = dict(zip_rows(previous))
    for path, result, cells in calendar_rows(entry.report):
        old = before.get(result)
        if old is None:
            continue
        old_cells, old_start = old
        start = quarter_index(now.debut)
        for quarter in range(min(start, old_start), end + 1):
            was = _cell_at(old_cells, old_start, quarter)
            is_ = _cell_at(cells, start, quarter)
            if was != is_:
                label = quarter_label(quarter)
                yield at(
                    entry.bilan.doc,
                    (*path, quarter - start) if 0 <= quarter - start < len(cells) else path,
                    f"au {label}, le bilan {entry.year - 1} montrait "
                    f"{_phase_words(was)} ; ce calendrier montre {_phase_words(is_)}",
                    "recopiez les trimestres passés comme le bilan précédent, ou expliquez la "
                    "correction dans une « note: » du calendrier",
                )
                break


@bilan_rule("R020", "Texte à compléter", Severity.WARNING)
def placeholders_written(entry: BilanEntry, _context: RuleContext) -> Iterator[Finding]:
    """Un texte du bilan dit encore « À compléter » : `bilan new-year` l'a préparé ainsi
    (points forts, difficultés, perspectives, texte des indicateurs), il reste à l'écrire.

    Corriger : remplacez « À compléter » par le texte de l'année (et, pour un indicateur,
    ajoutez sa `valeur`) ; supprimez un élément de liste sans objet.

    Échoue :

        # data/rapports/2016/bilans/e01-test.yaml
        +6: points_forts: [À compléter]  # ← R020

    Passe :

        # data/rapports/2016/bilans/e01-test.yaml
        +6: points_forts: [Une équipe stable]
    """
    for path, text in _texts(entry.report.model_dump(exclude_defaults=True), ()):
        if text.strip().startswith(PLACEHOLDER):
            yield at(
                entry.bilan.doc,
                path,
                f"texte à compléter : « {PLACEHOLDER} » est encore là",
                "écrivez le texte de l'année à la place, ou supprimez l'élément s'il est sans objet",
            )


def _texts(value: object, path: Path_) -> Iterator[tuple[Path_, str]]:
    """Every text of a dumped model, with its path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _texts(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _texts(item, (*path, index))


@bilan_rule("R021", "Résultat à venir de l'année précédente non évalué", Severity.WARNING)
def outlook_assessed(entry: BilanEntry, _context: RuleContext) -> Iterator[Finding]:
    """Le bilan de l'année précédente annonçait des `resultats_a_venir` ; le bilan de
    l'année ne dit pas, dans `evaluation`, ce que l'un d'eux est devenu (pas d'entrée, ou
    une entrée sans `statut`).

    Corriger : pour chaque résultat annoncé, une entrée `{resultat: N, statut: …}` (N : son
    rang dans la liste de l'année précédente ; statut : un de `evaluations` dans
    `data/bilan.yaml`), avec un `commentaire` si besoin. `bilan new-year` prépare ces
    entrées.

    Échoue :

        # data/rapports/2016/bilans/e01-test.yaml
        +6: perspectives: {resultats_a_venir: [Un résultat]}
        # data/rapports/2017/rapport.yaml = data/rapports/2016/rapport.yaml
        1: annee: 2017
        # data/rapports/2017/00-edito.md = data/rapports/2016/00-edito.md
        # data/rapports/2017/bilans/e01-test.yaml = data/rapports/2016/bilans/e01-test.yaml
        +6: evaluation: [{resultat: 1}]  # ← R021

    Passe :

        # data/rapports/2016/bilans/e01-test.yaml
        +6: perspectives: {resultats_a_venir: [Un résultat]}
        # data/rapports/2017/rapport.yaml = data/rapports/2016/rapport.yaml
        1: annee: 2017
        # data/rapports/2017/00-edito.md = data/rapports/2016/00-edito.md
        # data/rapports/2017/bilans/e01-test.yaml = data/rapports/2016/bilans/e01-test.yaml
        +6: evaluation: [{resultat: 1, statut: realise}]
    """
    previous = entry.previous.report if entry.previous is not None else None
    if previous is None or previous.perspectives is None or entry.report.sans_fiche:
        return
    given = {a.resultat: index for index, a in enumerate(entry.report.evaluation)}
    for number, text in enumerate(previous.perspectives.resultats_a_venir, 1):
        index = given.get(number)
        if index is not None and entry.report.evaluation[index].statut is not None:
            continue
        where: Path_ = ("evaluation", index) if index is not None else ("fiche",)
        yield at(
            entry.bilan.doc,
            where,
            f"le résultat à venir n° {number} du bilan {entry.year - 1} n'est pas évalué "
            f"(« {shortened(text)} »)",
            f"ajoutez dans « evaluation » : {{resultat: {number}, statut: …}} "
            "(réalisé, en partie, reporté, abandonné : voir « evaluations » dans data/bilan.yaml)",
            key=index is None,
        )


def zip_rows(report: Report) -> Iterator[tuple[int | None, tuple[list[Cell], int]]]:
    """Each calendar row of ``report`` by its result number, with its first quarter."""
    assert report.calendrier is not None
    start = quarter_index(report.calendrier.debut)
    for _path, result, cells in calendar_rows(report):
        yield result, (cells, start)


def _cell_at(cells: list[Cell], start: int, quarter: int) -> Cell:
    offset = quarter - start
    return cells[offset] if 0 <= offset < len(cells) else None


def _phase_words(cell: Cell) -> str:
    if cell is None:
        return "une case vide"
    if isinstance(cell, list):
        return "la phase " + "/".join(str(p) for p in cell)
    return f"la phase {cell}"


@dataset_rule("R013", "Même titre pour deux actions", Severity.WARNING)
def action_titles_unique(dataset: DataSet) -> Iterator[Finding]:
    """Deux actions ont le même titre (sans tenir compte des majuscules).

    Corriger : donnez à chaque action son propre intitulé, celui du tableau des actions.

    Échoue :

        # data/actions/e02-test.yaml = data/actions/e01-test.yaml
        1: id: e02-test
        5:     numero: 2
        6:     titre: action de test  # ← R013
        # data/rapports/2016/bilans/e02-test.yaml = data/rapports/2016/bilans/e01-test.yaml
        1: fiche: e02-test

    Passe :

        # data/actions/e02-test.yaml = data/actions/e01-test.yaml
        1: id: e02-test
        5:     numero: 2
        6:     titre: Deuxième action
        # data/rapports/2016/bilans/e02-test.yaml = data/rapports/2016/bilans/e01-test.yaml
        1: fiche: e02-test
    """
    seen: dict[str, str] = {}
    for item in dataset.fiches:
        for index, action in enumerate(item.actions):
            title = action.titre.casefold()
            if title in seen:
                yield at(
                    item.doc,
                    ("actions", index, "titre"),
                    f"le titre « {action.titre} » est déjà celui de {seen[title]}",
                    "deux actions du schéma ont chacune leur intitulé",
                )
            seen.setdefault(title, f"l'action {action.type} {action.numero}")


@dataset_rule("R009", "Fiche sans bilan pour l'année du rapport", Severity.WARNING)
def report_year_present(dataset: DataSet) -> Iterator[Finding]:
    """Il existe un rapport pour une année (`data/rapports/<année>/`), l'action est au
    schéma cette année-là, mais sa fiche n'a pas de bilan pour cette année
    (`data/rapports/<année>/bilans/<fiche>.yaml`) : le rapport affichera « fiche non
    fournie ».

    Corriger : créez le bilan (`bilan new-year` les prépare tous pour une nouvelle année),
    avec `sans_fiche: motif` si l'action n'a pas de fiche cette année-là ; si l'action est
    entrée au schéma plus tard, indiquez `entree:` dans sa fiche.

    Échoue :

        # data/actions/e02-test.yaml = data/actions/e01-test.yaml
        1: id: e02-test  # ← R009
        5:     numero: 2
        6:     titre: Deuxième action

    Passe :

        # data/actions/e02-test.yaml = data/actions/e01-test.yaml
        1: id: e02-test
        5:     numero: 2
        6:     titre: Deuxième action
        # data/rapports/2016/bilans/e02-test.yaml = data/rapports/2016/bilans/e01-test.yaml
        1: fiche: e02-test
    """
    for year in dataset.bilans:
        if not (dataset.root / REPORTS_DIR / str(year) / "rapport.yaml").is_file():
            continue
        failed = dataset.unloaded_bilans.get(year, set())
        for item in dataset.fiches:
            if not item.in_schema(year) or item.stem in failed:
                continue
            if dataset.bilan_of(year, item.stem) is None:
                yield at(
                    item.doc,
                    ("id",),
                    f"pas de bilan {year} pour cette fiche : le rapport {year} dira « fiche non "
                    "fournie »",
                    f"créez {display_path(dataset.root / REPORTS_DIR / str(year) / BILANS_DIR / item.stem)}"
                    ".yaml (avec « sans_fiche: motif » si l'action n'a pas de fiche cette année-là)",
                )


@dataset_rule("R015", "Bilan d'une fiche qui n'existe pas")
def bilan_of_a_known_fiche(dataset: DataSet) -> Iterator[Finding]:
    """Un fichier de `data/rapports/<année>/bilans/` porte le nom d'aucune fiche de
    `data/actions/`.

    Corriger : renommez le bilan comme sa fiche (`e01-test.yaml` pour la fiche
    `e01-test`), ou créez la fiche (`bilan new`).

    Échoue :

        # data/rapports/2016/bilans/e09-autre.yaml = data/rapports/2016/bilans/e01-test.yaml
        1: fiche: e09-autre  # ← R015

    Passe :

        # data/rapports/2016/bilans/e01-test.yaml
        1: fiche: e01-test
    """
    if dataset.unloaded:  # the fiche may be one of those that did not load
        return
    known = {item.stem for item in dataset.fiches}
    names = sorted(known)
    for year, bilans in dataset.bilans.items():
        for bilan in bilans:
            if bilan.stem in known:
                continue
            close = difflib.get_close_matches(bilan.stem, names, n=1, cutoff=0.6)
            yield at(
                bilan.doc,
                ("fiche",),
                f"aucune fiche « {bilan.stem} » dans data/actions/ pour ce bilan {year}",
                f"vouliez-vous dire « {close[0]} » ? renommez ce fichier comme sa fiche"
                if close
                else "renommez ce fichier comme sa fiche, ou créez la fiche avec bilan new",
            )


@dataset_rule("R017", "Bilan d'une année où l'action n'est pas au schéma")
def bilan_within_the_schema(dataset: DataSet) -> Iterator[Finding]:
    """Une fiche a un bilan pour une année où son action n'est pas au schéma : avant son
    année d'`entree`, ou après l'année de sa `sortie`.

    Corriger : corrigez `entree` ou `sortie` dans la fiche, ou retirez ce bilan.

    Échoue :

        # data/actions/e01-test.yaml
        +8: entree: 2017  # ← R017

    Passe :

        # data/actions/e01-test.yaml
        +8: entree: 2016
    """
    for year, bilans in dataset.bilans.items():
        for bilan in bilans:
            item = dataset.fiche_by_stem.get(bilan.stem)
            if item is None or item.in_schema(year):
                continue
            fiche = item.fiche
            if fiche.entree is not None and year < fiche.entree:
                yield at(
                    item.doc,
                    ("entree",),
                    f"l'action entre au schéma en {fiche.entree}, mais elle a un bilan {year} "
                    f"({bilan.shown})",
                    f"corrigez « entree » (l'année de son premier bilan), ou retirez le bilan {year}",
                )
            elif fiche.sortie is not None:
                yield at(
                    item.doc,
                    ("sortie", "annee"),
                    f"l'action sort du schéma après {fiche.sortie.annee}, mais elle a un bilan "
                    f"{year} ({bilan.shown})",
                    f"corrigez l'année de « sortie », ou retirez le bilan {year}",
                )


@dataclass(frozen=True)
class ReportWindow:
    """A report year and the quarters its calendars span (from rapport.yaml)."""

    year: int
    first: Quarter
    last: Quarter


@dataclass(frozen=True)
class BilanEntry:
    """One year's bilan of a fiche, and what a bilan rule compares it with."""

    window: ReportWindow
    fiche: FicheSource
    bilan: ReportSource
    previous: ReportSource | None = None
    """The fiche's bilan of the year before, if there is one."""

    @property
    def year(self) -> int:
        return self.window.year

    @property
    def report(self) -> Report:
        return self.bilan.report


@dataclass(frozen=True)
class RuleContext:
    """What a bilan rule knows besides its files: the communes and the vocabulary; and,
    for the runner, the severities a project chose (see :func:`severity_overrides`)."""

    communes: CommunesFile | None
    vocabulary: Vocabulary = field(default_factory=default_vocabulary)
    severities: Severities = field(default_factory=dict)

    @cached_property
    def known_communes(self) -> frozenset[str]:
        return frozenset(c.id for c in self.communes.communes) if self.communes else frozenset()

    @cached_property
    def suggestions(self) -> _Suggestions:
        """Shared by the fiches of one run, so that its bound holds for the whole data set."""
        return _Suggestions(sorted(self.known_communes))

    @cached_property
    def phase_range(self) -> str:
        """« 1 (diagnostic) à 4 (suivi ou fin) »: the phases, for the hints."""
        phases = self.vocabulary.phases
        first, last = phases[0], phases[-1]
        return f"{first.numero} ({first.libelle.lower()}) à {last.numero} ({last.libelle.lower()})"

    def meaning(self, etat: str | None) -> str | None:
        return None if etat is None else self.vocabulary.meanings.get(etat)


def severity_overrides(chosen: Mapping[str, str]) -> dict[str, Severity | Off]:
    """A project's severities (code → « erreur », « avertissement » or « off »), checked:
    only the rules' codes can change, since a file that does not read or does not fit
    the model cannot be checked further. Raises UsageError (in French) otherwise."""
    codes = {rule.code for rules in (FICHE_RULES, BILAN_RULES, DATASET_RULES) for rule in rules}
    allowed: dict[str, Severity | Off] = {s.value: s for s in Severity} | {"off": "off"}
    checked: dict[str, Severity | Off] = {}
    for code, value in chosen.items():
        if code not in codes:
            raise UsageError(
                f"gravité impossible à régler pour « {code} » : ce n'est pas le code d'une règle",
                f"codes réglables : {', '.join(sorted(codes))}",
            )
        if value not in allowed:
            raise UsageError(
                f"gravité inconnue « {value} » pour {code}",
                "gravités possibles : erreur, avertissement ou off (règle désactivée)",
            )
        checked[code] = allowed[value]
    return checked


def _run(
    rules: Iterable[Rule[Callable[..., Iterator[Finding]]]],
    severities: Severities,
    call: Callable[[Callable[..., Iterator[Finding]]], Iterator[Finding]],
) -> list[Diagnostic]:
    """Every rule that is not off, its findings stamped with its code and severity."""
    found: list[Diagnostic] = []
    for rule in rules:
        severity = rule.severity_in(severities)
        if severity is not None:
            found += [finding.diagnostic(rule.code, severity) for finding in call(rule.check)]
    return found


def fiche_findings(item: FicheSource, context: RuleContext) -> list[Diagnostic]:
    """Every fiche rule, on one fiche, with the severities of ``context``."""
    return _run(FICHE_RULES, context.severities, lambda check: check(item, context))


def bilan_findings(entry: BilanEntry, context: RuleContext) -> list[Diagnostic]:
    """Every bilan rule, on one year's bilan of a fiche, with the severities of ``context``."""
    return _run(BILAN_RULES, context.severities, lambda check: check(entry, context))


def dataset_findings(dataset: DataSet, severities: Severities | None = None) -> list[Diagnostic]:
    """Every data set rule, with ``severities`` (default: each rule's own)."""
    return _run(DATASET_RULES, severities or {}, lambda check: check(dataset))
