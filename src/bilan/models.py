"""The data model of a fiche-action and of the communes file.

Pure pydantic models: no I/O. Strict (no silent coercion: a YAML ``on`` never becomes
the text "True"), frozen, and unknown keys are errors, because a misspelt key in a
hand-edited file must be reported, not ignored. Field docstrings become the French
descriptions of the JSON Schema used by editors.
"""

from __future__ import annotations

import ast
import inspect
import re
import sys
from functools import cache
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic.fields import FieldInfo
from pydantic_core import PydanticUndefined

THEMES: dict[str, str] = {
    "fonctions-ressources": "Fonctions ressources",
    "services-a-la-population": "Services à la population",
    "amenagement-developpement-durable": "Aménagement et développement durable du territoire",
    "interventions-techniques": "Interventions techniques",
}
"""The four themes of Annexe 1, in the order of the report."""

PHASES: dict[int, str] = {
    1: "Diagnostic",
    2: "Plan d'action",
    3: "Mise en œuvre",
    4: "Suivi ou fin",
}

ETATS: dict[str, str] = {
    "non-demarree": "Non démarrée",
    "en-cours": "En cours",
    "terminee": "Terminée",
    "abandonnee": "Abandonnée",
}

CATEGORIES: dict[str, str] = {
    "communes": "Communes concernées",
    "acteurs": "Acteurs associés",
    "population": "Population couverte",
    "budget": "Budget concerné",
    "reunions": "Réunions",
}
"""Well-known indicators, recognisable so that they can be added up across fiches."""

QUARTER_PATTERN = r"^[0-9]{4}-T[1-4]$"
ID_PATTERN = r"^[a-z0-9]+(-[a-z0-9]+)*$"
QUARTER_RE = re.compile(QUARTER_PATTERN)

Theme = Literal[
    "fonctions-ressources",
    "services-a-la-population",
    "amenagement-developpement-durable",
    "interventions-techniques",
]
Etat = Literal["non-demarree", "en-cours", "terminee", "abandonnee"]
Categorie = Literal["communes", "acteurs", "population", "budget", "reunions"]
TypeAction = Literal["existante", "prospective"]
Phase = Annotated[int, Field(ge=1, le=4)]
Cell = Phase | Annotated[list[Phase], Field(min_length=2, max_length=2)] | None
Quarter = Annotated[str, Field(pattern=QUARTER_PATTERN)]
Identifier = Annotated[str, Field(pattern=ID_PATTERN, max_length=120)]
Text = Annotated[str, Field(min_length=1)]


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


class Model(BaseModel):
    """Base of every model: strict, frozen, unknown keys forbidden."""

    model_config = ConfigDict(strict=True, frozen=True, extra="forbid")

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Field docstrings become descriptions, as pydantic's ``use_attribute_docstrings``
        would make them; but it reads the source again for every class (before Python
        3.13), which was half the cost of building the models: read it once here."""
        super().__init_subclass__(**kwargs)
        for name, doc in _attribute_docstrings(cls.__module__).get(cls.__name__, {}).items():
            default = cls.__dict__.get(name, PydanticUndefined)
            if not isinstance(default, FieldInfo):  # a Field(...) gives its own description
                setattr(cls, name, Field(default, description=doc))


class Action(Model):
    """One numbered action of the schéma de mutualisation."""

    type: TypeAction
    """« existante » (pratique de coopération existante) ou « prospective » (coopération à construire)."""
    numero: Annotated[int, Field(ge=1)]
    """Numéro de l'action dans le schéma, propre à son type (existantes 1 à 15, prospectives 1 à 12 en 2016)."""
    titre: Text
    """Intitulé court de l'action, tel que dans l'annexe 1 du rapport."""
    themes: Annotated[list[Theme], Field(min_length=1, max_length=4)]
    """Thème(s) de rattachement de l'action (annexe 1) ; une action peut en avoir deux."""


class CalendarRow(Model):
    """One row of a per-result calendar (one row per expected result)."""

    resultat: Annotated[int, Field(ge=1)]
    """Numéro du résultat attendu auquel la ligne se rapporte."""
    phases: list[Cell]
    """Phase de chaque trimestre à partir de « debut » : 1 à 4, [3, 4] pour « 3/4 », null si vide."""


class Calendar(Model):
    """Quarterly calendar of phases: one row, or one row per expected result."""

    # What _one_layout checks, told to editors through the JSON Schema.
    model_config = ConfigDict(
        json_schema_extra={"oneOf": [{"required": ["phases"]}, {"required": ["lignes"]}]}
    )

    debut: Quarter
    """Premier trimestre du calendrier, sous la forme AAAA-Tn (par exemple 2015-T4)."""
    phases: list[Cell] | None = None
    """Phase de chaque trimestre à partir de « debut » : 1 à 4, [3, 4] pour « 3/4 », null si vide."""
    lignes: Annotated[list[CalendarRow], Field(min_length=1)] | None = None
    """Une ligne par résultat attendu, à la place de « phases »."""
    note: Text | None = None
    """Précision imprimée avec le calendrier (dates antérieures à la période, par exemple)."""

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

    libelle: Text
    """Intitulé de l'indicateur, tel qu'imprimé."""
    categorie: Categorie | None = None
    """Indicateur usuel (communes, acteurs, population, budget, reunions) pour les totaux consolidés."""
    valeur: Annotated[int | float, Field(ge=0)] | None = None
    """Le nombre que donne la cellule, s'il y en a un."""
    unite: Text | None = None
    """Unité de la valeur : EUR pour un montant en euros, sinon un mot (habitants, élèves…)."""
    texte: Text | None = None
    """Le texte complet de la cellule, s'il dit plus que la valeur (Markdown). Sans valeur ni
    texte, l'indicateur est un intitulé seul (un objectif de résultat, par exemple)."""


