"""The report as ODT and DOCX, read back (odfpy, python-docx) and against the sources.

What the documents must carry is read from the YAML with plain PyYAML and from the text of
the published report (the transcription guard's facts), not from bilan's own figures.
"""

from __future__ import annotations

import itertools
import re
import shutil
import subprocess
from pathlib import Path

import docx
import pytest
from odf import opendocument, teletype
from odf import text as odf_text
from odf.table import Table

from bilan import office
from bilan.build import BuildOptions, build
from bilan.errors import BuildError
from tests import test_transcription as transcription
from tests.conftest import DATA
from tests.test_accessibility import require
from tests.test_build import _plain, source_fiches
from tests.test_communes import COMMUNES, named_by

YEAR = 2016
TITLE = "Schéma de mutualisation de Montpellier Méditerranée Métropole et de ses 31 communes"
AUTHOR = "Montpellier Méditerranée Métropole"
GROUPS = ("Partie 1 – Les coopérations existantes", "Partie 2 – Les coopérations en devenir")
pytestmark = pytest.mark.skipif(office.unavailable() is not None, reason="pandoc absent")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("office")
    return build(
        BuildOptions(year=YEAR, data=DATA, out=out, formats=frozenset({"odt", "docx"}))
    ).target


def fiche_headings() -> list[str]:
    """« Action existante 4 – Réseau… »: the heading of each fiche, in report order."""
    headings = []
    for fiche in source_fiches():
        kinds = {a["type"] for a in fiche["actions"]}
        assert len(kinds) == 1
        numbers = [a["numero"] for a in fiche["actions"]]
        kind = "existante" if "existante" in kinds else "prospective"
        label = f"Action {kind} " if len(numbers) == 1 else f"Actions {kind}s "
        headings.append(label + "-".join(map(str, numbers)) + " – " + fiche["titre"])
    return headings


def odt_headings(document: opendocument.OpenDocument) -> list[tuple[int, str]]:
    return [
        (int(h.getAttribute("outlinelevel")), teletype.extractText(h))
        for h in document.getElementsByType(odf_text.H)
    ]


def docx_headings(document: docx.document.Document) -> list[tuple[int, str]]:
    return [
        (int(p.style.name.removeprefix("Heading ")), p.text)
        for p in document.paragraphs
        if p.style is not None and p.style.name.startswith("Heading ")
    ]


def headings(built: Path, kind: str) -> list[tuple[int, str]]:
    path = built / f"bilan-{YEAR}.{kind}"
    if kind == "odt":
        return odt_headings(opendocument.load(str(path)))
    return docx_headings(docx.Document(str(path)))


def plain(text: str) -> str:
    """Apostrophes as typed (pandoc writes typographic ones), spaces collapsed."""
    return re.sub(r"\s+", " ", text.replace("’", "'").replace("\u202f", " ").replace("\xa0", " "))


def document_text(built: Path, kind: str) -> str:
    """Every paragraph and table cell of a document, one after the other."""
    path = built / f"bilan-{YEAR}.{kind}"
    if kind == "odt":
        document = opendocument.load(str(path))
        blocks = document.getElementsByType(odf_text.H) + document.getElementsByType(odf_text.P)
        return plain("\n".join(teletype.extractText(block) for block in blocks))
    word = docx.Document(str(path))
    parts = [p.text for p in word.paragraphs]
    for table in word.tables:
        parts.extend(cell.text for row in table.rows for cell in row.cells)
    return plain("\n".join(parts))


@pytest.mark.parametrize("kind", ["odt", "docx"])
def test_every_fiche_is_a_heading_under_its_part(built: Path, kind: str) -> None:
    found = [(level, plain(text)) for level, text in headings(built, kind)]
    fiches = [(3, plain(h)) for h in fiche_headings()]
    assert [h for h in found if h[0] == 3 and h[1].startswith("Action")] == fiches
    level_1 = [text for level, text in found if level == 1]
    assert level_1[0] == "Édito" and level_1[-1] == "Les 31 communes de la métropole"
    assert "Annexe 2 : bilan détaillé par action" in level_1
    assert [text for level, text in found if level == 2 and text.startswith("Partie")] == list(
        GROUPS
    )
    # no level skipped: an outline and a table of contents work
    levels = [level for level, _text in found]
    assert all(b <= a + 1 for a, b in itertools.pairwise(levels))
    assert "Les chiffres de l'année 2016" in [text for level, text in found if level == 2]


@pytest.mark.parametrize("kind", ["odt", "docx"])
def test_the_figures_the_calendars_and_the_communes(built: Path, kind: str) -> None:
    text = document_text(built, kind)
    prospective = [a for f in source_fiches() for a in f["actions"] if a["type"] == "prospective"]
    assert "| Actions du schéma |" not in text  # tables are tables (test_tables_are_tables)
    assert "Actions du schéma 15 12 27" in text
    assert f"Actions nouvelles démarrées en {YEAR} (10)" in text
    assert len(prospective) == 12
    for commune in COMMUNES:
        assert commune["nom"] in text
    named = named_by()
    unnamed = ", ".join(c["nom"] for c in COMMUNES if not named[c["id"]])
    assert f"Communes qu'aucune action ne nomme (18) : {unnamed}." in text
    assert "Sommaire" in text


