"""Hostile and broken input: a clear, located French error every time; nothing executed,
leaked or lost.

One table row per case, each run through the command line as CI runs it. Cases that could
hang or exhaust memory if a guard regressed (bombs, nesting, size, FIFOs) run in a
subprocess with a timeout and an address-space limit, so that a regression fails instead
of taking the machine down. The build cases check what reaches the public site and that
a failed build leaves the previous report as it was.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from bilan import incremental, writer
from bilan.build import BuildOptions, build, project_templates
from bilan.catalogue import BASE, CATALOGUE
from bilan.cli import app
from bilan.diagnostics import INVISIBLE
from bilan.errors import BuildError
from bilan.incremental import CACHE_DIR
from bilan.outputs import FORMATS
from bilan.reporters import REPORTERS
from bilan.validate import MAX_PER_FILE, validate_data
from bilan.writer import MANIFEST
from bilan.yamlio import load_bytes
from tests.conftest import COMMUNES, DATA, bilan, fiche
from tests.golden import example_2017
from tests.htmltree import parse

runner = CliRunner()

SECRET = "SECRET-7f3a9c-ne-doit-jamais-sortir"
"""Content of a file outside the data folder: it must never appear in any output."""
PWNED = "PWNED-marker"
"""File that a constructed ``!!python/object`` would create: it must never exist."""
MEMORY_LIMIT = 512 * 2**20
"""Address space for isolated runs: plenty for bilan, nothing for an expanded bomb."""
TIME_LIMIT = 60
"""Seconds before an isolated run counts as a hang (they take about one)."""
FICHE = "data/actions/e01-test.yaml"
BILAN = "data/rapports/2016/bilans/e01-test.yaml"
COMMUNES_FILE = "data/communes.yaml"
EDITO = "data/rapports/2016/00-edito.md"
RAPPORT = BASE["data/rapports/2016/rapport.yaml"]
EDITO_TEXT = BASE[EDITO]
_ENGLISH = re.compile(
    r"\b(found|expected|could not|did not|not allowed|cannot|error|invalid|unexpected)\b", re.I
)


def make_base(root: Path) -> Path:
    """A small valid data folder under ``root``: communes, one fiche and its 2016 bilan,
    the 2016 narrative."""
    data = root / "data"
    (data / "actions").mkdir(parents=True)
    (data / "rapports" / "2016" / "bilans").mkdir(parents=True)
    (data / "communes.yaml").write_text(COMMUNES, encoding="utf-8")
    (data / "actions" / "e01-test.yaml").write_text(fiche(), encoding="utf-8")
    (data / "rapports" / "2016" / "bilans" / "e01-test.yaml").write_text(bilan(), "utf-8")
    (data / "rapports" / "2016" / "rapport.yaml").write_text(RAPPORT, encoding="utf-8")
    (data / "rapports" / "2016" / "00-edito.md").write_text(EDITO_TEXT, encoding="utf-8")
    (root / "secret.yaml").write_text(f"id: {SECRET}\nmot_de_passe: {SECRET}\n", "utf-8")
    return data


# --- Setups: how each case breaks the base folder --------------------------------------------

Setup = Callable[[Path], None]
"""Changes the data folder given (the secret file is its sibling)."""


def write(relative: str, content: str | bytes) -> Setup:
    def setup(data: Path) -> None:
        target = data / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")

    return setup


def edit(relative: str, old: str, new: str) -> Setup:
    def setup(data: Path) -> None:
        target = data / relative
        text = target.read_text(encoding="utf-8")
        assert old in text, f"{old!r} absent de {relative}"
        target.write_text(text.replace(old, new, 1), encoding="utf-8")

    return setup


def in_fiche(old: str, new: str) -> Setup:
    return edit("actions/e01-test.yaml", old, new)


def in_bilan(old: str, new: str) -> Setup:
    return edit("rapports/2016/bilans/e01-test.yaml", old, new)


def fiche_bytes(transform: Callable[[str], bytes]) -> Setup:
    return write("actions/e01-test.yaml", transform(fiche()))


def link(relative: str, target: Callable[[Path], Path]) -> Setup:
    def setup(data: Path) -> None:
        path = data / relative
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
        path.symlink_to(target(data))

    return setup


def outside(data: Path) -> Path:
    return data.parent / "secret.yaml"


def outside_folder(data: Path) -> Path:
    folder = data.parent / "ailleurs"
    folder.mkdir(exist_ok=True)
    shutil.copy(outside(data), folder / "e02-test.yaml")
    return folder


def fifo(relative: str) -> Setup:
    def setup(data: Path) -> None:
        os.mkfifo(data / relative)

    return setup


def steps(*setups: Setup) -> Setup:
    def setup(data: Path) -> None:
        for one in setups:
            one(data)

    return setup


def remove(relative: str) -> Setup:
    def setup(data: Path) -> None:
        shutil.rmtree(data / relative) if (data / relative).is_dir() else (data / relative).unlink()

    return setup


def billion_laughs() -> str:
    """Nine levels of nine aliases: 9⁹ strings once expanded by a naive loader."""
    lines = ["a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]"]
    for level in range(1, 10):
        name, previous = chr(ord("a") + level), chr(ord("a") + level - 1)
        lines.append(f"{name}: &{name} [{', '.join(['*' + previous] * 9)}]")
    return "\n".join(lines) + "\n"


def many_errors() -> str:
    """About a megabyte of « - on » (each read as a boolean): one S003 per line."""
    count = (1_000_000 - len(fiche())) // len("  - on\n") - 10
    return fiche().replace("  - Un objectif\n", "  - on\n" * count)


def many_communes() -> Setup:
    """Thousands of communes and thousands of unknown ones: suggestions must stay cheap."""
    known = "".join(
        f'  - {{id: c{i}, nom: Commune {i}, insee: "{i % 100000:05d}"}}\n' for i in range(4, 12000)
    )
    unknown = ", ".join(f"inconnue-{i}" for i in range(12000))
    return steps(
        write("communes.yaml", COMMUNES + known),
        write("rapports/2016/bilans/e01-test.yaml", bilan(extra=f"communes: [{unknown}]\n")),
    )


# --- The table ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One hostile input and the diagnostic it must give (code None: the data is valid)."""

    id: str
    setup: Setup
    code: str | None
    file: str = FICHE
    line: int = 0
    column: int = 0
    hint: str = ""
    """A part of the hint (« Conseil : … »), when the hint must say something precise."""
    exit: int = 1
    isolated: bool = False
    """Run in a subprocess, with a timeout and a memory limit."""


def Ignored(name: str, setup: Setup) -> Case:
    """A file that validate skips without a word: the data stays valid."""
    return Case(name, setup, None, exit=0)


