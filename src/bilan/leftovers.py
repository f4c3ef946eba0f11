"""Files that editors, systems and merge tools leave next to the ones people edit.

Emacs, vim, macOS, Windows, LibreOffice and git leave such files in ``data/`` while a fiche
is being edited (``e05-groupements-achats.yaml~``, ``.#e05….yaml`` lock links that point
nowhere, ``.e05….yaml.swp``, ``.DS_Store``, ``Thumbs.db``…). pre-commit runs on the working
tree, so they must not make ``bilan validate`` fail: the loaders skip them. Copies kept by
hand or by a merge (``.orig``, ``.bak``, ``_BACKUP_1234.yaml``…) are skipped too, but the
fiche loader warns about them: someone made them and should delete them. A fiche saved as
``.yml`` is neither: it is a real mistake, reported as an error (F002).
"""

from __future__ import annotations

import re

_EDITOR = re.compile(
    r"""
      \..*                      # hidden: .#x lock links, .x.swp, .DS_Store, ._x, .~lock.x#
    | .*~                       # Emacs, vim, gedit backups (x~, x.~1~)
    | \#.*\#                    # Emacs auto-save
    | ~\$.*                     # Microsoft Office lock files
    | 4913                      # vim's probe that a folder is writable
    | .*\.sw[a-p]               # vim swap files kept outside their hidden name
    | .*\.kate-swp
    | .*___jb_(?:tmp|old)___    # JetBrains safe-write
    | Thumbs\.db | ehthumbs\.db | desktop\.ini | Icon\r
    """,
    re.VERBOSE | re.IGNORECASE,
)
_COPY = re.compile(
    r"""
      .*\.(?:orig|rej|bak|old|backup|save)
    | .*_(?:BACKUP|BASE|LOCAL|REMOTE)_[0-9]+(?:\.[^.]*)?   # git mergetool
    """,
    re.VERBOSE | re.IGNORECASE,
)


def is_editor_file(name: str) -> bool:
    """A file an editor or the system left on its own: skipped without a word."""
    return _EDITOR.fullmatch(name) is not None


def is_copy(name: str) -> bool:
    """A backup or merge copy (``x.yaml.orig``, ``x_LOCAL_123.yaml``): skipped, with a
    warning where the listing has diagnostics."""
    return _COPY.fullmatch(name) is not None


def is_leftover(name: str) -> bool:
    return is_editor_file(name) or is_copy(name)
