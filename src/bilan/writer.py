"""The only writer, and what bilan owns in the output folder.

``OUT/`` is the user's folder: it may hold anything. bilan owns only what it wrote there:

- ``OUT/<année>/``, an *edition*. Its manifest (:data:`MANIFEST`) lists every file with its
  output format, its size and SHA-256; each format has the key of the inputs it was built
  from. The manifest is written into the new edition before it is swapped in, so the two
  cannot disagree. An edition is replaced only if it is bilan's own: every file listed, with
  the content recorded (a forged manifest that names a foreign file does not give its
  content), no link, no folder of its own. Anything else is refused, named, and left alone.
- ``OUT/.bilan-cache/``, marked as bilan's by a ``CACHEDIR.TAG`` (which backup tools honour).
- ``OUT/index.html``, the list of the editions (``bilan build --all``), recorded with its
  SHA-256 in ``OUT/.bilan-owned.json``: replaced or removed only while it holds what bilan
  wrote (:func:`write_owned_file`).
- Its leftovers beside an edition: ``.<année>.<hasard>.tmp`` (the edition being written,
  marked by :data:`STAGING_MARK`) and ``.<année>.<hasard>.old`` (the previous edition during
  the swap). A build killed outright (SIGKILL, power cut) leaves them; the next one puts the
  previous edition back if it was moved away, and removes the rest, file by file, as above.

Writing: the new edition is written aside, then swapped in with two renames; a failure or an
interruption at any point leaves the previous edition as it was. Partial builds keep the
rest: the formats written now replace theirs; the files of the other formats stay if they
were built from the same inputs (same key), and are dropped otherwise, so an edition never
mixes inputs. :func:`output_folder` locks ``OUT/`` for one build at a time.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import stat
import tempfile
from collections.abc import Collection, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from bilan.errors import BuildError, UsageError, os_failure, reason
from bilan.files import display_path

MANIFEST = ".bilan-manifest.json"
STAGING_MARK = ".bilan-staging"
CACHE_DIR = ".bilan-cache"
OWNED = ".bilan-owned.json"
"""In ``OUT/``: the files bilan writes beside the editions (the list of the editions), each
with the SHA-256 of what it wrote (see :func:`write_owned_file`)."""
CACHE_TAG = "CACHEDIR.TAG"
TAG_SIGNATURE = b"Signature: 8a477f597d28d172789f06886806bc55"
"""The Cache Directory Tagging Specification's first line (https://bford.info/cachedir/)."""
IDENTITIES = "{name}.edition.json"
"""In the cache folder: each file's inode, size and time as written, which spare the next
build hashing the whole edition to know it is unchanged (without it, it is hashed)."""
MAX_MANIFEST = 64 * 2**20
_LEFTOVER = re.compile(r"\.(?P<name>[^/]+)\.[A-Za-z0-9_]+\.(?P<kind>tmp|old)")


class Recorded(NamedTuple):
    """A file of an edition as bilan wrote it (one per file: ten thousand pages)."""

    format: str
    sha256: str
    size: int


@dataclass(frozen=True)
class FormatRecord:
    """How a format of an edition was built: the key of its inputs, and the formats the
    edition held when it was written (what its pages could link to)."""

    key: str
    alongside: tuple[str, ...]


@dataclass
class Edition:
    """What ``OUT/<année>/`` holds, checked to be bilan's own (see :func:`read_edition`)."""

    target: Path
    files: dict[str, Recorded] = field(default_factory=dict)
    """The files present, as the manifest records them."""
    formats: dict[str, FormatRecord] = field(default_factory=dict)
    """The formats whose files are all present."""
    identities: dict[str, tuple[int, int, int]] = field(default_factory=dict)
    """File → (inode, size, mtime) as found now."""
    listed: frozenset[str] = frozenset()
    """Every format the manifest names, complete or not."""
    seen: tuple[dict[str, tuple[int, int, int]], set[str]] = ({}, set())
    """Every file (the manifest too) and folder as found: to see cheaply, before the swap,
    that nothing changed since."""

    def unchanged(self) -> bool:
        """Whether the folder holds what it held when read (nothing added, removed or
        changed: the same inodes, sizes and times)."""
        if not os.path.lexists(self.target):
            return not self.seen[0] and not self.seen[1]
        files, folders, odd = _walk(self.target)
        return not odd and (files, folders) == self.seen

    def current(self, key: str) -> dict[str, frozenset[str]]:
        """The formats built from inputs of ``key``, each with the formats it was built
        alongside."""
        return {f: frozenset(r.alongside) for f, r in self.formats.items() if r.key == key}


