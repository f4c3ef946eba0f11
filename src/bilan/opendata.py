"""Open data of a report year: one row per action, as CSV, JSON and a Frictionless Data Package."""

from __future__ import annotations

import csv
import io
import json
from typing import Any

from bilan.french import phase_text

FIELDS: tuple[tuple[str, str, str], ...] = (
    ("annee", "integer", "Année du bilan"),
    ("type", "string", "existante (pratique existante) ou prospective (coopération à construire)"),
    ("numero", "integer", "Numéro de l'action dans le schéma, propre à son type"),
    ("titre", "string", "Intitulé de l'action (annexe 1)"),
    ("fiche", "string", "Identifiant de la fiche-action qui décrit l'action"),
    ("themes", "string", "Thèmes de rattachement, séparés par « | »"),
    ("etat", "string", "non-demarree, en-cours, terminee ou abandonnee ; vide si non renseigné"),
    (
        "sans_fiche",
        "boolean",
        "Vrai si le rapport de l'année ne contient pas de fiche pour l'action",
    ),
    (
        "phase_fin_annee",
        "string",
        "Phase au T4 de l'année : 1 à 4, « 3/4 » pour deux phases ; vide si aucune",
    ),
    ("communes_concernees", "number", "Nombre de communes concernées (indicateur de la fiche)"),
    ("acteurs_associes", "number", "Nombre d'acteurs associés (indicateur de la fiche)"),
    ("population_couverte", "number", "Population couverte (indicateur de la fiche)"),
    ("budget_eur", "number", "Budget concerné en euros (indicateur de la fiche, montants en EUR)"),
    ("reunions", "number", "Nombre de réunions (indicateur de la fiche)"),
    (
        "communes_citees",
        "string",
        "Identifiants des communes que nomme la fiche, séparés par « | »",
    ),
)


COVERAGE_FIELDS: tuple[tuple[str, str, str], ...] = (
    ("annee", "integer", "Année du bilan"),
    ("commune", "string", "Identifiant de la commune (data/communes.yaml)"),
    ("nom", "string", "Nom officiel de la commune"),
    ("insee", "string", "Code INSEE de la commune"),
    ("type", "string", "Type de l'action (avec numero : la ligne de l'action dans actions.csv)"),
    ("numero", "integer", "Numéro de l'action dans le schéma, propre à son type"),
    ("nommee", "boolean", "Vrai si le bilan de l'action nomme la commune"),
)
"""communes-actions.csv: the commune × action matrix, one row per cell."""


def coverage_rows(
    year: int, actions: list[dict[str, Any]], communes: list[dict[str, Any]]
) -> list[dict[str, Any]]:
    """One row per commune and action: ``actions`` (type, numero) in report order,
    ``communes`` (id, nom, insee, and the ``cases`` of the matrix) in the order of
    data/communes.yaml."""
    return [
        {
            "annee": year,
            "commune": commune["id"],
            "nom": commune["nom"],
            "insee": commune["insee"],
            "type": action["type"],
            "numero": action["numero"],
            "nommee": named,
        }
        for commune in communes
        for action, named in zip(actions, commune["cases"], strict=True)
    ]


def coverage_csv(annee: int, actions: list[dict[str, Any]], communes: list[dict[str, Any]]) -> str:
    """``communes-actions.csv``: the commune × action matrix of the year."""
    return to_csv(coverage_rows(annee, actions, communes), COVERAGE_FIELDS)


def rows(figures: dict[str, Any]) -> list[dict[str, Any]]:
    """One flat row per action, in report order."""
    out = []
    for action in figures["par_action"]:
        out.append(
            {
                "annee": figures["annee"],
                "type": action["type"],
                "numero": action["numero"],
                "titre": action["titre"],
                "fiche": action["fiche"],
                "themes": "|".join(action["themes"]),
                "etat": action["etat"] or "",
                "sans_fiche": action["sans_fiche"],
                "phase_fin_annee": phase_text(action["phase_fin_annee"]),
                "communes_concernees": action["communes_concernees"],
                "acteurs_associes": action["acteurs_associes"],
                "population_couverte": action["population_couverte"],
                "budget_eur": action["budget_eur"],
                "reunions": action["reunions"],
                "communes_citees": "|".join(action["communes_citees"]),
            }
        )
    return out


def csv_text(figures: dict[str, Any]) -> str:
    """``actions.csv`` of the year's figures."""
    return to_csv(rows(figures))


