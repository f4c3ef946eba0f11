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
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Protocol

from bilan.diagnostics import Diagnostic, Severity
from bilan.errors import UsageError, reason
from bilan.leftovers import is_copy, is_editor_file
from bilan.models import Action, CommunesFile, Fiche
from bilan.validation import check_model
from bilan.workers import choose_jobs, gc_paused, ordered_map
from bilan.yamlio import MAX_BYTES, Document, decode, load_bytes, too_large

ACTIONS_DIR = "actions"
COMMUNES_FILE = "communes.yaml"
REPORTS_DIR = "rapports"


class FicheStore(Protocol):
    """The fiches an earlier build validated, by the hash of their file's bytes (see
    :mod:`bilan.buildcache`): what the store knows is neither parsed nor validated again."""

    def known(self) -> frozenset[str]:
        """The hashes of the fiches the store holds."""
        ...

    def summary(self, digest: str) -> tuple[str, tuple[Action, ...]]:
        """The id and actions of a known fiche, without reading the whole of it."""
        ...

    def fiche(self, digest: str) -> Fiche: ...

    def add(self, digest: str, fiche: Fiche) -> None: ...


class LoadedFiche:
    """A valid fiche and the document it was read from (for positions).

    A fiche the build cache knows is read lazily: its id and actions from the cache's
    summary, its model and its text (for positions) only when something asks, which, for
    a fiche whose file did not change, an incremental build never does."""

    def __init__(
        self,
        stem: str,
        digest: str = "",
        *,
        doc: Document | None = None,
        fiche: Fiche | None = None,
        store: FicheStore | None = None,
        shown: str = "",
        raw: bytes = b"",
    ) -> None:
        self.stem = stem
        self.digest = digest
        """Hash of the file's bytes: what the build cache knows the fiche by, and what the
        key of an edition is made of (see :func:`bilan.build.edition_key`)."""
        if doc is not None:
            self.doc = doc
            shown = doc.path
        if fiche is not None:
            self.fiche = fiche
        self.shown = shown
        self._store = store
        self._raw = raw

    @cached_property
    def fiche(self) -> Fiche:
        assert self._store is not None
        try:
            return self._store.fiche(self.digest)
        except ValueError:  # a damaged cache: the file's bytes validated before, again
            return self._parsed()

    def _parsed(self) -> Fiche:
        doc, _found = load_bytes(self._raw, self.shown)
        fiche = None if doc is None else check_model(doc, Fiche)[0]
        if fiche is None:
            raise UsageError(
                f"cache de construction incohérent pour {self.shown}",
                "relancez la commande avec --no-cache",
            )
        return fiche

    @cached_property
    def doc(self) -> Document:
        text, _found = decode(self._raw, self.shown)  # decoded without error before
        assert text is not None
        return Document.unread(self.shown, text)

    @cached_property
    def _summary(self) -> tuple[str, tuple[Action, ...]]:
        if "fiche" not in self.__dict__ and self._store is not None:
            try:
                return self._store.summary(self.digest)
            except ValueError:
                pass  # a damaged cache: read the whole fiche
        return self.fiche.id, tuple(self.fiche.actions)

    @property
    def id(self) -> str:
        return self._summary[0]

    @property
    def actions(self) -> Sequence[Action]:
        return self._summary[1]


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
        return {item.id: item for item in self.fiches}

    @cached_property
    def action_places(self) -> dict[tuple[str, int], list[tuple[LoadedFiche, int]]]:
        """Where each action (type, number) is described: its fiches, and its index there."""
        places: dict[tuple[str, int], list[tuple[LoadedFiche, int]]] = {}
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
    data_dir: Path, jobs: int | None = None, cache: FicheStore | None = None
) -> tuple[DataSet, list[Diagnostic]]:
    """Load and validate, file by file, everything the data folder holds.

    The fiches are read and parsed by ``jobs`` processes (default: the cores available,
    one for a small folder), then validated here, in file-name order: the result is the
    same whatever the number of processes. ``cache`` gives the fiches whose bytes did not
    change, unparsed (read lazily, see :class:`LoadedFiche`), and receives the others.
    """
    with gc_paused():
        return _load(data_dir, jobs, cache)


