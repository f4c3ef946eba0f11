"""`bilan publish`: seal an edition, so that later years cannot change it by accident.

The edition must be valid and finished (no « À compléter » left). What it was made of is
written to data/rapports/<année>/publication.json (see :mod:`bilan.publication`), once:
a published edition is corrected by errata, never published again.
"""

from __future__ import annotations

import datetime
import json
import os
from pathlib import Path

from bilan.errors import InvalidData, UsageError
from bilan.files import display_path
from bilan.publication import (
    ERRATA_FILE,
    PUBLICATION_FILE,
    file_prints,
    read_publication,
    sealed_files,
    year_folder,
)
from bilan.validate import validate_data

UNFINISHED = frozenset({"R020", "N006"})
"""The warnings of texts still to write: an edition that has them is not published."""


def publish(data_dir: Path, year: int, date: datetime.date) -> Path:
    """Write the publication of ``year`` (dated ``date``); raise if the year is already
    published, has errors, or has texts still to write (nothing is written then)."""
    folder = year_folder(data_dir, year)
    target = folder / PUBLICATION_FILE
    existing, _found = read_publication(data_dir, year)
    if target.exists():
        when = f" (scellée le {existing.date})" if existing is not None else ""
        raise UsageError(
            f"l'édition {year} est déjà publiée{when} ({display_path(target)})",
            f"pour la corriger, déclarez un erratum dans {display_path(folder / ERRATA_FILE)}",
        )
    checked = validate_data(data_dir, years=[year])
    if not checked.ok:
        raise InvalidData(checked.diagnostics, checked.files, f"édition {year} non publiée")
    unfinished = [d for d in checked.diagnostics if d.code in UNFINISHED]
    if unfinished:
        first = unfinished[0]
        raise UsageError(
            f"l'édition {year} n'est pas terminée : {len(unfinished)} texte(s) encore "
            f"« À compléter », le premier en {first.path}:{first.line}",
            "écrivez ces textes (bilan validate les liste tous), puis publiez",
        )
    inputs = checked.inputs[year]
    payload = {
        "note": f"Édition {year} publiée : écrit par bilan publish, ne pas modifier à la main.",
        "annee": year,
        "scellee_le": date.isoformat(),
        "vocabulaire": inputs.vocabulary.model_dump(mode="json"),
        "communes": inputs.communes.model_dump(mode="json"),
        "fiches": {
            item.stem: item.fiche.model_dump(mode="json", exclude_defaults=True)
            for item in inputs.fiches
        },
        "empreintes": {name: file_prints(folder / name, data_dir) for name in sealed_files(folder)},
    }
    text = json.dumps(payload, ensure_ascii=False, indent=1, sort_keys=True) + "\n"
    staging = folder / f".{PUBLICATION_FILE}.tmp"
    staging.write_text(text, "utf-8", newline="\n")
    os.replace(staging, target)
    return target