class Outlook(Model):
    """« Les perspectives » for the following year, in two columns."""

    resultats_a_venir: list[Text] = []
    """Résultats à venir (colonne de gauche)."""
    axes_amelioration: list[Text] = []
    """Axes d'amélioration et perspectives (colonne de droite)."""


class Report(Model):
    """What a fiche says for one reported year, exactly as that year's report showed it."""

    # Part of what _sheet_or_reason checks, told to editors through the JSON Schema.
    model_config = ConfigDict(
        json_schema_extra={"anyOf": [{"required": ["calendrier"]}, {"required": ["sans_fiche"]}]}
    )

    etat: Etat | None = None
    """État de l'action à la fin de l'année : non-demarree, en-cours, terminee ou abandonnee."""
    sans_fiche: Text | None = None
    """Si le rapport de l'année ne contient pas de fiche pour cette action : pourquoi."""
    calendrier: Calendar | None = None
    """Calendrier trimestriel des phases (1 diagnostic, 2 plan d'action, 3 mise en œuvre, 4 suivi ou fin)."""
    communes: list[Identifier] = []
    """Identifiants (data/communes.yaml) des communes que la fiche nomme."""
    indicateurs: list[Indicator] = []
    """Le niveau d'avancement de l'action."""
    points_forts: list[Text] = []
    """Points forts identifiés / améliorations notables constatées."""
    difficultes: list[Text] = []
    """Difficultés rencontrées."""
    perspectives: Outlook | None = None
    """Les perspectives pour l'année suivante."""

    @model_validator(mode="after")
    def _sheet_or_reason(self) -> Report:
        has_content = bool(
            self.calendrier
            or self.communes
            or self.indicateurs
            or self.points_forts
            or self.difficultes
            or self.perspectives
        )
        if self.sans_fiche is not None and has_content:
            raise ValueError(
                "bilan: « sans_fiche » exclut le calendrier, les indicateurs et le reste"
            )
        if self.sans_fiche is None and self.calendrier is None:
            raise ValueError("bilan: indiquez le « calendrier », ou « sans_fiche » avec le motif")
        return self


class Fiche(Model):
    """A fiche-action: one file of data/actions/."""

    id: Identifier
    """Identifiant stable, égal au nom du fichier sans « .yaml »."""
    titre: Text
    """Titre de la fiche-action, tel qu'imprimé (sans « Action existante N – »)."""
    actions: Annotated[list[Action], Field(min_length=1)]
    """Les actions du schéma que couvre la fiche (une fiche peut en couvrir plusieurs)."""
    objectifs: list[Text] = []
    """Rappel des objectifs (Markdown)."""
    resultats_attendus: list[Text] = []
    """Résultats attendus, numérotés dans l'ordre (Markdown)."""
    bilans: dict[Annotated[int, Field(ge=2000, le=2100)], Report]
    """Un bilan par année de rapport, clé = l'année (par exemple 2016)."""


class Commune(Model):
    """A member commune."""

    id: Identifier
    """Identifiant stable (minuscules, tirets), utilisé par les fiches."""
    nom: Text
    """Nom officiel (Code officiel géographique)."""
    insee: Annotated[str, Field(pattern=r"^[0-9][0-9AB][0-9]{3}$")]
    """Code INSEE, entre guillemets (sinon 01053 serait lu comme un nombre)."""


class Metropole(Model):
    """The intercommunal body itself."""

    nom: Text
    """Nom officiel de l'établissement."""
    population: Annotated[int, Field(ge=0)]
    """Population utilisée par les fiches (population couverte par une action intercommunale)."""


class CommunesFile(Model):
    """data/communes.yaml."""

    metropole: Metropole
    """L'établissement intercommunal (métropole, communauté)."""
    communes: Annotated[list[Commune], Field(min_length=1)]
    """Les communes membres, une par ligne."""


class Window(Model):
    """The quarters a report's calendars show."""

    debut: Quarter
    """Premier trimestre affiché (par exemple 2015-T4)."""
    fin: Quarter
    """Dernier trimestre affiché (par exemple 2019-T4)."""


class ReportMeta(Model):
    """data/rapports/<année>/rapport.yaml: the title page and settings of one report."""

    annee: Annotated[int, Field(ge=2000, le=2100)]
    """Année du bilan (égale au nom du dossier)."""
    organisme: Text
    """Nom de l'établissement qui publie le rapport."""
    titre: Text
    """Titre du rapport (page de titre)."""
    sous_titre: Text
    """Sous-titre (page de titre)."""
    publication: Text
    """Date de publication telle qu'imprimée, par exemple « Janvier 2017 »."""
    calendrier: Window
    """Période couverte par les calendriers des fiches."""
    contact: list[Text] = []
    """Lignes du bloc de contact de la dernière page."""


class Section(Model):
    """Front matter of one Markdown part of the narrative."""

    titre: Text
    """Titre de la partie, sans son numéro."""
    numero: Text | None = None
    """Numéro affiché (« 1 », « Annexe 1 »), absent pour l'édito."""
    ordre: Annotated[int, Field(ge=0)]
    """Position de la partie dans le rapport."""
    signature: list[Text] = []
    """Lignes de signature (édito)."""
    ajout_calcule: Literal["chiffres", "actions-par-theme"] | None = None
    """Contenu calculé à partir des fiches, placé après le texte de la partie : « chiffres »
    (les chiffres de l'année : tableaux et graphiques) ou « actions-par-theme » (le tableau
    des actions par thème)."""
