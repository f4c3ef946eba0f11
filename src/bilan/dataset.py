"""Load the data folder: every fiche, the communes, with their positions.

Files are read here and nowhere else (besides the narrative, see :mod:`bilan.narrative`).
A file that cannot be loaded becomes diagnostics; the others load all the same, so a
single run reports every problem.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from pathlib import Path

from bilan.diagnostics import Diagnostic, Severity
from bilan.errors import UsageError
from bilan.models import CommunesFile, Fiche
from bilan.validation import check_model
from bilan.workers import choose_jobs, gc_paused, ordered_map
from bilan.yamlio import MAX_BYTES, Document, decode, load_bytes, too_large

ACTIONS_DIR = "actions"
COMMUNES_FILE = "communes.yaml"
REPORTS_DIR = "rapports"


@dataclass(frozen=True)
class LoadedFiche:
    """A valid fiche and the document it was read from (for positions)."""

    doc: Document
    fiche: Fiche
    stem: str
    digest: str = ""
    """Hash of the file's bytes: what the build cache knows the fiche by."""


@dataclass
class DataSet:
    """Everything under the data folder that loaded and validated."""

    root: Path
    communes: CommunesFile | None = None
    communes_doc: Document | None = None
    fiches: list[LoadedFiche] = field(default_factory=list)
    files: int = 0
    unloaded: int = 0
    """Fiche files that could not be read or validated (their actions are unknown)."""

    def fiche_by_id(self) -> dict[str, LoadedFiche]:
        return {item.fiche.id: item for item in self.fiches}


def display_path(path: Path) -> str:
    """Path as the user should see it: relative to the working directory when inside it."""
    try:
        relative = os.path.relpath(path)
    except ValueError:  # pragma: no cover - another drive on Windows
        return path.as_posix()
    if relative.startswith(".."):
        return path.as_posix()
    return Path(relative).as_posix()


def read_bytes(
    path: Path, root: Path, *, folder_inside: bool = False
) -> tuple[bytes | None, list[Diagnostic]]:
    """The bytes of one file of the data folder, or why they must not be read: a link out
    of the folder (F003, whose target is never opened), too large (F004), not a regular
    file, a broken or looping link, no permission (F005). ``folder_inside``: the folder
    that holds ``path`` is known to be inside ``root``, links resolved, so that a file
    that is not a link needs no resolving (which costs more than reading it)."""
    shown = display_path(path)
    try:
        trusted = folder_inside and not path.is_symlink()
        resolved = path if trusted else path.resolve(strict=True)
    except RuntimeError:  # a symbolic link loop, before Python 3.13
        return None, [unreadable(shown, OSError(errno.ELOOP, os.strerror(errno.ELOOP)))]
    except OSError as exc:
        return None, [unreadable(shown, exc)]
    if not trusted and not resolved.is_relative_to(root.resolve()):
        return None, [
            Diagnostic(
                shown,
                0,
                0,
                "F003",
                Severity.ERROR,
                "lien symbolique qui pointe hors du dossier de données : fichier non lu",
                "remplacez le lien par le fichier lui-même",
            )
        ]
    try:
        info = resolved.stat()
        if not stat.S_ISREG(info.st_mode):  # a FIFO or a device would block or never end
            return None, [unreadable(shown, OSError(errno.EISDIR, "not a regular file"))]
        if info.st_size > MAX_BYTES:
            return None, [too_large(shown, info.st_size)]
        with resolved.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        return None, [unreadable(shown, exc)]
    if len(raw) > MAX_BYTES:
        return None, [too_large(shown, len(raw))]
    return raw, []


def read_file(path: Path, root: Path) -> tuple[Document | None, list[Diagnostic]]:
    """Read and parse one YAML file of the data folder, refusing what must not be read."""
    raw, found = read_bytes(path, root)
    if raw is None:
        return None, found
    return load_bytes(raw, display_path(path))


def unreadable(shown: str, exc: OSError) -> Diagnostic:
    """F005, with the reason in French for the usual causes."""
    reasons = {
        errno.ENOENT: "fichier absent, ou lien symbolique cassé",
        errno.EACCES: "droits de lecture insuffisants",
        errno.EISDIR: "ce n'est pas un fichier ordinaire (dossier, tube ou périphérique)",
        errno.ELOOP: "lien symbolique qui tourne en boucle",
    }
    reason = reasons.get(exc.errno or 0, exc.strerror or "erreur d'entrée-sortie")
    return Diagnostic(
        shown,
        0,
        0,
        "F005",
        Severity.ERROR,
        f"fichier illisible : {reason}",
        "vérifiez que le fichier existe, qu'il s'agit d'un fichier ordinaire et qu'il est lisible",
    )


