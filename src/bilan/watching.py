"""Which saved files rebuild the preview (:mod:`bilan.serve`): the sources of the report,
not the files editors write beside the one being saved."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path

from watchfiles import Change, DefaultFilter

from bilan.files import display_path


class SourceFilter(DefaultFilter):
    """The changes that may change the report: not the files editors write beside the one
    being saved (watchfiles already ignores ``*~``, ``.#*`` locks, ``.*.swp`` and JetBrains'
    ``___jb_…___``), nor any hidden file, which the data loader skips too."""

    ignore_entity_patterns = (
        *DefaultFilter.ignore_entity_patterns,
        r"^\.",  # hidden: editors' swap, lock and temporary files (.x.swp, .#x, .x.tmp)
        r"^4913$",  # Vim's test that it may write in the folder
        r"^#.*#$",  # Emacs' auto-save
        r"\.(tmp|swap|kate-swp|crswap|part|bak|orig)$",  # temporary copies, backups
        r"^\.?goutputstream-",  # GNOME's atomic save
        r"^~\$",  # Office's lock file (a Word document pasted from)
    )


def changed_files(changes: Iterable[tuple[Change, str]]) -> list[str]:
    """The files a burst of changes changed, as shown in messages; not those that came and
    went within it (the temporary copy that an editor, or ``sed -i``, renames over the
    file): a burst of these alone changes nothing."""
    changes = list(changes)
    added = {path for change, path in changes if change == Change.added}
    gone = {path for change, path in changes if change == Change.deleted}
    passing = {path for path in added & gone if not os.path.lexists(path)}
    return sorted({display_path(Path(path)) for _change, path in changes if path not in passing})


def changed_since(folders: Iterable[Path], since_ns: int) -> list[str]:
    """The watched files changed after ``since_ns`` (what was saved during the first build,
    before the watcher started), as shown in messages."""
    keep = SourceFilter()
    found = []
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            dirs[:] = [d for d in dirs if keep(Change.modified, os.path.join(root, d))]
            for name in files:
                path = os.path.join(root, name)
                try:
                    newer = os.stat(path).st_mtime_ns > since_ns
                except OSError:
                    continue
                if newer and keep(Change.modified, path):
                    found.append(display_path(Path(path)))
    return sorted(found)
