"""`bilan new`: a new fiche and its first bilan, valid as written, commented field by field.

A new action starts from this skeleton rather than from a copy of a neighbour's fiche:
nothing of another action is carried over. The comments come from the models (each field's
title and description, and the project's words for a field that takes them): a field
added to the model appears here without another edit. Both files are checked against the
models before anything is written, and neither replaces an existing file.
"""

from __future__ import annotations

import datetime
import json
import re
import textwrap
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from pydantic.fields import FieldInfo

from bilan.config import load_project
from bilan.dataset import ACTIONS_DIR, BILANS_DIR, REPORTS_DIR, check_data_folder, report_years
from bilan.errors import BilanError, UsageError, reason
from bilan.files import display_path, listing, read_file
from bilan.leftovers import is_leftover
from bilan.modelerrors import check_model
from bilan.models import VOCABULARY, Fiche, Report, vocabulary_of
from bilan.sourcetext import MAX_BYTES
from bilan.vocabulary import Vocabulary
from bilan.yamlio import load_bytes

STOP_WORDS = frozenset(
    [
        "a",
        "au",
        "aux",
        "d",
        "de",
        "des",
        "du",
        "en",
        "et",
        "l",
        "la",
        "le",
        "les",
        "par",
        "pour",
        "sur",
        "un",
        "une",
    ]
)
"""Little words left out of ids: « Groupements d'achats » → groupements-achats."""

MAX_SLUG = 50
WIDTH = 92
"""Comment lines are wrapped at this width."""


def slug(title: str) -> str:
    """The words of ``title``, unaccented, lowercase, joined by hyphens, without little words."""
    ascii_text = unicodedata.normalize("NFKD", title).encode("ascii", "ignore").decode()
    words = re.findall(r"[a-z0-9]+", ascii_text.lower())
    kept = [word for word in words if word not in STOP_WORDS] or words
    text = ""
    for word in kept:
        candidate = f"{text}-{word}" if text else word
        if len(candidate) > MAX_SLUG and text:
            break
        text = candidate
    return text


def fiche_id(prefix: str, number: int, title: str) -> str:
    """« p13-reseau-thematique-sport » from the type's prefix, the number and the title."""
    words = slug(title)
    if not words:
        raise UsageError(
            f"le titre « {title} » ne contient ni lettre ni chiffre",
            "donnez l'intitulé de l'action, par exemple --titre \"Réseau thématique sport\"",
        )
    return f"{prefix}{number:02d}-{words}"


def default_year(data_dir: Path) -> int:
    """The latest report year of the data folder, else the current year."""
    years = report_years(data_dir)
    return years[-1] if years else datetime.date.today().year


def _comment(text: str, indent: str) -> list[str]:
    """``text`` as YAML comment lines, without cutting ids."""
    prefix = f"{indent}# "
    glued = text.replace("« ", "«\x00").replace(" »", "\x00»")  # never « at a line's end
    lines = textwrap.wrap(
        glued, WIDTH, initial_indent=prefix, subsequent_indent=prefix, break_on_hyphens=False
    )
    return [line.replace("\x00", " ") for line in lines]


def _scalar(value: Any) -> str:
    """A value written as YAML (a JSON string or number is a YAML one)."""
    if isinstance(value, str) and re.fullmatch(r"[a-z][a-z0-9-]*|[0-9]{4}-T[1-4]", value):
        return value  # an id or a quarter: as staff write them
    return json.dumps(value, ensure_ascii=False)


def _choices(info: FieldInfo, vocabulary: Vocabulary) -> str:
    """« Valeurs possibles : … » for a field that takes one of the project's words."""
    kind = vocabulary_of(info)
    if kind is None:
        return ""
    return " Valeurs possibles : " + ", ".join(str(v) for v in vocabulary.ids(kind)) + "."


def commented(
    model: type[BaseModel],
    values: Mapping[str, Any],
    vocabulary: Vocabulary,
    indent: str = "",
    first: str = "",
) -> list[str]:
    """The YAML lines of ``model`` with ``values``, each field preceded by its title and
    description: a field with a value is written, a list without one is empty, an optional
    field without one is left as a comment to fill in. ``first``: what the first field's
    line starts with (``- `` for an item of a list)."""
    lines: list[str] = []
    lead = first or indent
    for name, info in model.model_fields.items():
        title, description = info.title or name, info.description or ""
        said = description.casefold().startswith(title.split()[0].casefold())
        text = description if said else f"{title} : {description}"
        # The comment of an item's first field stands at the item's dash.
        where = first[:-2] if first and lead == first else indent
        lines += _comment(text + _choices(info, vocabulary), where)
        if name in values:
            lines += _value(name, values[name], info, vocabulary, lead, indent)
        elif info.is_required():
            raise ValueError(f"no value for the required field {name}")
        elif isinstance(info.default, list) or info.default_factory is list:
            lines.append(f"{lead}{name}: []")
        else:
            lines.append(f"{lead}# {name}:")
        lead = indent
    return lines