def load_dataset(
    data_dir: Path, jobs: int | None = None, cache: MutableMapping[str, Fiche] | None = None
) -> tuple[DataSet, list[Diagnostic]]:
    """Load and validate, file by file, everything the data folder holds.

    The fiches are read and parsed by ``jobs`` processes (default: the cores available,
    one for a small folder), then validated here, in file-name order: the result is the
    same whatever the number of processes. ``cache`` (file hash → fiche, see
    :mod:`bilan.buildcache`) gives the fiches whose bytes did not change, unparsed, and
    receives the others.
    """
    with gc_paused():
        return _load(data_dir, jobs, cache)


def _load(
    data_dir: Path, jobs: int | None, cache: MutableMapping[str, Fiche] | None
) -> tuple[DataSet, list[Diagnostic]]:
    if not data_dir.is_dir():
        raise UsageError(
            f"dossier de données introuvable : {display_path(data_dir)}",
            "indiquez-le avec --data, ou lancez la commande depuis le dossier du projet",
        )
    communes_path = data_dir / COMMUNES_FILE
    if not communes_path.is_file():
        raise UsageError(
            f"fichier des communes introuvable : {display_path(communes_path)}",
            "chaque dossier de données contient communes.yaml (voir docs/format-fiche.md)",
        )
    if not (data_dir / ACTIONS_DIR).is_dir():
        raise UsageError(
            f"dossier des fiches introuvable : {display_path(data_dir / ACTIONS_DIR)}",
            "chaque dossier de données contient un dossier actions/ avec une fiche par action",
        )
    dataset = DataSet(root=data_dir)
    diagnostics: list[Diagnostic] = []

    doc, found = read_file(communes_path, data_dir)
    dataset.files += 1
    diagnostics += found
    if doc is not None:
        dataset.communes, found = check_model(doc, CommunesFile)
        dataset.communes_doc = doc
        diagnostics += found

    actions_dir = data_dir / ACTIONS_DIR
    listed = sorted(actions_dir.iterdir())
    entries = [path for path in listed if not path.name.startswith(".")]
    known = None if cache is None else frozenset(cache)
    inside = actions_dir.resolve().is_relative_to(data_dir.resolve())
    jobs = choose_jobs(jobs, len(entries))
    read = ordered_map(read_entry, entries, jobs, data_dir, known, inside)
    for path, (counted, doc, found, digest) in zip(entries, read, strict=True):
        dataset.files += counted
        diagnostics += found
        if doc is None:
            dataset.unloaded += counted
            continue
        fiche = cache.get(digest) if cache is not None else None
        if fiche is None:
            fiche, found = check_model(doc, Fiche)
            diagnostics += found
            if fiche is not None and cache is not None:
                cache[digest] = fiche
        if fiche is not None:
            dataset.fiches.append(LoadedFiche(doc, fiche, path.stem, digest))
        else:
            dataset.unloaded += 1
    return dataset, diagnostics


def read_entry(
    path: Path, data_dir: Path, known: frozenset[str] | None = None, folder_inside: bool = False
) -> tuple[bool, Document | None, list[Diagnostic], str]:
    """One entry of the actions folder: whether it counts as a fiche file, its document,
    what went wrong, and, with a build cache, the hash of its bytes: a file whose hash is
    ``known`` (a fiche in the cache) is not parsed. Runs in the worker processes: no
    validation here. ``folder_inside``: see :func:`read_bytes`."""
    if path.suffix != ".yaml" or not (path.is_file() or path.is_symlink()):
        return (
            False,
            None,
            [
                Diagnostic(
                    display_path(path),
                    0,
                    0,
                    "F002",
                    Severity.ERROR,
                    "fichier ignoré : le dossier des fiches ne contient que des fichiers « .yaml »",
                    "renommez-le en « .yaml » s'il s'agit d'une fiche, sinon déplacez-le",
                )
            ],
            "",
        )
    raw, found = read_bytes(path, data_dir, folder_inside=folder_inside)
    if raw is None:
        return True, None, found, ""
    digest = "" if known is None else hashlib.blake2b(raw, digest_size=16).hexdigest()
    shown = display_path(path)
    if known is not None and digest in known:
        text, found = decode(raw, shown)  # the same bytes decoded without error before
        return True, None if text is None else Document.unread(shown, text), found, digest
    doc, found = load_bytes(raw, shown)
    return True, doc, found, digest
