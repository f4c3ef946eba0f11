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

Two kinds of rules. A fiche rule, ``(fiche, context) -> findings``, looks at one fiche
with what the data folder says besides it (the communes, the report years): its result
depends on that fiche only, so the build cache keeps it. A data set rule looks across
fiches (numbering, duplicates) and only at what a fiche's summary holds, its id and
actions. Findings point at the value concerned, in its file.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import Generic, Literal, TypeVar

from bilan.dataset import ACTIONS_DIR, DataSet, FicheSource, display_path
from bilan.diagnostics import Diagnostic, Severity
from bilan.document import Document, Path_
from bilan.errors import UsageError
from bilan.figures import cell_level
from bilan.models import Cell, CommunesFile, Quarter
from bilan.quarters import quarter_index

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
        return Diagnostic(self.path, self.line, self.column, code, severity, self.message, self.hint)


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
DatasetCheck = Callable[[DataSet], Iterator[Finding]]

FICHE_RULES: list[Rule[FicheCheck]] = []
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


def dataset_rule(
    code: str, title: str, severity: Severity = Severity.ERROR
) -> Callable[[DatasetCheck], DatasetCheck]:
    """Declare a data set rule (see the module's docstring for what its docstring holds)."""
    return _declare(DATASET_RULES, code, title, severity)


@fiche_rule("R001", "L'identifiant de la fiche diffère du nom du fichier")
def id_matches_file_name(item: FicheSource, _context: RuleContext) -> Iterator[Finding]:
    """L'identifiant `id` de la fiche n'est pas le nom de son fichier (sans `.yaml`).

    Corriger : renommez le fichier ou corrigez `id`, pour que les deux soient identiques.

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

    Passe :

        # data/actions/e01-bis.yaml = data/actions/e01-test.yaml
        1: id: e01-bis
        5:     numero: 2
        6:     titre: Autre action
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
    "…"`) ; si l'action n'a pas de fiche cette année, donnez-lui un bilan
    `sans_fiche: motif`. Vérifiez aussi qu'une fiche ne porte pas un mauvais numéro.

    Échoue :

        # data/actions/e03-test.yaml = data/actions/e01-test.yaml
        1: id: e03-test
        5:     numero: 3
        6:     titre: Troisième action

    Passe :

        # data/actions/e02-test.yaml = data/actions/e01-test.yaml
        1: id: e02-test
        5:     numero: 2
        6:     titre: Deuxième action
    """
    if dataset.unloaded:  # the missing numbers may be in the fiches already reported
        return
    places = dataset.action_places
    folder = display_path(dataset.root / ACTIONS_DIR)
    for kind in ("existante", "prospective"):
        numbers = sorted({number for (k, number) in places if k == kind})
        if not numbers:
            continue
        # One finding per run of missing numbers: a typo such as « numero: 100000 »
        # must not produce (or allocate) a hundred thousand of them.
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
                "(pour une action sans fiche cette année, indiquez « sans_fiche »)"
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


@fiche_rule("R004", "Commune inconnue")
def communes_exist(item: FicheSource, context: RuleContext) -> Iterator[Finding]:
    """Une fiche cite une commune dont l'identifiant n'est pas dans `data/communes.yaml`.

    Corriger : utilisez l'identifiant exact de `data/communes.yaml` (le conseil propose le
    plus proche), pas le nom de la commune.

    Échoue :

        # data/actions/e01-test.yaml
        +14:     communes: [alpha, le-cress]  # ← R004

    Passe :

        # data/actions/e01-test.yaml
        +14:     communes: [alpha, le-cres]
    """
    if context.communes is None:
        return
    known = context.known_communes
    for year, report in item.fiche.bilans.items():
        for index, commune in enumerate(report.communes):
            if commune not in known:
                close = context.suggestions.closest(commune)
                yield at(
                    item.doc,
                    ("bilans", year, "communes", index),
                    f"commune inconnue « {commune} »",
                    f"vouliez-vous dire « {close} » ?"
                    if close
                    else "les identifiants possibles sont dans data/communes.yaml",
                )


