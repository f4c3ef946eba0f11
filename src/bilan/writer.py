"""The only writer: a complete output folder is built aside, then swapped in.

Files are written into a temporary sibling folder; only when all of them are there
does it replace ``OUT/<année>/`` (two renames). A build that fails or is interrupted
leaves the previous output as it was. Nothing is written outside the output folder.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Collection, Mapping
from pathlib import Path

from bilan.errors import BuildError, UsageError


def check_output_folder(out: Path, protected: list[Path]) -> None:
    """Refuse an output folder that holds, or lies inside, the data or the templates."""
    target = out.resolve()
    for folder in protected:
        guarded = folder.resolve()
        if target == guarded or guarded.is_relative_to(target) or target.is_relative_to(guarded):
            raise UsageError(
                f"le dossier de sortie « {out} » contient ou recouvre « {folder} »",
                "choisissez un dossier de sortie à part, par exemple --out build",
            )


def _safe_relative(name: str) -> tuple[str, ...]:
    """The parts of an output's relative POSIX path; a path that would leave the output
    folder is refused."""
    parts = tuple(part for part in name.split("/") if part not in ("", "."))
    if name.startswith("/") or ".." in parts or not parts:
        raise BuildError(f"chemin de sortie refusé : {name}")
    return parts


def write_atomically(target: Path, files: Mapping[str, bytes], reuse: Collection[str] = ()) -> None:
    """Write ``files`` (relative POSIX paths → bytes) as the new content of ``target``,
    with the files named in ``reuse`` kept as they are in the current ``target`` (linked,
    not copied: an incremental build rewrites only what changed)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent))
    staging.chmod(0o755)
    previous = target.parent / f".{target.name}.previous"
    folders = {str(staging)}
    try:
        for name in sorted({*files, *reuse}):
            relative = "/".join(_safe_relative(name))
            path = f"{staging}/{relative}"
            folder = path.rpartition("/")[0]
            if folder not in folders:
                os.makedirs(folder, exist_ok=True)
                folders.add(folder)
            if name in files:
                Path(path).write_bytes(files[name])
            else:
                _link(f"{target}/{relative}", path)
        if previous.exists():
            shutil.rmtree(previous)
        if target.exists():
            os.replace(target, previous)
        os.replace(staging, target)
        if previous.exists():
            shutil.rmtree(previous)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        if previous.exists() and not target.exists():
            os.replace(previous, target)
        raise


def _link(source: str, path: str) -> None:
    """A second name for ``source`` (a copy where the file system has no hard links)."""
    try:
        os.link(source, path)
    except OSError:
        shutil.copy2(source, path)