@dataclass(frozen=True)
class Written:
    """The edition as :func:`write_atomically` left it."""

    target: Path
    formats: frozenset[str]
    """The formats the edition holds: those written now and those kept."""
    files: tuple[str, ...]
    """Its files, sorted (the manifest aside)."""
    dropped: frozenset[str]
    """Formats of the previous edition removed because they were built from other inputs
    (or a file of theirs had gone)."""


class ForeignFiles(UsageError):
    """``OUT/<année>/`` holds what bilan did not write: nothing is replaced."""


# --- The output folder ----------------------------------------------------------------------


def check_output_folder(out: Path, protected: Sequence[Path]) -> None:
    """Refuse an output folder that is a file, that holds or lies inside the data or the
    templates (``protected``), that is the root or the home folder, or that lies inside an
    edition or the cache of another output folder."""
    shown = display_path(out)
    try:
        info = out.stat()
    except FileNotFoundError:
        info = None
    except OSError as error:
        raise UsageError(
            f"dossier de sortie « {shown} » inutilisable : {reason(error)}",
            "indiquez avec --out un dossier (bilan le crée s'il n'existe pas)",
        ) from None
    if info is not None and not stat.S_ISDIR(info.st_mode):
        raise UsageError(
            f"« {shown} » est un fichier, pas un dossier",
            "indiquez avec --out un dossier, par exemple --out build (bilan le crée s'il "
            "n'existe pas) ; le fichier n'a pas été touché",
        )
    target = out.resolve()
    for folder in protected:
        guarded = folder.resolve()
        if target == guarded or guarded.is_relative_to(target) or target.is_relative_to(guarded):
            raise UsageError(
                f"le dossier de sortie « {shown} » contient ou recouvre « {display_path(folder)} »",
                "choisissez un dossier de sortie à part, par exemple --out build",
            )
    shared = {Path(target.anchor): "la racine du disque"}
    with suppress(RuntimeError, KeyError):  # no home folder known
        shared[Path.home().resolve()] = "votre dossier personnel"
    if target in shared:
        raise UsageError(
            f"le dossier de sortie « {shown} » est {shared[target]}",
            "choisissez un dossier à part pour le rapport, par exemple --out bilan-rapport",
        )
    for folder in (target, *target.parents):
        if folder.name == CACHE_DIR or _is_file(folder / MANIFEST):
            what = "une édition écrite" if folder.name != CACHE_DIR else "le cache écrit"
            where = "est" if folder == target else f"est dans « {display_path(folder)} »,"
            raise UsageError(
                f"le dossier de sortie « {shown} » {where} {what} par bilan",
                f"indiquez le dossier qui le contient : --out {display_path(folder.parent)}",
            )


def _is_file(path: Path) -> bool:
    try:
        return stat.S_ISREG(path.stat().st_mode)
    except OSError:
        return False


@contextmanager
def output_folder(out: Path, protected: Sequence[Path]) -> Iterator[Path]:
    """``out``, checked (see :func:`check_output_folder`), created if needed and locked for
    this build: a second build into the same folder is refused until this one ends. The
    folders created are removed again if the build leaves them empty (it failed early)."""
    check_output_folder(out, protected)
    created = _make_folders(out)
    try:
        if not os.access(out, os.W_OK | os.X_OK):
            raise UsageError(
                f"impossible d'écrire dans le dossier de sortie « {display_path(out)} » : "
                f"{reason(OSError(errno.EACCES, ''))}",
                "choisissez avec --out un dossier où vous pouvez écrire, ou corrigez ses droits",
            )
        with _locked(out):
            recover(out)
            yield out
    finally:
        for folder in reversed(created):
            try:
                folder.rmdir()
            except OSError:
                break