def _value(
    name: str, value: Any, info: FieldInfo, vocabulary: Vocabulary, lead: str, indent: str
) -> list[str]:
    inner = indent + "  "
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], type):
        sub, sub_values = value  # a nested model: (model, its values)
        return [f"{lead}{name}:", *commented(sub, sub_values, vocabulary, inner)]
    if isinstance(value, list) and value and isinstance(value[0], tuple):
        lines = [f"{lead}{name}:"]
        for sub, sub_values in value:
            lines += commented(sub, sub_values, vocabulary, inner + "  ", first=inner + "- ")
        return lines
    if isinstance(value, list):
        return [f"{lead}{name}: [{', '.join(_scalar(v) for v in value)}]"]
    return [f"{lead}{name}: {_scalar(value)}"]


SCHEMA_LINE = "# yaml-language-server: $schema={relative}schemas/{name}.schema.json"


def fiche_text(
    ident: str,
    kind: str,
    number: int,
    title: str,
    themes: Sequence[str],
    entree: int | None,
    vocabulary: Vocabulary,
) -> str:
    """The YAML text of a new fiche."""
    from bilan.models import Action

    values: dict[str, Any] = {
        "id": ident,
        "titre": title,
        "actions": [
            (Action, {"type": kind, "numero": number, "titre": title, "themes": list(themes)})
        ],
    }
    if entree is not None:
        values["entree"] = entree
    lines = [
        SCHEMA_LINE.format(relative="../../", name="fiche"),
        "# Fiche-action créée par « bilan new » : complétez-la, puis lancez « bilan validate ».",
        "# Les textes sont en Markdown. Le bilan de chaque année est dans data/rapports/ANNÉE/bilans/.",
        "",
        *commented(Fiche, values, vocabulary),
    ]
    return "\n".join(lines) + "\n"


def bilan_text(ident: str, year: int, vocabulary: Vocabulary) -> str:
    """The YAML text of a fiche's first bilan, for ``year``."""
    from bilan.models import Calendar, Outlook

    waiting = next(
        (e.id for e in vocabulary.etats if e.sens == "non-demarree"), vocabulary.etats[0].id
    )
    values: dict[str, Any] = {
        "fiche": ident,
        "etat": waiting,
        "calendrier": (Calendar, {"debut": f"{year}-T1", "phases": []}),
        "perspectives": (Outlook, {}),
    }
    lines = [
        SCHEMA_LINE.format(relative="../../../../", name="bilan"),
        f"# Bilan {year} de la fiche {ident}, créé par « bilan new » : complétez-le, puis lancez",
        "# « bilan validate ».",
        "",
        *commented(Report, values, vocabulary),
    ]
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class NewFiche:
    """The files written, and what their author should know about them."""

    path: Path
    bilan: Path | None
    year: int
    notices: list[str]


def _actions_in_use(data_dir: Path) -> dict[tuple[str, int], str]:
    """(type, numéro) → file, for every action a fiche names, valid or not."""
    used: dict[tuple[str, int], str] = {}
    folder = data_dir / ACTIONS_DIR
    names = listing(folder) if folder.is_dir() else []
    for path in (folder / n for n in sorted(names) if n.endswith(".yaml") and not is_leftover(n)):
        doc, _ = read_file(path, data_dir)
        data = doc.data if doc is not None else None
        actions = data.get("actions") if isinstance(data, dict) else None
        for action in actions if isinstance(actions, list) else []:
            if not isinstance(action, dict):
                continue
            kind, number = action.get("type"), action.get("numero")
            if isinstance(kind, str) and type(number) is int:
                used.setdefault((kind, number), display_path(path))
    return used


def missing_runs(used: set[int], number: int, kind: str) -> str:
    """The numbers below ``number`` that no fiche covers, by runs: « les actions
    prospectives 3, 5 à 12 » (a hundred missing numbers make one run, not a hundred)."""
    runs: list[tuple[int, int]] = []
    for n in range(1, number):
        if n in used:
            continue
        if runs and runs[-1][1] == n - 1:
            runs[-1] = (runs[-1][0], n)
        else:
            runs.append((n, n))
    if not runs:
        return ""
    if len(runs) == 1 and runs[0][0] == runs[0][1]:
        return f"l'action {kind} {runs[0][0]}"
    shown = [
        f"{a} à {b}" if b > a + 1 else ", ".join(str(k) for k in range(a, b + 1)) for a, b in runs
    ]
    return f"les actions {kind}s {', '.join(shown)}"


