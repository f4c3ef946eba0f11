"""Reading the data folder safely: the only place that opens its files.

A link out of the folder is never followed, a FIFO never opened, a file too large never
read; each refusal is a located diagnostic (F002–F005). Paths are shown as the user would
type them, relative to the working directory.
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from bilan.diagnostics import Diagnostic, Severity
from bilan.document import Document
from bilan.errors import UsageError, reason
from bilan.leftovers import is_copy, is_editor_file
from bilan.sourcetext import MAX_BYTES, too_large
from bilan.yamlio import load_bytes


@dataclass(frozen=True)
class SourceFile:
    """The bytes of one YAML file of the data folder, read but not parsed."""

    stem: str
    shown: str
    raw: bytes
    digest: str
    """Hash of the bytes: what determines everything read from the file."""


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


def read_plain(path: Path) -> bytes | None:
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


def shown_prefix(folder: Path) -> str | None:
    """How :func:`display_path` shows the files directly in ``folder``: the folder as shown
    and a slash (nothing in the working directory), or None when shown as given. Worked
    out once, not for each of ten thousand files."""
    shown = display_path(folder)
    if shown.startswith("..") or Path(shown).is_absolute():
        return None
    return "" if shown == "." else f"{shown}/"


def shown_in(prefix: str | None, path: Path) -> str:
    return path.as_posix() if prefix is None else prefix + path.name


def listing(folder: Path) -> list[str]:
    """The names in a folder of the data, or a usage error that says why it cannot be read."""
    try:
        return os.listdir(folder)
    except OSError as error:
        raise UsageError(
            f"dossier illisible : {display_path(folder)} ({reason(error)})",
            "vérifiez ses droits d'accès (il doit être lisible par vous)",
        ) from None


def read_folder(
    folder: Path, data_dir: Path, what: str
) -> tuple[list[SourceFile], list[Diagnostic], int, int]:
    """Every ``.yaml`` file of ``folder``, in name order: the files read, what went wrong,
    how many files count (anything else is reported and ignored), how many could not be
    read. ``what``: what the folder holds, for the messages (« fiches »). What editors
    and systems leave beside the files is skipped without a word, a backup or merge copy
    with a warning (see :mod:`bilan.leftovers`)."""
    names = sorted(name for name in listing(folder) if not is_editor_file(name))
    prefix = shown_prefix(folder)
    inside = folder.resolve().is_relative_to(data_dir.resolve())
    files: list[SourceFile] = []
    diagnostics: list[Diagnostic] = []
    counted = unread = 0
    for name in names:
        path = folder / name
        shown = shown_in(prefix, path)
        if is_copy(name):  # e05_LOCAL_123.yaml, left by a merge: not a second fiche
            diagnostics.append(not_a_source(path, shown, what))
            continue
        raw = read_plain(path) if inside and path.suffix == ".yaml" else None
        if raw is None and (path.suffix != ".yaml" or not (path.is_file() or path.is_symlink())):
            diagnostics.append(not_a_source(path, shown, what))
            continue
        counted += 1
        if raw is None:
            raw, found = read_bytes(path, data_dir, folder_inside=inside, shown=shown)
            diagnostics += found
        if raw is None:
            unread += 1
            continue
        digest = hashlib.blake2b(raw, digest_size=16).hexdigest()
        files.append(SourceFile(path.stem, shown, raw, digest))
    return files, diagnostics, counted, unread


def not_a_source(path: Path, shown: str, what: str) -> Diagnostic:
    """What a folder of fiches or bilans holds besides them: F007, a warning, for a backup
    or merge copy (see :mod:`bilan.leftovers`); F002, an error, for anything else, with
    the name to give a file saved as ``.yml`` or ``.YAML``."""
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
        f"fichier ignoré : le dossier des {what} ne contient que des fichiers « .yaml »",
        f"s'il s'agit {_ONE[what]} en « {path.stem}.yaml »"
        if rename
        else "renommez-le en « .yaml » s'il s'agit d'une fiche, sinon déplacez-le",
    )


_ONE = {"fiches": "d'une fiche, renommez-la", "bilans": "d'un bilan, renommez-le"}