def _load(
    data_dir: Path, jobs: int | None, cache: FicheStore | None
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
    entries = [actions_dir / name for name in names]
    known = None if cache is None else cache.known()
    folder = _shown_prefix(actions_dir)
    inside = actions_dir.resolve().is_relative_to(data_dir.resolve())
    # By default, processes only for many files to parse: a file the cache knows is read
    # and hashed, faster than its bytes would travel back from another process.
    to_parse = len(entries) - (len(known) if known is not None else 0)
    jobs = choose_jobs(jobs, len(entries)) if jobs is not None else choose_jobs(None, to_parse)
    read = ordered_map(read_entry, entries, jobs, data_dir, known, inside, folder)
    for path, (counted, read_doc, found, digest) in zip(entries, read, strict=True):
        dataset.files += counted
        diagnostics += found
        if isinstance(read_doc, bytes):  # known to the cache: valid when last read
            assert cache is not None
            shown = _shown_in(folder, path)
            dataset.fiches.append(
                LoadedFiche(path.stem, digest, store=cache, shown=shown, raw=read_doc)
            )
            continue
        doc = read_doc
        if doc is None:
            dataset.unloaded += counted
            continue
        fiche, found = check_model(doc, Fiche)
        diagnostics += found
        if fiche is None:
            dataset.unloaded += 1
            continue
        if cache is not None:
            cache.add(digest, fiche)
        dataset.fiches.append(LoadedFiche(path.stem, digest, doc=doc, fiche=fiche))
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
    path: Path,
    data_dir: Path,
    known: frozenset[str] | None,
    folder_inside: bool,
    prefix: str | None,
) -> tuple[bool, Document | bytes | None, list[Diagnostic], str]:
    """One entry of the actions folder: whether it counts as a fiche file, its document,
    what went wrong, and, with a build cache, the hash of its bytes: for a file whose hash
    is ``known`` (a fiche in the cache), its bytes, unparsed. Runs in the worker processes:
    no validation here. ``folder_inside``: see :func:`read_bytes`; ``prefix``: see
    :func:`_shown_prefix`."""
    shown = _shown_in(prefix, path)
    if is_copy(path.name):  # e05_LOCAL_123.yaml, left by a merge: not a second fiche
        return False, None, [not_a_fiche(path, shown)], ""
    raw = _read_plain(path) if folder_inside and path.suffix == ".yaml" else None
    if raw is not None:
        return _parse_entry(raw, shown, known)
    if path.suffix != ".yaml" or not (path.is_file() or path.is_symlink()):
        return False, None, [not_a_fiche(path, shown)], ""
    raw, found = read_bytes(path, data_dir, folder_inside=folder_inside, shown=shown)
    if raw is None:
        return True, None, found, ""
    return _parse_entry(raw, shown, known)


def not_a_fiche(path: Path, shown: str) -> Diagnostic:
    """F002 for what the actions folder holds besides fiches: a warning for a backup or
    merge copy (see :mod:`bilan.leftovers`), an error for anything else, with the name to
    give a fiche saved as ``.yml`` or ``.YAML``."""
    if is_copy(path.name):
        return Diagnostic(
            shown,
            0,
            0,
            "F002",
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


def _parse_entry(
    raw: bytes, shown: str, known: frozenset[str] | None
) -> tuple[bool, Document | bytes | None, list[Diagnostic], str]:
    digest = hashlib.blake2b(raw, digest_size=16).hexdigest()  # also keys the edition
    if known is not None and digest in known:
        return True, raw, [], digest  # the same bytes loaded without error before
    doc, found = load_bytes(raw, shown)
    return True, doc, found, digest