def json_text(figures: dict[str, Any]) -> str:
    """``actions.json``: the year's figures and their rows."""
    return to_json(figures, rows(figures))


def to_csv(table: list[dict[str, Any]], fields: tuple[tuple[str, str, str], ...] = FIELDS) -> str:
    """RFC 4180 CSV, UTF-8, comma separated, ``true``/``false`` for booleans."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(name for name, _type, _doc in fields)
    for row in table:
        writer.writerow(_cell(row[name]) for name, _type, _doc in fields)
    return buffer.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_json(figures: dict[str, Any], table: list[dict[str, Any]]) -> str:
    """The year's figures and rows, indented, with one action per line in the two lists
    of actions: a change to an action is one line of a diff, and the lists are written by
    the C encoder (indenting each value is pure Python: a second per ten thousand)."""
    lists = {"actions": (table, 1), "par_action": (figures["par_action"], 2)}
    marks = {name: f"\x00{name}\x00" for name in lists}
    payload = {
        "annee": figures["annee"],
        "chiffres": {**figures, "par_action": marks["par_action"]},
        "actions": marks["actions"],
    }
    text = json.dumps(payload, ensure_ascii=False, indent=2, sort_keys=True)
    for name, (items, depth) in lists.items():
        text = text.replace(json.dumps(marks[name]), _one_per_line(items, depth), 1)
    return text + "\n"


def _one_per_line(items: list[dict[str, Any]], depth: int) -> str:
    """A JSON list at ``depth`` (indented by two spaces a level), one item per line."""
    if not items:
        return "[]"
    inner = "  " * (depth + 1)
    lines = ",\n".join(
        inner + json.dumps(item, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))
        for item in items
    )
    return f"[\n{lines}\n{'  ' * depth}]"


def datapackage(figures: dict[str, Any], organisme: str, titre: str) -> str:
    """Frictionless Data Package describing actions.csv (Table Schema) and actions.json."""
    year = figures["annee"]
    package = {
        "profile": "data-package",
        "name": f"bilan-mutualisation-{year}",
        "title": f"{titre} — bilan {year}",
        "description": (
            f"Actions du schéma de mutualisation ({organisme}) et leur avancement fin {year}, "
            "extraites des fiches-actions du rapport annuel."
        ),
        "licenses": [
            {
                "name": "etalab-2.0",
                "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
                "title": "Licence Ouverte / Open Licence version 2.0",
            }
        ],
        "resources": [
            {
                "profile": "tabular-data-resource",
                "name": "actions",
                "path": "actions.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "dialect": {"delimiter": ",", "lineTerminator": "\r\n", "header": True},
                "schema": _table_schema(FIELDS, ["type", "numero"]),
            },
            {
                "profile": "tabular-data-resource",
                "name": "communes-actions",
                "path": "communes-actions.csv",
                "format": "csv",
                "mediatype": "text/csv",
                "encoding": "utf-8",
                "description": (
                    "La matrice des communes et des actions : une ligne par commune membre et "
                    "par action, vraie si le bilan de l'action nomme la commune."
                ),
                "dialect": {"delimiter": ",", "lineTerminator": "\r\n", "header": True},
                "schema": {
                    **_table_schema(COVERAGE_FIELDS, ["commune", "type", "numero"]),
                    "foreignKeys": [
                        {
                            "fields": ["type", "numero"],
                            "reference": {"resource": "actions", "fields": ["type", "numero"]},
                        }
                    ],
                },
            },
            {
                "profile": "data-resource",
                "name": "actions-json",
                "path": "actions.json",
                "format": "json",
                "mediatype": "application/json",
                "encoding": "utf-8",
                "description": "Les mêmes lignes, avec tous les chiffres consolidés de l'année.",
            },
        ],
    }
    return json.dumps(package, ensure_ascii=False, indent=2) + "\n"


def _table_schema(fields: tuple[tuple[str, str, str], ...], key: list[str]) -> dict[str, Any]:
    """The Table Schema of a CSV file of :func:`to_csv`."""
    return {
        "fields": [
            {"name": name, "type": kind, "description": doc}
            | ({"trueValues": ["true"], "falseValues": ["false"]} if kind == "boolean" else {})
            for name, kind, doc in fields
        ],
        "primaryKey": key,
        "missingValues": [""],
    }
