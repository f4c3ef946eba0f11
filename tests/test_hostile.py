"""Hostile and broken input: a clear, located French error every time; nothing executed,
leaked or lost.

One table row per case, each run through the command line as CI runs it. Cases that could
hang or exhaust memory if a guard regressed (bombs, nesting, size, FIFOs) run in a
subprocess with a timeout and an address-space limit, so that a regression fails instead
of taking the machine down. The build cases check what reaches the public site and that
a failed build leaves the previous report as it was.
"""

from __future__ import annotations

import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from bilan import writer
from bilan.build import BuildOptions, build, project_templates
from bilan.catalogue import BASE, CATALOGUE
from bilan.cli import app
from bilan.diagnostics import INVISIBLE
from bilan.incremental import CACHE_DIR
from bilan.reporters import REPORTERS
from bilan.validate import MAX_PER_FILE, validate_data
from bilan.yamlio import load_bytes
from tests.conftest import COMMUNES, DATA, bilan, fiche
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
        line=12,
        column=1,
        hint="refermé",
    ),
    Case(
        "syntax-unclosed-bracket",
        in_fiche("[fonctions-ressources]", "[fonctions-ressources"),
        "Y001",
        line=8,
        column=10,
        hint="refermé",
    ),
    Case(
        "syntax-markdown-star",
        in_fiche("  - Un objectif", "  - * un objectif"),
        "Y001",
        line=9,
        column=6,
        hint="guillemets",
    ),
    Case(
        "syntax-text-after-quote",
        in_fiche("titre: Fiche e01-test", 'titre: "Fiche" e01-test'),
        "Y001",
        line=2,
        column=16,
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
        assert f"{where}: erreur {case.code}: " in outcome.text
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


@pytest.mark.parametrize("interruption", [KeyboardInterrupt, OSError])
def test_interrupted_write_keeps_previous_build(
    interruption: type[BaseException], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C or a full disk in the middle of writing the new files."""
    out, before = built(tmp_path, monkeypatch)
    written: list[Path] = []
    real_write = Path.write_bytes

    def failing_write(path: Path, content: bytes) -> int:
        if len(written) == 3:
            raise interruption("interrompu")
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
    with pytest.raises(interruption):
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
