"""The data model of a project: fiches, their yearly bilans, communes, report settings.

Pure pydantic models: no I/O. Strict (no silent coercion: a YAML ``on`` never becomes
the text "True"), frozen, and unknown keys are errors, because a misspelt key in a
hand-edited file must be reported, not ignored. Each field's docstring gives its French
title (first line) and description (the rest): the JSON Schema used by editors, the form
editor and ``bilan new`` read them, so a field is declared once, here. The words a value
must be one of (themes, phases, états…) are the project's (:mod:`bilan.vocabulary`), given
through the validation context.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
import typing
from collections.abc import Callable
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, model_validator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticCustomError, PydanticUndefined

QUARTER_PATTERN = r"^[0-9]{4}-T[1-4]$"
ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
QUARTER_RE = re.compile(QUARTER_PATTERN)
VOCABULARY = "vocabulaire"
"""The key of the project's vocabulary in the validation context."""


def declared(kind: str) -> Callable[[Any, ValidationInfo], Any]:
    """A validator of a value that must be one of the project's ``kind`` (themes,
    phases…), read from the validation context; without a context (a fiche read back from
    the build cache, which validated with one) any value of the right type passes. The
    JSON Schema of a project lists the values (see :mod:`bilan.schema`)."""

    def check(value: Any, info: ValidationInfo) -> Any:
        vocabulary = (info.context or {}).get(VOCABULARY)
        if vocabulary is not None and value not in vocabulary.ids(kind):
            raise PydanticCustomError(
                "vocabulaire",
                "valeur non déclarée dans le vocabulaire",
                {"liste": kind, "possibles": vocabulary.ids(kind)},
            )
        return value

    return check


def vocabulary_of(info: FieldInfo) -> str | None:
    """The list of the project's words a field's values (or its items') are taken from
    (« themes »…), or None: what the JSON Schema, the form editor and ``bilan new`` list."""

    def found(annotation: Any) -> str | None:
        for meta in getattr(annotation, "__metadata__", ()):
            extra = getattr(meta, "json_schema_extra", None)
            if isinstance(extra, dict) and isinstance(extra.get(VOCABULARY), str):
                return str(extra[VOCABULARY])
        for arg in typing.get_args(annotation):
            kind = found(arg)
            if kind is not None:
                return kind
        return None

    extra = info.json_schema_extra
    if isinstance(extra, dict) and isinstance(extra.get(VOCABULARY), str):
        return str(extra[VOCABULARY])
    for meta in info.metadata:
        extra = getattr(meta, "json_schema_extra", None)
        if isinstance(extra, dict) and isinstance(extra.get(VOCABULARY), str):
            return str(extra[VOCABULARY])
    return found(info.annotation)


def _words(kind: str) -> Any:
    """What marks a field whose values are the project's ``kind``."""
    return AfterValidator(declared(kind))


Year = Annotated[int, Field(ge=2000, le=2100)]
Identifier = Annotated[str, Field(pattern=ID_PATTERN, max_length=120)]
Text = Annotated[str, Field(min_length=1)]
Quarter = Annotated[str, Field(pattern=QUARTER_PATTERN)]
ThemeId = Annotated[Identifier, _words("themes"), Field(json_schema_extra={VOCABULARY: "themes"})]
TypeId = Annotated[Identifier, _words("types"), Field(json_schema_extra={VOCABULARY: "types"})]
EtatId = Annotated[Identifier, _words("etats"), Field(json_schema_extra={VOCABULARY: "etats"})]
CategoryId = Annotated[
    Identifier, _words("categories"), Field(json_schema_extra={VOCABULARY: "categories"})
]
AssessmentId = Annotated[
    Identifier, _words("evaluations"), Field(json_schema_extra={VOCABULARY: "evaluations"})
]
Phase = Annotated[int, Field(ge=1, json_schema_extra={VOCABULARY: "phases"}), _words("phases")]
Cell = Phase | Annotated[list[Phase], Field(min_length=2, max_length=2)] | None


