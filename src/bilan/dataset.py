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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Protocol

from bilan.diagnostics import Diagnostic, Severity
from bilan.document import Document
from bilan.errors import UsageError, reason
from bilan.leftovers import is_copy, is_editor_file
from bilan.modelerrors import check_model
from bilan.models import Action, CommunesFile, Fiche
from bilan.sourcetext import MAX_BYTES, too_large
from bilan.workers import choose_jobs, gc_paused, ordered_map
from bilan.yamlio import load_bytes

ACTIONS_DIR = "actions"
COMMUNES_FILE = "communes.yaml"
REPORTS_DIR = "rapports"


class FicheSource(Protocol):
    """A valid fiche as the layers above see it: its names, the hash of its file's bytes
    (what determines it), its actions, the model and the document it was read from (for
    positions). Loaded eagerly by default (:class:`LoadedFiche`); a faster implementation
    may read the model only when asked."""

    @property
    def stem(self) -> str:
        """The file's name without ``.yaml``."""
        ...

    @property
    def shown(self) -> str:
        """The file's path as the user sees it."""
        ...

    @property
    def digest(self) -> str:
        """Hash of the file's bytes."""
        ...

    @property
    def id(self) -> str: ...

    @property
    def actions(self) -> Sequence[Action]: ...

    @property
    def fiche(self) -> Fiche: ...

    @property
    def doc(self) -> Document: ...


@dataclass(frozen=True)
class LoadedFiche:
    """A fiche read and validated from its file."""

    stem: str
    shown: str
    digest: str
    fiche: Fiche
    doc: Document

    @property
    def id(self) -> str:
        return self.fiche.id

    @property
    def actions(self) -> Sequence[Action]:
        return self.fiche.actions


@dataclass(frozen=True)
class FicheFile:
    """The bytes of one fiche file, read but not parsed."""

    stem: str
    shown: str
    raw: bytes
    digest: str


Parsed = tuple[FicheSource | None, list[Diagnostic]]
FicheParser = Callable[[Sequence[FicheFile], int | None], Iterable[Parsed]]
"""Files → fiches (or why not), in the order of the files; ``jobs``: see
:func:`parse_fiches`."""


@dataclass
class DataSet:
    """Everything under the data folder that loaded and validated."""

    root: Path
    communes: CommunesFile | None = None
    communes_doc: Document | None = None
    fiches: list[FicheSource] = field(default_factory=list)
    files: int = 0
    unloaded: int = 0
    """Fiche files that could not be read or validated (their actions are unknown)."""

    @cached_property
    def action_places(self) -> dict[tuple[str, int], list[tuple[FicheSource, int]]]:
        """Where each action (type, number) is described: its fiches, and its index there."""
        places: dict[tuple[str, int], list[tuple[FicheSource, int]]] = {}
        for item in self.fiches:
            for index, action in enumerate(item.actions):
                places.setdefault((action.type, action.numero), []).append((item, index))
        return places


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
    path: Path, root: Path, *, folder_inside: bool = False, shown: str | None = None
) -> tuple[bytes | None, list[Diagnostic]]:
    """The bytes of one file of the data folder, or why they must not be read: a link out
    of the folder (F003, whose target is never opened), too large (F004), not a regular
    file, a broken or looping link, no permission (F005). ``folder_inside``: the folder
    that holds ``path`` is known to be inside ``root``, links resolved, so that a file
    that is not a link needs no resolving (which costs more than reading it). ``shown``:
    the path as the user sees it, if known already."""
    shown = display_path(path) if shown is None else shown
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


_PLAIN_OPEN = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)


def _read_plain(path: Path) -> bytes | None:
    """The bytes of a regular file that is not a link, in four system calls (ten thousand
    fiches: a fifth of a second saved); None for anything else (a link, a FIFO, a file
    too large or changing, an error), which :func:`read_bytes` then explains."""
    if not hasattr(os, "O_NOFOLLOW"):  # pragma: no cover - Windows
        return None
    try:
        handle = os.open(path, _PLAIN_OPEN)
    except OSError:
        return None
    try:
        info = os.fstat(handle)
        if not stat.S_ISREG(info.st_mode) or info.st_size > MAX_BYTES:
            return None
        raw = os.read(handle, info.st_size + 1)
        return raw if len(raw) == info.st_size else None
    except OSError:
        return None
    finally:
        os.close(handle)


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
    data_dir: Path, jobs: int | None = None, parse: FicheParser | None = None
) -> tuple[DataSet, list[Diagnostic]]:
    """Load and validate, file by file, everything the data folder holds.

    The fiche files are read here, in file-name order, then turned into fiches by
    ``parse`` (default :func:`parse_fiches`): the result is the same whatever the parser
    and the number of processes it uses.
    """
    with gc_paused():
        return _load(data_dir, jobs, parse or parse_fiches)


