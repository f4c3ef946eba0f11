"""`bilan new-year`: prepare a year's edition from the previous one.

Every action still in the schéma gets its bilan for the new year with what carries over
(état, calendar, communes, indicators' labels, categories and units), the previous
year's « résultats à venir » listed to be assessed, and the texts of the year to write
marked « À compléter ». The report's settings and narrative are copied from the previous
year, each part marked to be rewritten. `bilan validate` warns about every mark until it
is gone (rules R020 and N006), so nothing copied is published by mistake.

The files are edited as text through ruamel.yaml's round trip, so their comments and
layout stay the author's. Everything is written into a hidden folder first, then renamed
into place: a failure writes nothing.
"""

from __future__ import annotations

import io
import os
import re
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bilan.dataset import BILANS_DIR, REPORTS_DIR, report_years
from bilan.diagnostics import shortened
from bilan.errors import InvalidData, UsageError
from bilan.files import display_path
from bilan.models import PLACEHOLDER
from bilan.narrative import META_FILE, markdown_parts
from bilan.skeleton import bilan_text
from bilan.validate import validate_data


@dataclass(frozen=True)
class NewYear:
    """What ``bilan new-year`` wrote."""

    folder: Path
    bilans: int
    created: int
    """Bilans made from the skeleton (actions without a bilan the previous year)."""
    parts: int


def _yaml() -> Any:
    from ruamel.yaml import YAML

    yaml = YAML()  # round trip: comments, order and flow style kept
    yaml.preserve_quotes = True
    yaml.width = 4096  # keep the author's line breaks, never re-wrap
    yaml.indent(mapping=2, sequence=4, offset=2)
    return yaml


def _dump(yaml: Any, data: Any) -> str:
    stream = io.StringIO()
    yaml.dump(data, stream)
    return stream.getvalue()


def carried_bilan(text: str, previous_year: int, outlook: Sequence[str]) -> str:
    """The next year's bilan made from ``text``, the previous one: état, calendar and
    communes kept; indicators without their values; the year's texts « À compléter »;
    one assessment to give per item of the previous outlook (``outlook``)."""
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    yaml = _yaml()
    data = yaml.load(text)
    for key in ("sans_fiche", "evaluation"):
        data.pop(key, None)
    indicators = data.get("indicateurs") or []
    for indicator in indicators:
        indicator.pop("valeur", None)
        indicator["texte"] = PLACEHOLDER
    for key in ("points_forts", "difficultes"):
        data[key] = CommentedSeq([PLACEHOLDER])
    outlook_map = CommentedMap()
    outlook_map["resultats_a_venir"] = CommentedSeq([PLACEHOLDER])
    outlook_map["axes_amelioration"] = CommentedSeq([PLACEHOLDER])
    data["perspectives"] = outlook_map
    if outlook:
        assessments = CommentedSeq()
        for number, item in enumerate(outlook, 1):
            entry = CommentedMap()
            entry["resultat"] = number
            entry["statut"] = None
            entry.yaml_add_eol_comment(shortened(item, 70), "resultat")
            assessments.append(entry)
        data["evaluation"] = assessments
        data.yaml_set_comment_before_after_key(
            "evaluation",
            before=f"Ce que sont devenus les résultats à venir annoncés en {previous_year} "
            "(statut : voir data/bilan.yaml, evaluations)",
        )
    return _dump(yaml, data)


def carried_settings(text: str, previous_year: int, year: int) -> str:
    """rapport.yaml for ``year``: the year, titles naming the new year, the publication
    date « À compléter »; comments naming the previous year name the new one."""
    yaml = _yaml()
    data = yaml.load(text)
    data["annee"] = year
    for key in ("titre", "sous_titre"):
        if isinstance(data.get(key), str):
            data[key] = data[key].replace(str(previous_year), str(year))
    data["publication"] = PLACEHOLDER
    lines = _dump(yaml, data).split("\n")
    return "\n".join(
        line.replace(str(previous_year), str(year)) if line.lstrip().startswith("#") else line
        for line in lines
    )


_FRONT_MATTER = re.compile(r"\A(---\n.*?\n---\n)", re.DOTALL)


def carried_part(text: str, previous_year: int, year: int) -> str:
    """A narrative part copied for ``year``, its first paragraph saying it must be rewritten."""
    mark = (
        f"*{PLACEHOLDER} : ce texte est celui du bilan {previous_year} ; réécrivez-le pour "
        f"{year}, puis supprimez ce paragraphe.*\n\n"
    )
    match = _FRONT_MATTER.match(text)
    if match is None:
        return mark + text
    head, body = match.group(1), text[match.end() :]
    return head + "\n" + mark + body.lstrip("\n")


def start_year(data_dir: Path, year: int) -> NewYear:
    """Prepare ``data_dir``/rapports/``year``/ from the previous year; raise on an existing
    year, a missing previous year, or previous data with errors (nothing written then)."""
    reports = data_dir / REPORTS_DIR
    target = reports / str(year)
    previous_year = year - 1
    source = reports / str(previous_year)
    if target.exists():
        raise UsageError(
            f"l'année {year} est déjà commencée : {display_path(target)} existe",
            "complétez ses bilans, ou supprimez ce dossier pour la préparer à nouveau",
        )
    if previous_year not in report_years(data_dir):
        known = ", ".join(map(str, report_years(data_dir))) or "aucune"
        raise UsageError(
            f"pas de rapport {previous_year} dans {display_path(reports)} pour préparer "
            f"{year} (années présentes : {known})",
            "bilan new-year prépare l'année qui suit la dernière ; pour une première "
            "année, créez DATA/rapports/ANNÉE/rapport.yaml",
        )
    checked = validate_data(data_dir, years=[previous_year])
    if not checked.ok:
        raise InvalidData(checked.diagnostics, checked.files, f"année {year} non préparée")
    dataset = checked.dataset
    vocabulary = dataset.project.vocabulaire if dataset.project else None
    assert vocabulary is not None
    staging = reports / f".{year}.en-cours"
    shutil.rmtree(staging, ignore_errors=True)
    try:
        bilans = staging / BILANS_DIR
        bilans.mkdir(parents=True)
        carried = created = 0
        for item in dataset.fiches:
            if not item.in_schema(year):
                continue
            name = f"{item.stem}.yaml"
            before = dataset.bilan_of(previous_year, item.stem)
            if before is not None and before.report.sans_fiche is None:
                outlook = before.report.perspectives
                text = carried_bilan(
                    (source / BILANS_DIR / name).read_text("utf-8"),
                    previous_year,
                    outlook.resultats_a_venir if outlook else [],
                )
                carried += 1
            else:
                text = bilan_text(item.id, year, vocabulary)
                created += 1
            (bilans / name).write_text(text, "utf-8", newline="\n")
        settings = (source / META_FILE).read_text("utf-8")
        (staging / META_FILE).write_text(
            carried_settings(settings, previous_year, year), "utf-8", newline="\n"
        )
        parts = 0
        for part in markdown_parts(source):  # not what editors leave beside them
            text = carried_part(part.read_text("utf-8"), previous_year, year)
            (staging / part.name).write_text(text, "utf-8", newline="\n")
            parts += 1
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return NewYear(target, carried, created, parts)