@cache
def _attribute_docstrings(module: str) -> dict[str, dict[str, str]]:
    """Class → field → the docstring under the field, for the classes of ``module``."""
    source = getattr(sys.modules.get(module), "__file__", None)
    try:
        tree = ast.parse(Path(source).read_text("utf-8")) if source else None
    except (OSError, SyntaxError, UnicodeDecodeError):  # pragma: no cover - no source
        tree = None
    if tree is None:
        return {}
    found: dict[str, dict[str, str]] = {}
    for node in tree.body:
        if isinstance(node, ast.ClassDef):
            found[node.name] = {
                field.target.id: inspect.cleandoc(doc.value.value)
                for field, doc in zip(node.body, node.body[1:], strict=False)
                if isinstance(field, ast.AnnAssign)
                and isinstance(field.target, ast.Name)
                and isinstance(doc, ast.Expr)
                and isinstance(doc.value, ast.Constant)
                and isinstance(doc.value.value, str)
            }
    return found


PLACEHOLDER = "À compléter"
"""What a text to write holds until its author writes it: `bilan new-year` puts it in every
text of the year, and `bilan validate` warns wherever it remains (R020, N006)."""


class Model(BaseModel):
    """Base of every model: strict, frozen, unknown keys forbidden."""

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Field docstrings become titles and descriptions, as pydantic's
        ``use_attribute_docstrings`` would make descriptions; but it reads the source again
        for every class (before Python 3.13), which was half the cost of building the
        models: read it once here."""
        super().__init_subclass__(**kwargs)
        for name, doc in _attribute_docstrings(cls.__module__).get(cls.__name__, {}).items():
            default = cls.__dict__.get(name, PydanticUndefined)
            title, description = field_texts(doc)
            if not isinstance(default, FieldInfo):
                setattr(cls, name, Field(default, title=title, description=description))
            elif default.title is None:  # a Field(...) without texts of its own
                merged = FieldInfo.merge_field_infos(default, title=title, description=description)
                setattr(cls, name, merged)


def field_texts(doc: str) -> tuple[str, str]:
    """A field's docstring → its title (the first line) and its description (the rest, or
    the title when there is no more)."""
    title, _blank, rest = doc.partition("\n\n")
    return title.strip(), " ".join(rest.split()) or title.strip()


class Action(Model):
    """One numbered action of the schéma de mutualisation."""

    model_config = ConfigDict(
        title="Action du schéma",
        json_schema_extra={"description": "Une action numérotée du schéma de mutualisation."},
    )

    type: TypeId
    """Type d'action

    Le type de l'action, parmi ceux du projet (par exemple « existante » pour une pratique
    de coopération existante, « prospective » pour une coopération à construire)."""
    numero: Annotated[int, Field(ge=1, le=99_999)]
    """Numéro

    Numéro de l'action dans le schéma, propre à son type."""
    titre: Text
    """Titre

    Intitulé court de l'action, tel que dans le tableau des actions du rapport."""
    themes: Annotated[list[ThemeId], Field(min_length=1, max_length=4)]
    """Thèmes

    Thème(s) de rattachement de l'action ; une action peut en avoir deux."""


class Exit(Model):
    """When and why an action leaves the schéma."""

    model_config = ConfigDict(
        title="Sortie du schéma",
        json_schema_extra={"description": "L'année où l'action sort du schéma, et pourquoi."},
    )

    annee: Year
    """Dernière année

    La dernière année dont le rapport montre l'action (l'année où elle est abandonnée ou
    retirée du schéma) ; elle ne figure plus dans les rapports suivants."""
    motif: Text
    """Motif

    Pourquoi l'action sort du schéma (imprimé dans le rapport de cette dernière année)."""


