"""The print PDF, read back with poppler-utils and pypdf: content, sommaire, metadata, fonts."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from typer.testing import CliRunner

from bilan import pdf
from bilan.build import BuildOptions, build
from bilan.cli import app
from tests.conftest import DATA

pytestmark = pytest.mark.skipif(
    shutil.which("pdftotext") is None, reason="poppler-utils absent (installé par .ci/run)"
)


@pytest.fixture(scope="module")
def report_pdf(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("pdf")
    build(BuildOptions(year=2016, data=DATA, out=out, formats=frozenset({"pdf"})))
    return out / "2016" / "bilan-2016.pdf"


def page_texts(path: Path) -> list[str]:
    """Text of every page, with hyphenation and spacing normalised."""
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = text.split("\f")
    return [normalise(page) for page in pages if page.strip()]


def normalise(text: str) -> str:
    text = text.replace("\u2010", "").replace("\u00ad", "")
    text = re.sub(r"-\n\s*", "", text)  # words hyphenated at line ends
    return re.sub(r"\s+", " ", text.replace("\u202f", " ").replace("\u00a0", " "))


def pdfinfo(path: Path) -> dict[str, str]:
    out = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    return dict(line.split(":", 1) for line in out.splitlines() if ":" in line) | {}


def test_metadata_and_tagging(report_pdf: Path) -> None:
    info = {k: v.strip() for k, v in pdfinfo(report_pdf).items()}
    assert info["Title"].startswith("Schéma de mutualisation de Montpellier Méditerranée Métropole")
    assert info["Author"] == "Montpellier Méditerranée Métropole"
    assert "Bilan d'étape 2016" in info["Subject"]
    assert info["Tagged"] == "yes"
    assert info["Page size"].startswith("595.276 x 841.89")  # A4

    import pypdf

    catalog = pypdf.PdfReader(report_pdf).trailer["/Root"]
    assert catalog["/Lang"] == "fr"


def test_fonts_are_embedded(report_pdf: Path) -> None:
    out = subprocess.run(
        ["pdffonts", str(report_pdf)], capture_output=True, text=True, check=True
    ).stdout
    rows = out.splitlines()[2:]
    assert rows
    for row in rows:
        assert re.search(r"\byes\s+yes\s+yes\b", row), row


def test_every_fiche_title_is_in_the_pdf(report_pdf: Path) -> None:
    import yaml

    text = " ".join(page_texts(report_pdf))
    for path in sorted((DATA / "actions").glob("*.yaml")):
        title = yaml.safe_load(path.read_text(encoding="utf-8"))["titre"]
        assert normalise(title) in text, title


def test_sommaire_page_numbers_match_the_pages(report_pdf: Path) -> None:
    pages = page_texts(report_pdf)
    sommaire = next(
        i
        for i, page in enumerate(pages)
        if page.lstrip().startswith(tuple(["Bilan d'étape 2016 et perspectives Sommaire"]))
    )
    entries = re.findall(
        r"((?:Action|Actions) (?:existante|prospective)s? [\d-]+ – .+?) \.*\s?(\d+)(?= )",
        pages[sommaire] + " ",
    )
    assert len(entries) >= 24
    for heading, number in entries:
        label = heading.split(" – ")[0].casefold()  # printed in capitals on the fiche
        assert label in pages[int(number) - 1].casefold(), (heading, number)
    for part, number in re.findall(r"(Annexe 1 : [^.]+?) \.+ ?(\d+)", pages[sommaire]):
        assert part.strip() in pages[int(number) - 1]


FICHE_BOOKMARK = re.compile(r"Actions? (existante|prospective)s? [\d-]+ ")


def fiche_bookmarks(path: Path) -> list[tuple[str, int]]:
    """(title, 1-based page) of every fiche in the PDF outline, in order."""
    import pypdf

    reader = pypdf.PdfReader(path)
    found: list[tuple[str, int]] = []

    def walk(outline: list[object]) -> None:
        for item in outline:
            if isinstance(item, list):
                walk(item)
            else:
                title = item.title  # type: ignore[attr-defined]
                if FICHE_BOOKMARK.match(title):
                    found.append((title, reader.get_destination_page_number(item) + 1))  # type: ignore[arg-type]

    walk(reader.outline)
    return found


def test_bookmarks_cover_every_fiche(report_pdf: Path) -> None:
    assert len(fiche_bookmarks(report_pdf)) == len(list((DATA / "actions").glob("*.yaml")))


def test_each_fiche_starts_a_page(report_pdf: Path) -> None:
    pages = page_texts(report_pdf)
    bookmarks = fiche_bookmarks(report_pdf)
    numbers = [page for _title, page in bookmarks]
    assert numbers == sorted(set(numbers)), "two fiches share a page"
    labels = [title.split(" ", 3)[:3] for title, _page in bookmarks]
    for index, (_title, page) in enumerate(bookmarks):
        text = pages[page - 1].casefold()
        assert " ".join(labels[index]).casefold() in text
        if index:  # the previous fiche does not run onto this page's start
            previous = " ".join(labels[index - 1]).casefold() + " "
            assert previous not in text.split(" ".join(labels[index]).casefold())[0]


def test_two_builds_give_the_same_pdf(report_pdf: Path, tmp_path: Path) -> None:
    build(BuildOptions(year=2016, data=DATA, out=tmp_path, formats=frozenset({"pdf"})))
    assert (tmp_path / "2016" / "bilan-2016.pdf").read_bytes() == report_pdf.read_bytes()


def _unavailable() -> tuple[str, str]:
    return "WeasyPrint ne peut pas être chargé (test)", "installez-le"


def test_missing_weasyprint_warns_when_pdf_not_asked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(pdf, "unavailable", _unavailable)
    result = CliRunner().invoke(
        app, ["build", "--year", "2016", "--data", str(DATA), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert result.stderr.count("PDF non produit") == 1
    assert (tmp_path / "2016" / "index.html").is_file()
    assert not (tmp_path / "2016" / "bilan-2016.pdf").exists()


def test_missing_weasyprint_fails_when_pdf_asked(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(pdf, "unavailable", _unavailable)
    result = CliRunner().invoke(
        app, ["build", "--year", "2016", "--data", str(DATA), "--out", str(tmp_path), "-f", "pdf"]
    )
    assert result.exit_code == 1
    assert "WeasyPrint ne peut pas être chargé" in result.stderr
    assert "Traceback" not in result.output
    assert not (tmp_path / "2016").exists()
