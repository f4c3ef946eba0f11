"""`bilan new`: a new fiche-action, valid as written, with French comments for each field.

A new action starts from this skeleton rather than from a copy of a neighbour's fiche:
nothing of another action is carried over, and the file passes ``bilan validate`` before
anyone edits it (it is checked against the model before being written).
"""

from __future__ import annotations

import datetime
import json
import re
import textwrap
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from bilan.dataset import ACTIONS_DIR, check_data_folder, display_path, listing, read_file
from bilan.errors import BilanError, UsageError, reason
from bilan.leftovers import is_leftover
from bilan.modelerrors import check_model
from bilan.models import CATEGORIES, ETATS, THEMES, Fiche
from bilan.narrative import report_years
from bilan.sourcetext import MAX_BYTES
from bilan.yamlio import load_bytes

PREFIXES = {"existante": "e", "prospective": "p"}
"""First letter of a fiche id, by action type (e01-…, p11-…)."""

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
MAX_NUMBER = 999
"""The highest action number ``bilan new`` accepts: a schéma numbers its actions by the
dozen (15 existing and 12 prospective in 2016); a bigger number is a typo, and checking
the numbers below it must stay cheap."""


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


def fiche_id(kind: str, number: int, title: str) -> str:
    """« p13-reseau-thematique-sport » from the type, the number and the title."""
    words = slug(title)
    if not words:
        raise UsageError(
            f"le titre « {title} » ne contient ni lettre ni chiffre",
            "donnez l'intitulé de l'action, par exemple --titre \"Réseau thématique sport\"",
        )
    return f"{PREFIXES[kind]}{number:02d}-{words}"


def default_year(data_dir: Path) -> int:
    """The latest report year of the data folder, else the current year."""
    years = report_years(data_dir)
    return years[-1] if years else datetime.date.today().year


def _listed(names: dict[str, str]) -> str:
    return ", ".join(names)


def _comment(text: str, indent: str) -> str:
    """``text`` as YAML comment lines of at most 92 characters, without cutting ids."""
    prefix = f"{indent}# "
    return textwrap.fill(
        text, 92, initial_indent=prefix, subsequent_indent=prefix, break_on_hyphens=False
    )


def skeleton(kind: str, number: int, title: str, year: int, themes: list[str]) -> str:
    """The YAML text of a new fiche, commented in French."""
    ident = fiche_id(kind, number, title)
    quoted = json.dumps(title, ensure_ascii=False)  # a JSON string is a YAML string
    return f"""\
# yaml-language-server: $schema=../../schemas/fiche.schema.json
# Fiche-action créée par « bilan new » : complétez-la, puis lancez « bilan validate ».
# Chaque champ est décrit dans docs/format-fiche.md. Les textes sont en Markdown.

# Identifiant : le nom du fichier sans « .yaml » (e = existante, p = prospective).
id: {ident}
# Titre de la fiche tel qu'imprimé, sans « Action {kind} {number} – ».
titre: {quoted}
# Les actions du schéma que couvre la fiche (une fiche peut en couvrir plusieurs).
actions:
  - type: {kind}  # existante ou prospective
    numero: {number}  # numéro de l'action dans le schéma, propre à son type
    titre: {quoted}  # intitulé de l'action dans l'annexe 1
{_comment(f"Un ou deux thèmes parmi : {_listed(THEMES)}.", "    ")}
    themes: [{", ".join(themes)}]
# « Rappel des objectifs » : un élément par objectif, par exemple
#   - Rationaliser les dépenses publiques
objectifs: []
# « Résultats attendus », dans l'ordre : leur numéro (1, 2…) sert aux calendriers par résultat.
resultats_attendus: []
# Un bilan par année de rapport, tel que le rapport de l'année l'imprime.
bilans:
  {year}:
    # État à la fin de l'année : {_listed(ETATS)}.
    etat: non-demarree
    # Calendrier trimestriel à partir de « debut » (AAAA-Tn), une case par trimestre :
    # 1 diagnostic, 2 plan d'action, 3 mise en œuvre, 4 suivi ou fin, [3, 4] pour « 3/4 »,
    # null pour une case vide ; par exemple phases: [1, 1, 2, 3, 3, 4].
    calendrier:
      debut: {year}-T1
      phases: []
    # Identifiants (data/communes.yaml) des communes que la fiche nomme.
    communes: []
    # « Le niveau d'avancement de l'action », une entrée par case, par exemple
    #   - libelle: Nombre de communes concernées
    #     categorie: communes  # facultatif : {_listed(CATEGORIES)}
    #     valeur: 2
    #     texte: 2 communes en {year} (Castelnau-le-Lez et Le Crès)
    indicateurs: []
    # « Points forts identifiés / améliorations notables constatées ».
    points_forts: []
    # « Difficultés rencontrées ».
    difficultes: []
    # « Les perspectives » pour {year + 1}, en deux colonnes.
    perspectives:
      resultats_a_venir: []
      axes_amelioration: []
"""