def test_tables_are_tables(built: Path) -> None:
    odt = opendocument.load(str(built / f"bilan-{YEAR}.odt"))
    word = docx.Document(str(built / f"bilan-{YEAR}.docx"))
    calendars = sum(1 for f in source_fiches() if "sans_fiche" not in f["bilan"])
    # 4 tables of figures, the Annexe 1 matrix, one calendar per fiche with a sheet
    assert len(odt.getElementsByType(Table)) == len(word.tables) == 4 + 1 + calendars
    header = [cell.text for cell in word.tables[-1].rows[0].cells]
    assert header[0] == "Trimestre" and "**" not in "".join(header)


def test_document_properties(built: Path) -> None:
    word = docx.Document(str(built / f"bilan-{YEAR}.docx"))
    properties = word.core_properties
    assert (properties.title, properties.author, properties.language) == (TITLE, AUTHOR, "fr-FR")
    odt = opendocument.load(str(built / f"bilan-{YEAR}.odt"))
    meta = {
        element.qname[1]: teletype.extractText(element)
        for element in odt.meta.childNodes
        if hasattr(element, "qname")
        and element.qname[1] in ("title", "language", "initial-creator")
    }
    assert meta == {"title": TITLE, "language": "fr-FR", "initial-creator": AUTHOR}
    # A4 paper
    section = word.sections[0]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)


def number_set(text: str) -> set[str]:
    return {re.sub(r"[\s\u00a0\u202f]", "", n) for n in transcription.numbers(text)}


@pytest.mark.skipif(not transcription.SOURCE.is_file(), reason="source text absent")
@pytest.mark.parametrize("kind", ["odt", "docx"])
def test_every_source_fact_is_in_the_document(built: Path, kind: str) -> None:
    """The numbers the transcription guard reads in the published report, sheet by sheet
    and in the narrative, are all in the document."""
    found = number_set(document_text(built, kind))
    missing = {}
    for sheet in transcription.sheets():
        lost = {re.sub(r"[\s\u00a0\u202f]", "", n) for n in transcription.sheet_numbers(sheet)}
        lost -= found
        if lost:
            missing[sheet.label] = sorted(lost)
    narrative = {re.sub(r"[\s\u00a0\u202f]", "", n) for n in transcription.narrative_source()}
    if narrative - found:
        missing["narrative"] = sorted(narrative - found)
    assert not missing


def test_two_builds_are_byte_identical(built: Path, tmp_path: Path) -> None:
    again = build(
        BuildOptions(year=YEAR, data=DATA, out=tmp_path, formats=frozenset({"odt", "docx"}))
    ).target
    for kind in ("odt", "docx"):
        name = f"bilan-{YEAR}.{kind}"
        assert (again / name).read_bytes() == (built / name).read_bytes(), name


def test_without_pandoc_the_format_is_unavailable_in_french(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(office, "pandoc_path", lambda: None)
    options = BuildOptions(
        year=YEAR, data=DATA, out=tmp_path, formats=frozenset({"odt", "md"}), cache=False
    )
    with pytest.raises(BuildError, match="pandoc est introuvable"):
        build(BuildOptions(**{**options.__dict__, "requested": frozenset({"odt"})}))
    result = build(options)
    assert result.notices == [
        "ODT non produit : pandoc est introuvable. installez le paquet Python pypandoc-binary "
        "(pip install pypandoc-binary), qui contient pandoc"
    ]
    assert result.files == [f"bilan-{YEAR}.md"]


def test_libreoffice_opens_both_documents(built: Path, tmp_path: Path) -> None:
    """LibreOffice headless turns each document into a PDF that holds the whole report
    (its pages were looked at with pdftoppm when the format was written). Skipped without
    LibreOffice on a developer machine, fatal in CI (.ci/run installs it)."""
    require(
        shutil.which("soffice") is not None, "LibreOffice (paquet Debian libreoffice-writer-nogui)"
    )
    for kind in ("odt", "docx"):
        subprocess.run(
            [
                "soffice",
                f"-env:UserInstallation=file://{tmp_path}/profil",
                "--headless",
                "--convert-to",
                "pdf",
                "--outdir",
                str(tmp_path / kind),
                str(built / f"bilan-{YEAR}.{kind}"),
            ],
            check=True,
            capture_output=True,
            timeout=180,
        )
        pdf = tmp_path / kind / f"bilan-{YEAR}.pdf"
        text = plain(
            subprocess.run(
                ["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True
            ).stdout
        )
        info = subprocess.run(
            ["pdfinfo", str(pdf)], capture_output=True, text=True, check=True
        ).stdout
        assert "A4" in info and f"Title: {TITLE}".split()[1] in info
        pages = int(re.search(r"Pages:\s+(\d+)", info).group(1))  # type: ignore[union-attr]
        assert 40 < pages < 120
        for heading in fiche_headings():
            # a long heading may wrap: its first words
            assert plain(heading)[:40] in text.replace("\n", " "), (kind, heading)
    assert _plain(DATA / "communes.yaml")["metropole"]["nom"] == AUTHOR