def _make_folders(out: Path) -> list[Path]:
    """Create ``out`` and its missing parents; return those created, outermost first."""
    missing = [p for p in (out, *out.parents) if not p.exists()][::-1]
    for folder in missing:
        try:
            folder.mkdir()
        except FileExistsError:
            if not folder.is_dir():  # a link that leads nowhere
                raise UsageError(
                    f"« {display_path(folder)} » est un lien symbolique qui ne mène nulle part",
                    "indiquez avec --out un vrai dossier, ou supprimez le lien",
                ) from None
        except OSError as error:
            raise os_failure(error, f"« {display_path(folder)} »") from None
    return missing


@contextmanager
def _locked(out: Path) -> Iterator[None]:
    """An exclusive lock on the folder itself (no lock file left behind; the system
    releases it when the process ends, even killed)."""
    try:
        import fcntl
    except ImportError:  # pragma: no cover - Windows: no lock
        yield
        return
    try:
        handle = os.open(out, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    except OSError as error:
        raise os_failure(error, f"« {display_path(out)} »") from None
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise BuildError(
                f"une autre construction est en cours dans « {display_path(out)} » : "
                "celle-ci n'a rien écrit",
                "attendez que l'autre se termine, puis relancez",
            ) from None
        yield
    finally:
        os.close(handle)


def claim_cache(out: Path, create: bool = True) -> Path:
    """``OUT/.bilan-cache/``, created and tagged if absent (with ``create``: the build
    checks it first, and creates it only to save the cache); refused if it holds what
    bilan did not write there (a link, a folder, or files in a folder without its tag)."""
    folder = out / CACHE_DIR
    shown = display_path(folder)
    hint = (
        "déplacez ou renommez ce qui s'y trouve : bilan garde dans ce dossier ce qu'il "
        "réutilise d'une construction à l'autre (ou lancez la construction avec --no-cache)"
    )
    try:
        info = os.lstat(folder)
    except FileNotFoundError:
        if create:
            _tag(folder)
        return folder
    if not stat.S_ISDIR(info.st_mode):
        kind = "un lien symbolique" if stat.S_ISLNK(info.st_mode) else "un fichier"
        raise UsageError(f"« {shown} » est {kind}, pas le dossier de cache de bilan", hint)
    names = sorted(_names(folder))
    for name in names:
        if not stat.S_ISREG(os.lstat(folder / name).st_mode):
            raise UsageError(
                f"« {display_path(folder / name)} » n'est pas un fichier écrit par bilan "
                "(lien symbolique ou dossier)",
                hint,
            )
    if CACHE_TAG in names and _read_head(folder / CACHE_TAG).startswith(TAG_SIGNATURE):
        return folder
    if names:
        raise UsageError(
            f"« {display_path(folder / names[0])} » : le dossier {shown} n'a pas été créé par "
            "bilan",
            hint + " ; s'il vient d'une version de bilan plus ancienne, supprimez-le",
        )
    if create:
        _tag(folder)
    return folder


def _tag(folder: Path) -> None:
    try:
        folder.mkdir(exist_ok=True)
        (folder / CACHE_TAG).write_bytes(
            TAG_SIGNATURE
            + "\n# Dossier de cache de bilan (bilan build) : il peut être supprimé sans perte."
            "\n# Voir https://bford.info/cachedir/\n".encode()
        )
    except OSError as error:
        raise os_failure(error, f"« {display_path(folder)} »") from None


def _names(folder: Path) -> list[str]:
    try:
        return os.listdir(folder)
    except OSError as error:
        raise os_failure(error, f"« {display_path(folder)} »") from None


def _read_head(path: Path) -> bytes:
    try:
        with open(path, "rb") as handle:
            return handle.read(len(TAG_SIGNATURE))
    except OSError:
        return b""


# --- Files of bilan's own beside the editions (OUT/index.html) -------------------------------


def check_owned_file(out: Path, name: str) -> None:
    """Refuse ``OUT/<name>`` if it is there and bilan did not write it (see
    :func:`write_owned_file`): checked before building, so that nothing is written."""
    _owned_state(out, name, _read_owned(out))


def write_owned_file(out: Path, name: str, data: bytes) -> None:
    """Write ``OUT/<name>``, a file of bilan's own beside the editions (the list of the
    editions), atomically. It is replaced only if it holds what bilan last wrote there:
    the SHA-256 of what it writes is recorded in ``OUT/`` (:data:`OWNED`) before the
    swap, with the previous one until the swap is done, so a build killed at any point
    still knows the file as its own. A file of the user's is refused (ForeignFiles)."""
    path = out / name
    record = _read_owned(out)
    current = _owned_state(out, name, record)
    new = hashlib.sha256(data).hexdigest()
    staging = None
    try:
        _write_owned(out, {**record, name: sorted({new, *([current] if current else [])})})
        handle, staging_name = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=out)
        staging = Path(staging_name)
        with os.fdopen(handle, "wb") as file:
            file.write(data)
        staging.chmod(0o644)
        os.replace(staging, path)
        staging = None
        _write_owned(out, {**record, name: [new]})
    except OSError as error:
        raise os_failure(error, f"« {display_path(path)} »") from None
    finally:
        if staging is not None:
            staging.unlink(missing_ok=True)