def _checked(text: str, shown: str, model: type[BaseModel], vocabulary: Vocabulary) -> None:
    doc, found = load_bytes(text.encode("utf-8"), shown)
    if doc is not None:
        found += check_model(doc, model, {VOCABULARY: vocabulary})[1]
    if found:
        raise UsageError(f"fiche impossible à écrire : {found[0].message}", found[0].hint)


def create(
    data_dir: Path, kind: str, number: int, title: str, year: int | None, themes: list[str]
) -> NewFiche:
    """Write ``data_dir/actions/<id>.yaml`` and, if the year has a report folder, its
    bilan ``data_dir/rapports/<year>/bilans/<id>.yaml``; never overwrite, never reuse a
    number. Every check comes before anything is written: a refused fiche leaves nothing
    behind."""
    check_data_folder(data_dir)
    project, _raw, found = load_project(data_dir)
    if project is None or found:
        raise UsageError(
            "la configuration du projet (data/bilan.yaml) contient des erreurs",
            "corrigez-les d'abord (bilan validate les liste toutes)",
        )
    vocabulary = project.vocabulaire
    types = vocabulary.type_by_id
    if kind not in types:
        raise UsageError(
            f"type d'action inconnu « {kind} »", f"types possibles : {', '.join(types)}"
        )
    title = " ".join(title.split())
    years = report_years(data_dir)
    year = default_year(data_dir) if year is None else year
    for theme in themes:
        if theme not in vocabulary.theme_labels:
            raise UsageError(
                f"thème inconnu « {theme} »",
                f"thèmes possibles : {', '.join(vocabulary.theme_labels)}",
            )
    chosen = list(dict.fromkeys(themes)) or [vocabulary.themes[0].id]
    ident = fiche_id(types[kind].prefixe, number, title)
    entree = year if years and year > years[0] else None
    path = data_dir / ACTIONS_DIR / f"{ident}.yaml"
    shown = display_path(path)
    text = fiche_text(ident, kind, number, title, chosen, entree, vocabulary)
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise UsageError(
            "titre trop long : la fiche dépasserait la taille permise",
            "donnez l'intitulé court de l'action (une ligne)",
        )
    _checked(text, shown, Fiche, vocabulary)
    year_folder = data_dir / REPORTS_DIR / str(year)
    bilan = year_folder / BILANS_DIR / f"{ident}.yaml" if year_folder.is_dir() else None
    bilan_content = bilan_text(ident, year, vocabulary)
    if bilan is not None:
        _checked(bilan_content, display_path(bilan), Report, vocabulary)
    used = _actions_in_use(data_dir)
    if (kind, number) in used:
        raise BilanError(
            f"l'action {kind} {number} est déjà décrite par {used[kind, number]}",
            "complétez cette fiche, ou choisissez un autre numéro",
        )
    for target in (path, bilan):
        if target is not None and (target.exists() or target.is_symlink()):
            raise BilanError(
                f"{display_path(target)} existe déjà : il n'est pas remplacé",
                "modifiez ce fichier, ou choisissez un autre titre",
            )
    notices = []
    if not themes:
        notices.append(f"thème mis par défaut : {chosen[0]} ; corrigez « themes » si besoin")
    missing = missing_runs({n for (k, n) in used if k == kind}, number, kind)
    if missing:
        notices.append(
            f"aucune fiche ne couvre encore {missing} : "
            "bilan validate le signalera tant qu'elles manquent"
        )
    if bilan is None:
        notices.append(
            f"pas de dossier {display_path(year_folder)} : le bilan {year} de la fiche n'est "
            "pas créé (bilan new-year prépare une année)"
        )
    _write_new(path, text)
    if bilan is not None:
        try:
            _write_new(bilan, bilan_content)
        except BaseException:
            path.unlink(missing_ok=True)  # created just now: both files, or neither
            raise
    return NewFiche(path, bilan, year, notices)


def _write_new(path: Path, text: str) -> None:
    """Create ``path`` with ``text``, never replacing a file; a write that fails halfway
    (a full disk) removes the file it created rather than leave half of it."""
    shown = display_path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("x", encoding="utf-8", newline="\n")  # "x": never replace
    except OSError as error:
        raise UsageError(
            f"impossible d'écrire {shown} : {reason(error)}",
            "vérifiez que le dossier des données existe et qu'il est accessible en écriture",
        ) from None
    try:
        with handle:
            handle.write(text)
    except BaseException as error:
        path.unlink(missing_ok=True)  # created just now, by this call
        if isinstance(error, OSError):
            raise BilanError(
                f"impossible d'écrire {shown} : {reason(error)} ; rien n'est créé",
                "libérez de la place sur le disque, puis relancez la commande",
            ) from None
        raise
