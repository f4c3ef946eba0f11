"""The report as an editable document (ODT, DOCX): the only module that knows pandoc.

The document is made from the report's Markdown (the same units as ``bilan-N.md``) by
pandoc, which the PyPI package ``pypandoc-binary`` ships: a well-kept converter that writes
real heading styles (a word processor's outline and table of contents work), real tables,
and the document's properties (title, author, language), with no system package to
install. A Lua filter (templates/bureautique.lua) adds the sommaire and the page breaks;
the styles are pandoc's own, on A4 paper. ``SOURCE_DATE_EPOCH`` keeps the files
byte-identical from one build to the next. Without pandoc the build says so.
"""

from __future__ import annotations

import io
import os
import subprocess
import tempfile
import zipfile
from collections.abc import Callable, Mapping
from functools import cache
from pathlib import Path

FILTER = "bureautique.lua"
"""The Lua filter of the templates folders: sommaire and page breaks."""
READER = "markdown" + "".join(
    f"-{extension}"
    for extension in (
        "citations",
        "subscript",
        "superscript",
        "tex_math_dollars",
        "raw_tex",
        "raw_html",
        "yaml_metadata_block",
        "pandoc_title_block",
        "fenced_divs",
        "bracketed_spans",
    )
)
"""pandoc's Markdown reads the report's CommonMark with pipe tables (lists and tables start
after a blank line), and gives a table the widths of the dashes of its separator line; its
extensions that would read a fiche's « ~ », « ^ », « @ », « $ » or « --- » as markup are off."""
TIMEOUT = 120

A4_ODT = (
    ('fo:page-width="8.5in"', 'fo:page-width="21cm"'),
    (
        'fo:page-height="11in"',
        'fo:page-height="29.7cm"',
    ),
)
PAGE_BREAK_STYLE = (
    '<style:style style:name="Pagebreak" style:family="paragraph" '
    'style:parent-style-name="Standard"><style:paragraph-properties '
    'fo:break-after="page"/></style:style>'
)
"""The paragraph the filter writes for a page break in an ODT (pandoc's styles have none)."""
A4_DOCX = (
    '<w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="1418" w:right="1418" '
    'w:bottom="1418" w:left="1418" w:header="709" w:footer="709" w:gutter="0"/>'
)
"""A4 paper and 2.5 cm margins, at the end of the section properties of pandoc's styles."""


@cache
def pandoc_path() -> str | None:
    """The pandoc that pypandoc-binary ships (or pypandoc finds), or None."""
    try:
        import pypandoc

        path: str = pypandoc.get_pandoc_path()
    except (ImportError, OSError):
        return None
    return path if path and os.access(path, os.X_OK) else None


def unavailable() -> tuple[str, str] | None:
    """Why no ODT or DOCX can be made here (message, hint), or None."""
    if pandoc_path() is not None:
        return None
    return (
        "pandoc est introuvable",
        "installez le paquet Python pypandoc-binary (pip install pypandoc-binary), "
        "qui contient pandoc",
    )


def _run(arguments: list[str], environment: Mapping[str, str] | None = None) -> bytes:
    path = pandoc_path()
    assert path is not None, "bilan.outputs checks unavailable() first"
    done = subprocess.run(
        [path, *arguments],
        capture_output=True,
        timeout=TIMEOUT,
        env={**os.environ, **(environment or {})},
        check=False,
    )
    if done.returncode != 0:
        from bilan.errors import BuildError

        reason = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise BuildError(
            f"pandoc n'a pas pu écrire le document ({reason[-1] if reason else done.returncode})",
            "vérifiez les gabarits du rapport en Markdown (dossier --templates ou templates/)",
        )
    return done.stdout


def _odt_styles(text: str) -> str:
    for old, new in A4_ODT:
        text = text.replace(old, new)
    return text.replace("</office:styles>", PAGE_BREAK_STYLE + "</office:styles>", 1)


def _docx_body(text: str) -> str:
    end = text.rindex("</w:sectPr>")
    return text[:end] + A4_DOCX + text[end:]


_PATCHES: dict[tuple[str, str], Callable[[str], str]] = {
    ("odt", "styles.xml"): _odt_styles,
    ("docx", "word/document.xml"): _docx_body,
}


@cache
def reference_doc(to: str) -> bytes:
    """pandoc's own styles for ``to`` (odt, docx), on A4 paper, with a page-break style."""
    original = zipfile.ZipFile(io.BytesIO(_run(["--print-default-data-file", f"reference.{to}"])))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as patched:
        for item in original.infolist():
            data = original.read(item)
            if (to, item.filename) in _PATCHES:
                data = _PATCHES[to, item.filename](data.decode("utf-8")).encode("utf-8")
            patched.writestr(item, data)
    return buffer.getvalue()


def markdown_to_office(
    text: str,
    read: Callable[[str], bytes],
    *,
    to: str,
    metadata: Mapping[str, str],
    epoch: int,
) -> bytes:
    """The report's Markdown as an ODT or DOCX file (``to``), with ``metadata`` (title,
    subtitle, author, date, lang) as its title page and properties; ``epoch``: the date
    written in the file (pandoc reads it from SOURCE_DATE_EPOCH), fixed by the edition."""
    with tempfile.TemporaryDirectory(prefix="bilan-") as folder:
        work = Path(folder)
        (work / FILTER).write_bytes(read(FILTER))
        (work / f"reference.{to}").write_bytes(reference_doc(to))
        (work / "rapport.md").write_text(text, "utf-8")
        arguments = [
            str(work / "rapport.md"),
            f"--from={READER}",
            f"--to={to}",
            "--shift-heading-level-by=-1",
            # every line counts as too long: each table takes the page's width, its columns
            # the shares of the dashes of their separator line (templates/*.md.j2)
            "--columns=1",
            f"--lua-filter={work / FILTER}",
            f"--reference-doc={work / f'reference.{to}'}",
            f"--output={work / f'rapport.{to}'}",
        ]
        for name, value in sorted(metadata.items()):
            arguments.append(f"--metadata={name}:{value}")
        _run(arguments, {"SOURCE_DATE_EPOCH": str(epoch)})
        return (work / f"rapport.{to}").read_bytes()