def _load(
    data_dir: Path, jobs: int | None, parse: FicheParser
) -> tuple[DataSet, list[Diagnostic]]:
    check_data_folder(data_dir)
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
    names = sorted(name for name in listing(actions_dir) if not is_editor_file(name))
    folder = _shown_prefix(actions_dir)
    inside = actions_dir.resolve().is_relative_to(data_dir.resolve())
    files: list[FicheFile] = []
    for name in names:
        counted, raw, found = read_entry(actions_dir / name, data_dir, inside, folder)
        dataset.files += counted
        diagnostics += found
        if raw is not None:
            digest = hashlib.blake2b(raw, digest_size=16).hexdigest()
            shown = _shown_in(folder, actions_dir / name)
            files.append(FicheFile(Path(name).stem, shown, raw, digest))
        elif counted:
            dataset.unloaded += 1
    for item, found in parse(files, jobs):
        diagnostics += found
        if item is None:
            dataset.unloaded += 1
        else:
            dataset.fiches.append(item)
    return dataset, diagnostics


def check_data_folder(data_dir: Path) -> None:
    """Refuse a data folder that is missing, a file, or that cannot be read."""
    shown = display_path(data_dir)
    hint = "indiquez-le avec --data, ou lancez la commande depuis le dossier du projet"
    try:
        info = data_dir.stat()
    except OSError as error:
        if error.errno in (errno.ENOENT, errno.ENOTDIR):
            raise UsageError(f"dossier de données introuvable : {shown}", hint) from None
        raise UsageError(
            f"dossier de données illisible : {shown} ({reason(error)})", hint
        ) from None
    if not stat.S_ISDIR(info.st_mode):
        raise UsageError(f"« {shown} » est un fichier, pas un dossier de données", hint)
    listing(data_dir)


def listing(folder: Path) -> list[str]:
    """The names in a folder of the data, or a usage error that says why it cannot be read."""
    try:
        return os.listdir(folder)
    except OSError as error:
        raise UsageError(
            f"dossier illisible : {display_path(folder)} ({reason(error)})",
            "vérifiez ses droits d'accès (il doit être lisible par vous)",
        ) from None


def parse_fiches(files: Sequence[FicheFile], jobs: int | None = None) -> Iterator[Parsed]:
    """Parse and validate each file: the YAML by ``jobs`` processes (default: the cores
    available, one for a small folder), the models here, in order."""
    documents = ordered_map(_document, files, choose_jobs(jobs, len(files)))
    for file, (doc, found) in zip(files, documents, strict=True):
        if doc is None:
            yield None, found
            continue
        fiche, more = check_model(doc, Fiche)
        if fiche is None:
            yield None, found + more
        else:
            yield LoadedFiche(file.stem, file.shown, file.digest, fiche, doc), found + more


def _document(file: FicheFile) -> tuple[Document | None, list[Diagnostic]]:
    """Runs in the worker processes: parsing only, no validation."""
    return load_bytes(file.raw, file.shown)


def _shown_prefix(folder: Path) -> str | None:
    """How :func:`display_path` shows the files directly in ``folder``: the folder as shown
    and a slash (nothing in the working directory), or None when shown as given. Worked
    out once, not for each of ten thousand files."""
    shown = display_path(folder)
    if shown.startswith("..") or Path(shown).is_absolute():
        return None
    return "" if shown == "." else f"{shown}/"


def _shown_in(prefix: str | None, path: Path) -> str:
    return path.as_posix() if prefix is None else prefix + path.name


def read_entry(
    path: Path, data_dir: Path, folder_inside: bool, prefix: str | None
) -> tuple[bool, bytes | None, list[Diagnostic]]:
    """One entry of the actions folder: whether it counts as a fiche file, its bytes, and
    what went wrong. ``folder_inside``: see :func:`read_bytes`; ``prefix``: see
    :func:`_shown_prefix`."""
    shown = _shown_in(prefix, path)
    if is_copy(path.name):  # e05_LOCAL_123.yaml, left by a merge: not a second fiche
        return False, None, [not_a_fiche(path, shown)]
    raw = _read_plain(path) if folder_inside and path.suffix == ".yaml" else None
    if raw is not None:
        return True, raw, []
    if path.suffix != ".yaml" or not (path.is_file() or path.is_symlink()):
        return False, None, [not_a_fiche(path, shown)]
    raw, found = read_bytes(path, data_dir, folder_inside=folder_inside, shown=shown)
    return True, raw, found


def not_a_fiche(path: Path, shown: str) -> Diagnostic:
    """What the actions folder holds besides fiches: F007, a warning, for a backup or merge
    copy (see :mod:`bilan.leftovers`); F002, an error, for anything else, with the name to
    give a fiche saved as ``.yml`` or ``.YAML``."""
    if is_copy(path.name):
        return Diagnostic(
            shown,
            0,
            0,
            "F007",
            Severity.WARNING,
            "fichier ignoré : copie de sauvegarde ou reste d'une fusion",
            "supprimez-la quand vous n'en avez plus besoin (seuls les fichiers « .yaml » sont lus)",
        )
    rename = path.suffix.lower() in (".yml", ".yaml") and path.is_file()
    return Diagnostic(
        shown,
        0,
        0,
        "F002",
        Severity.ERROR,
        "fichier ignoré : le dossier des fiches ne contient que des fichiers « .yaml »",
        f"s'il s'agit d'une fiche, renommez-la en « {path.stem}.yaml »"
        if rename
        else "renommez-le en « .yaml » s'il s'agit d'une fiche, sinon déplacez-le",
    )
