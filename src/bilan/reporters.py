"""Diagnostic reporters: one per format, each printing a run's diagnostics and its summary.

``bilan validate``, ``bilan build`` and ``bilan stats`` pick one with
:func:`choose_reporter` and hand it what the validation found, so the three commands
print the same thing for the same data. A new format is a :class:`Reporter` subclass
and one entry of :data:`REPORTERS`: the CLI's choices and help come from there.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import ClassVar

from bilan.diagnostics import INVISIBLE, Diagnostic, errors, printable
from bilan.errors import BilanError

_ECHO_LIMIT = 2_000_000
"""Source lines are echoed from files up to this size (data files are smaller)."""

CODE_QUALITY_FILE = Path("gl-code-quality-report.json")
"""Where the automatic choice under GitLab CI writes its Code Quality report: the name of
GitLab's documentation, which ``artifacts:reports:codequality`` of .gitlab-ci.yml names."""


def summary(diagnostics: Sequence[Diagnostic], files: int) -> str:
    """The closing line of a run, in French: « 33 fichiers vérifiés : 1 erreur, … »."""
    n_err = len(errors(diagnostics))
    n_warn = len(diagnostics) - n_err

    def plural(n: int, word: str) -> str:
        return f"{n} {word}{'s' if n > 1 else ''}"

    files_text = plural(files, "fichier") + (" vérifiés" if files > 1 else " vérifié")
    if not diagnostics:
        return f"{files_text} : aucun problème."
    return f"{files_text} : {plural(n_err, 'erreur')}, {plural(n_warn, 'avertissement')}."


class Reporter(ABC):
    """How one format shows the diagnostics of a run, and its summary."""

    description: ClassVar[str]
    """What the format is for, in French (the CLI's help)."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root
        """The folder the diagnostics' paths start from (the working directory), from which
        the text format echoes source lines; None: no source line."""

    @abstractmethod
    def render(self, diagnostics: Sequence[Diagnostic], files: int) -> str:
        """Everything this format prints for one run of ``files`` files, summary included."""

    def report(
        self, diagnostics: Sequence[Diagnostic], files: int, echo: Callable[[str], object]
    ) -> None:
        """Print the run through ``echo`` (the command chooses the stream)."""
        echo(self.render(diagnostics, files))


class TextReporter(Reporter):
    """Compiler-style text for people: location, severity, code, message, the source line
    with a caret under the column, a hint; then the summary."""

    description = "texte lisible, avec la ligne du fichier et un conseil"

    def render(self, diagnostics: Sequence[Diagnostic], files: int) -> str:
        return "\n".join([*self.lines(diagnostics), summary(diagnostics, files)])

    def lines(self, diagnostics: Sequence[Diagnostic]) -> list[str]:
        """The diagnostics, without the summary. Each file is read once, whatever the
        number of its diagnostics; what comes from the data (paths, values, source lines)
        is printed through :func:`printable`."""
        out: list[str] = []
        files: dict[str, list[str] | None] = {}
        for diag in diagnostics:
            out.append(
                printable(f"{diag.location()}: {diag.severity.value} {diag.code}: {diag.message}")
            )
            if self.root is not None and diag.line and not diag.code.startswith("F"):
                if diag.path not in files:
                    files[diag.path] = _file_lines(self.root, diag.path)
                out += _source_line(files[diag.path], diag)
            if diag.hint:
                out.append(printable(f"    Conseil : {diag.hint}"))
        return out


def _file_lines(root: Path, path: str) -> list[str] | None:
    try:
        with (root / path).open("rb") as handle:
            raw = handle.read(_ECHO_LIMIT + 1)
    except OSError:
        return None
    if len(raw) > _ECHO_LIMIT:
        return None
    text = raw.decode("utf-8", "replace").lstrip("\ufeff")
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def _source_line(lines: list[str] | None, diag: Diagnostic) -> list[str]:
    """The line of ``diag`` as written (invisible characters shown as �), and a caret."""
    if lines is None or diag.line > len(lines) or len(lines[diag.line - 1]) > 300:
        return []
    line = INVISIBLE.sub("\ufffd", lines[diag.line - 1])
    if not diag.column:
        return [f"    {line}"]
    pad = "".join("\t" if ch == "\t" else " " for ch in line[: diag.column - 1])
    return [f"    {line}", f"    {pad}^"]


def _json_text(payload: object) -> str:
    """JSON as UTF-8 text; a file name's undecodable bytes become ``\\udcff`` escapes."""
    text = json.dumps(payload, ensure_ascii=False, indent=2)
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