@dataclass(frozen=True)
class NewFiche:
    """The fiche written, and what its author should know about it."""

    path: Path
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


def create(
    data_dir: Path, kind: str, number: int, title: str, year: int | None, themes: list[str]
) -> NewFiche:
    """Write ``data_dir/actions/<id>.yaml``; never overwrite, never reuse a number. Every
    check comes before the file is written: a refused fiche leaves nothing behind."""
    check_data_folder(data_dir)
    if not 1 <= number <= MAX_NUMBER:
        raise UsageError(
            f"numéro d'action hors limites : {number}",
            f"donnez le numéro de l'action dans le schéma, de 1 à {MAX_NUMBER}",
        )
    title = " ".join(title.split())
    year = default_year(data_dir) if year is None else year
    for theme in themes:
        if theme not in THEMES:
            raise UsageError(f"thème inconnu « {theme} »", f"thèmes possibles : {_listed(THEMES)}")
    chosen = list(dict.fromkeys(themes)) or [next(iter(THEMES))]
    text = skeleton(kind, number, title, year, chosen)
    if len(text.encode("utf-8")) > MAX_BYTES:
        raise UsageError(
            "titre trop long : la fiche dépasserait la taille permise",
            "donnez l'intitulé court de l'action (une ligne)",
        )
    path = data_dir / ACTIONS_DIR / f"{fiche_id(kind, number, title)}.yaml"
    shown = display_path(path)
    used = _actions_in_use(data_dir)
    if (kind, number) in used:
        raise BilanError(
            f"l'action {kind} {number} est déjà décrite par {used[kind, number]}",
            "complétez cette fiche, ou choisissez un autre numéro",
        )
    doc, found = load_bytes(text.encode("utf-8"), shown)
    if doc is not None:
        found += check_model(doc, Fiche)[1]
    if found:
        raise UsageError(f"fiche impossible à écrire : {found[0].message}", found[0].hint)
    if path.exists() or path.is_symlink():
        raise BilanError(
            f"la fiche {shown} existe déjà : elle n'est pas remplacée",
            "modifiez-la, ou choisissez un autre titre",
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
    _write_new(path, text, shown)
    return NewFiche(path, year, notices)


def _write_new(path: Path, text: str, shown: str) -> None:
    """Create ``path`` with ``text``, never replacing a file; a write that fails halfway
    (a full disk) removes the file it created rather than leave half a fiche."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = path.open("x", encoding="utf-8", newline="\n")  # "x": never replace
    except OSError as error:
        raise UsageError(
            f"impossible d'écrire {shown} : {reason(error)}",
            "vérifiez que le dossier des fiches existe et qu'il est accessible en écriture",
        ) from None
    try:
        with handle:
            handle.write(text)
    except BaseException as error:
        path.unlink(missing_ok=True)  # created just now, by this call
        if isinstance(error, OSError):
            raise BilanError(
                f"impossible d'écrire {shown} : {reason(error)} ; la fiche n'est pas créée",
                "libérez de la place sur le disque, puis relancez la commande",
            ) from None
        raise


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
