"""The words of a project: themes, phases, états, indicator categories, action types.

One definition per list (ids, labels, order, colours), read by the models (through the
validation context), the rules, the figures, the views, the templates, the JSON Schema,
``bilan new`` and the CLI's help. The defaults (``defaults/vocabulaire.yaml``) are those of
most schémas de mutualisation; a project replaces any list in the ``vocabulaire`` section
of its ``data/bilan.yaml``.
"""

from __future__ import annotations

from functools import cache, cached_property
from importlib.resources import files
from typing import Annotated, Any, Literal

import yaml
from pydantic import ConfigDict, Field, model_validator

from bilan.models import ID_PATTERN, Model, Text

Colour = Annotated[str, Field(pattern=r"^#[0-9a-fA-F]{6}$")]
Ident = Annotated[str, Field(pattern=ID_PATTERN, max_length=60)]


class Term(Model):
    """One word of a list."""

    model_config = ConfigDict(
        title="Mot",
        json_schema_extra={
            "description": "Un mot d'une liste du vocabulaire : son identifiant et son libellé."
        },
    )

    id: Ident
    """Identifiant

    L'identifiant écrit dans les fiches (minuscules, chiffres et tirets)."""
    libelle: Text
    """Libellé

    Le libellé imprimé dans le rapport."""


class Grouping(Model):
    """What the report calls the axis its actions are grouped by."""

    model_config = ConfigDict(
        title="Regroupement",
        json_schema_extra={
            "description": "Comment le rapport appelle ce qui regroupe ses actions."
        },
    )

    libelle: Text = "Thème"
    """Libellé

    Le nom d'un regroupement, au singulier (« Thème », « Relation »)."""
    pluriel: Text = "Thèmes"
    """Pluriel

    Le même nom au pluriel."""


class PhaseTerm(Model):
    """A phase of an action's calendar."""

    model_config = ConfigDict(
        title="Phase",
        json_schema_extra={
            "description": "Une phase des calendriers des actions, avec ses couleurs."
        },
    )

    numero: Annotated[int, Field(ge=1, le=9)]
    """Numéro

    Le numéro de la phase, écrit dans les calendriers des fiches (1, 2, 3…)."""
    libelle: Text
    """Libellé

    Le nom de la phase (« Diagnostic »)."""
    couleur: Colour
    """Couleur

    Couleur de fond de la phase dans les calendriers et les graphiques (#rrvvbb)."""
    trait: Colour
    """Trait

    Couleur du contour, assez foncée pour un contraste de 3:1 au moins (#rrvvbb)."""


Meaning = Literal["non-demarree", "en-cours", "terminee", "abandonnee"]


class EtatTerm(Term):
    """A state of an action at the end of a year."""

    model_config = ConfigDict(
        title="État",
        json_schema_extra={
            "description": "Un état possible d'une action à la fin d'une année, et ce qu'il veut dire pour les chiffres."
        },
    )

    sens: Meaning
    """Sens

    Ce que l'état veut dire pour les chiffres du rapport : non-demarree, en-cours,
    terminee ou abandonnee."""


class ActionType(Term):
    """A kind of action of the schéma, with its own numbering."""

    model_config = ConfigDict(
        title="Type d'action",
        json_schema_extra={
            "description": "Un type d'actions du schéma, avec sa numérotation et ses libellés."
        },
    )

    pluriel: Text
    """Pluriel

    Le libellé au pluriel (« Actions existantes »)."""
    prefixe: Annotated[str, Field(pattern=r"^[a-z]{1,3}$")]
    """Préfixe

    Le début du nom des fichiers de fiches de ce type (« e » pour e05-….yaml)."""
    code: Annotated[str, Field(pattern=r"^[A-Z]{1,3}$")]
    """Code

    La lettre qui précède le numéro dans les tableaux (« E » pour E5)."""
    cle: Ident
    """Clé

    Le nom des chiffres de ce type dans les textes du rapport
    (« {{ chiffres.actions.existantes }} »)."""
    partie: Text
    """Partie

    Le titre de la partie du bilan détaillé qui réunit les fiches de ce type."""
    ancre: Ident
    """Ancre

    L'identifiant de cette partie dans les pages (pour les liens)."""
    legende: Text
    """Légende

    Le mot des graphiques et des tableaux pour les actions de ce type (« existantes »)."""
    colonne: Text
    """Colonne

    Le titre de la colonne de ce type dans le tableau des actions par regroupement."""
    resume: Text
    """Résumé

    Ce que sont les actions de ce type, au pluriel, pour les phrases du rapport
    (« 15 pratiques existantes »)."""
    nouvelles: Text | None = None
    """Actions nouvelles

    Si le rapport dit, pour les actions de ce type, lesquelles ont démarré dans l'année :
    comment il les appelle, au pluriel (« actions nouvelles »)."""
    couleur: Colour = "#8fc1cc"
    """Couleur

    Couleur de fond des barres de ce type dans les graphiques (#rrvvbb)."""
    trait: Colour = "#07363f"
    """Trait

    Couleur du contour de ces barres (#rrvvbb)."""