def remove_owned_file(out: Path, name: str) -> bool:
    """Remove ``OUT/<name>`` if bilan wrote it (True); a file of the user's stays."""
    record = _read_owned(out)
    try:
        current = _owned_state(out, name, record)
    except ForeignFiles:
        return False
    if current is None:
        return False
    try:
        os.unlink(out / name)
        _write_owned(out, {n: h for n, h in record.items() if n != name})
    except OSError as error:
        raise os_failure(error, f"« {display_path(out / name)} »") from None
    return True


def _owned_state(out: Path, name: str, record: Mapping[str, Sequence[str]]) -> str | None:
    """The SHA-256 of ``OUT/<name>`` if bilan wrote it, None if absent; ForeignFiles if it
    is something else."""
    path = out / name
    try:
        info = os.lstat(path)
    except FileNotFoundError:
        return None
    except OSError as error:
        raise os_failure(error, f"« {display_path(path)} »") from None
    why = "n'a pas été écrit par bilan"
    if stat.S_ISREG(info.st_mode):
        try:
            current = _sha256_of(path)
        except OSError as error:
            raise os_failure(error, f"« {display_path(path)} »") from None
        if current in record.get(name, ()):
            return current
        if name in record:
            why = "a été modifié depuis que bilan l'a écrit"
    raise ForeignFiles(
        f"« {display_path(path)} » {why} : bilan ne le remplace pas",
        f"déplacez ce fichier hors de « {display_path(out)} » (rien n'a été modifié), ou "
        "choisissez un autre dossier avec --out",
    )


def _read_owned(out: Path) -> dict[str, list[str]]:
    """File → the SHA-256 bilan recorded for it (empty if none, or not bilan's format)."""
    path = out / OWNED
    try:
        if not stat.S_ISREG(os.lstat(path).st_mode):
            return {}
        data = json.loads(path.read_bytes()[:MAX_MANIFEST])
        if data.get("bilan") != 1:
            return {}
        return {str(n): [str(h) for h in hashes] for n, hashes in data["files"].items()}
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return {}


def _write_owned(out: Path, record: Mapping[str, Sequence[str]]) -> None:
    path = out / OWNED
    partial = path.with_name(f".{OWNED}.tmp")
    text = json.dumps({"bilan": 1, "files": dict(sorted(record.items()))}, indent=1)
    partial.write_text(text + "\n", encoding="utf-8")
    os.replace(partial, path)


# --- Reading an edition ----------------------------------------------------------------------


def read_edition(target: Path) -> Edition:
    """The edition in ``target`` (empty if there is none), checked to be bilan's own;
    ForeignFiles names a file that is not. A file listed but gone is no error: its
    format is then incomplete, and left out of :attr:`Edition.formats`."""
    _recover(target)
    return _checked(target, refuse=True)