class Fiche(Model):
    """A fiche-action: one file of data/actions/, what does not change from year to year."""

    model_config = ConfigDict(
        title="Fiche-action",
        json_schema_extra={
            "description": "Une fiche-action du schéma de mutualisation : un fichier de "
            "data/actions/, ce qui ne change pas d'une année à l'autre (le bilan de chaque "
            "année est dans data/rapports/ANNÉE/bilans/). Format : docs/format-fiche.md."
        },
    )

    id: Identifier
    """Identifiant

    Identifiant stable, égal au nom du fichier sans « .yaml »."""
    titre: Text
    """Titre

    Titre de la fiche-action, tel qu'imprimé (sans « Action existante N – »)."""
    actions: Annotated[list[Action], Field(min_length=1)]
    """Actions

    Les actions du schéma que couvre la fiche (une fiche peut en couvrir plusieurs)."""
    precision_theme: Text | None = None
    """Précision du thème

    Ce que la fiche dit de son thème, dans ses propres mots (imprimé sous les thèmes)."""
    objectifs: list[Text] = []
    """Rappel des objectifs

    Les objectifs de l'action (Markdown)."""
    resultats_attendus: list[Text] = []
    """Résultats attendus

    Les résultats attendus, numérotés dans l'ordre (Markdown) : les calendriers par
    résultat s'y réfèrent par leur numéro."""
    entree: Year | None = None
    """Année d'entrée

    La première année dont le rapport montre l'action, si elle est entrée dans le schéma
    après sa première édition (par exemple 2017 pour une action nouvelle en 2017)."""
    sortie: Exit | None = None
    """Sortie du schéma

    La dernière année où l'action figure au schéma, et pourquoi elle en sort."""

    @model_validator(mode="after")
    def _enters_before_it_leaves(self) -> Fiche:
        if self.entree is not None and self.sortie is not None and self.sortie.annee < self.entree:
            raise ValueError(
                f"sortie: l'action sort du schéma en {self.sortie.annee}, avant d'y être "
                f"entrée ({self.entree})"
            )
        return self

    def in_schema(self, year: int) -> bool:
        """Whether the schéma of ``year`` holds this action."""
        return (self.entree is None or self.entree <= year) and (
            self.sortie is None or year <= self.sortie.annee
        )


class CalendarRow(Model):
    """One row of a per-result calendar (one row per expected result)."""

    model_config = ConfigDict(
        title="Ligne de calendrier",
        json_schema_extra={
            "description": "Les phases d'un résultat attendu, trimestre par trimestre."
        },
    )

    resultat: Annotated[int, Field(ge=1)]
    """Résultat attendu

    Numéro du résultat attendu (de la fiche) auquel la ligne se rapporte."""
    phases: list[Cell]
    """Phases

    Phase de chaque trimestre à partir de « debut » : un numéro de phase, [3, 4] pour
    « 3/4 », null si vide."""


class Calendar(Model):
    """Quarterly calendar of phases: one row, or one row per expected result."""

    model_config = ConfigDict(
        title="Calendrier",
        json_schema_extra={
            "description": "Calendrier trimestriel des phases : soit « phases » (une ligne), "
            "soit « lignes » (une ligne par résultat attendu).",
            "oneOf": [{"required": ["phases"]}, {"required": ["lignes"]}],
        },
    )

    debut: Quarter
    """Début

    Premier trimestre du calendrier, sous la forme AAAA-Tn (par exemple 2015-T4)."""
    phases: list[Cell] | None = None
    """Phases

    Phase de chaque trimestre à partir de « debut » : un numéro de phase, [3, 4] pour
    « 3/4 », null si vide."""
    lignes: Annotated[list[CalendarRow], Field(min_length=1)] | None = None
    """Lignes

    Une ligne par résultat attendu, à la place de « phases »."""
    note: Text | None = None
    """Note

    Précision imprimée avec le calendrier (dates antérieures à la période, par exemple)."""

    @model_validator(mode="after")
    def _one_layout(self) -> Calendar:
        if (self.phases is None) == (self.lignes is None):
            raise ValueError("calendrier: indiquez soit « phases », soit « lignes », pas les deux")
        return self

    def rows(self) -> list[tuple[int | None, list[Cell]]]:
        """Every row as (numéro de résultat or None, cells)."""
        if self.lignes is not None:
            return [(row.resultat, row.phases) for row in self.lignes]
        return [(None, self.phases or [])]


