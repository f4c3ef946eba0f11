"""Published editions: what an edition was made of, kept so that it never changes by accident.

``bilan publish`` (:mod:`bilan.publish`) writes ``data/rapports/<année>/publication.json``:
the fiches' stable parts, the communes and the vocabulary as the edition used them (a later
year may change them: the published edition keeps its own copy), and a fingerprint of
each file of the year's folder, field by field (line by line for the narrative). From
then on the edition is built from those copies, and any change to the year's files that
would change it is an error (P001) naming the file, the line and the edition, unless an
erratum (``errata.yaml``, which the edition shows, dated) declares it. A change of
layout or comments alone changes no data, and passes.
"""

from __future__ import annotations

import datetime
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Annotated, Any

from pydantic import ConfigDict, Field, ValidationError

from bilan.dataset import BILANS_DIR, REPORTS_DIR, FicheModel
from bilan.diagnostics import Diagnostic, Severity
from bilan.document import Document, Path_
from bilan.files import display_path, read_file
from bilan.leftovers import is_leftover
from bilan.modelerrors import check_model
from bilan.models import VOCABULARY, CommunesFile, Fiche, Model, Text
from bilan.vocabulary import Vocabulary

PUBLICATION_FILE = "publication.json"
ERRATA_FILE = "errata.yaml"
UNSEALED = frozenset({PUBLICATION_FILE, ERRATA_FILE})
"""The files of a year's folder that its seal does not cover."""


class Erratum(Model):
    """A correction made to an edition after its publication."""

    model_config = ConfigDict(
        title="Erratum",
        json_schema_extra={"description": "Une correction de l'édition après sa publication."},
    )

    date: datetime.date
    """Date

    Le jour de la correction, sous la forme AAAA-MM-JJ (par exemple 2017-03-02)."""
    fichier: Annotated[str, Field(min_length=1)]
    """Fichier corrigé

    Le fichier du dossier de l'année qui a été corrigé, par exemple
    bilans/e05-groupements-achats.yaml ou 03-bilan-avancement.md."""
    texte: Text
    """Texte de l'erratum

    Ce qui a été corrigé, tel que l'édition l'affiche (par exemple « Nombre de communes
    concernées : 23, et non 32 »)."""


class ErrataFile(Model):
    """data/rapports/<année>/errata.yaml: the corrections of a published edition."""

    model_config = ConfigDict(
        title="Errata",
        json_schema_extra={
            "description": "Les corrections d'une édition publiée, que l'édition affiche."
        },
    )

    errata: Annotated[list[Erratum], Field(min_length=1)]
    """Errata

    Une entrée par correction : date, fichier, texte."""


@dataclass(frozen=True)
class SealedFiche(FicheModel):
    """A fiche as a published edition used it (:class:`bilan.dataset.FicheSource`)."""

    stem: str
    shown: str
    digest: str
    fiche: Fiche

    @cached_property
    def doc(self) -> Document:
        return Document(self.shown, self.fiche.model_dump(mode="json"))


@dataclass(frozen=True)
class Publication:
    """A published edition: when, what it was made of, the fingerprints of its files."""

    year: int
    date: str
    fiches: tuple[SealedFiche, ...]
    communes: CommunesFile
    vocabulary: Vocabulary
    prints: dict[str, dict[str, Any]]
    """File (relative to the year's folder) → its fingerprints (see :func:`file_prints`)."""