class JsonReporter(Reporter):
    """One JSON document for programs: the counts of the summary, then every diagnostic."""

    description = "un document JSON, pour les programmes"

    def render(self, diagnostics: Sequence[Diagnostic], files: int) -> str:
        n_err = len(errors(diagnostics))
        return _json_text(
            {
                "valide": not n_err,
                "fichiers": files,
                "erreurs": n_err,
                "avertissements": len(diagnostics) - n_err,
                "diagnostics": [{**asdict(d), "severity": d.severity.value} for d in diagnostics],
            }
        )


def _escape_github(text: str, is_property: bool = False) -> str:
    text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    if is_property:
        text = text.replace(":", "%3A").replace(",", "%2C")
    return text


class GithubReporter(Reporter):
    """GitHub Actions workflow commands: one annotation per diagnostic, shown on its line of
    the pull request; then the summary, for the log."""

    description = "annotations GitHub Actions, sur les lignes de la pull request"

    def render(self, diagnostics: Sequence[Diagnostic], files: int) -> str:
        from bilan.catalogue import CATALOGUE  # the rules' titles: only this format needs them

        out = []
        for d in diagnostics:
            level = "error" if d.is_error else "warning"
            props = [f"file={_escape_github(printable(d.path), True)}"]
            if d.line:
                props += [f"line={d.line}", f"col={d.column}"]
            entry = CATALOGUE.get(d.code)
            title = f"{d.code} {entry.title}" if entry else d.code
            props.append(f"title={_escape_github(title, True)}")
            message = d.message + (f" — Conseil : {d.hint}" if d.hint else "")
            out.append(f"::{level} {','.join(props)}::{_escape_github(printable(message))}")
        return "\n".join([*out, summary(diagnostics, files)])


def code_quality(diagnostics: Sequence[Diagnostic]) -> str:
    """GitLab's Code Quality report: a JSON array of issues (description, check_name,
    a unique fingerprint, severity, location.path and location.lines.begin)."""
    issues = []
    for d in diagnostics:
        fingerprint = hashlib.sha256(
            f"{d.path}:{d.line}:{d.column}:{d.code}:{d.message}".encode("utf-8", "backslashreplace")
        ).hexdigest()
        issues.append(
            {
                "description": f"{d.code} {d.message}" + (f" — {d.hint}" if d.hint else ""),
                "check_name": d.code,
                "fingerprint": fingerprint,
                "severity": "major" if d.is_error else "minor",
                "location": {"path": d.path, "lines": {"begin": max(d.line, 1)}},
            }
        )
    return _json_text(issues)


class GitlabReporter(Reporter):
    """The Code Quality report itself, for a job that writes it to a file of its own
    (``bilan validate --format gitlab > rapport.json``). Nothing else: GitLab reads the file."""

    description = "rapport Code Quality de GitLab (JSON), à écrire dans un fichier"

    def render(self, diagnostics: Sequence[Diagnostic], files: int) -> str:
        return code_quality(diagnostics)


class GitlabCiReporter(TextReporter):
    """The automatic choice under GitLab CI: the job's log stays readable text, and the Code
    Quality report that GitLab shows in the merge request goes to :data:`CODE_QUALITY_FILE`
    (GitLab reads it from the job's artifacts, never from the log)."""

    description = f"texte, et le rapport Code Quality dans {CODE_QUALITY_FILE}"

    def report(
        self, diagnostics: Sequence[Diagnostic], files: int, echo: Callable[[str], object]
    ) -> None:
        echo(self.render(diagnostics, files))
        try:
            (self.root or Path()).joinpath(CODE_QUALITY_FILE).write_text(
                code_quality(diagnostics) + "\n", encoding="utf-8"
            )
        except OSError as error:
            raise BilanError(
                f"rapport Code Quality impossible à écrire : {CODE_QUALITY_FILE} "
                f"({error.strerror or error})",
                "vérifiez les droits d'écriture du dossier du job",
            ) from None


REPORTERS: dict[str, type[Reporter]] = {
    "text": TextReporter,
    "json": JsonReporter,
    "github": GithubReporter,
    "gitlab": GitlabReporter,
}
"""The formats a user can name (``--format`` of validate, ``--diagnostics`` of build and stats)."""


def choose_reporter(
    name: str | None, environ: Mapping[str, str], root: Path | None = None
) -> Reporter:
    """The reporter named ``name``; without a name, the one of the CI the command runs in,
    as yamllint does (GitHub Actions sets ``GITHUB_ACTIONS=true``, GitLab sets
    ``GITLAB_CI``), else text. A name always wins over the environment."""
    if name is not None:
        return REPORTERS[name](root)
    if environ.get("GITHUB_ACTIONS") == "true":
        return GithubReporter(root)
    if environ.get("GITLAB_CI"):
        return GitlabCiReporter(root)
    return TextReporter(root)