class Indicator(Model):
    """One cell of « Le niveau d'avancement de l'action »."""

    model_config = ConfigDict(
        title="Indicateur",
        json_schema_extra={"description": "Une case de « Le niveau d'avancement de l'action »."},
    )

    libelle: Text
    """Libellé

    Intitulé de l'indicateur, tel qu'imprimé."""
    categorie: CategoryId | None = None
    """Catégorie

    Indicateur usuel (par exemple communes, acteurs, population, budget, reunions), pour
    les totaux consolidés et la comparaison d'une année à l'autre."""
    valeur: Annotated[int | float, Field(ge=0)] | None = None
    """Valeur

    Le nombre que donne la case, s'il y en a un (écrit 6.5, sans espaces)."""
    unite: Text | None = None
    """Unité

    Unité de la valeur : EUR pour un montant en euros, sinon un mot (habitants, élèves…)."""
    texte: Text | None = None
    """Texte

    Le texte complet de la case, s'il dit plus que la valeur (Markdown). Sans valeur ni
    texte, l'indicateur est un intitulé seul (un objectif de résultat, par exemple)."""


class Outlook(Model):
    """« Les perspectives » for the following year, in two columns."""

    model_config = ConfigDict(
        title="Perspectives",
        json_schema_extra={
            "description": "Les perspectives de l'année suivante, en deux colonnes."
        },
    )

    resultats_a_venir: list[Text] = []
    """Résultats à venir

    Les résultats attendus l'année suivante (colonne de gauche) ; le bilan de l'année
    suivante dit, pour chacun, s'il a été atteint."""
    axes_amelioration: list[Text] = []
    """Axes d'amélioration

    Axes d'amélioration et perspectives (colonne de droite)."""


class Assessment(Model):
    """What the team says, a year later, of one « résultat à venir » of the previous year."""

    model_config = ConfigDict(
        title="Évaluation",
        json_schema_extra={
            "description": "Ce que l'équipe dit d'un résultat à venir annoncé l'année précédente."
        },
    )

    resultat: Annotated[int, Field(ge=1)]
    """Résultat à venir

    Le numéro du résultat à venir du bilan de l'année précédente (1 pour le premier)."""
    statut: AssessmentId | None = None
    """Statut

    Où en est ce résultat (par exemple realise, en-partie, reporte, abandonne). Vide tant
    que l'équipe ne l'a pas évalué : bilan validate le signale."""
    commentaire: Text | None = None
    """Commentaire

    Une phrase d'explication, imprimée à côté du statut."""


class Report(Model):
    """data/rapports/<année>/bilans/<id>.yaml: what a fiche says for one year."""

    model_config = ConfigDict(
        title="Bilan annuel",
        json_schema_extra={
            "description": "Le bilan d'une fiche pour une année, tel que le rapport de cette "
            "année l'imprime : un fichier de data/rapports/ANNÉE/bilans/, nommé comme la fiche. "
            "Indiquez « calendrier », ou « sans_fiche » avec le motif.",
            "anyOf": [{"required": ["calendrier"]}, {"required": ["sans_fiche"]}],
        },
    )

    fiche: Identifier
    """Fiche

    L'identifiant de la fiche dont c'est le bilan (le nom de ce fichier sans « .yaml »)."""
    etat: EtatId | None = None
    """État

    État de l'action à la fin de l'année, parmi ceux du projet (par exemple non-demarree,
    en-cours, terminee, abandonnee)."""
    sans_fiche: Text | None = None
    """Sans fiche

    Si le rapport de l'année ne contient pas de fiche pour cette action : pourquoi."""
    calendrier: Calendar | None = None
    """Calendrier

    Calendrier trimestriel des phases de l'action."""
    communes: list[Identifier] = []
    """Communes

    Identifiants (data/communes.yaml) des communes que la fiche nomme."""
    indicateurs: list[Indicator] = []
    """Indicateurs

    Le niveau d'avancement de l'action."""
    points_forts: list[Text] = []
    """Points forts

    Points forts identifiés / améliorations notables constatées."""
    difficultes: list[Text] = []
    """Difficultés

    Difficultés rencontrées."""
    perspectives: Outlook | None = None
    """Perspectives

    Les perspectives pour l'année suivante."""
    evaluation: list[Assessment] = []
    """Évaluation

    Ce que l'équipe dit des résultats à venir annoncés par le bilan de l'année précédente."""

    @model_validator(mode="after")
    def _sheet_or_reason(self) -> Report:
        has_content = bool(
            self.calendrier
            or self.communes
            or self.indicateurs
            or self.points_forts
            or self.difficultes
            or self.perspectives
            or self.evaluation
        )
        if self.sans_fiche is not None and has_content:
            raise ValueError(
                "bilan: « sans_fiche » exclut le calendrier, les indicateurs et le reste"
            )
        if self.sans_fiche is None and self.calendrier is None:
            raise ValueError("bilan: indiquez le « calendrier », ou « sans_fiche » avec le motif")
        return self