CASES = [
    # YAML syntax, as typed by hand
    Case(
        "syntax-colon",
        in_fiche("titre: Fiche e01-test", "titre: Fiche: e01-test"),
        "Y001",
        line=2,
        column=13,
        hint="guillemets",
    ),
    Case(
        "syntax-unclosed-quote",
        in_fiche("titre: Fiche e01-test", 'titre: "Fiche e01-test'),
        "Y001",
        line=2,
        column=8,
        hint='« titre: "Fiche e01-test" »',
    ),
    Case(
        "syntax-unclosed-bracket",
        in_fiche("[fonctions-ressources]", "[fonctions-ressources"),
        "Y001",
        line=7,
        column=13,
        hint="« themes: [fonctions-ressources] »",
    ),
    Case(
        "syntax-markdown-star",
        in_fiche("  - Un objectif", "  - * un objectif"),
        "Y001",
        line=9,
        column=5,
        hint="guillemets",
    ),
    Case(
        "syntax-text-after-quote",
        in_fiche("titre: Fiche e01-test", 'titre: "Fiche" e01-test'),
        "Y001",
        line=2,
        column=14,
        hint="guillemets",
    ),
    Case(
        "tab-indentation",
        in_fiche("  - Un objectif", "\t- Un objectif"),
        "Y009",
        line=9,
        column=1,
        hint="espaces",
    ),
    Case(
        "duplicate-key",
        in_fiche("objectifs:", "titre: Encore\nobjectifs:"),
        "Y002",
        line=8,
        column=1,
        hint="fusionnez",
    ),
    Case(
        "duplicate-nested-key",
        in_fiche("    numero: 1", "    numero: 1\n    numero: 2"),
        "Y002",
        line=6,
        column=5,
    ),
    Case("empty-file", write("actions/e01-test.yaml", b""), "Y007", line=1, column=1),
    Case(
        "only-comments",
        write("actions/e01-test.yaml", "# rien\n# toujours rien\n"),
        "Y007",
        line=1,
        column=1,
    ),
    Case(
        "top-level-list",
        write("actions/e01-test.yaml", "- id: e01-test\n- titre: x\n"),
        "Y008",
        line=1,
        column=1,
        hint="sans tiret",
    ),
    Case(
        "top-level-text",
        write("actions/e01-test.yaml", "juste une phrase\n"),
        "Y008",
        line=1,
        column=1,
    ),
    Case("two-documents", in_fiche("objectifs:", "---\nobjectifs:"), "Y011", line=8, column=1),
    Case(
        "empty-key",
        in_fiche("objectifs:", ": x\nobjectifs:"),
        "Y001",
        line=8,
        column=1,
        hint="nom du champ",
    ),
    Case(
        "number-too-long",
        in_fiche("numero: 1", "numero: " + "9" * 5000),
        "Y001",
        line=5,
        column=13,
        hint="guillemets",
    ),
    # Encodings: Windows editors
    Case(
        "latin-1",
        fiche_bytes(lambda text: text.encode("latin-1")),
        "Y005",
        line=11,
        column=9,
        hint="UTF-8",
    ),
    Case(
        "utf-16",
        fiche_bytes(lambda text: text.encode("utf-16")),
        "Y005",
        line=1,
        column=1,
        hint="UTF-8",
    ),
    Case(
        "bom-and-crlf",
        fiche_bytes(lambda text: b"\xef\xbb\xbf" + text.replace("\n", "\r\n").encode()),
        None,
        exit=0,
    ),
    Case("cr-only", fiche_bytes(lambda text: text.replace("\n", "\r").encode()), None, exit=0),
    Case(
        "bom-crlf-error-located",
        fiche_bytes(
            lambda text: (
                b"\xef\xbb\xbf"
                + text.replace("objectifs:", "objectif:").replace("\n", "\r\n").encode()
            )
        ),
        "S001",
        line=8,
        column=1,
        hint="objectifs",
    ),
    # YAML 1.1 reads some words and numbers as something else than text
    Case("word-non-is-text", in_fiche("  - Un objectif", "  - non"), None, exit=0),
    Case(
        "word-on-is-boolean",
        in_fiche("  - Un objectif", "  - on"),
        "S003",
        line=9,
        column=5,
        hint='"on"',
    ),
    Case(
        "word-yes-is-boolean",
        in_fiche("titre: Fiche e01-test", "titre: yes"),
        "S003",
        line=2,
        column=8,
        hint='"yes"',
    ),
    Case(
        "date-where-text",
        in_fiche("titre: Fiche e01-test", "titre: 2016-06-01"),
        "S003",
        line=2,
        column=8,
        hint='"2016-06-01"',
    ),
    Case("zero-padded-number", in_fiche("numero: 1", "numero: 08"), "S003", line=5, column=13),
    Case(
        "octal-insee",
        edit("communes.yaml", 'insee: "34001"', "insee: 01053"),
        "S003",
        file=COMMUNES_FILE,
        line=5,
        column=36,
        hint='"01053"',
    ),
    # Tags and aliases: nothing is ever constructed or expanded
    Case(
        "python-object-tag",
        in_fiche(
            "titre: Fiche e01-test", f"titre: !!python/object/apply:os.system ['touch {PWNED}']"
        ),
        "Y003",
        line=2,
        column=8,
    ),
    Case(
        "python-name-tag",
        in_fiche("titre: Fiche e01-test", "titre: !!python/name:os.system"),
        "Y003",
        line=2,
        column=8,
    ),
    Case(
        "local-tag",
        in_fiche("titre: Fiche e01-test", "titre: !important Fiche"),
        "Y003",
        line=2,
        column=8,
    ),
    Case(
        "tag-directive",
        write(
            "actions/e01-test.yaml",
            f"%TAG !p! tag:yaml.org,2002:python/\n---\n{fiche()}".replace(
                "titre: Fiche e01-test", "titre: !p!object/apply:os.system [x]"
            ),
        ),
        "Y003",
        line=4,
        column=8,
    ),
    Case(
        "binary-tag",
        in_fiche("titre: Fiche e01-test", "titre: !!binary aGVsbG8="),
        "Y003",
        line=2,
        column=8,
    ),
    Case(
        "merge-key",
        in_fiche("objectifs:", "<<: {titre: x}\nobjectifs:"),
        "Y003",
        line=8,
        column=1,
        hint="guillemets",
    ),
    Case(
        "alias",
        in_fiche("titre: Fiche e01-test", "titre: &t Fiche\nsous_titre: *t"),
        "Y004",
        line=3,
        column=13,
        hint="guillemets",
    ),
    Case(
        "billion-laughs",
        write("actions/e01-test.yaml", billion_laughs()),
        "Y004",
        line=2,
        column=8,
        isolated=True,
    ),
    # Size and depth
    Case(
        "oversized",
        write("actions/e01-test.yaml", b"# " + b"x" * 5_000_000),
        "F004",
        hint="bon fichier",
        isolated=True,
    ),
    Case(
        "deep-flow",
        in_fiche("objectifs:", "objectifs: " + "[" * 100_000),
        "Y006",
        line=8,
        column=1011,
        isolated=True,
    ),
    Case(
        "deep-block",
        write("actions/e01-test.yaml", "".join("  " * i + "a:\n" for i in range(200))),
        "Y006",
        line=41,
        column=81,
        isolated=True,
    ),
    Case(
        "deep-narrative-reference",
        edit(
            "rapports/2016/00-edito.md",
            "L'établissement",
            "{{ " + "(" * 50_000 + "x" + ")" * 50_000 + " }}",
        ),
        "N004",
        file=EDITO,
        line=5,
        column=1,
        isolated=True,
    ),
    Case(
        "absurd-action-number",
        in_fiche("numero: 1", "numero: 1000000000000"),
        "S005",
        line=5,
        column=13,
        isolated=True,
    ),
    Case(
        "thousands-of-unknown-communes",
        many_communes(),
        "R004",
        file=BILAN,
        line=6,
        column=12,
        isolated=True,
    ),
    # Invisible characters, typed or escaped
    Case(
        "control-character",
        in_fiche("Un objectif", "Un \x1b[31mobjectif"),
        "Y010",
        line=9,
        column=8,
        hint="supprimez",
    ),
    Case("nul-character", in_fiche("Un objectif", "Un \x00objectif"), "Y010", line=9, column=8),
    Case("bidi-override", in_fiche("Un objectif", "Un \u202eobjectif"), "Y010", line=9, column=8),
    Case(
        "zero-width-space-in-key",
        in_fiche("objectifs:", "objectifs\u200b:"),
        "Y010",
        line=8,
        column=10,
    ),
    Case("bom-inside-text", in_fiche("Un objectif", "Un\ufeffobjectif"), "Y010", line=9, column=7),
    Case(
        "escaped-control",
        in_fiche("titre: Fiche e01-test", 'titre: "Fiche\\x1b[2Je01"'),
        "Y010",
        line=2,
        column=8,
        hint="échappement",
    ),
    Case(
        "escaped-bidi",
        in_fiche("titre: Fiche e01-test", 'titre: "Fiche\\u202ee01"'),
        "Y010",
        line=2,
        column=8,
    ),
    Case(
        "escaped-nul-in-key",
        in_fiche("objectifs:", '"objectifs\\0": []\nobjectifs:'),
        "Y010",
        line=8,
        column=1,
    ),
    # Files
    Case(
        "not-yaml",
        write("actions/notes.txt", "des notes"),
        "F002",
        file="data/actions/notes.txt",
        hint=".yaml",
    ),
    Case(
        "yml-extension",
        write("actions/e02-test.yml", fiche("e02-test", number=2)),
        "F002",
        file="data/actions/e02-test.yml",
        hint="renommez-la en « e02-test.yaml »",
    ),
    Case(
        "yaml-upper-case",
        write("actions/e02-test.YAML", fiche("e02-test", number=2)),
        "F002",
        file="data/actions/e02-test.YAML",
        hint="« e02-test.yaml »",
    ),
    # What editors, systems and merge tools leave beside the files: never an error
    Ignored("emacs-backup", write("actions/e01-test.yaml~", fiche() + "ancien: 1\n")),
    Ignored("numbered-backup", write("actions/e01-test.yaml.~2~", "id: [\n")),
    Ignored("emacs-auto-save", write("actions/#e01-test.yaml#", "id: [\n")),
    Ignored(
        "emacs-lock-link",
        link("actions/.#e01-test.yaml", lambda d: Path("utilisateur@machine.12345:1700000000")),
    ),
    Ignored("vim-swap", write("actions/.e01-test.yaml.swp", b"b0VIM 9.0\x00\xff")),
    Ignored("vim-swap-2", write("actions/.e01-test.yaml.swo", b"b0VIM 9.0\x00\xff")),
    Ignored("vim-probe", write("actions/4913", "")),
    Ignored("macos-store", write("actions/.DS_Store", b"\x00\x00\x00\x01Bud1")),
    Ignored("macos-resource-fork", write("actions/._e01-test.yaml", b"\x00\x05\x16\x07")),
    Ignored("windows-thumbnails", write("actions/Thumbs.db", b"\xd0\xcf\x11\xe0")),
    Ignored("windows-desktop-ini", write("actions/desktop.ini", "[.ShellClassInfo]\n")),
    Ignored("office-lock", write("actions/~$notes.docx", b"\x00")),
    Ignored("libreoffice-lock", write("actions/.~lock.notes.odt#", "moi,machine\n")),
    Ignored("jetbrains-safe-write", write("actions/e01-test.yaml___jb_tmp___", "id: [\n")),
    Ignored(
        "narrative-emacs-lock-link",
        link("rapports/2016/.#00-edito.md", lambda d: Path("utilisateur@machine.1:1")),
    ),
    Ignored("narrative-backup", write("rapports/2016/00-edito.md~", "pas d'en-tête\n")),
    Ignored("narrative-vim-swap", write("rapports/2016/.00-edito.md.swp", b"b0VIM\x00")),
    Ignored(
        "narrative-merge-copy",
        write("rapports/2016/00-edito_LOCAL_4242.md", "<<<<<<< HEAD\n"),
    ),
    # The same beside a year's bilans, its rapport.yaml, and in data/rapports/ itself
    Ignored("bilan-emacs-backup", write("rapports/2016/bilans/e01-test.yaml~", "etat: [\n")),
    Ignored("bilan-emacs-auto-save", write("rapports/2016/bilans/#e01-test.yaml#", "etat: [\n")),
    Ignored(
        "bilan-emacs-lock-link",
        link("rapports/2016/bilans/.#e01-test.yaml", lambda d: Path("utilisateur@machine.1:1")),
    ),
    Ignored("bilan-vim-swap", write("rapports/2016/bilans/.e01-test.yaml.swp", b"b0VIM\x00\xff")),
    Ignored("bilan-macos-store", write("rapports/2016/bilans/.DS_Store", b"\x00\x00\x00\x01Bud1")),
    Ignored("bilan-windows-thumbnails", write("rapports/2016/bilans/Thumbs.db", b"\xd0\xcf")),
    Ignored("report-emacs-backup", write("rapports/2016/rapport.yaml~", "annee: [\n")),
    Ignored(
        "report-emacs-lock-link",
        link("rapports/2016/.#rapport.yaml", lambda d: Path("utilisateur@machine.1:1")),
    ),
    Ignored("report-vim-swap", write("rapports/2016/.rapport.yaml.swp", b"b0VIM\x00")),
    Ignored("report-macos-store", write("rapports/2016/.DS_Store", b"\x00\x00\x00\x01Bud1")),
    Ignored("reports-macos-store", write("rapports/.DS_Store", b"\x00\x00\x00\x01Bud1")),
    Ignored("data-macos-store", write(".DS_Store", b"\x00\x00\x00\x01Bud1")),
    Case(
        "bilan-merge-copy",
        write("rapports/2016/bilans/e01-test_LOCAL_4242.yaml", bilan()),
        "F007",
        file="data/rapports/2016/bilans/e01-test_LOCAL_4242.yaml",
        hint="supprimez-la",
        exit=0,
    ),
    Case(
        "bilan-merge-original",
        write("rapports/2016/bilans/e01-test.yaml.orig", "<<<<<<< HEAD\n"),
        "F007",
        file="data/rapports/2016/bilans/e01-test.yaml.orig",
        exit=0,
    ),
    Case(
        "bilan-yml-extension",
        write("rapports/2016/bilans/e01-test.yml", bilan()),
        "F002",
        file="data/rapports/2016/bilans/e01-test.yml",
        hint="s'il s'agit d'un bilan, renommez-le en « e01-test.yaml »",
    ),
    # Copies kept by hand or by a merge: skipped, with a warning (validate still passes)
    Case(
        "merge-original",
        write("actions/e01-test.yaml.orig", fiche()),
        "F007",
        file="data/actions/e01-test.yaml.orig",
        hint="supprimez-la",
        exit=0,
    ),
    Case(
        "patch-reject",
        write("actions/e01-test.yaml.rej", "@@ -1 +1 @@\n"),
        "F007",
        file="data/actions/e01-test.yaml.rej",
        hint="supprimez-la",
        exit=0,
    ),
    Case(
        "hand-backup",
        write("actions/e01-test.yaml.bak", fiche()),
        "F007",
        file="data/actions/e01-test.yaml.bak",
        exit=0,
    ),
    Case(
        "mergetool-copy",
        write("actions/e01-test_BACKUP_4242.yaml", fiche()),
        "F007",
        file="data/actions/e01-test_BACKUP_4242.yaml",
        exit=0,
    ),
    Case(
        "fifo-in-actions",
        fifo("actions/e02-test.yaml"),
        "F002",
        file="data/actions/e02-test.yaml",
        isolated=True,
    ),
    Case(
        "link-to-fifo",
        steps(
            fifo("actions/tube"), link("actions/e02-test.yaml", lambda d: d / "actions" / "tube")
        ),
        "F005",
        file="data/actions/e02-test.yaml",
        hint="ordinaire",
        isolated=True,
    ),
    Case(
        "symlink-out",
        link("actions/e02-test.yaml", outside),
        "F003",
        file="data/actions/e02-test.yaml",
        hint="remplacez le lien",
    ),
    Case("symlink-communes-out", link("communes.yaml", outside), "F003", file=COMMUNES_FILE),
    Case(
        "symlink-folder-out",
        link("actions", outside_folder),
        "F003",
        file="data/actions/e02-test.yaml",
    ),
    Case(
        "symlink-report-out",
        link("rapports/2016/rapport.yaml", outside),
        "F003",
        file="data/rapports/2016/rapport.yaml",
    ),
    Case(
        "symlink-part-out",
        link("rapports/2016/01-partie.md", outside),
        "F003",
        file="data/rapports/2016/01-partie.md",
        hint="remplacez le lien",
    ),
    Case(
        "symlink-proc",
        link("actions/e02-test.yaml", lambda d: Path("/proc/self/environ")),
        "F003",
        file="data/actions/e02-test.yaml",
    ),
    Case(
        "symlink-broken",
        link("actions/e02-test.yaml", lambda d: d / "absent.yaml"),
        "F005",
        file="data/actions/e02-test.yaml",
        hint="existe",
    ),
    Case(
        "symlink-loop",
        steps(
            link("actions/e02-test.yaml", lambda d: d / "actions" / "e03-test.yaml"),
            link("actions/e03-test.yaml", lambda d: d / "actions" / "e02-test.yaml"),
        ),
        "F005",
        file="data/actions/e02-test.yaml",
    ),
    Case(
        "folder-named-part",
        lambda d: (d / "rapports" / "2016" / "01-x.md").mkdir(),
        "F005",
        file="data/rapports/2016/01-x.md",
    ),
    Case(
        "file-name-not-id",
        steps(remove("actions/e01-test.yaml"), write("actions/e01-autre.yaml", fiche())),
        "R001",
        file="data/actions/e01-autre.yaml",
        line=1,
        column=5,
        hint="renommez",
    ),
    Case(
        "same-action-twice",
        write("actions/e01-bis.yaml", fiche("e01-bis")),
        "R002",
        file="data/actions/e01-bis.yaml",
        line=5,
        column=13,
    ),
    Case("missing-data-folder", remove("."), None, exit=2),
    Case("missing-communes", remove("communes.yaml"), None, exit=2),
    # Content
    Case(
        "unknown-key",
        in_fiche("objectifs:", "objectif:"),
        "S001",
        line=8,
        column=1,
        hint="objectifs",
    ),
    Case("missing-key", in_fiche("    titre: Action existante 1\n", ""), "S002", line=4, column=5),
    Case("wrong-type", in_fiche("numero: 1", "numero: un"), "S003", line=5, column=13),
    Case(
        "list-instead-of-text",
        in_fiche("titre: Fiche e01-test", "titre: [a, b]"),
        "S003",
        line=2,
        column=8,
    ),
    Case(
        "text-instead-of-list",
        in_fiche("themes: [fonctions-ressources]", "themes: fonctions-ressources"),
        "S003",
        line=7,
        column=13,
    ),
    Case(
        "out-of-range", in_fiche("numero: 1", "numero: 0"), "S005", line=5, column=13, hint="Numéro"
    ),
    Case(
        "not-a-number",
        in_bilan("phases: [1, 2, 3, 4]", "phases: [1, 2, .nan, 4]"),
        "S004",
        file=BILAN,
        line=5,
        column=18,
    ),
    Case(
        "phase-out-of-range",
        in_bilan("phases: [1, 2, 3, 4]", "phases: [1, 2, 5]"),
        "S004",
        file=BILAN,
        line=5,
        column=18,
    ),
    Case(
        "unknown-value",
        in_fiche("[fonctions-ressources]", "[fonction-ressources]"),
        "S004",
        line=7,
        column=14,
        hint="fonctions-ressources",
    ),
    Case(
        "unknown-commune",
        in_bilan(
            "  phases: [1, 2, 3, 4]\n",
            "  phases: [1, 2, 3, 4]\ncommunes: [alpha, le-cress]\n",
        ),
        "R004",
        file=BILAN,
        line=6,
        column=19,
        hint="le-cres",
    ),
    # Narrative references: only names of computed values, never code
    Case(
        "reference-to-internals",
        edit("rapports/2016/00-edito.md", "chiffres.communes.total", "chiffres.__class__.__mro__"),
        "N003",
        file=EDITO,
        line=6,
        column=27,
    ),
    Case(
        "reference-on-a-literal",
        edit("rapports/2016/00-edito.md", "chiffres.communes.total", "''.__class__.__mro__"),
        "N004",
        file=EDITO,
        line=6,
        column=24,
    ),
    Case(
        "reference-computing",
        edit("rapports/2016/00-edito.md", "chiffres.communes.total", "9 ** 9 ** 9"),
        "N004",
        file=EDITO,
        line=6,
        column=24,
    ),
    Case(
        "reference-filter",
        edit(
            "rapports/2016/00-edito.md",
            "chiffres.communes.total",
            "chiffres.communes.total|center(999999999)",
        ),
        "N004",
        file=EDITO,
        line=6,
        column=24,
    ),
    Case(
        "reference-call",
        edit("rapports/2016/00-edito.md", "chiffres.communes.total", "lipsum(100000)"),
        "N004",
        file=EDITO,
        line=6,
        column=24,
    ),
    Case(
        "reference-tag",
        edit(
            "rapports/2016/00-edito.md", "L'établissement", "{% for x in range(9) %}x{% endfor %}"
        ),
        "N004",
        file=EDITO,
        line=6,
        column=1,
    ),
    Case(
        "reference-unknown",
        edit("rapports/2016/00-edito.md", "chiffres.communes.total", "cycler"),
        "N003",
        file=EDITO,
        line=6,
        column=27,
    ),
    Case(
        "part-without-header",
        write("rapports/2016/00-edito.md", "Titre: Édito\n\nTexte.\n"),
        "N002",
        file=EDITO,
        line=1,
        column=1,
    ),
    Case(
        "part-latin-1",
        write("rapports/2016/00-edito.md", EDITO_TEXT.encode("latin-1")),
        "Y005",
        file=EDITO,
        line=2,
        column=8,
    ),
    Case(
        "part-control-character",
        edit("rapports/2016/00-edito.md", "L'établissement", "L'\x1b[8métablissement"),
        "Y010",
        file=EDITO,
        line=6,
        column=3,
    ),
]