def _checked(target: Path, *, refuse: bool = True) -> Edition:
    """The edition in ``target``. With ``refuse`` False (a leftover of an interrupted
    build, to remove), what is not bilan's is left out of the edition instead of refused:
    it then stays where it is."""
    try:
        info = os.lstat(target)
    except FileNotFoundError:
        return Edition(target)
    except OSError as error:
        raise os_failure(error, f"« {display_path(target)} »") from None
    if not stat.S_ISDIR(info.st_mode):
        kind = "un lien symbolique" if stat.S_ISLNK(info.st_mode) else "un fichier"
        raise _foreign(target, target, f"est {kind} que bilan n'a pas écrit", 0)
    files, folders, odd = _walk(target)
    seen = (dict(files), set(folders))
    manifest = _read_manifest(target) if MANIFEST in files else None
    recorded, formats = manifest if manifest is not None else ({}, {})
    note = ""
    if manifest is not None:
        del files[MANIFEST]
    elif files:
        odd_manifest = MANIFEST in files or any(name == MANIFEST for name, _ in odd)
        note = " (manifeste de bilan illisible)" if odd_manifest else " (pas de manifeste)"
    files.pop(STAGING_MARK, None)  # left by a build killed just after its swap
    identities = _read_identities(target)
    foreign: list[tuple[str, str]] = list(odd)
    found: dict[str, tuple[int, int, int]] = {}
    for name, identity in files.items():
        entry = recorded.get(name)
        if entry is None:
            foreign.append((name, f"n'a pas été écrit par bilan{note}"))
        elif not _as_written(target, name, identity, entry, identities.get(name)):
            foreign.append((name, "a été modifié depuis que bilan l'a écrit"))
        else:
            found[name] = identity
    held = {parent for name in recorded for parent in _parents(name)}  # present or not
    strays = folders - held - {p for name, _ in foreign for p in _parents(name)}
    foreign += [(name, "est un dossier que bilan n'a pas créé") for name in strays]
    if foreign and refuse:  # named: a file rather than the manifest or a folder
        name, why = min(foreign, key=lambda item: (item[0] in (MANIFEST, *strays), item[0]))
        raise _foreign(target, target / name, why, len(foreign) - 1)
    incomplete = {entry.format for name, entry in recorded.items() if name not in found}
    complete = {f: r for f, r in formats.items() if f not in incomplete}
    if refuse:
        _check_writable(target, folders)
    kept = {name: recorded[name] for name in found}
    return Edition(target, kept, complete, found, frozenset(formats), seen)


def _check_writable(target: Path, folders: Collection[str]) -> None:
    """Refuse an edition whose folders cannot be changed (made read-only to protect it, or
    someone else's): it could be swapped out, but not removed afterwards."""
    for folder in (target, *(target / name for name in sorted(folders))):
        if not os.access(folder, os.W_OK | os.X_OK):
            raise UsageError(
                f"impossible de remplacer « {display_path(target)} » : "
                f"« {display_path(folder)} » est en lecture seule (droits insuffisants)",
                "rendez-le modifiable (chmod -R u+w) si bilan doit le remplacer, ou "
                "choisissez un autre dossier avec --out",
            )


def _foreign(target: Path, path: Path, why: str, more: int) -> ForeignFiles:
    others = f" (et {more} autre{'s' if more > 1 else ''})" if more else ""
    where = display_path(target)
    return ForeignFiles(
        f"« {display_path(path)} » {why}{others} : bilan ne remplace pas « {where} »",
        f"déplacez hors de {where} ce qui ne vient pas de bilan (rien n'a été modifié), "
        "ou choisissez un autre dossier avec --out ; si ce dossier a été écrit par une "
        "version de bilan plus ancienne, supprimez-le",
    )


