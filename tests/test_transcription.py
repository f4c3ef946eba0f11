"""The 2016 data against the report it was transcribed from.

The published report (its text extraction, ``shared/source/bilan-etape-2016.txt`` next to
the repository) is the reference: no figure may be invented, altered or dropped in data/.
Every action sheet of Annexe 2 is compared with its fiche (the set of numbers it prints,
then its calendar), and the narrative with data/rapports/2016/. Numbers are compared as
printed, once the layout of the form and the artefacts of the extraction (list numbering,
section headings, phase legend, quarter headers) are set aside by precise rules.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from jinja2 import StrictUndefined
from jinja2.sandbox import ImmutableSandboxedEnvironment

from bilan.models import Cell, Fiche, Report
from bilan.validate import Validation, validate_data

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT / "data"
SOURCE = ROOT.parent / "shared" / "source" / "bilan-etape-2016.txt"
YEAR = 2016

TITLE_PAGE = (1, 17)
"""Lines (1-based, inclusive) of the title page, transcribed into rapport.yaml."""
NARRATIVE = (18, 262)
"""Lines of the narrative (édito to Annexe 1), transcribed into data/rapports/2016/*.md."""
NOT_NARRATIVE = ((34, 51), (256, 262))
"""The sommaire (page numbers) and the Annexe 1 table (rendered from the fiches)."""
BACK_COVER = "montpellier3m.fr"
"""First line of the last page (after the commune list), transcribed as ``contact``."""

pytestmark = pytest.mark.skipif(
    not SOURCE.is_file(), reason=f"source text of the 2016 report absent: {SOURCE}"
)

SPACES = " \u00a0\u202f"
NUMBER = re.compile(
    rf"(?<![0-9])(?:[0-9]{{1,3}}(?:[{SPACES}][0-9]{{3}}(?![0-9]))+|[0-9]+)(?:,[0-9]+)?"
)
"""A run of digits; "21 214 690" (groups of exactly 3 digits) and "1,5" are one number."""

SHEET_TITLE = re.compile(
    r"^Titre de la fiche-action\t(?:Actions?|Fiche) (?P<kind>existantes?|prospective) "
    r"(?P<numbers>[0-9]+(?:-[0-9]+)*)\s*[-–:]?\s*(?P<titre>.*)$",
    re.IGNORECASE,
)
PART_HEADING = re.compile(r"^PARTIE [0-9]+ [-–] ")
"""« PARTIE 2 – Les coopérations en devenir » separates two sheets, it belongs to neither."""
SECTION = re.compile(
    r"^[0-9] ?[-–] ?(?:le projet|la mise en œuvre|le niveau d'avancement de l'action"
    r"|les résultats obtenus|les perspectives)$",
    re.IGNORECASE,
)
"""The four parts of the form, with the misnumbered variants of the original."""
LEGEND = re.compile(
    r"^(?:[1-4] ?[-–] ?(?:diagnostic|plan d'action|mise en œuvre|suivi ou fin)\s*)+$",
    re.IGNORECASE,
)
QUARTER = re.compile(r"Tri ?m ?\. ?([1-4]) ([0-9]{4})")
CALENDAR_ROW = re.compile(r"^[0-9/\t ]*$")
TAG = re.compile(r"<[^>]*>")
NUMBERING = re.compile(r"(?<![0-9])([0-9]{1,2}) ?([-–.])(?=\s|$)")
"""A list number: "1- ", "2 - ", "3 – ", "1. " (and "3-" closing an empty cell)."""

UNCOUNTED_KEYS = frozenset(
    [
        "id",
        "fiche",
        "numero",
        "communes",
        "themes",
        "categorie",
        "etat",
        "debut",
        "phases",
        "lignes",
    ]
)
"""Fiche keys that hold identifiers, enumerations or the calendar, not printed text."""


# --- numbers -----------------------------------------------------------------------------


def numbers(text: str) -> list[str]:
    """Every number of ``text``, as printed without its group separators."""
    return [re.sub(f"[{SPACES}]", "", match.group()) for match in NUMBER.finditer(text)]


def printed(value: float) -> str:
    """An indicator ``valeur`` as the report prints it (441888, 1,5)."""
    if float(value).is_integer():
        return str(int(value))
    return str(value).replace(".", ",")


Found = dict[str, list[str]]
"""Number → where it was found (source lines or data fields), for the failure message."""


def add(found: Found, values: Iterable[str], where: str) -> None:
    """Record ``values`` as found at ``where`` (a failure then says where to look)."""
    for value in values:
        found.setdefault(value, []).append(where)


def sort_key(value: str) -> tuple[float, str]:
    """Numeric order for the failure message ("1,5" before "10")."""
    return (float(value.replace(",", ".")), value)


def diff(source: Found, data: Found, data_name: str) -> str:
    """A readable difference of two sets of numbers, with where each one was found."""
    lines = []
    for label, mine, other in (("source", source, data), (data_name, data, source)):
        missing = sorted(set(mine) - set(other), key=sort_key)
        if missing:
            lines.append(f"only in the {label}:")
            lines += [f"  {value}  ({', '.join(mine[value][:4])})" for value in missing]
    return "\n".join(lines)


def without_numbering(cell: str) -> str:
    """A table cell without the numbers of its list items.

    A list number counts as such at the start of the cell, or, with a dash, when it
    continues the numbering of the cell (the extraction put "1- … 2- …" in one cell).
    """
    kept: list[str] = []
    position = 0
    last: int | None = None
    for match in NUMBERING.finditer(cell):
        value, mark = int(match.group(1)), match.group(2)
        at_start = match.start() == 0
        continues = mark != "." and last is not None and value == last + 1
        if at_start or continues:
            kept.append(cell[position : match.start()])
            position = match.end()
            last = value
    kept.append(cell[position:])
    return "\t".join(kept)


def content_numbers(line: str) -> list[str]:
    """Numbers of a line of a sheet: HTML tags start a new cell, list numbers are dropped."""
    cells = TAG.sub("\t", line).split("\t")
    return [value for cell in cells for value in numbers(without_numbering(cell.strip()))]


# --- the source --------------------------------------------------------------------------


@cache
def source_lines() -> tuple[str, ...]:
    """The source, read once: line n is ``source_lines()[n - 1]``."""
    return tuple(SOURCE.read_text(encoding="utf-8").splitlines())


@dataclass(frozen=True)
class Sheet:
    """One action sheet of Annexe 2."""

    line: int
    """Line of its title, 1-based."""
    kind: str
    """« existante » or « prospective »."""
    actions: tuple[int, ...]
    titre: str
    lines: tuple[str, ...]
    """The lines after the title line."""

    @property
    def label(self) -> str:
        return f"{self.kind}-{'-'.join(map(str, self.actions))}"

    def numbered(self) -> Iterator[tuple[int, str]]:
        """(line number, line) after the title line."""
        return enumerate(self.lines, start=self.line + 1)


@cache
def sheets() -> tuple[Sheet, ...]:
    """The sheets of Annexe 2: from each title line to the next, or to the commune list."""
    lines = source_lines()
    end = lines.index("Baillargues")
    starts = [i for i, line in enumerate(lines[:end]) if line.startswith("Titre de la fiche")]
    found = []
    for start, stop in zip(starts, [*starts[1:], end], strict=True):
        match = SHEET_TITLE.match(lines[start])
        assert match, f"line {start + 1}: unexpected sheet title {lines[start]!r}"
        body = list(lines[start + 1 : stop])
        body = next((body[:i] for i, line in enumerate(body) if PART_HEADING.match(line)), body)
        kind = "existante" if match["kind"].lower().startswith("existante") else "prospective"
        actions = tuple(int(n) for n in match["numbers"].split("-"))
        found.append(Sheet(start + 1, kind, actions, match["titre"], tuple(body)))
    return tuple(found)


def next_text(lines: tuple[str, ...], index: int) -> str:
    """The next non-blank line after ``index`` ("" if none)."""
    return next((line.strip() for line in lines[index + 1 :] if line.strip()), "")


def is_calendar_header(line: str) -> bool:
    """The quarter row ("Trim .4 2015", "Tri m. 1 2016"…) that heads a calendar."""
    return len(QUARTER.findall(line)) > 1


def sheet_numbers(sheet: Sheet) -> Found:
    """The numbers a sheet prints, without the form's own numbering and headers."""
    found: Found = {}
    add(found, numbers(sheet.titre), f"line {sheet.line}")
    in_calendar = False
    for index, (number, line) in enumerate(sheet.numbered()):
        text = line.strip()
        if in_calendar and text and CALENDAR_ROW.match(line):
            continue  # a row of the calendar, checked by test_sheet_calendar
        in_calendar = is_calendar_header(line)
        if (
            in_calendar
            or SECTION.match(text)
            or LEGEND.match(text)
            # a section number split from its heading ("1" then "2 - Le projet")
            or (text.isdigit() and SECTION.match(next_text(sheet.lines, index)))
            # the year heading the perspectives table
            or (text == "2017" and next_text(sheet.lines, index).startswith("Résultats à venir"))
        ):
            continue
        add(found, content_numbers(line), f"line {number}")
    return found


Row = tuple[int | None, list[Cell]]


def parse_cell(cell: str) -> Cell:
    """A calendar cell as the data writes it: "" → None, "3/4" → [3, 4], "2" → 2."""
    cell = cell.strip()
    if not cell:
        return None
    if "/" in cell:
        return [int(part) for part in cell.split("/")]
    return int(cell)


def trimmed(cells: list[Cell]) -> list[Cell]:
    """Cells without the empty ones at the end (the data may omit them)."""
    cells = list(cells)
    while cells and cells[-1] is None:
        cells.pop()
    return cells


def sheet_calendar(sheet: Sheet) -> tuple[str, list[Row]]:
    """The first quarter and the rows of the 2016 calendar of a sheet."""
    lines = sheet.lines
    header = next(i for i, line in enumerate(lines) if is_calendar_header(line))
    quarter, year = QUARTER.findall(lines[header])[0]
    per_result = lines[header].startswith("N°")
    rows: list[Row] = []
    for line in lines[header + 1 :]:
        if not line.strip() or not CALENDAR_ROW.match(line):
            break
        cells = [parse_cell(cell) for cell in line.split("\t")]
        if per_result:
            result = cells.pop(0)
            assert isinstance(result, int), f"calendar row without result number: {line!r}"
            rows.append((result, trimmed(cells)))
        else:
            rows.append((None, trimmed(cells)))
    return f"{year}-T{quarter}", rows


def narrative_source() -> Found:
    """Numbers of the narrative lines, without the sommaire and the Annexe 1 table."""
    found: Found = {}
    lines = source_lines()
    for number in range(NARRATIVE[0], NARRATIVE[1] + 1):
        if any(first <= number <= last for first, last in NOT_NARRATIVE):
            continue
        add(found, numbers(lines[number - 1]), f"line {number}")
    return found


# --- the data ----------------------------------------------------------------------------


@cache
def validation() -> Validation:
    """The real data, loaded and checked once (it also names the parametrized cases)."""
    return validate_data(DATA, [YEAR])


@cache
def figures() -> dict[str, Any]:
    """The figures the narrative refers to, computed as `bilan build` does."""
    computed = validation().figures.get(YEAR)
    assert computed is not None, "the figures of 2016 are not computed; see `bilan validate`"
    return computed


def report_of(fiche: Fiche) -> Report | None:
    """The 2016 bilan of a fiche, if it has one that loaded."""
    found = validation().dataset.bilan_of(YEAR, fiche.id)
    return found.report if found is not None else None


def covering(sheet: Sheet) -> list[Fiche]:
    """The fiches whose actions include one of the sheet's actions."""
    wanted = {(sheet.kind, n) for n in sheet.actions}
    return [
        item.fiche
        for item in validation().dataset.fiches
        if wanted & {(a.type, a.numero) for a in item.fiche.actions}
    ]


def fiche_of(sheet: Sheet) -> Fiche:
    """The one fiche of a sheet; an invalid or ambiguous fiche fails the case here."""
    found = covering(sheet)
    assert len(found) == 1, (
        f"line {sheet.line}: {sheet.label} is covered by {len(found)} valid fiches "
        f"({[f.id for f in found]}); see `bilan validate`"
    )
    return found[0]


def data_numbers(value: Any, where: str, found: Found) -> None:
    """Numbers of every text of a dumped fiche, and of every indicator value.

    A text may keep the list numbering of its cell ("1 - Augmentation des usages…"):
    it is set aside by the rule used for the source, line by line.
    """
    if isinstance(value, str):
        for line in value.splitlines():
            add(found, numbers(without_numbering(line.strip())), where)
    elif isinstance(value, dict):
        for key, item in value.items():
            if key == "valeur" and item is not None:
                add(found, [printed(item)], f"{where}.valeur")
            elif key not in UNCOUNTED_KEYS:
                data_numbers(item, f"{where}.{key}" if where else str(key), found)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            data_numbers(item, f"{where}[{index}]", found)


def fiche_numbers(fiche: Fiche) -> Found:
    """The numbers of a fiche's own texts and of its 2016 bilan."""
    found: Found = {}
    data_numbers(fiche.model_dump(), "", found)
    report = report_of(fiche)
    if report is not None:
        data_numbers(report.model_dump(), f"bilan {YEAR}", found)
    return found


def narrative_data() -> Found:
    """Numbers of the Markdown parts, references replaced by the computed figures."""
    narrative = validation().narratives.get(YEAR)
    assert narrative is not None, "data/rapports/2016 does not load; see `bilan validate`"
    env = ImmutableSandboxedEnvironment(undefined=StrictUndefined, autoescape=False)
    found: Found = {}
    for part in narrative.parts:
        section = part.section
        texts = [section.titre, part.body, section.numero or "", *section.signature]
        for text in texts:
            rendered = env.from_string(text).render(chiffres=figures())
            add(found, numbers(rendered), part.path)
    return found


# --- tests -------------------------------------------------------------------------------


def sheet_params() -> list[Any]:
    """One case per sheet, named after its fiche (read at collection time)."""
    if not SOURCE.is_file():
        return [pytest.param(None, id="no-source")]
    params = []
    for sheet in sheets():
        found = covering(sheet)
        name = found[0].id if len(found) == 1 else sheet.label
        params.append(pytest.param(sheet, id=name))
    return params


def test_every_sheet_has_its_fiche() -> None:
    """Each sheet is one fiche covering exactly its actions; each fiche with a 2016 sheet
    has one in the report, and a fiche « sans_fiche » has none."""
    problems = []
    with_sheet = set()
    for sheet in sheets():
        found = covering(sheet)
        if len(found) != 1:
            problems.append(f"line {sheet.line}: {sheet.label} → {[f.id for f in found]}")
            continue
        fiche = found[0]
        with_sheet.add(fiche.id)
        actions = {(a.type, a.numero) for a in fiche.actions}
        if actions != {(sheet.kind, n) for n in sheet.actions}:
            problems.append(f"line {sheet.line}: {sheet.label} but {fiche.id} covers {actions}")
    for item in validation().dataset.fiches:
        report = report_of(item.fiche)
        expected = report is not None and report.sans_fiche is None
        if expected and item.fiche.id not in with_sheet:
            problems.append(f"{item.fiche.id}: a 2016 bilan, but no sheet in the report")
        if not expected and item.fiche.id in with_sheet:
            problems.append(
                f"{item.fiche.id}: a sheet in the report, but « sans_fiche » or no 2016 bilan"
            )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("sheet", sheet_params())
def test_sheet_numbers(sheet: Sheet) -> None:
    """A sheet and its fiche print the same numbers: none dropped, altered or added."""
    fiche = fiche_of(sheet)
    source, data = sheet_numbers(sheet), fiche_numbers(fiche)
    assert set(source) == set(data), (
        f"{fiche.id} (sheet of line {sheet.line}):\n{diff(source, data, 'fiche')}"
    )


@pytest.mark.parametrize("sheet", sheet_params())
def test_sheet_calendar(sheet: Sheet) -> None:
    """The 2016 calendar of a fiche is the printed one, quarter by quarter."""
    fiche = fiche_of(sheet)
    report = report_of(fiche)
    assert report is not None and report.calendrier is not None, f"{fiche.id}: no calendar"
    calendar = report.calendrier
    debut, rows = sheet_calendar(sheet)
    assert calendar.debut == debut, f"{fiche.id}: calendrier.debut (sheet line {sheet.line})"
    data = [(result, trimmed(cells)) for result, cells in calendar.rows()]
    assert data == rows, f"{fiche.id}: calendrier (sheet line {sheet.line})"


def test_narrative_numbers() -> None:
    """The narrative keeps every number of lines 18-262, and adds none."""
    source, data = narrative_source(), narrative_data()
    assert set(source) == set(data), diff(source, data, "narrative")


def test_title_page_and_back_cover() -> None:
    """rapport.yaml: the title page and the contact block of the last page, same numbers."""
    narrative = validation().narratives.get(YEAR)
    assert narrative is not None, "data/rapports/2016 does not load; see `bilan validate`"
    meta = narrative.meta
    lines = source_lines()
    cover: Found = {}
    for number in range(TITLE_PAGE[0], TITLE_PAGE[1] + 1):
        add(cover, numbers(lines[number - 1]), f"line {number}")
    data: Found = {}
    for name in ("organisme", "titre", "sous_titre", "publication"):
        add(data, numbers(getattr(meta, name)), name)
    assert set(cover) == set(data), diff(cover, data, "rapport.yaml")
    start = lines.index(BACK_COVER)
    back: Found = {}
    for number, line in enumerate(lines[start:], start=start + 1):
        add(back, numbers(line), f"line {number}")
    contact: Found = {}
    for index, line in enumerate(meta.contact):
        add(contact, numbers(line), f"contact[{index}]")
    assert set(back) == set(contact), diff(back, contact, "rapport.yaml")