class Commune(Model):
    """A member commune."""

    model_config = ConfigDict(
        title="Commune", json_schema_extra={"description": "Une commune membre."}
    )

    id: Identifier
    """Identifiant

    Identifiant stable (minuscules, tirets), utilisé par les fiches."""
    nom: Text
    """Nom

    Nom officiel (Code officiel géographique)."""
    insee: Annotated[str, Field(pattern=r"^[0-9][0-9AB][0-9]{3}$")]
    """Code INSEE

    Code INSEE, entre guillemets (sinon 01053 serait lu comme un nombre)."""


class Metropole(Model):
    """The intercommunal body itself."""

    model_config = ConfigDict(
        title="Établissement",
        json_schema_extra={"description": "L'établissement public de coopération intercommunale."},
    )

    nom: Text
    """Nom

    Nom officiel de l'établissement."""
    population: Annotated[int, Field(ge=0)]
    """Population

    Population utilisée par les fiches (population couverte par une action intercommunale)."""


class CommunesFile(Model):
    """data/communes.yaml."""

    model_config = ConfigDict(
        title="Communes membres",
        json_schema_extra={
            "description": "Le fichier data/communes.yaml : l'établissement et ses communes membres."
        },
    )

    metropole: Metropole
    """Établissement

    L'établissement intercommunal (métropole, communauté)."""
    communes: Annotated[list[Commune], Field(min_length=1)]
    """Communes

    Les communes membres, une par ligne."""


class Window(Model):
    """The quarters a report's calendars show."""

    model_config = ConfigDict(title="Période des calendriers")

    debut: Quarter
    """Début

    Premier trimestre affiché (par exemple 2015-T4)."""
    fin: Quarter
    """Fin

    Dernier trimestre affiché (par exemple 2019-T4)."""


class ReportMeta(Model):
    """data/rapports/<année>/rapport.yaml: the title page and settings of one report."""

    model_config = ConfigDict(title="Rapport de l'année")

    annee: Year
    """Année

    Année du bilan (égale au nom du dossier)."""
    organisme: Text
    """Organisme

    Nom de l'établissement qui publie le rapport."""
    titre: Text
    """Titre

    Titre du rapport (page de titre)."""
    sous_titre: Text
    """Sous-titre

    Sous-titre (page de titre)."""
    publication: Text
    """Publication

    Date de publication telle qu'imprimée, par exemple « Janvier 2017 »."""
    calendrier: Window
    """Calendriers

    Période couverte par les calendriers des fiches."""
    contact: list[Text] = []
    """Contact

    Lignes du bloc de contact de la dernière page."""


class Section(Model):
    """Front matter of one Markdown part of the narrative."""

    model_config = ConfigDict(title="Partie du rapport")

    titre: Text
    """Titre

    Titre de la partie, sans son numéro."""
    numero: Text | None = None
    """Numéro

    Numéro affiché (« 1 », « Annexe 1 »), absent pour l'édito."""
    ordre: Annotated[int, Field(ge=0)]
    """Ordre

    Position de la partie dans le rapport."""
    signature: list[Text] = []
    """Signature

    Lignes de signature (édito)."""
    ajout_calcule: Literal["chiffres", "actions-par-theme"] | None = None
    """Contenu calculé

    Contenu calculé à partir des fiches, placé après le texte de la partie : « chiffres »
    (les chiffres de l'année : tableaux et graphiques) ou « actions-par-theme » (le tableau
    des actions par thème)."""