@fiche_rule("R012", "Commune citée deux fois")
def communes_cited_once(item: FicheSource, _context: RuleContext) -> Iterator[Finding]:
    """Une fiche cite deux fois la même commune dans la liste `communes` d'un bilan.

    Corriger : retirez le doublon de la liste.

    Échoue :

        # data/actions/e01-test.yaml
        +14:     communes: [alpha, beta, alpha]  # ← R012

    Passe :

        # data/actions/e01-test.yaml
        +14:     communes: [alpha, beta]
    """
    for year, report in item.fiche.bilans.items():
        seen: set[str] = set()
        for index, commune in enumerate(report.communes):
            if commune in seen:
                yield at(
                    item.doc,
                    ("bilans", year, "communes", index),
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


def _calendar_rows(
    item: FicheSource,
) -> Iterator[tuple[int, Path_, int | None, list[Cell], Quarter]]:
    for year, report in item.fiche.bilans.items():
        calendar = report.calendrier
        if calendar is None:
            continue
        base: Path_ = ("bilans", year, "calendrier")
        if calendar.lignes is not None:
            for index, row in enumerate(calendar.lignes):
                yield (
                    year,
                    (*base, "lignes", index, "phases"),
                    row.resultat,
                    row.phases,
                    calendar.debut,
                )
        else:
            yield year, (*base, "phases"), None, calendar.phases or [], calendar.debut


@fiche_rule("R005", "Phase qui recule dans le calendrier", Severity.WARNING)
def phases_do_not_go_back(item: FicheSource, _context: RuleContext) -> Iterator[Finding]:
    """Dans un calendrier, une phase revient en arrière (par exemple 3 puis 2).

    Corriger : relisez le calendrier : les phases vont de 1 (diagnostic) à 4 (suivi ou
    fin). Si le retour en arrière est réel, laissez tel quel.

    Échoue :

        # data/actions/e01-test.yaml
        13:       phases: [1, 3, 2]  # ← R005

    Passe :

        # data/actions/e01-test.yaml
        13:       phases: [1, 2, 3]
    """
    for _year, path, _result, cells, _start in _calendar_rows(item):
        floor = 0  # the lowest phase of the most advanced cell so far
        for index, cell in enumerate(cells):
            level = cell_level(cell)
            if level is None:
                continue
            if level < floor:
                yield at(
                    item.doc,
                    (*path, index),
                    f"la phase revient à {level} après la phase {floor}",
                    "vérifiez le calendrier : les phases vont de 1 (diagnostic) à 4 (suivi ou fin)",
                )
            floor = max(floor, min(cell) if isinstance(cell, list) else level)


@fiche_rule("R008", "Ligne de calendrier pour un résultat attendu qui n'existe pas")
def calendar_rows_match_results(item: FicheSource, _context: RuleContext) -> Iterator[Finding]:
    """Une ligne de calendrier (`lignes:`) porte sur un résultat attendu dont le numéro
    dépasse le nombre de `resultats_attendus` de la fiche.

    Corriger : numérotez les lignes d'après l'ordre de `resultats_attendus` (1 pour le
    premier), ou ajoutez le résultat manquant.

    Échoue :

        # data/actions/e01-test.yaml
        +8: resultats_attendus:
        +9:   - Un résultat
        15:       lignes:
        +16:         - resultat: 2  # ← R008
        +17:           phases: [1, 2]

    Passe :

        # data/actions/e01-test.yaml
        +8: resultats_attendus: [Un résultat]
        14:       lignes: [{resultat: 1, phases: [1, 2]}]
    """
    count = len(item.fiche.resultats_attendus)
    for year, report in item.fiche.bilans.items():
        if report.calendrier is None or report.calendrier.lignes is None:
            continue
        for index, row in enumerate(report.calendrier.lignes):
            if row.resultat > count:
                yield at(
                    item.doc,
                    ("bilans", year, "calendrier", "lignes", index, "resultat"),
                    f"la ligne porte sur le résultat attendu n° {row.resultat}, mais la fiche "
                    + (f"n'en compte que {count}" if count else "n'a aucun résultat attendu"),
                    "numérotez les lignes d'après « resultats_attendus » (1 pour le premier)",
                )


@fiche_rule("R006", "Plus de communes concernées que de communes membres")
def commune_counts_are_possible(item: FicheSource, context: RuleContext) -> Iterator[Finding]:
    """Un indicateur de catégorie `communes` compte plus de communes que la métropole n'en
    a dans `data/communes.yaml`.

    Corriger : corrigez le nombre ; s'il compte autre chose que des communes (des agents,
    des sites…), retirez `categorie: communes`.

    Échoue :

        # data/actions/e01-test.yaml
        +14:     indicateurs:
        +15:       - libelle: Communes concernées
        +16:         categorie: communes
        +17:         valeur: 4  # ← R006

    Passe :

        # data/actions/e01-test.yaml
        +14:     indicateurs:
        +15:       - {libelle: Communes concernées, categorie: communes, valeur: 2}
    """
    if context.communes is None:
        return
    total = len(context.communes.communes)
    for year, report in item.fiche.bilans.items():
        for index, indicator in enumerate(report.indicateurs):
            if indicator.categorie == "communes" and (indicator.valeur or 0) > total:
                yield at(
                    item.doc,
                    ("bilans", year, "indicateurs", index, "valeur"),
                    f"{indicator.valeur:g} communes concernées, alors que la métropole "
                    f"en compte {total}",
                    "vérifiez le nombre, ou retirez « categorie: communes » s'il compte autre chose",
                )


_DIGIT_GROUPS = re.compile(r"(?<=\d)[\s\u00a0\u202f.](?=\d{3}\b)")


def _numbers_in(text: str) -> set[str]:
    joined = _DIGIT_GROUPS.sub("", text)
    return set(re.findall(r"\d+(?:,\d+)?", joined))


@fiche_rule("R007", "Valeur d'indicateur absente de son texte")
def indicator_value_in_text(item: FicheSource, _context: RuleContext) -> Iterator[Finding]:
    """La `valeur` d'un indicateur ne figure pas dans son `texte` : le rapport dirait deux
    choses différentes. Les espaces entre milliers sont acceptés (`21 214 690 €` pour
    `21214690`), et la virgule pour les décimales (`2,5` pour `2.5`).

    Corriger : mettez la valeur et le texte d'accord.

    Échoue :

        # data/actions/e01-test.yaml
        +14:     indicateurs:
        +15:       - libelle: Réunions
        +16:         valeur: 12  # ← R007
        +17:         texte: 10 réunions en 2016

    Passe :

        # data/actions/e01-test.yaml
        +14:     indicateurs:
        +15:       - {libelle: Réunions, valeur: 12, texte: 12 réunions en 2016}
    """
    for year, report in item.fiche.bilans.items():
        for index, indicator in enumerate(report.indicateurs):
            if indicator.valeur is None or indicator.texte is None:
                continue
            value = indicator.valeur
            written = str(int(value)) if float(value).is_integer() else str(value).replace(".", ",")
            if written not in _numbers_in(indicator.texte):
                yield at(
                    item.doc,
                    ("bilans", year, "indicateurs", index, "valeur"),
                    f"la valeur {written} n'apparaît pas dans le texte de l'indicateur",
                    "mettez à jour la valeur et le texte ensemble, pour que le rapport "
                    "ne dise pas deux choses différentes",
                )


@fiche_rule("R011", "Action non démarrée mais calendrier avancé", Severity.WARNING)
def not_started_means_early(item: FicheSource, _context: RuleContext) -> Iterator[Finding]:
    """L'action est dite « non démarrée » (`etat: non-demarree`), mais son calendrier la
    montre en phase 3 ou 4 au quatrième trimestre de l'année.

    Corriger : corrigez l'état (`en-cours`…) ou le calendrier, pour qu'ils disent la même
    chose.

    Échoue :

        # data/actions/e01-test.yaml
        10:     etat: non-demarree
        13:       phases: [1, 2, 3, 3, 3]  # ← R011

    Passe :

        # data/actions/e01-test.yaml
        10:     etat: non-demarree
        13:       phases: [1, 2]
    """
    for year, report in item.fiche.bilans.items():
        if report.etat != "non-demarree" or report.calendrier is None:
            continue
        end = quarter_index(f"{year}-T4")
        start = quarter_index(report.calendrier.debut)
        for _y, path, _r, cells, _s in _calendar_rows(item):
            if _y != year:
                continue
            position = end - start
            cell = cells[position] if 0 <= position < len(cells) else None
            level = cell_level(cell)
            if level is not None and level >= 3:
                yield at(
                    item.doc,
                    (*path, position),
                    f"action « non démarrée » mais en phase {level} au T4 {year}",
                    "corrigez l'état ou le calendrier",
                )


@dataset_rule("R013", "Même titre pour deux actions", Severity.WARNING)
def action_titles_unique(dataset: DataSet) -> Iterator[Finding]:
    """Deux actions ont le même titre (sans tenir compte des majuscules).

    Corriger : donnez à chaque action son propre intitulé, celui de l'annexe 1.

    Échoue :

        # data/actions/e02-test.yaml = data/actions/e01-test.yaml
        1: id: e02-test
        5:     numero: 2
        6:     titre: action de test  # ← R013

    Passe :

        # data/actions/e02-test.yaml = data/actions/e01-test.yaml
        1: id: e02-test
        5:     numero: 2
        6:     titre: Deuxième action
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


@dataclass(frozen=True)
class ReportWindow:
    """A report year and the quarters its calendars span (from rapport.yaml)."""

    year: int
    first: Quarter
    last: Quarter


@dataclass(frozen=True)
class RuleContext:
    """What a fiche rule knows besides its fiche: the communes and the report years; and,
    for the runner, the severities a project chose (see :func:`severity_overrides`)."""

    communes: CommunesFile | None
    windows: tuple[ReportWindow, ...] = ()
    severities: Severities = field(default_factory=dict)

    @cached_property
    def known_communes(self) -> frozenset[str]:
        return frozenset(c.id for c in self.communes.communes) if self.communes else frozenset()

    @cached_property
    def suggestions(self) -> _Suggestions:
        """Shared by the fiches of one run, so that its bound holds for the whole data set."""
        return _Suggestions(sorted(self.known_communes))


@fiche_rule("R009", "Fiche sans bilan pour l'année du rapport", Severity.WARNING)
def report_year_present(item: FicheSource, context: RuleContext) -> Iterator[Finding]:
    """Il existe un rapport pour une année (`data/rapports/<année>/`), mais la fiche n'a
    pas de bilan pour cette année : le rapport affichera « fiche non fournie ».

    Corriger : ajoutez une entrée `2016:` sous `bilans:` (avec `sans_fiche: motif` si
    l'action n'a pas de fiche cette année-là).

    Échoue :

        # data/actions/e01-test.yaml
        9:   2017:  # ← R009

    Passe :

        # data/actions/e01-test.yaml
        9:   2016:
    """
    for window in context.windows:
        if window.year not in item.fiche.bilans:
            yield at(
                item.doc,
                ("bilans",),
                f"pas de bilan {window.year} pour cette fiche : le rapport dira « fiche non fournie »",
                f"ajoutez une entrée « {window.year}: » sous « bilans »",
            )


@fiche_rule("R010", "Calendrier hors de la période du rapport", Severity.WARNING)
def calendar_within_report(item: FicheSource, context: RuleContext) -> Iterator[Finding]:
    """Le calendrier commence avant, ou se termine après, la période que montre le rapport
    (`calendrier:` de `rapport.yaml`). Les trimestres hors période ne seront pas affichés.

    Corriger : vérifiez `debut` et le nombre de cases de `phases`. Si les dates sont justes,
    vous pouvez l'expliquer dans une `note:` du calendrier (l'avertissement restera affiché).

    Échoue :

        # data/actions/e01-test.yaml
        12:       debut: 2015-T1
        13:       phases: [1, 2, 3, 4]  # ← R010

    Passe :

        # data/actions/e01-test.yaml
        12:       debut: 2015-T4
    """
    for window in context.windows:
        report = item.fiche.bilans.get(window.year)
        if report is None or report.calendrier is None:
            continue
        first, last = quarter_index(window.first), quarter_index(window.last)
        for year, path, _r, cells, start in _calendar_rows(item):
            if year != window.year:
                continue
            begin = quarter_index(start)
            filled = [i for i, cell in enumerate(cells) if cell is not None]
            if begin < first or (filled and begin + filled[-1] > last):
                yield at(
                    item.doc,
                    path,
                    f"le calendrier déborde de la période du rapport ({window.first} à {window.last})",
                    "les trimestres hors période ne sont pas affichés",
                )


def severity_overrides(chosen: Mapping[str, str]) -> dict[str, Severity | Off]:
    """A project's severities (code → « erreur », « avertissement » or « off »), checked:
    only the rules' codes can change, since a file that does not read or does not fit
    the model cannot be checked further. Raises UsageError (in French) otherwise."""
    codes = {rule.code for rule in FICHE_RULES} | {rule.code for rule in DATASET_RULES}
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


def dataset_findings(dataset: DataSet, severities: Severities | None = None) -> list[Diagnostic]:
    """Every data set rule, with ``severities`` (default: each rule's own)."""
    return _run(DATASET_RULES, severities or {}, lambda check: check(dataset))
