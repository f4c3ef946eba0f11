"""The few exceptions of bilan: problems that stop a command before any diagnostic makes sense."""

from __future__ import annotations

import errno
import signal
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from types import FrameType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bilan.diagnostics import Diagnostic


class BilanError(Exception):
    """A problem to show the user as is (French message, optional hint)."""

    exit_code = 1

    def __init__(self, message: str, hint: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint


class UsageError(BilanError):
    """Wrong invocation or missing folder: exit status 2."""

    exit_code = 2


class BuildError(BilanError):
    """The build could not complete; the previous output is left as it was."""


FULL = frozenset({errno.ENOSPC, errno.EDQUOT})
"""A disk (or the user's quota) that filled up: the machine, not the command, is at fault."""

REASONS = {
    errno.ENOSPC: "disque plein",
    errno.EDQUOT: "quota disque dépassé (disque plein pour cet utilisateur)",
    errno.EACCES: "droits insuffisants",
    errno.EPERM: "opération non permise",
    errno.EROFS: "système de fichiers en lecture seule",
    errno.ENOENT: "fichier ou dossier introuvable",
    errno.ENOTDIR: "un élément du chemin est un fichier, pas un dossier",
    errno.EISDIR: "c'est un dossier, pas un fichier",
    errno.EEXIST: "un fichier du même nom existe déjà",
    errno.ENOTEMPTY: "dossier non vide",
    errno.ENAMETOOLONG: "nom de fichier trop long",
    errno.ELOOP: "lien symbolique qui tourne en boucle",
    errno.EIO: "erreur d'entrée-sortie du disque",
    errno.EMFILE: "trop de fichiers ouverts",
    errno.EXDEV: "dossiers sur deux disques différents",
}


def reason(error: OSError) -> str:
    """Why a system call failed, in French (the system's own text is in English)."""
    known = REASONS.get(error.errno or 0)
    if known is not None:
        return known
    name = errno.errorcode.get(error.errno or 0, "inconnue")
    return f"erreur du système ({name})"


PATH_ERRORS = frozenset(
    {
        errno.EACCES,
        errno.EPERM,
        errno.EROFS,
        errno.ENOENT,
        errno.ENOTDIR,
        errno.EISDIR,
        errno.EEXIST,
        errno.ENAMETOOLONG,
        errno.ELOOP,
    }
)
"""Errors that say the path given cannot be used: the command is wrongly called."""


def os_failure(error: OSError, where: str) -> BilanError:
    """An OSError met while working in ``where`` (a path as the user sees it), as a French
    error: a path that cannot be used (no permission, a file where a folder is expected…)
    is a usage error (exit 2); a full or failing disk stops the build (exit 1)."""
    if error.errno in PATH_ERRORS:
        return UsageError(
            f"impossible d'utiliser {where} : {reason(error)}",
            "vérifiez le chemin indiqué et ses droits d'accès, ou choisissez un autre dossier",
        )
    hint = "vérifiez le disque, puis relancez ; le rapport précédent est resté en place"
    if error.errno in FULL:
        hint = (
            "libérez de la place sur le disque (ou choisissez un autre dossier avec --out), "
            "puis relancez ; le rapport précédent est resté en place"
        )
    return BuildError(f"{reason(error)} : impossible d'écrire dans {where}", hint)


class Interrupted(KeyboardInterrupt):
    """SIGTERM, raised where the program stands so that cleanup code runs as for Ctrl-C."""


def _terminated(_number: int, _frame: FrameType | None) -> None:
    raise Interrupted


@contextmanager
def interruptions_as_errors(what: str) -> Iterator[None]:
    """Ctrl-C or SIGTERM during ``what`` (« construction ») becomes a French error, once the
    code interrupted has cleaned up after itself (the writer puts the previous output back).
    SIGTERM is caught only in the main thread (the only one that may set handlers)."""
    main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, _terminated) if main else None
    try:
        yield
    except KeyboardInterrupt:
        raise BuildError(
            f"{what} interrompue : le rapport précédent est resté en place",
            "relancez la commande pour la terminer",
        ) from None
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)


class InvalidData(BilanError):
    """The data does not validate: the command stops before using it.

    It carries what the validation found and how many files it read, so that ``build`` and
    ``stats`` print the very diagnostics and summary that ``bilan validate`` prints."""

    def __init__(self, diagnostics: Sequence[Diagnostic], files: int, consequence: str) -> None:
        super().__init__(
            f"les données contiennent des erreurs : {consequence}",
            "corrigez-les (bilan validate les liste toutes), puis relancez",
        )
        self.diagnostics = list(diagnostics)
        self.files = files