def fingerprint(value: Any) -> str:
    """A short, stable hash of plain data (what a change of layout does not change)."""
    text = json.dumps(value, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def year_folder(data_dir: Path, year: int) -> Path:
    return data_dir / REPORTS_DIR / str(year)


def sealed_files(folder: Path) -> list[str]:
    """The files of a year's folder that its seal covers, relative to it, sorted."""
    found = [folder / "rapport.yaml", *folder.glob("*.md"), *(folder / BILANS_DIR).glob("*.yaml")]
    return sorted(
        p.relative_to(folder).as_posix()
        for p in found
        if p.is_file() and not is_leftover(p.name) and p.name not in UNSEALED
    )


PRINT_DEPTH = 3
"""How deep a YAML file's fingerprints go (« indicateurs/2/valeur »): deep enough to point
at the changed value."""


def data_prints(data: Any) -> dict[str, str]:
    """Fingerprints of a YAML file's data: each field and item, down to PRINT_DEPTH."""
    prints: dict[str, str] = {}

    def walk(value: Any, path: tuple[str, ...]) -> None:
        if path:
            prints["/".join(path)] = fingerprint(value)
        if len(path) < PRINT_DEPTH and isinstance(value, dict | list):
            items = value.items() if isinstance(value, dict) else enumerate(value)
            for name, item in items:
                walk(item, (*path, str(name)))

    walk(data, ())
    return prints


def _bytes_print(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()[:16]


def _line_prints(raw: bytes) -> list[str]:
    return [fingerprint(line)[:8] for line in raw.decode("utf-8", "replace").split("\n")]


def file_prints(path: Path, data_dir: Path) -> dict[str, Any] | None:
    """The fingerprints of one file: its bytes (a quick first check), then its data field
    by field (YAML) or its lines (Markdown); None if it does not read."""
    try:
        raw = path.read_bytes()
    except OSError:
        return None
    if path.suffix == ".md":
        return {"octets": _bytes_print(raw), "lignes": _line_prints(raw)}
    doc, _found = read_file(path, data_dir)
    if doc is None:
        return None
    return {"octets": _bytes_print(raw), "champs": data_prints(doc.data)}


def _error(shown: str, line: int, column: int, code: str, message: str, hint: str) -> Diagnostic:
    return Diagnostic(shown, line, column, code, Severity.ERROR, message, hint)


def read_publication(data_dir: Path, year: int) -> tuple[Publication | None, list[Diagnostic]]:
    """The publication of ``year``, if the edition was published; a damaged file is P002."""
    path = year_folder(data_dir, year) / PUBLICATION_FILE
    if not path.is_file():
        return None, []
    shown = display_path(path)
    hint = "ce fichier est écrit par « bilan publish » : reprenez-le de git (git checkout)"
    try:
        stored = json.loads(path.read_text("utf-8"))
        vocabulary = Vocabulary.model_validate_json(json.dumps(stored["vocabulaire"]))
        sealed = {VOCABULARY: vocabulary}
        fiches = tuple(
            SealedFiche(
                stem,
                shown,
                fingerprint(data),
                Fiche.model_validate_json(json.dumps(data), context=sealed),
            )
            for stem, data in sorted(stored["fiches"].items())
        )
        communes = CommunesFile.model_validate_json(json.dumps(stored["communes"]))
        publication = Publication(
            int(stored["annee"]),
            str(stored["scellee_le"]),
            fiches,
            communes,
            vocabulary,
            dict(stored["empreintes"]),
        )
    except (OSError, ValueError, KeyError, TypeError, ValidationError) as error:
        reason = error.strerror if isinstance(error, OSError) else "contenu illisible"
        return None, [
            _error(
                shown, 1, 1, "P002", f"publication de l'édition {year} illisible ({reason})", hint
            )
        ]
    if publication.year != year:
        return None, [
            _error(shown, 1, 1, "P002", f"cette publication est celle de {publication.year}", hint)
        ]
    return publication, []


def read_errata(
    data_dir: Path, year: int, publication: Publication | None
) -> tuple[tuple[Erratum, ...], list[Diagnostic]]:
    """The errata of ``year``; on an unpublished year, or naming a file that the edition
    does not hold, they are errors (P003)."""
    path = year_folder(data_dir, year) / ERRATA_FILE
    if not path.is_file():
        return (), []
    doc, found = read_file(path, data_dir)
    if doc is None:
        return (), found
    errata, found = check_model(doc, ErrataFile)
    if errata is None:
        return (), found
    if publication is None:
        return (), [
            _error(
                doc.path,
                1,
                1,
                "P003",
                f"errata d'une édition non publiée : l'édition {year} n'a pas de {PUBLICATION_FILE}",
                f"corrigez directement les fichiers de {year}, et supprimez {ERRATA_FILE} ; les "
                "errata sont pour les éditions déjà publiées (bilan publish)",
            )
        ]
    problems = []
    for index, erratum in enumerate(errata.errata):
        if erratum.fichier not in publication.prints:
            line, column = doc.locate(("errata", index, "fichier"))
            known = ", ".join(sorted(publication.prints)[:3])
            problems.append(
                _error(
                    doc.path,
                    line,
                    column,
                    "P003",
                    f"l'édition {year} publiée n'a pas de fichier « {erratum.fichier} »",
                    f"nommez le fichier corrigé relativement au dossier de l'année (par exemple "
                    f"{known})",
                )
            )
    return tuple(errata.errata), problems


def check_seal(publication: Publication, data_dir: Path, corrected: set[str]) -> list[Diagnostic]:
    """P001 for each file of the year whose data differs from the published edition's
    (the first difference of each), unless an erratum names it (``corrected``)."""
    folder = year_folder(data_dir, publication.year)
    present = set(sealed_files(folder))
    found: list[Diagnostic] = []
    edition = f"l'édition {publication.year} publiée (scellée le {publication.date})"
    hint = (
        f"annulez ce changement ; si c'est une correction voulue de l'édition publiée, "
        f"déclarez-la dans {display_path(folder / ERRATA_FILE)} (date, fichier, texte) : "
        "l'édition l'affichera"
    )
    for name in sorted(present | set(publication.prints)):
        if name in corrected:
            continue
        path = folder / name
        stored = publication.prints.get(name)
        if stored is None:
            found.append(
                _error(display_path(path), 1, 1, "P001", f"fichier ajouté à {edition}", hint)
            )
            continue
        if name not in present:
            found.append(
                _error(
                    display_path(folder), 0, 0, "P001", f"« {name} » supprimé de {edition}", hint
                )
            )
            continue
        try:
            raw = path.read_bytes()
        except OSError:
            continue  # unreadable: its own diagnostics say why
        if _bytes_print(raw) == stored["octets"]:
            continue  # the same bytes: nothing to parse
        where = _first_change(path, data_dir, raw, stored)
        if where is not None:
            line, column, what = where
            found.append(
                _error(display_path(path), line, column, "P001", f"{what} depuis {edition}", hint)
            )
    return found


def _first_change(
    path: Path, data_dir: Path, raw: bytes, stored: dict[str, Any]
) -> tuple[int, int, str] | None:
    """Where the data of a file (``raw``, its bytes) first differs from its
    fingerprints, if it does."""
    if path.suffix == ".md":
        old, new = stored.get("lignes", []), _line_prints(raw)
        for index, (before, after) in enumerate(zip(old, new, strict=False)):
            if before != after:
                return index + 1, 1, f"la ligne {index + 1} a changé"
        if len(old) != len(new):
            line = min(len(old), len(new)) + 1
            return line, 1, "des lignes ont été ajoutées ou supprimées à la fin"
        return None
    doc, _found = read_file(path, data_dir)
    if doc is None:
        return None  # unreadable: its own diagnostics say why
    old_fields, new_fields = stored.get("champs", {}), data_prints(doc.data)
    for field_path, what in _changed_fields(old_fields, new_fields):
        line, column = doc.locate(field_path)
        return line, column, what
    return None


def _changed_fields(old: dict[str, str], new: dict[str, str]) -> Iterator[tuple[Path_, str]]:
    """The first field that differs, in the file's order, as deep as its prints go."""
    path: tuple[str, ...] = ()
    while True:
        depth = len(path) + 1
        children = [
            key
            for key in new
            if key.count("/") == depth - 1 and tuple(key.split("/")[: depth - 1]) == path
        ]
        changed = next((key for key in children if old.get(key) != new[key]), None)
        if changed is None:
            break
        path = tuple(changed.split("/"))
        if changed not in old:
            break
    if not path:
        removed = [key for key in old if "/" not in key and key not in new]
        if removed:
            yield (), f"« {removed[0]} » a été supprimé"
        return
    located: Path_ = tuple(int(part) if part.isdigit() else part for part in path)
    shown = ".".join(str(p + 1) if isinstance(p, int) else p for p in located)
    verb = "a été ajouté" if "/".join(path) not in old else "a changé"
    yield located, f"« {shown} » {verb}"