@dataclass(frozen=True)
class Outcome:
    exit: int
    text: str
    """stdout and stderr of the text format."""
    report: dict[str, Any] | None
    """The JSON format, when the run got that far."""


def run_cli(root: Path) -> Outcome:
    """``bilan validate`` in text, then in JSON, from ``root`` (paths shown as data/…)."""
    text = runner.invoke(app, ["validate", "--data", "data"])
    as_json = runner.invoke(app, ["validate", "--data", "data", "--format", "json"])
    assert text.exit_code == as_json.exit_code
    report = json.loads(as_json.stdout) if as_json.exit_code in (0, 1) else None
    return Outcome(text.exit_code, text.stdout + text.stderr + as_json.stderr, report)


def limit_resources() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))


def run_isolated(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``bilan ARGS`` in a subprocess with bounded memory and time."""
    return subprocess.run(
        [sys.executable, "-m", "bilan", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT,
        preexec_fn=limit_resources,
        check=False,
    )


def run_isolated_validate(root: Path) -> Outcome:
    as_json = run_isolated(root, "validate", "--data", "data", "--format", "json")
    report = json.loads(as_json.stdout) if as_json.returncode in (0, 1) else None
    return Outcome(as_json.returncode, as_json.stdout + as_json.stderr, report)


def assert_french_and_clean(text: str) -> None:
    assert "Traceback" not in text
    assert "erreur interne" not in text
    assert SECRET not in text
    assert not INVISIBLE.search(text), "caractère invisible recopié dans la sortie"


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_hostile_input(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    data = make_base(tmp_path)
    case.setup(data)
    monkeypatch.chdir(tmp_path)
    outcome = run_isolated_validate(tmp_path) if case.isolated else run_cli(tmp_path)

    assert outcome.exit == case.exit, outcome.text[-2000:]
    assert_french_and_clean(outcome.text)
    assert not (tmp_path / PWNED).exists() and not Path(PWNED).exists()
    if case.exit == 2:
        assert "erreur : " in outcome.text and "Conseil : " in outcome.text
        return
    assert outcome.report is not None
    found = outcome.report["diagnostics"]
    if case.code is None:
        assert not [d for d in found if d["severity"] == "erreur"], found
        return
    matching = [d for d in found if d["code"] == case.code and d["path"] == case.file]
    assert matching, f"{case.code} attendu pour {case.file}, obtenu : {found[:5]}"
    diagnostic = matching[0]
    assert (diagnostic["line"], diagnostic["column"]) == (case.line, case.column), diagnostic
    assert diagnostic["hint"], "un message sans conseil"
    assert case.hint in diagnostic["hint"], diagnostic["hint"]
    assert not _ENGLISH.search(diagnostic["message"]), diagnostic["message"]
    assert diagnostic["code"] in CATALOGUE
    if not case.isolated:  # the text format shows the same thing, located, with its hint
        where = f"{case.file}:{case.line}:{case.column}" if case.line else case.file
        assert f"{where}: {diagnostic['severity']} {case.code}: " in outcome.text
        assert "    Conseil : " in outcome.text


def test_megabyte_of_errors_is_capped(tmp_path: Path) -> None:
    """A megabyte of errors is reported in bounded output: the first ones, then a count."""
    data = make_base(tmp_path)
    write("actions/e01-test.yaml", many_errors())(data)
    outcome = run_isolated_validate(tmp_path)
    assert outcome.report is not None
    found = [d for d in outcome.report["diagnostics"] if d["path"] == FICHE]
    assert len(found) == MAX_PER_FILE + 1
    assert {d["code"] for d in found[:-1]} == {"S003"}
    assert found[-1]["code"] == "F006" and found[-1]["severity"] == "erreur"
    assert re.match(r"\d+ autres problèmes", found[-1]["message"])


def test_isolated_runs_really_are_bounded(tmp_path: Path) -> None:
    """The limit of the isolated runs is enforced: what an expanded bomb would need (a
    gigabyte) cannot be had, so the Y004 and Y006 cases above prove something."""
    result = subprocess.run(
        [sys.executable, "-c", "bytearray(2**30)"],
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT,
        preexec_fn=limit_resources,
        check=False,
    )
    assert result.returncode != 0 and "MemoryError" in result.stderr


def test_file_names_cannot_forge_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file name with a line break or a terminal escape is printed escaped: it cannot
    add a line (a fake « ::error » annotation) nor recolour the log."""
    data = make_base(tmp_path)
    forged = "e02\x1b[31m\n::error file=x::faux.yaml"
    (data / "actions" / forged).write_text(fiche("e02-test", number=2), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for output_format in ("text", "github"):
        result = runner.invoke(app, ["validate", "--data", "data", "--format", output_format])
        assert result.exit_code == 1
        output = result.stdout + result.stderr
        assert_french_and_clean(output)
        assert not any(line.startswith("::error file=x") for line in output.splitlines())
        assert "\\x1b[31m\\n::error" in output.replace("%0A", "\\n")


def test_undecodable_file_name(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A file name that is not UTF-8 is reported, in every format, not an internal error."""
    data = make_base(tmp_path)
    name = os.fsdecode(b"e02-\xff\xfe.yaml")
    (data / "actions" / name).write_text(fiche("e02-test", number=2), encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    for output_format in ("text", "json", "github", "gitlab"):
        result = runner.invoke(app, ["validate", "--data", "data", "--format", output_format])
        assert result.exit_code == 1, result.stdout + result.stderr
        assert_french_and_clean(result.stdout + result.stderr)
        assert "e02-\\udcff\\udcfe.yaml" in result.stdout


# --- Build: what reaches the public site, and what a failed build leaves ----------------------

HOSTILE_TEXT = (
    "<script>alert(1)</script> <img src=x onerror=alert(2)> {{ 7 * 191 }} "
    "{% if true %}exécuté{% endif %} [lien](javascript:alert(3)) ![pixel](https://pistage.example/p.png)"
)
BUILD_ARGS = ("-f", "html", "-f", "md", "-f", "data")


HOSTILE_QUOTED = json.dumps(HOSTILE_TEXT, ensure_ascii=False)
"""The hostile text as a YAML double-quoted string (JSON's syntax)."""


def hostile_bilan() -> str:
    """A valid bilan whose indicator and Markdown list carry markup and template code."""
    quoted = HOSTILE_QUOTED
    return bilan(
        extra=f"""\
        indicateurs:
          - {{libelle: {quoted}, texte: {quoted}}}
        points_forts: [{quoted}]
        """
    )


def hostile_fiche() -> str:
    """A valid fiche whose title and objective carry markup and template code."""
    quoted = HOSTILE_QUOTED
    return (
        fiche()
        .replace("titre: Fiche e01-test", f"titre: {quoted}")
        .replace("  - Un objectif", f"  - {quoted}")
    )


def snapshot(*folders: Path) -> dict[str, tuple[int, bytes]]:
    """Every file under ``folders``: modification time and content."""
    return {
        str(path): (path.stat().st_mtime_ns, path.read_bytes())
        for folder in folders
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def build_cli(root: Path, *args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["build", "--year", "2016", "--data", "data", *BUILD_ARGS, *args])
    return result.exit_code, result.stdout + result.stderr


def elements(html: str) -> Iterator[tuple[str, dict[str, str]]]:
    for element in parse(html).iter():
        yield element.tag, element.attrs


def test_markup_and_template_code_in_a_fiche_stay_text(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = make_base(tmp_path)
    write("actions/e01-test.yaml", hostile_fiche())(data)
    write("rapports/2016/bilans/e01-test.yaml", hostile_bilan())(data)
    edit(
        "rapports/2016/00-edito.md",
        "L'établissement",
        "<script>alert('edito')</script> L'établissement",
    )(data)
    monkeypatch.chdir(tmp_path)
    code, output = build_cli(tmp_path, "--out", "out")
    assert code == 0, output
    site = tmp_path / "out" / "2016"
    for page in ("index.html", "actions/e01-test.html"):
        html = (site / page).read_text(encoding="utf-8")
        tags = list(elements(html))
        assert not [tag for tag, _ in tags if tag == "script"]
        assert not [attrs for _, attrs in tags if any(name.startswith("on") for name in attrs)]
        assert not [attrs for tag, attrs in tags if tag == "img"]  # nothing from another site
        assert not [
            a for tag, a in tags if tag == "a" and a.get("href", "").startswith("javascript")
        ]
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
        assert "{{ 7 * 191 }}" in html and "1337" not in html  # shown, never evaluated
        assert "{% if true %}exécuté{% endif %}" in html
    assert "&lt;script&gt;alert('edito')&lt;/script&gt;" in (site / "index.html").read_text("utf-8")
    markdown = (site / "bilan-2016.md").read_text(encoding="utf-8")
    assert "<script" not in markdown and "<img" not in markdown
    assert "&lt;script>alert(1)&lt;/script>" in markdown
    assert "{{ 7 * 191 }}" in markdown and "1337" not in markdown


@pytest.mark.parametrize(
    "reference",
    ["''.__class__.__mro__", "chiffres.__class__.__mro__", "chiffres.items()", "9 ** 9 ** 9"],
)
def test_narrative_cannot_reach_python(
    reference: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The build stops at validation, before rendering anything: nothing is written."""
    data = make_base(tmp_path)
    edit("rapports/2016/00-edito.md", "chiffres.communes.total", reference)(data)
    monkeypatch.chdir(tmp_path)
    code, output = build_cli(tmp_path, "--out", "out")
    assert code == 1
    assert_french_and_clean(output)
    assert re.search(r"data/rapports/2016/00-edito.md:6:\d+: erreur N00[34]", output)
    assert "mro" not in output.replace("__mro__", "") and "<class" not in output
    assert not (tmp_path / "out").exists()


def test_build_writes_only_into_its_output_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = make_base(tmp_path)
    templates = tmp_path / "gabarits"
    shutil.copytree(project_templates(), templates)
    before = snapshot(data, templates)
    others_before = sorted(p.name for p in tmp_path.iterdir())
    monkeypatch.chdir(tmp_path)
    code, output = build_cli(tmp_path, "--out", "out", "--templates", "gabarits")
    assert code == 0, output
    assert snapshot(data, templates) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([*others_before, "out"])
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [CACHE_DIR, "2016"]


@pytest.mark.parametrize("out", ["data", ".", "data/build", "gabarits", "gabarits/sortie"])
def test_output_folder_cannot_cover_data_or_templates(
    out: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = make_base(tmp_path)
    templates = tmp_path / "gabarits"
    shutil.copytree(project_templates(), templates)
    before = snapshot(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, output = build_cli(tmp_path, "--out", out, "--templates", "gabarits")
    assert code == 2
    assert_french_and_clean(output)
    assert "erreur : le dossier de sortie" in output and "Conseil : " in output
    assert snapshot(tmp_path) == before
    assert data.is_dir()


def built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, dict[str, tuple[int, bytes]]]:
    """A data folder and a first, good build of it in out/2016, with its snapshot."""
    make_base(tmp_path)
    monkeypatch.chdir(tmp_path)
    code, output = build_cli(tmp_path, "--out", "out")
    assert code == 0, output
    return tmp_path / "out", snapshot(tmp_path / "out")


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ("{% if %}", "gabarit gabarits/index.html.j2, ligne 1"),
        (
            "{{ rapport.titre }}{{ variable_inconnue }}",
            "gabarit gabarits/index.html.j2, ligne 1 : « variable_inconnue » n'est pas défini",
        ),
        ('{% include "absent.html.j2" %}', "gabarit introuvable : absent.html.j2"),
    ],
    ids=["syntax", "undefined", "missing-include"],
)
def test_broken_template_keeps_previous_build(
    template: str, expected: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, before = built(tmp_path, monkeypatch)
    (tmp_path / "gabarits").mkdir()
    (tmp_path / "gabarits" / "index.html.j2").write_text(template, encoding="utf-8")
    code, output = build_cli(tmp_path, "--out", "out", "--templates", "gabarits")
    assert code == 1
    assert_french_and_clean(output)
    assert f"erreur : {expected}" in output and "le rapport précédent reste en place" in output
    assert snapshot(out) == before
    assert sorted(p.name for p in out.iterdir() if p.name != CACHE_DIR) == [
        "2016"
    ]  # no staging folder left


@pytest.mark.parametrize(
    ("interruption", "raised"),
    [
        (KeyboardInterrupt("interrompu"), KeyboardInterrupt),
        (OSError(errno.ENOSPC, "No space left on device"), BuildError),
    ],
    ids=["ctrl-c", "disk-full"],
)
def test_interrupted_write_keeps_previous_build(
    interruption: BaseException,
    raised: type[BaseException],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Ctrl-C or a full disk in the middle of writing the new files."""
    out, before = built(tmp_path, monkeypatch)
    written: list[Path] = []
    real_write = Path.write_bytes

    def failing_write(path: Path, content: bytes) -> int:
        if len(written) == 3:
            raise interruption
        written.append(path)
        return real_write(path, content)

    monkeypatch.setattr(Path, "write_bytes", failing_write)
    options = BuildOptions(
        year=2016,
        data=Path("data"),
        out=Path("out"),
        formats=frozenset({"html", "md", "data"}),
        cache=False,  # everything written again, none of it linked from the previous build
    )
    with pytest.raises(raised):
        build(options)
    assert len(written) == 3
    assert snapshot(out) == before
    assert sorted(p.name for p in out.iterdir() if p.name != CACHE_DIR) == ["2016"]


def test_interrupted_swap_restores_previous_build(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C between the two renames of the swap: the previous report is put back."""
    out, before = built(tmp_path, monkeypatch)
    real_replace = os.replace
    calls: list[str] = []

    def interrupted_replace(source: Any, target: Any) -> None:
        calls.append(str(source))
        if len(calls) == 2:  # old → .previous done; new → 2016 interrupted
            raise KeyboardInterrupt
        real_replace(source, target)

    monkeypatch.setattr(writer.os, "replace", interrupted_replace)
    with pytest.raises(KeyboardInterrupt):
        build(
            BuildOptions(
                year=2016,
                data=Path("data"),
                out=Path("out"),
                formats=frozenset({"html", "md", "data"}),
            )
        )
    assert len(calls) == 3  # the third puts the previous report back
    assert snapshot(out) == before
    assert sorted(p.name for p in out.iterdir() if p.name != CACHE_DIR) == ["2016"]


def test_invalid_data_keeps_previous_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    out, before = built(tmp_path, monkeypatch)
    in_fiche("objectifs:", "objectif:")(tmp_path / "data")
    code, output = build_cli(tmp_path, "--out", "out")
    assert code == 1
    assert "data/actions/e01-test.yaml:8:1: erreur S001" in output
    assert snapshot(out) == before


# --- The output folder: bilan owns only what it wrote ------------------------------------------

retitled = in_fiche("titre: Fiche e01-test", "titre: Fiche e01-test modifiée")
"""A change of the data that changes every output."""

PRECIOUS = b"PK\x03\x04 un document que bilan n'a jamais vu"
"""The bytes of a file bilan did not write: they must survive every case."""


def put(relative: str, content: bytes = PRECIOUS) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        path = root / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)

    return setup


def folder(relative: str) -> Callable[[Path], None]:
    return lambda root: (root / relative).mkdir(parents=True)


def symlink(relative: str, target: str) -> Callable[[Path], None]:
    """``relative`` (under the root) becomes a link to ``target`` (as written in the link)."""

    def setup(root: Path) -> None:
        path = root / relative
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.symlink_to(target)

    return setup


def then(*setups: Callable[[Path], None]) -> Callable[[Path], None]:
    def setup(root: Path) -> None:
        for one in setups:
            one(root)

    return setup


def forge_manifest(name: str, entry: list[object]) -> Callable[[Path], None]:
    """Add ``name`` to the manifest of out/2016, with a record made up by hand."""

    def setup(root: Path) -> None:
        path = root / "out" / "2016" / MANIFEST
        manifest = json.loads(path.read_text("utf-8"))
        manifest["files"][name] = entry
        path.write_text(json.dumps(manifest), "utf-8")

    return setup


def copy_data_to(relative: str) -> Callable[[Path], None]:
    return lambda root: shutil.copytree(root / "data", root / relative)


@dataclass(frozen=True)
class OutCase:
    """A situation in or around the output folder, and how ``bilan build`` must end."""

    id: str
    setup: Callable[[Path], None]
    exit: int
    said: str = ""
    """A part of the message (stderr), when it must name something."""
    args: tuple[str, ...] = ("--out", "out")
    first: bool = True
    """Build into out/ first (a good edition is in place)."""
    kept: tuple[str, ...] = ()
    """Foreign files inside bilan's folders (its cache), whose bytes must not change."""


OUT_CASES = [
    # Foreign files inside the edition: refused, named, nothing touched
    OutCase(
        "foreign-file-in-edition",
        put("out/2016/precieux.odt"),
        2,
        "« out/2016/precieux.odt » n'a pas été écrit par bilan",
    ),
    OutCase("foreign-folder-in-edition", put("out/2016/photos/mairie.jpg"), 2, "photos/mairie.jpg"),
    OutCase("foreign-empty-folder", folder("out/2016/brouillons"), 2, "est un dossier"),
    OutCase(
        "foreign-file-among-pages",
        put("out/2016/actions/notes.odt"),
        2,
        "« out/2016/actions/notes.odt »",
    ),
    OutCase(
        "someone-elses-site",
        then(put("out/2016/index.html", b"<p>mon site</p>"), put("out/2016/style.css")),
        2,
        "pas de manifeste",
        first=False,
    ),
    OutCase("edition-is-a-file", put("out/2016"), 2, "est un fichier", first=False),
    OutCase(
        "edition-links-to-data",
        symlink("out/2016", "../data"),
        2,
        "lien symbolique",
        first=False,
    ),
    OutCase(
        "link-inside-edition",
        symlink("out/2016/actions/piege.html", "../../../data/communes.yaml"),
        2,
        "lien symbolique",
    ),
    OutCase(
        "hand-edited-output",
        put("out/2016/index.html", b"<p>corrige a la main</p>"),
        2,
        "a été modifié depuis que bilan l'a écrit",
    ),
    # Forged or broken manifests: a name in a manifest gives no right to delete a file
    OutCase(
        "forged-manifest-lists-a-foreign-file",
        then(
            put("out/2016/precieux.odt"),
            forge_manifest("precieux.odt", ["html", "0" * 64, len(PRECIOUS)]),
        ),
        2,
        "out/2016/precieux.odt",
    ),
    OutCase(
        "forged-manifest-wrong-size",
        then(put("out/2016/precieux.odt"), forge_manifest("precieux.odt", ["html", "0" * 64, 1])),
        2,
        "out/2016/precieux.odt",
    ),
    OutCase(
        "forged-manifest-outside-paths",
        forge_manifest("../../secret.yaml", ["html", "0" * 64, 10]),
        0,
    ),
    OutCase("garbage-manifest", put(f"out/2016/{MANIFEST}", b"{}"), 2, "manifeste"),
    OutCase("binary-manifest", put(f"out/2016/{MANIFEST}", b"\xff\xfe\x00"), 2, "manifeste"),
    OutCase(
        "manifest-links-to-data",
        symlink(f"out/2016/{MANIFEST}", "../../data/communes.yaml"),
        2,
        "manifeste de bilan illisible",
    ),
    OutCase(
        "manifest-of-another-edition",
        then(
            put("out/2015/index.html", b"x"),
            lambda root: shutil.copy(
                root / "out" / "2016" / MANIFEST, root / "out" / "2015" / MANIFEST
            ),
        ),
        0,  # out/2015 is not the edition built: left alone
    ),
    # The --out folder itself
    OutCase(
        "out-is-a-file",
        put("rapport.pdf"),
        2,
        "« rapport.pdf » est un fichier, pas un dossier",
        ("--out", "rapport.pdf"),
        first=False,
    ),
    OutCase(
        "out-under-a-file",
        put("notes.txt"),
        2,
        "un élément du chemin est un fichier",
        ("--out", "notes.txt/sortie"),
        first=False,
    ),
    OutCase(
        "out-links-to-data",
        symlink("sortie", "data"),
        2,
        "contient ou recouvre",
        ("--out", "sortie"),
        first=False,
    ),
    OutCase(
        "out-broken-link",
        symlink("sortie", "nulle-part"),
        2,
        "ne mène nulle part",
        ("--out", "sortie"),
        first=False,
    ),
    OutCase("out-is-the-root", lambda root: None, 2, "", ("--out", "/"), first=False),
    OutCase("out-is-here", lambda root: None, 2, "contient ou recouvre", ("--out", ".")),
    OutCase(
        "out-inside-the-edition",
        lambda root: None,
        2,
        "est une édition écrite par bilan",
        ("--out", "out/2016"),
    ),
    OutCase(
        "out-inside-the-cache",
        lambda root: None,
        2,
        "le cache",
        ("--out", f"out/{CACHE_DIR}/x"),
    ),
    OutCase("out-new-and-deep", lambda root: None, 0, "", ("--out", "a/b/c"), first=False),
    OutCase("edition-folder-empty", folder("out/2016"), 0, first=False),
    # Beside the edition: the user's files, and look-alikes of bilan's leftovers
    OutCase(
        "foreign-files-beside",
        then(put("out/notes.txt"), put("out/2015/rapport.odt"), put("out/2016.odt")),
        0,
    ),
    OutCase(
        "leftover-look-alikes",
        then(
            put("out/.2016.abcd1234.tmp/notes.txt"),
            put("out/.2016.abcd1234.old/notes.txt"),
            put("out/.2016.previous/notes.txt"),
        ),
        0,
    ),
    OutCase(
        "staging-mark-but-a-link-inside",
        then(
            put("out/.2016.abcd1234.tmp/.bilan-staging", b""),
            symlink("out/.2016.abcd1234.tmp/lien", "../../data/communes.yaml"),
        ),
        0,
    ),
    # The cache folder
    OutCase("cache-is-a-file", put(f"out/{CACHE_DIR}"), 2, "est un fichier", first=False),
    OutCase(
        "cache-links-to-data",
        symlink(f"out/{CACHE_DIR}", "../data"),
        2,
        "lien symbolique",
        first=False,
    ),
    OutCase(
        "cache-folder-not-bilans",
        put(f"out/{CACHE_DIR}/precieux.odt"),
        2,
        "n'a pas été créé par bilan",
        first=False,
    ),
    OutCase(
        "cache-entry-links-to-data",
        symlink(f"out/{CACHE_DIR}/fiches.jsonl", "../../data/actions/e01-test.yaml"),
        2,
        "lien symbolique",
    ),
    OutCase(
        "foreign-files-in-bilans-cache",
        then(
            put(f"out/{CACHE_DIR}/precieux.odt"),
            put(f"out/{CACHE_DIR}/2016-precieux.fragments"),
        ),
        0,
        kept=(f"out/{CACHE_DIR}/precieux.odt", f"out/{CACHE_DIR}/2016-precieux.fragments"),
    ),
    OutCase(
        "no-cache-leaves-a-foreign-cache-alone",
        put(f"out/{CACHE_DIR}"),
        0,
        args=("--out", "out", "--no-cache"),
        first=False,
        kept=(f"out/{CACHE_DIR}",),
    ),
    # --data and --templates
    OutCase(
        "templates-is-a-file",
        put("gabarits.txt"),
        2,
        "dossier de gabarits n'est pas un dossier",
        ("--out", "out", "--templates", "gabarits.txt"),
    ),
    OutCase(
        "templates-inside-out",
        lambda root: shutil.copytree(project_templates(), root / "out" / "gabarits"),
        2,
        "contient ou recouvre",
        ("--out", "out", "--templates", "out/gabarits"),
        first=False,
    ),
    OutCase(
        "data-is-a-file",
        lambda root: None,
        2,
        "est un fichier, pas un dossier de données",
        ("--out", "out", "--data", "secret.yaml"),
    ),
    OutCase(
        "data-inside-out",
        copy_data_to("out/donnees-copie"),
        2,
        "contient ou recouvre",
        ("--out", "out", "--data", "out/donnees-copie"),
        first=False,
    ),
]


def build_args(args: tuple[str, ...]) -> list[str]:
    """The CLI arguments of an output-folder case (a later --data wins over the first)."""
    return ["build", "--year", "2016", "--data", "data", *BUILD_ARGS, *args]


def verify_edition(target: Path) -> dict[str, list[object]]:
    """The edition is complete and consistent: every file listed by its manifest, with the
    content recorded, and nothing else. Returns the manifest's files."""
    manifest = json.loads((target / MANIFEST).read_text("utf-8"))
    on_disk = {
        p.relative_to(target).as_posix()
        for p in target.rglob("*")
        if not p.is_dir() and p.name != MANIFEST
    }
    assert on_disk == set(manifest["files"])
    for name, (format_name, sha, size) in manifest["files"].items():
        data = (target / name).read_bytes()
        assert (hashlib.sha256(data).hexdigest(), len(data)) == (sha, size), name
        assert format_name in manifest["formats"]
    return dict(manifest["files"])


def not_bilans(tree: dict[str, tuple[int, bytes]], out: Path) -> dict[str, tuple[int, bytes]]:
    """The snapshot without what bilan owns in ``out``: its edition and its cache."""
    owned = (f"{out.resolve()}/2016/", f"{out.resolve()}/{CACHE_DIR}/")
    return {k: v for k, v in tree.items() if not str(Path(k).resolve()).startswith(owned)}


@pytest.mark.parametrize("case", OUT_CASES, ids=[case.id for case in OUT_CASES])
def test_output_folder_edge(case: OutCase, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_base(tmp_path)
    monkeypatch.chdir(tmp_path)
    if case.first:
        assert build_cli(tmp_path, "--out", "out")[0] == 0
    case.setup(tmp_path)
    before = snapshot(tmp_path)
    result = runner.invoke(app, build_args(case.args))
    output = result.stdout + result.stderr
    assert result.exit_code == case.exit, output
    assert_french_and_clean(output)
    assert case.said in output
    if case.exit:
        assert "erreur : " in output and "Conseil : " in output
        assert snapshot(tmp_path) == before  # nothing written, nothing removed
        return
    out = Path(case.args[case.args.index("--out") + 1])
    after = snapshot(tmp_path)
    assert not_bilans(after, out) == not_bilans(before, out)  # all the rest intact
    for name in case.kept:
        assert (tmp_path / name).read_bytes() == PRECIOUS
    verify_edition(out / "2016")


def test_output_folder_is_not_the_home_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_base(tmp_path / "projet")
    (tmp_path / "maison").mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "maison"))
    monkeypatch.chdir(tmp_path / "projet")
    code, output = build_cli(tmp_path, "--out", str(tmp_path / "maison"))
    assert code == 2, output
    assert "votre dossier personnel" in output
    assert list((tmp_path / "maison").iterdir()) == []


def test_an_old_leftover_manifest_cannot_delete_a_foreign_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A leftover of a killed swap (.2016.x.old with a manifest) is cleaned file by file:
    a foreign file in it, even listed with a made-up hash, stays."""
    out, _ = built(tmp_path, monkeypatch)
    leftover = out / ".2016.abcd1234.old"
    shutil.copytree(out / "2016", leftover)
    (leftover / "precieux.odt").write_bytes(PRECIOUS)
    manifest = json.loads((leftover / MANIFEST).read_text("utf-8"))
    manifest["files"]["precieux.odt"] = ["html", "0" * 64, len(PRECIOUS)]
    (leftover / MANIFEST).write_text(json.dumps(manifest), "utf-8")
    code, output = build_cli(tmp_path, "--out", "out")
    assert code == 0, output
    assert sorted(p.name for p in leftover.iterdir()) == [MANIFEST, "precieux.odt"]
    assert (leftover / "precieux.odt").read_bytes() == PRECIOUS


# --- Partial builds keep the rest -------------------------------------------------------------

ALL_FORMATS = ("-f", "html", "-f", "md", "-f", "data")


def pdf_available() -> bool:
    try:
        import weasyprint  # noqa: F401
    except (ImportError, OSError):
        return False
    return True


def full_formats() -> tuple[str, ...]:
    return (*ALL_FORMATS, "-f", "pdf") if pdf_available() else ALL_FORMATS


def edition_formats_of(target: Path) -> set[str]:
    return set(json.loads((target / MANIFEST).read_text("utf-8"))["formats"])


def build_only(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["build", "--year", "2016", "--data", "data", *args])
    return result.exit_code, result.stdout + result.stderr


@pytest.mark.parametrize("no_cache", [False, True], ids=["cache", "no-cache"])
def test_html_alone_keeps_the_other_outputs_when_current(
    no_cache: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_base(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert build_only("--out", "out", *full_formats())[0] == 0
    target = tmp_path / "out" / "2016"
    others = {
        name: (target / name).read_bytes()
        for name in verify_edition(target)
        if not name.endswith((".html", ".css"))
    }
    assert "bilan-2016.md" in others and "donnees/actions.csv" in others
    extra = ("--no-cache",) if no_cache else ()
    code, output = build_only("--out", "out", "-f", "html", *extra)
    assert code == 0, output
    assert "retirées" not in output and "Ouvrir : " in output
    files = verify_edition(target)
    assert {name: (target / name).read_bytes() for name in others} == others
    assert edition_formats_of(target) == {f for f in full_formats() if f != "-f"}
    assert "index.html" in files
    code, output = build_only("--out", "out", "-f", "md", *extra)  # the site stays too
    assert code == 0 and "Ouvrir : " in output, output
    assert "index.html" in verify_edition(target)


def test_html_alone_drops_the_outputs_of_other_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_base(tmp_path)
    monkeypatch.chdir(tmp_path)
    assert build_only("--out", "out", *full_formats())[0] == 0
    target = tmp_path / "out" / "2016"
    retitled(tmp_path / "data")
    code, output = build_only("--out", "out", "-f", "html")
    assert code == 0, output
    assert "avertissement : sorties retirées de out/2016" in output
    assert "-f data -f md" in output
    files = verify_edition(target)
    assert edition_formats_of(target) == {"html"}
    assert all(name.endswith((".html", ".css")) for name in files)
    assert not (target / "donnees").exists() and not (target / "bilan-2016.md").exists()
    assert "modifiée" in (target / "index.html").read_text("utf-8")


def test_a_deleted_output_makes_its_format_incomplete(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Someone deletes the CSV by hand: the open data is incomplete, so it is dropped (not
    kept half), and a later -f data brings it back."""
    out, _ = built(tmp_path, monkeypatch)
    (out / "2016" / "donnees" / "actions.csv").unlink()
    code, output = build_only("--out", "out", "-f", "html", "-f", "md")
    assert code == 0, output
    assert "retirées" in output and "data" in output
    assert edition_formats_of(out / "2016") == {"html", "md"}
    verify_edition(out / "2016")
    assert build_only("--out", "out", "-f", "data")[0] == 0
    assert edition_formats_of(out / "2016") == {"html", "md", "data"}
    verify_edition(out / "2016")


def dead_and_present_links(target: Path) -> tuple[list[str], set[str]]:
    """Links of the site's pages that lead nowhere, and the outputs the site links to."""
    dead, linked = [], set()
    for page in target.rglob("*.html"):
        for tag, attrs in elements(page.read_text("utf-8")):
            href = attrs.get("href", "") if tag == "a" else ""
            if not href or href.startswith(("#", "http", "mailto:")):
                continue
            path = (page.parent / href.partition("#")[0]).resolve()
            linked.add(path.relative_to(target.resolve()).as_posix())
            if not path.exists():
                dead.append(f"{page.name} → {href}")
    return dead, linked


def test_the_site_links_to_what_the_edition_holds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Whatever the order of partial builds, no link leads nowhere and every output the
    edition holds is linked from the site."""
    make_base(tmp_path)
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "out" / "2016"
    downloads = {"md": "bilan-2016.md", "data": "donnees/actions.csv", "pdf": "bilan-2016.pdf"}
    steps_taken = [("-f", "html"), ("-f", "md"), ("-f", "data"), ("-f", "html")]
    if pdf_available():
        steps_taken.append(("-f", "pdf"))
    for index, formats in enumerate(steps_taken):
        if index == 3:
            retitled(tmp_path / "data")  # md and data become stale: dropped, links with them
        code, output = build_only("--out", "out", *formats)
        assert code == 0, output
        dead, linked = dead_and_present_links(target)
        assert dead == [], (formats, dead)
        held = edition_formats_of(target)
        assert {f for f, path in downloads.items() if path in linked} == held - {"html"}, formats


def without_pdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """As on a machine where WeasyPrint cannot be loaded."""
    reason = ("WeasyPrint ne peut pas être chargé (test)", "installez ses bibliothèques")
    monkeypatch.setitem(FORMATS, "pdf", replace(FORMATS["pdf"], unavailable=lambda: reason))


@pytest.mark.parametrize("no_cache", [False, True], ids=["cache", "no-cache"])
def test_no_link_to_a_pdf_that_cannot_be_made(
    no_cache: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without WeasyPrint, a full build says so and no page links to the PDF; a PDF left by
    an earlier build (another machine) stays linked while current, and goes with its link
    when the data changes."""
    make_base(tmp_path)
    monkeypatch.chdir(tmp_path)
    target = tmp_path / "out" / "2016"
    extra = ("--no-cache",) if no_cache else ()
    had_pdf = pdf_available()
    if had_pdf:
        assert build_only("--out", "out", *full_formats(), *extra)[0] == 0
    without_pdf(monkeypatch)
    code, output = build_only("--out", "out", *extra)
    assert code == 0, output
    assert "PDF non produit : WeasyPrint ne peut pas être chargé" in output
    dead, linked = dead_and_present_links(target)
    assert dead == []
    assert ("bilan-2016.pdf" in linked) == had_pdf == (target / "bilan-2016.pdf").exists()
    retitled(tmp_path / "data")
    code, output = build_only("--out", "out", *extra)
    assert code == 0, output
    assert ("retirées" in output and "-f pdf" in output) == had_pdf
    dead, linked = dead_and_present_links(target)
    assert dead == [] and "bilan-2016.pdf" not in linked
    assert not (target / "bilan-2016.pdf").exists() and "pdf" not in edition_formats_of(target)
    code, output = build_only("--out", "out", "-f", "pdf", *extra)  # asked by name: an error
    assert code == 1 and "WeasyPrint ne peut pas être chargé" in output, output
    assert dead_and_present_links(target)[0] == []


def test_a_change_of_the_previous_year_makes_kept_outputs_stale(tmp_path: Path) -> None:
    """The edition of 2017 shows the progress since 2016: a change of a 2016 bilan makes
    its Markdown and open data stale, so -f html drops them rather than keep them."""
    data = example_2017(tmp_path)
    out = tmp_path / "out"
    args = ["build", "--year", "2017", "--data", str(data), "--out", str(out)]
    assert runner.invoke(app, [*args, *ALL_FORMATS]).exit_code == 0
    assert runner.invoke(app, [*args, "-f", "html"]).stdout.count("retirées") == 0
    assert edition_formats_of(out / "2017") == {"html", "md", "data"}
    bilan_2016 = data / "rapports" / "2016" / "bilans" / "e05-groupements-achats.yaml"
    bilan_2016.write_text(bilan_2016.read_text("utf-8") + "# relu\n", "utf-8")
    result = runner.invoke(app, [*args, "-f", "html"])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "sorties retirées" in result.stderr and "-f data -f md" in result.stderr
    assert edition_formats_of(out / "2017") == {"html"}
    assert dead_and_present_links(out / "2017")[0] == []


def build_all_cli(*args: str) -> tuple[int, str]:
    result = runner.invoke(app, ["build", "--all", "--data", "data", "--out", "out", *args])
    return result.exit_code, result.stdout + result.stderr


@pytest.mark.parametrize(
    "leftover",
    [
        "bilans/e05-groupements-achats_LOCAL_4242.yaml",
        "bilans/e05-groupements-achats.yaml~",
        "00-edito_BACKUP_7.md",
        ".#00-edito.md",
    ],
)
def test_editor_leftovers_do_not_break_a_published_seal(
    leftover: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The real 2016 edition is published: a merge copy or an editor's file beside its
    files is not a file added to it (P001), only what the loaders say of it."""
    shutil.copytree(DATA, tmp_path / "data")
    year = tmp_path / "data" / "rapports" / "2016"
    assert (year / "publication.json").is_file()
    (year / leftover).write_text("<<<<<<< HEAD\n", "utf-8")
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["validate", "--data", "data"])
    output = result.stdout + result.stderr
    assert result.exit_code == 0, output
    assert "P001" not in output
    assert_french_and_clean(output)


def test_new_year_copies_the_parts_not_what_editors_left_beside_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An Emacs lock link (pointing nowhere) and a merge copy beside the parts of 2016:
    bilan new-year prepares 2017 from the parts themselves."""
    data = make_base(tmp_path)
    monkeypatch.chdir(tmp_path)
    link("rapports/2016/.#00-edito.md", lambda d: Path("utilisateur@machine.1:1"))(data)
    write("rapports/2016/00-edito_LOCAL_4242.md", "<<<<<<< HEAD\n")(data)
    write("rapports/2016/00-edito.md~", "ancien\n")(data)
    result = runner.invoke(app, ["new-year", "--year", "2017", "--data", "data"])
    output = result.stdout + result.stderr
    assert result.exit_code == 0, output
    assert_french_and_clean(output)
    made = sorted(p.name for p in (data / "rapports" / "2017").iterdir())
    parts = sorted(p.name for p in (data / "rapports" / "2016").glob("[0-9]*.md"))
    assert made == sorted(["bilans", "rapport.yaml", *[n for n in parts if "_LOCAL_" not in n]])


def test_build_all_never_replaces_a_list_of_editions_it_did_not_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """OUT/index.html of the user's (a shared folder's home page): refused before anything
    is built, and left as it was."""
    make_base(tmp_path)
    monkeypatch.chdir(tmp_path)
    put("out/index.html")(tmp_path)
    code, output = build_all_cli()
    assert code == 2, output
    assert_french_and_clean(output)
    assert "« out/index.html » n'a pas été écrit par bilan : bilan ne le remplace pas" in output
    assert (tmp_path / "out" / "index.html").read_bytes() == PRECIOUS
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["index.html"]


def test_build_all_writes_no_edition_when_one_year_cannot_be_built(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """2016 would link to 2017: a 2017 that cannot be built stops --all before 2016 is
    written (no edition linking to one that never comes)."""
    data = make_base(tmp_path)
    monkeypatch.chdir(tmp_path)
    (data / "rapports" / "2017").mkdir()  # no rapport.yaml: N001
    code, output = build_all_cli()
    assert code == 1, output
    assert_french_and_clean(output)
    assert "N001" in output and "aucun rapport construit" in output
    assert not (tmp_path / "out" / "2016").exists()


def test_build_all_keeps_its_list_of_editions_alive(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The list is bilan's own: written again by the next --all, refused once edited by
    hand, removed (never left with links that lead nowhere) when an edition loses its
    site."""
    make_base(tmp_path)
    monkeypatch.chdir(tmp_path)
    out = tmp_path / "out"
    for _ in range(2):
        code, output = build_all_cli()
        assert code == 0, output
        assert "Ouvrir : out/index.html" in output
        dead, linked = dead_and_present_links(out)
        assert dead == [] and {"index.html", "2016/index.html"} <= linked
    page = out / "index.html"
    edited = page.read_bytes() + b"<!-- retouche -->"
    page.write_bytes(edited)
    code, output = build_all_cli()
    assert code == 2 and "a été modifié depuis que bilan l'a écrit" in output, output
    assert page.read_bytes() == edited
    page.unlink()
    assert build_all_cli()[0] == 0
    retitled(tmp_path / "data")  # the site of 2016 is stale: -f md drops it, and the list
    code, output = build_all_cli("-f", "md")
    assert code == 0, output
    assert "liste des éditions out/index.html retirée" in output and "Ouvrir" not in output
    assert not page.exists() and not (out / "2016" / "index.html").exists()
    assert dead_and_present_links(out)[0] == []
    put("out/index.html")(tmp_path)  # a page of the user's is never removed
    code, output = build_all_cli("-f", "data")
    assert code == 2 and page.read_bytes() == PRECIOUS, output


# --- Interrupted, killed and concurrent builds (real processes) -----------------------------

PAUSED_BUILD = """
import os, signal, sys, time
from pathlib import Path

signal.signal(signal.SIGINT, signal.default_int_handler)  # even if the parent ignores it
point, ready, go = sys.argv[1:4]


def pause():
    Path(ready).write_text("prêt")
    while not os.path.exists(go):
        time.sleep(0.01)


if point == "write":  # in the middle of writing the new edition
    real_write = Path.write_bytes
    written = []

    def write_bytes(path, data):
        if "/.2016." in str(path) and path.name != ".bilan-staging":
            written.append(path)
            if len(written) == 1:
                pause()
        return real_write(path, data)

    Path.write_bytes = write_bytes
else:  # between the two renames of the swap: the previous edition moved aside
    real_replace = os.replace

    def replace(source, target):
        if str(source).endswith(".tmp") and str(target).endswith("/2016"):
            pause()
        return real_replace(source, target)

    os.replace = replace
from bilan.__main__ import main

sys.argv = ["bilan", *sys.argv[4:]]
main()
"""


@dataclass
class Paused:
    """A ``bilan build`` in another process, stopped at a chosen point."""

    process: subprocess.Popen[str]
    go: Path

    def resume(self) -> tuple[int, str]:
        self.go.write_text("")
        return self.finish()

    def finish(self) -> tuple[int, str]:
        out, err = self.process.communicate(timeout=TIME_LIMIT)
        return self.process.returncode, out + err


def paused_build(root: Path, point: str, *args: str) -> Paused:
    ready, go = root / "pret", root / "partez"
    ready.unlink(missing_ok=True)
    go.unlink(missing_ok=True)
    command = [sys.executable, "-c", PAUSED_BUILD, point, str(ready), str(go), "build"]
    command += ["--year", "2016", "--data", "data", "--out", "out", *args]
    process = subprocess.Popen(
        command, cwd=root, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    paused = Paused(process, go)
    deadline = TIME_LIMIT * 100
    while not ready.exists():
        if process.poll() is not None or not deadline:
            process.kill()
            pytest.fail(f"la construction ne s'est pas arrêtée au point voulu : {paused.finish()}")
        deadline -= 1
        time.sleep(0.01)
    return paused


def cli_process(
    root: Path, *args: str, preexec: Callable[[], None] | None = None
) -> tuple[int, str]:
    """``bilan ARGS`` in another process (``preexec``: run in it first)."""
    result = subprocess.run(
        [sys.executable, "-m", "bilan", *args],
        cwd=root,
        capture_output=True,
        text=True,
        timeout=TIME_LIMIT,
        preexec_fn=preexec,
        check=False,
    )
    return result.returncode, result.stdout + result.stderr


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if re.fullmatch(r"\.2016\.\w+\.(tmp|old)", p.name))


@pytest.mark.parametrize("sent", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_interrupted_build_keeps_the_previous_edition(
    sent: signal.Signals, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, before = built(tmp_path, monkeypatch)
    retitled(tmp_path / "data")
    for point in ("write", "swap"):
        paused = paused_build(tmp_path, point, *BUILD_ARGS)
        paused.process.send_signal(sent)
        code, output = paused.finish()
        assert code == 1, output
        assert_french_and_clean(output)
        assert (
            "erreur : construction interrompue : le rapport précédent est resté en place" in output
        )
        assert snapshot(out) == before
        assert leftovers(out) == []


def test_killed_build_leftovers_are_cleaned_by_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SIGKILL leaves the half-written edition; the next build removes it, and nothing that
    only looks like it."""
    out, before = built(tmp_path, monkeypatch)
    retitled(tmp_path / "data")
    foreign = then(
        put("out/.2016.abcd1234.tmp/notes.txt"), put("out/notes.txt"), put("out/2015/a.odt")
    )
    foreign(tmp_path)
    paused = paused_build(tmp_path, "write", *BUILD_ARGS)
    paused.process.kill()
    paused.finish()
    assert snapshot(out / "2016") == {k: v for k, v in before.items() if "/2016/" in k}
    assert len(leftovers(out)) == 2  # bilan's own, and the look-alike
    code, output = build_cli(tmp_path, "--out", "out")
    assert code == 0, output
    assert leftovers(out) == [".2016.abcd1234.tmp"]
    assert (out / ".2016.abcd1234.tmp" / "notes.txt").read_bytes() == PRECIOUS
    assert (out / "notes.txt").read_bytes() == (out / "2015" / "a.odt").read_bytes() == PRECIOUS
    verify_edition(out / "2016")


def test_build_killed_during_the_swap_puts_the_previous_edition_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed between the two renames: no OUT/2016 at all for a moment. The next build, even
    one that fails on invalid data, puts the previous edition back first."""
    out, before = built(tmp_path, monkeypatch)
    paused = paused_build(tmp_path, "swap", *BUILD_ARGS)
    paused.process.kill()
    paused.finish()
    assert not (out / "2016").exists()
    in_fiche("objectifs:", "objectif:")(tmp_path / "data")
    code, output = build_cli(tmp_path, "--out", "out")
    assert code == 1 and "S001" in output, output
    assert {k: v[1] for k, v in snapshot(out / "2016").items()} == {
        k: v[1] for k, v in before.items() if "/2016/" in k
    }
    assert leftovers(out) == []


def test_a_second_build_waits_for_none_and_writes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, _ = built(tmp_path, monkeypatch)
    retitled(tmp_path / "data")
    paused = paused_build(tmp_path, "write", *BUILD_ARGS)
    during = snapshot(out)
    code, output = cli_process(tmp_path, *build_args(("--out", "out")))
    assert code == 1, output
    assert_french_and_clean(output)
    assert "erreur : une autre construction est en cours dans « out »" in output
    assert snapshot(out) == during
    code, output = paused.resume()
    assert code == 0, output
    verify_edition(out / "2016")
    assert "modifiée" in (out / "2016" / "index.html").read_text("utf-8")


def test_racing_builds_never_mix_their_editions(tmp_path: Path) -> None:
    """Two builds of different data into the same folder at once: each ends cleanly (built,
    or refused because the other runs), and the edition is wholly one of the two."""
    references = {}
    for version in ("un", "deux"):
        root = tmp_path / version
        data = make_base(root)
        in_fiche("titre: Fiche e01-test", f"titre: Fiche e01-test {version}")(data)
        code, output = cli_process(root, *build_args(("--out", "reference")))
        assert code == 0, output
        references[version] = {
            k.split("/reference/")[1]: v[1]
            for k, v in snapshot(root / "reference").items()
            if "/2016/" in k
        }
    out = tmp_path / "commun"
    for _ in range(3):
        processes = [
            subprocess.Popen(
                [sys.executable, "-m", "bilan", *build_args(("--out", str(out)))],
                cwd=tmp_path / version,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for version in ("un", "deux")
        ]
        results = [(p.wait(timeout=TIME_LIMIT), p.communicate()[1]) for p in processes]
        assert any(code == 0 for code, _ in results), results
        for code, err in results:
            assert code == 0 or "une autre construction est en cours" in err, err
            assert_french_and_clean(err)
        verify_edition(out / "2016")
        edition = {k.split("/commun/")[1]: v[1] for k, v in snapshot(out).items() if "/2016/" in k}
        assert edition in references.values()
        assert leftovers(out) == []


# --- A full disk ---------------------------------------------------------------------------------


def test_full_disk_keeps_the_previous_edition(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, before = built(tmp_path, monkeypatch)
    retitled(tmp_path / "data")
    real_write = Path.write_bytes
    written: list[Path] = []

    def full(path: Path, content: bytes) -> int:
        if len(written) == 2:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        written.append(path)
        return real_write(path, content)

    monkeypatch.setattr(Path, "write_bytes", full)
    code, output = build_cli(tmp_path, "--out", "out")
    assert code == 1, output
    assert_french_and_clean(output)
    assert "erreur : disque plein : impossible d'écrire dans « out/2016 »" in output
    assert "Conseil : libérez de la place" in output
    assert snapshot(out) == before
    assert leftovers(out) == []


def test_a_cache_that_cannot_be_saved_is_only_a_notice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    out, _ = built(tmp_path, monkeypatch)
    retitled(tmp_path / "data")

    def full(path: Path, content: bytes) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(incremental, "_replace", full)
    code, output = build_cli(tmp_path, "--out", "out")
    assert code == 0, output
    assert "avertissement : cache non enregistré (disque plein) : le rapport est complet" in output
    verify_edition(out / "2016")


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 2 MB tmpfs mounted for the test (root only, where mounting is allowed)."""
    if os.geteuid() != 0:
        pytest.skip("monter un petit disque demande les droits d'administrateur")
    disk = tmp_path / "disque"
    disk.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", str(disk)],
        capture_output=True,
        check=False,
    )
    if mounted.returncode != 0:
        pytest.skip(f"tmpfs impossible à monter ici : {mounted.stderr!r}")
    try:
        yield disk
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


def test_a_read_only_disk(small_disk: Path, tmp_path: Path) -> None:
    """The output folder on a disk mounted read-only (what root meets instead of a folder
    without write permission)."""
    make_base(tmp_path)
    out = small_disk / "out"
    code, output = cli_process(tmp_path, *build_args(("--out", str(out))))
    assert code == 0, output
    before = snapshot(out)
    retitled(tmp_path / "data")
    subprocess.run(["mount", "-o", "remount,ro", str(small_disk)], check=True)
    code, output = cli_process(tmp_path, *build_args(("--out", str(out))))
    assert code == 2, output
    assert_french_and_clean(output)
    assert "erreur : impossible d'écrire dans le dossier de sortie" in output
    assert snapshot(out) == before


def test_a_disk_that_fills_up_mid_build(small_disk: Path, tmp_path: Path) -> None:
    make_base(tmp_path)
    out = small_disk / "out"
    code, output = cli_process(tmp_path, *build_args(("--out", str(out))))
    assert code == 0, output
    before = snapshot(out)
    retitled(tmp_path / "data")
    filler = small_disk / "remplissage"  # a foreign file takes the rest of the disk
    with open(filler, "wb", buffering=0) as handle, contextlib.suppress(OSError):
        while True:
            handle.write(b"\0" * 65536)
    code, output = cli_process(tmp_path, *build_args(("--out", str(out))))
    assert code == 1, output
    assert_french_and_clean(output)
    assert "erreur : disque plein" in output and "Conseil : libérez de la place" in output
    assert snapshot(out) == before
    assert leftovers(out) == []
    filler.unlink()
    code, output = cli_process(tmp_path, *build_args(("--out", str(out))))
    assert code == 0, output
    verify_edition(out / "2016")


# --- Paths that another user cannot use ------------------------------------------------------


def as_other_user(root: Path, *args: str) -> tuple[int, str]:
    """``bilan ARGS`` with no special right: as « nobody » when the tests run as root (as
    CI does: root may read and write anything), else as the current user."""

    def drop() -> None:
        if os.geteuid() == 0:
            os.setgroups([])
            os.setgid(65534)
            os.setuid(65534)

    return cli_process(root, *args, preexec=drop)


@pytest.fixture
def shared_root() -> Iterator[Path]:
    """A folder another user may enter (pytest's own are private to their owner)."""
    root = Path(tempfile.mkdtemp(prefix="bilan-droits-"))
    root.chmod(0o755)
    make_base(root)
    try:
        probe = as_other_user(root, "--version")
    except OSError as error:  # Python itself out of reach (installed under /root)
        probe = (1, str(error))
    if probe[0] != 0:
        shutil.rmtree(root)
        pytest.skip(f"bilan ne se lance pas sous un autre utilisateur ici : {probe[1][-300:]}")
    try:
        yield root
    finally:
        for path in [root, *root.rglob("*")]:
            if not path.is_symlink():
                path.chmod(0o755)
        shutil.rmtree(root)


@pytest.mark.parametrize(
    ("locked", "mode", "args", "said"),
    [
        ("sortie", 0o555, ("--out", "sortie"), "impossible d'écrire dans le dossier de sortie"),
        ("sortie/2016", 0o555, ("--out", "sortie"), "droits insuffisants"),
        ("data", 0o000, ("--out", "sortie"), "dossier illisible : data (droits insuffisants)"),
        ("data/actions", 0o000, ("--out", "sortie"), "illisible"),
        (
            "gabarits",
            0o000,
            ("--out", "sortie", "--templates", "gabarits"),
            "dossier de gabarits illisible",
        ),
    ],
    ids=[
        "read-only-out",
        "read-only-edition",
        "unreadable-data",
        "unreadable-actions",
        "unreadable-templates",
    ],
)
def test_paths_without_the_rights(
    locked: str, mode: int, args: tuple[str, ...], said: str, shared_root: Path
) -> None:
    (shared_root / "gabarits").mkdir()
    (shared_root / "sortie").mkdir()
    (shared_root / "sortie").chmod(0o777)
    if locked == "sortie/2016":
        code, output = as_other_user(shared_root, *build_args(args))
        assert code == 0, output
    (shared_root / locked).chmod(mode)
    before = snapshot(shared_root / "sortie")
    code, output = as_other_user(shared_root, *build_args(args))
    assert code == 2, output
    assert_french_and_clean(output)
    assert "erreur : " in output and said in output
    assert snapshot(shared_root / "sortie") == before


# --- bilan new: numbers and paths ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (("-n", "0"), "la valeur doit être au moins 1"),
        (("-n", "1000"), "la valeur doit être au plus 999"),
        (("-n", "99999999999999999999"), "au plus 999"),
        (("-n", "-5"), "au moins 1"),
        (("-n", "douze"), "--numero"),
        (("-n", "13", "--annee", "1999"), "au moins 2000"),
        (("-n", "13", "--annee", "99999999999999999999"), "au plus 2100"),
        (("-n", "13", "--titre", "x" * 2_000_000), "titre trop long"),
        (("-n", "13", "--titre", "!!!"), "ne contient ni lettre ni chiffre"),
        (("-n", "13", "--data", "secret.yaml"), "est un fichier, pas un dossier de données"),
        (("-n", "13", "--data", "absent"), "dossier de données introuvable"),
    ],
    ids=[
        "zero",
        "too-big",
        "twenty-digits",
        "negative",
        "not-a-number",
        "year-too-old",
        "year-huge",
        "title-too-long",
        "title-without-letters",
        "data-is-a-file",
        "data-missing",
    ],
)
def test_new_refuses_out_of_range_before_writing(
    args: tuple[str, ...], said: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_base(tmp_path)
    monkeypatch.chdir(tmp_path)
    before = snapshot(tmp_path)
    arguments = ["new", "-t", "prospective", "--titre", "Nouvelle action", *args]
    result = runner.invoke(app, arguments)
    output = result.stdout + result.stderr
    assert result.exit_code == 2, output
    assert_french_and_clean(output)
    assert said in output and len(output) < 2000
    assert snapshot(tmp_path) == before


def test_new_says_missing_numbers_by_runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    make_base(tmp_path)
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, ["new", "-t", "existante", "-n", "999", "--titre", "Dernière"])
    assert result.exit_code == 0, result.stdout + result.stderr
    assert "aucune fiche ne couvre encore les actions existantes 2 à 998 :" in result.stderr
    assert len(result.stderr) < 400
    assert (tmp_path / "data" / "actions" / "e999-derniere.yaml").is_file()


# --- Fuzzing: mutated copies of the real fiches -----------------------------------------------

REAL_FICHES = sorted((DATA / "actions").glob("*.yaml"))
INSERTED = st.sampled_from(
    [
        "\x00",
        "\x1b",
        "\t",
        "\r",
        "\u202e",
        "\u200b",
        "\ufeff",
        "é",
        "€",
        "💥",
        ":",
        "- ",
        "[",
        "{",
        "&a ",
        "*a",
        "!!python/object:os.system ",
        '"',
        "'",
        "|",
        ">",
        "#",
        "%",
        "@",
        "`",
        "? ",
        "{{ x }}",
        "<script>",
        "\n",
    ]
)


@st.composite
def mutated(draw: st.DrawFn) -> tuple[str, bytes]:
    """A real fiche, broken the way hands and attackers break files."""
    path = draw(st.sampled_from(REAL_FICHES))
    raw = path.read_bytes()
    for _ in range(draw(st.integers(1, 4))):
        lines = raw.split(b"\n")
        index = draw(st.integers(0, len(lines) - 1))
        operation = draw(
            st.sampled_from(
                ["delete", "duplicate", "insert", "retype", "listify", "truncate", "swap"]
            )
        )
        if operation == "delete":
            del lines[index]
        elif operation == "duplicate":
            lines.insert(index, lines[index])
        elif operation == "swap" and index + 1 < len(lines):
            lines[index], lines[index + 1] = lines[index + 1], lines[index]
        elif operation == "insert":
            column = draw(st.integers(0, len(lines[index])))
            lines[index] = lines[index][:column] + draw(INSERTED).encode() + lines[index][column:]
        elif operation in ("retype", "listify") and b": " in lines[index]:
            key, _, value = lines[index].partition(b": ")
            replacement = draw(
                st.sampled_from(
                    [b"42", b"-1", b"1e400", b"true", b"null", b"2016-13-01", b"[]", b"{}", b"''"]
                )
            )
            lines[index] = (
                key + b": " + (b"[" + value + b"]" if operation == "listify" else replacement)
            )
        raw = b"\n".join(lines)
        if operation == "truncate":
            raw = raw[: draw(st.integers(0, len(raw)))]
    return path.name, raw


def check_outputs(result: Any, root: Path) -> None:
    """Every reporter copes with whatever the data produced."""
    for diagnostic in result.diagnostics:
        assert diagnostic.code in CATALOGUE and diagnostic.message and diagnostic.line >= 0
    outputs = {
        name: kind(root).render(result.diagnostics, result.files)
        for name, kind in REPORTERS.items()
    }
    assert not INVISIBLE.search(outputs["text"])
    json.loads(outputs["json"])
    json.loads(outputs["gitlab"])


@given(mutated())
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_validate_survives_mutated_fiches(case: tuple[str, bytes]) -> None:
    name, raw = case
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        (data / "actions").mkdir(parents=True)
        shutil.copy(DATA / "communes.yaml", data / "communes.yaml")
        (data / "actions" / name).write_bytes(raw)
        result = validate_data(data)
        check_outputs(result, Path(folder))
        assert sorted(p.name for p in Path(folder).rglob("*")) == sorted(
            ["data", "actions", "communes.yaml", name]
        )


@given(mutated())
@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_loader_survives_mutated_fiches(case: tuple[str, bytes]) -> None:
    doc, found = load_bytes(case[1], case[0])
    assert (doc is None) == bool(found)
    assert all(d.code[0] in "YF" and d.hint for d in found)


@given(mutated())
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
def test_cli_survives_mutated_fiches(case: tuple[str, bytes]) -> None:
    name, raw = case
    with tempfile.TemporaryDirectory() as folder:
        data = Path(folder) / "data"
        (data / "actions").mkdir(parents=True)
        shutil.copy(DATA / "communes.yaml", data / "communes.yaml")
        (data / "actions" / name).write_bytes(raw)
        for output_format in ("text", "github"):
            result = runner.invoke(
                app, ["validate", "--data", str(data), "--format", output_format]
            )
            assert result.exit_code in (0, 1)
            output = result.stdout + result.stderr
            assert "Traceback" not in output and "erreur interne" not in output
            assert not INVISIBLE.search(output)


@pytest.fixture(scope="module", autouse=True)
def repository_untouched() -> Iterator[None]:
    """No case, build or fuzz run writes into the repository's data (the builds use copies
    of the templates, checked by test_build_writes_only_into_its_output_folder)."""
    before = snapshot(DATA)
    yield
    assert snapshot(DATA) == before
