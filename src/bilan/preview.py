"""The builds of `bilan serve` and what they leave: the state the open pages show, the files
they are served. No server and no watching here (see :mod:`bilan.serve`, :mod:`bilan.watching`).

The site is built by :func:`bilan.build.build`, with its incremental cache, as ``bilan
build --format html`` builds it, into a temporary folder of the preview's: the preview's
output is partial (the PDF, the Markdown report and the open data are built when a page
asks for them), so writing it into ``build/`` would replace the complete report left there,
and nothing is ever written into the data folder. Each build that the data or the templates
asked for makes a new version, which the open pages compare with the one they show.

Each served page is the built page with one ``<script>`` added before ``</body>``
(``apercu.js``): it listens to the server's events and shows the new page after a rebuild,
or the data's errors in a dialog (file:line:column, message, hint) over the last page that
built, until they are fixed.
"""

from __future__ import annotations

import html
import mimetypes
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bilan.build import BuildOptions, build, template_dirs
from bilan.diagnostics import Diagnostic, errors
from bilan.errors import BilanError, InvalidData
from bilan.workers import freeze_after_loading

SCRIPT_URL = "/_apercu/apercu.js"
SITE = "site"
"""The preview's folder of the site; the outputs built on demand each have their own."""


@dataclass(frozen=True)
class Outcome:
    """One build of the preview: what it built, or why it could not."""

    version: int
    seconds: float
    changed: tuple[str, ...] = ()
    """The files whose change started it (none for the first build)."""
    diagnostics: tuple[Diagnostic, ...] = ()
    """What validation found: the errors that stopped the build, or warnings."""
    problem: BilanError | None = None
    """A problem that is not in the data (a broken template, no bilan for the year)."""
    checked: int = 0
    """Files the validation read (for the same summary as ``bilan validate``)."""

    @property
    def ok(self) -> bool:
        return self.problem is None and not errors(self.diagnostics)


def on_demand_format(name: str, year: int) -> str | None:
    """The output format (:data:`bilan.outputs.FORMATS`) that a request for ``name``
    asks to build: the preview builds the site only, the others when someone opens them."""
    for kind in ("pdf", "md", "odt", "docx"):
        if name == f"bilan-{year}.{kind}":
            return kind
    if name.startswith("donnees/"):
        return "data"
    return None


def inject(page: bytes, version: int, year: int) -> bytes:
    """The built page with the preview's script before its last ``</body>`` (the only
    change: what the browser shows is the built page)."""
    tag = f'<script src="{SCRIPT_URL}" data-version="{version}" data-annee="{year}"></script>\n'
    script = tag.encode()
    at = page.rfind(b"</body>")
    return page + script if at < 0 else page[:at] + script + page[at:]


class Preview:
    """The preview's builds, one at a time (the caller sees to it), and their outputs."""

    def __init__(self, year: int, data: Path, templates: Path | None, out: Path) -> None:
        # A long-running process: each build's garbage must be freed (bilan.workers).
        freeze_after_loading(False)
        self.year = year
        self.data = data
        self.templates = templates
        self.out = out
        self.last = Outcome(0, 0.0)
        self.building = False
        self.layout = 1
        """The last version built after a change outside the data (the templates): a page
        shown before it reloads whole, the others only their content."""
        self.on_demand: dict[str, int] = {}
        """Output format built on demand → the version of the site it was built for."""

    def watched(self) -> list[Path]:
        """The folders whose changes rebuild: the data and every templates folder."""
        return [self.data, *template_dirs(self.templates)]

    def build(self, changed: Iterable[str] = (), extra: str | None = None) -> Outcome:
        """Build the site, or ``extra`` (an output format asked for), and record the
        outcome. A build for ``extra`` makes no new version (the pages did not change)
        and goes to its own folder, where it stays until the site changes."""
        formats = frozenset({"html"} if extra is None else {extra})
        options = BuildOptions(
            year=self.year,
            data=self.data,
            out=self.out / (SITE if extra is None else extra),
            templates=self.templates,
            formats=formats,
            requested=formats,
        )
        start = time.perf_counter()
        version = self.last.version + (extra is None)
        found: tuple[Diagnostic, ...] = ()
        problem: BilanError | None = None
        checked = 0
        try:
            result = build(options)
        except InvalidData as error:
            found, checked = tuple(error.diagnostics), error.files
        except BilanError as error:
            problem = error
        except Exception as error:  # a bug must not stop the preview: shown, then next save
            problem = BilanError(
                f"erreur interne : {type(error).__name__}: {error}",
                "signalez le problème ; « bilan --debug build » donne la trace complète",
            )
        else:
            found, checked = tuple(result.diagnostics), result.checked
        outcome = Outcome(
            version, time.perf_counter() - start, tuple(changed), found, problem, checked
        )
        if extra is not None:
            if outcome.ok:
                self.on_demand[extra] = self.last.version
            return outcome
        self.last = outcome
        data = self.data.resolve()
        if any(not Path(p).resolve().is_relative_to(data) for p in outcome.changed):
            self.layout = version
        return outcome

    def state(self) -> dict[str, Any]:
        """What the open pages are told (JSON): the version, and what to show in the dialog."""
        last = self.last
        problem = last.problem
        return {
            "version": last.version,
            "mise_en_page": self.layout,
            "construction": self.building,
            "erreurs": [
                {"lieu": d.location(), "code": d.code, "message": d.message, "conseil": d.hint}
                for d in errors(last.diagnostics)
            ],
            "probleme": None
            if problem is None
            else {"message": problem.message, "conseil": problem.hint},
        }

    def file(self, name: str) -> bytes | None:
        """The bytes of an output of the current site, None if there is none by that name
        (or an output on demand not built for this version of the site)."""
        parts = [part for part in name.split("/") if part]
        if not parts or any(part in (".", "..") or part.startswith(".") for part in parts):
            return None
        extra = on_demand_format(name, self.year)
        if extra is not None and self.on_demand.get(extra) != self.last.version:
            return None
        path = self.out.joinpath(SITE if extra is None else extra, str(self.year), *parts)
        try:
            return path.read_bytes() if path.is_file() else None
        except OSError:
            return None

    def page(self, name: str) -> tuple[int, bytes, str]:
        """Status, body and media type of the answer to ``GET /name``."""
        name = name + "index.html" if name == "" or name.endswith("/") else name
        found = self.file(name)
        if found is None:
            if name == "index.html":
                text = "Le rapport n'a pas encore pu être construit : voir les erreurs affichées."
            else:
                text = f"Page introuvable dans le rapport construit : {name}"
            return 404, self.placeholder(text), "text/html"
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if name.endswith(".md"):
            kind = "text/markdown"
        if kind == "text/html":
            found = inject(found, self.last.version, self.year)
        return 200, found, kind

    def placeholder(self, text: str) -> bytes:
        """A page of the preview that says ``text`` (and follows the builds, as the others)."""
        page = (
            '<!DOCTYPE html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
            f"<title>Aperçu du bilan {self.year}</title>\n</head>\n<body>\n<main>\n"
            f"<h1>Aperçu du bilan {self.year}</h1>\n<p>{html.escape(text)}</p>\n"
            "</main>\n</body>\n</html>\n"
        )
        return inject(page.encode(), self.last.version, self.year)