def _walk(top: Path) -> tuple[dict[str, tuple[int, int, int]], set[str], list[tuple[str, str]]]:
    """Every regular file below ``top`` (relative POSIX name → inode, size, mtime), every
    folder, and what is neither (links are never followed)."""
    files: dict[str, tuple[int, int, int]] = {}
    folders: set[str] = set()
    odd: list[tuple[str, str]] = []
    pending = [("", str(top))]
    while pending:
        prefix, folder = pending.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError as error:
            raise os_failure(error, f"« {display_path(Path(folder))} »") from None
        for entry in entries:
            name = prefix + entry.name
            info = entry.stat(follow_symlinks=False)
            if stat.S_ISDIR(info.st_mode):
                folders.add(name)
                pending.append((name + "/", entry.path))
            elif stat.S_ISREG(info.st_mode):
                files[name] = (info.st_ino, info.st_size, info.st_mtime_ns)
            elif stat.S_ISLNK(info.st_mode):
                odd.append((name, "est un lien symbolique que bilan n'a pas écrit"))
            else:
                odd.append((name, "n'est pas un fichier ordinaire"))
    return files, folders, odd


def _parents(name: str) -> Iterator[str]:
    parts = name.split("/")
    for index in range(1, len(parts)):
        yield "/".join(parts[:index])


def _read_manifest(target: Path) -> tuple[dict[str, Recorded], dict[str, FormatRecord]] | None:
    """The manifest of ``target``; None if it is missing, too large or not bilan's format
    (then every file counts as foreign)."""
    try:
        with open(target / MANIFEST, "rb") as handle:
            raw = handle.read(MAX_MANIFEST + 1)
        if len(raw) > MAX_MANIFEST:
            return None
        data = json.loads(raw)
        files = {
            str(name): Recorded(str(f), str(sha), int(size))
            for name, (f, sha, size) in data["files"].items()
        }
        formats = {
            str(name): FormatRecord(str(r["key"]), tuple(str(a) for a in r["alongside"]))
            for name, r in data["formats"].items()
        }
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return None
    if data.get("bilan") != 1 or any(e.format not in formats for e in files.values()):
        return None
    return files, formats


def _identities_path(target: Path) -> Path:
    return target.parent / CACHE_DIR / IDENTITIES.format(name=target.name)


def _read_identities(target: Path) -> dict[str, tuple[tuple[int, int, int], str]]:
    """File → (identity, SHA-256) as the last build left them; empty if unknown."""
    try:
        data = json.loads(_identities_path(target).read_bytes())
        return {str(n): ((int(i), int(s), int(t)), str(h)) for n, (i, s, t, h) in data.items()}
    except (OSError, ValueError, TypeError, AttributeError):
        return {}


def _as_written(
    target: Path,
    name: str,
    identity: tuple[int, int, int],
    entry: Recorded,
    known: tuple[tuple[int, int, int], str] | None,
) -> bool:
    """Whether the file holds what bilan recorded: unchanged since bilan last saw it with
    that content (same inode, size and time), or, failing that, the same SHA-256."""
    if identity[1] != entry.size:
        return False
    if known is not None and known == (identity, entry.sha256):
        return True
    try:
        return _sha256_of(target / name) == entry.sha256
    except OSError:
        return False