def _default(name: str) -> Any:
    """A list of the default vocabulary: what a project's configuration leaves out."""
    return getattr(default_vocabulary(), name)


class Vocabulary(Model):
    """Every list of words a project's fiches use."""

    model_config = ConfigDict(
        title="Vocabulaire",
        json_schema_extra={"description": "Les listes de mots des fiches du projet."},
    )

    regroupement: Grouping = Grouping()
    """Regroupement

    Comment le rapport appelle ce qui regroupe les actions (thème, relation, domaine)."""
    themes: Annotated[list[Term], Field(min_length=1, default_factory=lambda: _default("themes"))]
    """Thèmes

    Les regroupements des actions, dans l'ordre du rapport."""
    phases: Annotated[
        list[PhaseTerm], Field(min_length=1, default_factory=lambda: _default("phases"))
    ]
    """Phases

    Les phases des calendriers, dans l'ordre."""
    etats: Annotated[list[EtatTerm], Field(min_length=1, default_factory=lambda: _default("etats"))]
    """États

    Les états possibles d'une action à la fin d'une année."""
    categories: list[Term] = Field(default_factory=lambda: _default("categories"))
    """Catégories d'indicateurs

    Les indicateurs usuels, additionnés d'une fiche à l'autre ; communes, acteurs,
    population, budget et reunions ont leurs colonnes dans les chiffres et les données
    ouvertes."""
    types: Annotated[
        list[ActionType], Field(min_length=1, default_factory=lambda: _default("types"))
    ]
    """Types d'actions

    Les types d'actions du schéma, chacun avec sa numérotation, dans l'ordre du rapport."""
    evaluations: Annotated[
        list[Term], Field(min_length=1, default_factory=lambda: _default("evaluations"))
    ]
    """Évaluations

    Ce qu'une équipe peut dire, un an plus tard, d'un résultat à venir (réalisé, en partie,
    reporté, abandonné)."""

    @model_validator(mode="after")
    def _unique(self) -> Vocabulary:
        lists: dict[str, list[Any]] = {
            "themes": [t.id for t in self.themes],
            "phases": [p.numero for p in self.phases],
            "etats": [e.id for e in self.etats],
            "categories": [c.id for c in self.categories],
            "types": [t.id for t in self.types],
            "evaluations": [t.id for t in self.evaluations],
            "types (prefixe)": [t.prefixe for t in self.types],
            "types (code)": [t.code for t in self.types],
            "types (cle)": [t.cle for t in self.types],
        }
        for name, values in lists.items():
            doubles = sorted({str(v) for v in values if values.count(v) > 1})
            if doubles:
                raise ValueError(
                    f"vocabulaire : « {', '.join(doubles)} » en double dans « {name} »"
                )
        return self

    @cached_property
    def theme_labels(self) -> dict[str, str]:
        return {term.id: term.libelle for term in self.themes}

    @cached_property
    def phase_labels(self) -> dict[int, str]:
        return {phase.numero: phase.libelle for phase in self.phases}

    @cached_property
    def etat_labels(self) -> dict[str, str]:
        return {etat.id: etat.libelle for etat in self.etats}

    @cached_property
    def meanings(self) -> dict[str, Meaning]:
        """État → what it means for the figures."""
        return {etat.id: etat.sens for etat in self.etats}

    @cached_property
    def category_labels(self) -> dict[str, str]:
        return {term.id: term.libelle for term in self.categories}

    @cached_property
    def type_by_id(self) -> dict[str, ActionType]:
        return {kind.id: kind for kind in self.types}

    def ids(self, kind: str) -> list[Any]:
        """The ids of one list (phase numbers for ``phases``), in order."""
        if kind == "phases":
            return [phase.numero for phase in self.phases]
        terms: list[Term] = getattr(self, kind)
        return [term.id for term in terms]


@cache
def default_vocabulary() -> Vocabulary:
    """The vocabulary of a project that declares none of its own."""
    text = files("bilan.defaults").joinpath("vocabulaire.yaml").read_text("utf-8")
    return Vocabulary.model_validate(yaml.safe_load(text))
