"""JSON Schema of a fiche and of communes.yaml, generated from the pydantic models.

Editors use it while staff type (VS Code's YAML extension reads the
``# yaml-language-server: $schema=…`` line of each fiche), so it must speak French and
agree with :mod:`bilan.models`: descriptions come from the field docstrings, titles from
the tables below. Draft-07, the newest draft that yaml-language-server fully validates:
``definitions`` instead of ``$defs``, and no keyword beside a ``$ref``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.json_schema import GenerateJsonSchema, JsonSchemaValue
from pydantic_core import core_schema

from bilan.dataset import display_path
from bilan.errors import UsageError, reason
from bilan.models import CommunesFile, Fiche

DRAFT = "http://json-schema.org/draft-07/schema#"

MODELS: dict[str, type[BaseModel]] = {"fiche": Fiche, "communes": CommunesFile}
"""What ``bilan schema`` can describe, by the name given on the command line."""

FILE_NAMES: dict[str, str] = {"fiche": "fiche.schema.json", "communes": "communes.schema.json"}
"""File names under schemas/, as the fiches' first line refers to them."""

MODEL_TEXTS: dict[str, tuple[str, str]] = {
    "Fiche": (
        "Fiche-action",
        "Une fiche-action du schéma de mutualisation : un fichier de data/actions/ "
        "(format : docs/format-fiche.md).",
    ),
    "Action": ("Action du schéma", "Une action numérotée du schéma de mutualisation."),
    "Report": (
        "Bilan annuel",
        "Ce que dit la fiche pour une année de rapport, tel que le rapport de cette année "
        "l'a imprimé. Indiquez « calendrier », ou « sans_fiche » avec le motif.",
    ),
    "Calendar": (
        "Calendrier",
        "Calendrier trimestriel des phases : soit « phases » (une ligne), soit « lignes » "
        "(une ligne par résultat attendu).",
    ),
    "CalendarRow": (
        "Ligne de calendrier",
        "Les phases d'un résultat attendu, trimestre par trimestre.",
    ),
    "Indicator": ("Indicateur", "Une case de « Le niveau d'avancement de l'action »."),
    "Outlook": ("Perspectives", "Les perspectives de l'année suivante, en deux colonnes."),
    "CommunesFile": (
        "Communes membres",
        "Le fichier data/communes.yaml : l'établissement et ses communes membres.",
    ),
    "Metropole": ("Établissement", "L'établissement public de coopération intercommunale."),
    "Commune": ("Commune", "Une commune membre."),
}
"""French title and description of each model (their docstrings are for developers)."""

FIELD_TITLES: dict[str, str] = {
    "id": "Identifiant",
    "titre": "Titre",
    "actions": "Actions",
    "objectifs": "Objectifs",
    "resultats_attendus": "Résultats attendus",
    "bilans": "Bilans annuels",
    "type": "Type d'action",
    "numero": "Numéro",
    "themes": "Thèmes",
    "etat": "État",
    "sans_fiche": "Sans fiche",
    "calendrier": "Calendrier",
    "communes": "Communes",
    "indicateurs": "Indicateurs",
    "points_forts": "Points forts",
    "difficultes": "Difficultés",
    "perspectives": "Perspectives",
    "debut": "Début",
    "phases": "Phases",
    "lignes": "Lignes",
    "note": "Note",
    "resultat": "Résultat attendu",
    "libelle": "Libellé",
    "categorie": "Catégorie",
    "valeur": "Valeur",
    "unite": "Unité",
    "texte": "Texte",
    "resultats_a_venir": "Résultats à venir",
    "axes_amelioration": "Axes d'amélioration",
    "metropole": "Établissement",
    "nom": "Nom",
    "insee": "Code INSEE",
    "population": "Population",
}
"""French title of each field, by name (a name means the same thing in every model)."""

_PYDANTIC_BOUNDS = {
    "ge": "minimum",
    "le": "maximum",
    "gt": "exclusiveMinimum",
    "lt": "exclusiveMaximum",
}
"""Constraints pydantic leaves under their Python names when it cannot place them (unions)."""


class _Generator(GenerateJsonSchema):
    """Pydantic's generator, plus what YAML needs for integer keys (``bilans: {2016: …}``)."""

    def dict_schema(self, schema: core_schema.DictSchema) -> JsonSchemaValue:
        result = super().dict_schema(schema)
        keys: Any = schema.get("keys_schema", {})
        if keys.get("type") == "int":
            # JSON Schema sees every key as text: say which texts are numbers.
            low, high = keys.get("ge"), keys.get("le")
            digits = (
                f"{{{len(str(low))}}}"
                if isinstance(low, int)
                and isinstance(high, int)
                and len(str(low)) == len(str(high))
                else "+"
            )
            result["propertyNames"] = {"pattern": f"^[0-9]{digits}$"}
        return result


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _titled(title: str, description: str, schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` with a French title and description, written first for the reader."""
    texts = {"title": title, "description": _one_line(description)}
    return texts | {key: value for key, value in schema.items() if key not in texts}


def _in_french(schema: dict[str, Any], model: str) -> dict[str, Any]:
    result = _titled(*MODEL_TEXTS[model], schema)
    if "properties" in result:
        result["properties"] = {
            name: _titled(FIELD_TITLES[name], field["description"], field)
            for name, field in result["properties"].items()
        }
    return result


def _draft07(node: Any, *, names: bool = False) -> Any:
    """Rename leaked pydantic bounds; move a ``$ref`` that has siblings into ``allOf``.

    ``names`` is true for a mapping of names to schemas (properties, definitions), whose
    keys are not keywords.
    """
    if isinstance(node, list):
        return [_draft07(item) for item in node]
    if not isinstance(node, dict):
        return node
    if names:
        return {key: _draft07(value) for key, value in node.items()}
    result = {
        _PYDANTIC_BOUNDS.get(key, key): _draft07(value, names=key in ("properties", "definitions"))
        for key, value in node.items()
    }
    if "$ref" in result and len(result) > 1:
        result["allOf"] = [{"$ref": result.pop("$ref")}]
    return result


def build_schema(name: str) -> dict[str, Any]:
    """The JSON Schema of ``name`` (a key of :data:`MODELS`), in French."""
    model = MODELS[name]
    raw = model.model_json_schema(ref_template="#/definitions/{model}", schema_generator=_Generator)
    definitions = raw.pop("$defs", {})
    schema = {"$schema": DRAFT, **_in_french(raw, model.__name__)}
    if definitions:
        schema["definitions"] = {
            key: _in_french(value, key) for key, value in sorted(definitions.items())
        }
    result: dict[str, Any] = _draft07(schema)
    return result


def render(name: str) -> str:
    """The schema as the repository keeps it under schemas/: stable, readable JSON."""
    return json.dumps(build_schema(name), ensure_ascii=False, indent=2) + "\n"


def write(name: str, target: Path) -> None:
    """Write the schema of ``name`` to ``target``; a folder that cannot be written is an error."""
    try:
        target.write_text(render(name), encoding="utf-8", newline="\n")
    except OSError as error:
        raise UsageError(
            f"impossible d'écrire {display_path(target)} : {reason(error)}",
            "vérifiez que le dossier existe et qu'il est accessible en écriture",
        ) from None