def _sha256_of(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


# --- Leftovers of an interrupted build ------------------------------------------------------


def _recover(target: Path) -> None:
    recover(target.parent, target.name)


def recover(out: Path, only: str | None = None) -> None:
    """Put back an edition that a killed build left moved aside, and remove the other
    leftovers of bilan's builds in ``out`` (of the edition ``only``, if given): the
    folders bilan marked as its own, and in them only what it wrote."""
    try:
        names = sorted(os.listdir(out))
    except FileNotFoundError:
        return
    except OSError as error:
        raise os_failure(error, f"« {display_path(out)} »") from None
    for name in names:
        match = _LEFTOVER.fullmatch(name)
        path = out / name
        if match is None or only not in (None, match["name"]) or not _is_folder(path):
            continue
        try:
            if match["kind"] == "tmp" and _is_file(path / STAGING_MARK):
                _remove_staging(path)
            elif match["kind"] == "old" and _is_file(path / MANIFEST):
                target = out / match["name"]
                if not os.path.lexists(target):
                    os.replace(path, target)
                else:
                    _remove_edition(_checked(path, refuse=False))
        except OSError as error:
            raise os_failure(error, f"« {display_path(path)} »") from None


def _is_folder(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _remove_staging(path: Path) -> None:
    """Remove an edition that was being written, if it holds only files and folders."""
    files, folders, odd = _walk(path)
    if odd:
        return
    for name in files:
        os.unlink(path / name)
    _remove_folders(path, folders)


def _remove_edition(edition: Edition) -> None:
    """Remove the files of a replaced edition that are still as found when it was checked
    (a file changed since is left, and so is its folder)."""
    top = edition.target
    for name, identity in edition.identities.items():
        path = f"{top}/{name}"
        try:
            info = os.lstat(path)
        except FileNotFoundError:
            continue
        if (info.st_ino, info.st_size, info.st_mtime_ns) == identity:
            os.unlink(path)
    with suppress(FileNotFoundError):
        os.unlink(top / STAGING_MARK)
    _, folders, _odd = _walk(top)
    if not _remove_folders(top, folders, keep=MANIFEST):
        return
    with suppress(FileNotFoundError):
        os.unlink(top / MANIFEST)
    with suppress(OSError):
        os.rmdir(top)


def _remove_folders(top: Path, folders: Collection[str], keep: str = "") -> bool:
    """Remove the (now empty) ``folders`` below ``top``, deepest first, then ``top`` unless
    it still holds ``keep``; True if all of them went."""
    done = True
    for name in sorted(folders, key=lambda n: n.count("/"), reverse=True):
        try:
            os.rmdir(top / name)
        except OSError:
            done = False
    if done and not keep:
        try:
            os.rmdir(top)
        except OSError:
            return False
    if keep:
        done = done and os.listdir(top) == [keep]
    return done


# --- Writing an edition ---------------------------------------------------------------------


def _safe_relative(name: str) -> str:
    """An output's relative POSIX path; a path that would leave the output folder, or that
    takes the name of bilan's own files, is refused."""
    parts = tuple(part for part in name.split("/") if part not in ("", "."))
    if name.startswith("/") or ".." in parts or not parts or parts[0] in (MANIFEST, STAGING_MARK):
        raise BuildError(f"chemin de sortie refusé : {name}")
    return "/".join(parts)


def write_atomically(
    target: Path,
    outputs: Mapping[str, Mapping[str, bytes]],
    key: str,
    reuse: Collection[str] = (),
    edition: Edition | None = None,
) -> Written:
    """Write the formats of ``outputs`` (format → relative POSIX path → bytes), built from
    inputs of ``key``, as the new content of ``target``, which must be bilan's own (else
    ForeignFiles, and nothing changes). The files of the other formats of the current
    edition are kept if they were built with the same key, else dropped. The files named
    in ``reuse`` (of the formats written) are kept as they are in the current edition
    (linked, not copied: an incremental build rewrites only what changed). ``edition``:
    :func:`read_edition`'s answer, if the caller asked before rendering (the current
    edition is then only checked unchanged, not read again); the edition must not have
    changed since, or nothing is replaced (BuildError)."""
    edition = read_edition(target) if edition is None else edition
    kept = set(edition.current(key)) - set(outputs)
    final = frozenset(outputs) | kept
    dropped = edition.listed - final
    names: dict[str, tuple[str, bytes | None]] = {}
    for format_name, files in outputs.items():
        names.update({_safe_relative(n): (format_name, data) for n, data in files.items()})
    for name in reuse:
        entry = edition.files.get(name)
        if entry is None or entry.format not in outputs:
            raise BuildError(f"sortie à reprendre absente de l'édition précédente : {name}")
        names.setdefault(_safe_relative(name), (entry.format, None))
    for name, entry in edition.files.items():
        if entry.format in kept:
            names.setdefault(name, (entry.format, None))
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(
            tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        )
    except OSError as error:
        raise os_failure(error, f"« {display_path(target.parent)} »") from None
    old = staging.with_suffix(".old")
    try:
        (staging / STAGING_MARK).write_bytes(b"")
        records, identities = _fill(staging, target, names, edition)
        formats = {f: FormatRecord(key, tuple(sorted(final))) for f in outputs}
        formats.update({f: edition.formats[f] for f in kept})
        _write_manifest(staging, records, formats)
        staging.chmod(0o755)
        if not edition.unchanged():  # nothing slipped in or changed while rendering
            raise BuildError(
                f"« {display_path(target)} » a changé pendant la construction : rien n'a été "
                "remplacé",
                "relancez la construction",
            )
        if os.path.lexists(target):
            os.replace(target, old)
        os.replace(staging, target)
    except BaseException as error:
        with suppress(OSError):
            _remove_staging(staging)
        if os.path.lexists(old) and not os.path.lexists(target):
            os.replace(old, target)
        if isinstance(error, OSError):
            raise os_failure(error, f"« {display_path(target)} »") from None
        raise
    with suppress(OSError):  # the edition is in place; what is left is removed next time
        os.unlink(target / STAGING_MARK)
        if os.path.lexists(old):
            _remove_edition(Edition(old, edition.files, edition.formats, edition.identities))
    _save_identities(target, identities, records)
    return Written(target, final, tuple(sorted(records)), dropped)


Identity = tuple[int, int, int]
"""A file's inode, size and modification time: unchanged, it holds what it held."""


def _fill(
    staging: Path, target: Path, names: Mapping[str, tuple[str, bytes | None]], edition: Edition
) -> tuple[dict[str, Recorded], dict[str, Identity]]:
    """Write (or link from ``target``) every file into ``staging``; their records and
    identities (a linked file keeps its inode, size and time: no need to ask again)."""
    records: dict[str, Recorded] = {}
    identities: dict[str, Identity] = {}
    folders = {str(staging)}
    for name in sorted(names):
        format_name, data = names[name]
        path = f"{staging}/{name}"
        folder = path.rpartition("/")[0]
        if folder not in folders:
            os.makedirs(folder, exist_ok=True)
            folders.add(folder)
        if data is None:
            previous = edition.files[name]
            records[name] = Recorded(format_name, previous.sha256, previous.size)
            if _link(f"{target}/{name}", path):
                identities[name] = edition.identities[name]
                continue
        else:
            Path(path).write_bytes(data)
            records[name] = Recorded(format_name, hashlib.sha256(data).hexdigest(), len(data))
        info = os.lstat(path)
        identities[name] = (info.st_ino, info.st_size, info.st_mtime_ns)
    return records, identities


def _link(source: str, path: str) -> bool:
    """A second name for ``source`` (True), or a copy where the file system has no hard
    links (False)."""
    try:
        os.link(source, path)
        return True
    except OSError as error:
        if error.errno in (errno.ENOSPC, errno.EDQUOT):
            raise
        with open(source, "rb") as file, open(path, "wb") as copy:
            while chunk := file.read(1 << 20):
                copy.write(chunk)
        return False


def _write_manifest(
    staging: Path, records: Mapping[str, Recorded], formats: Mapping[str, FormatRecord]
) -> None:
    """The manifest, one line per file (readable in a diff), deterministic like the rest of
    the edition: no time, no inode."""
    head = {f: {"key": r.key, "alongside": list(r.alongside)} for f, r in sorted(formats.items())}
    lines = [
        f"{json.dumps(n, ensure_ascii=False)}: {json.dumps([r.format, r.sha256, r.size])}"
        for n, r in sorted(records.items())
    ]
    text = f'{{"bilan": 1, "formats": {json.dumps(head)}, "files": {{\n' + ",\n".join(lines)
    (staging / MANIFEST).write_text(text + "\n}}\n", encoding="utf-8")


def _save_identities(
    target: Path, identities: Mapping[str, Identity], records: Mapping[str, Recorded]
) -> None:
    """Leave the files' identities in the cache folder, if bilan has one there (a copy
    that cannot be written only costs the next build some hashing)."""
    path = _identities_path(target)
    if not (path.parent / CACHE_TAG).is_file() or path.parent.is_symlink():
        return
    data = {name: [*identity, records[name].sha256] for name, identity in identities.items()}
    partial = path.with_name(f".{path.name}.tmp")
    try:
        partial.write_text(json.dumps(data, separators=(",", ":")), encoding="utf-8")
        os.replace(partial, path)
    except OSError:
        partial.unlink(missing_ok=True)
