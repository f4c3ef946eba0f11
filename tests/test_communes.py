"""The communes' pages, the commune × action matrix and its open data, checked against
an independent reading of the YAML (plain PyYAML, not bilan's loader nor its figures)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import pytest

from tests.conftest import DATA
from tests.golden import build_report
from tests.htmltree import Document, Element, parse
from tests.test_build import _plain, source_fiches

COMMUNES = _plain(DATA / "communes.yaml")["communes"]


def code(action: dict[str, object]) -> str:
    return ("E" if action["type"] == "existante" else "P") + str(action["numero"])


def actions_in_order() -> list[tuple[str, dict[str, object]]]:
    """(fiche's bilan, action) for every action, in report order."""
    pairs = [(f, a) for f in source_fiches() for a in f["actions"]]
    return sorted(pairs, key=lambda p: (p[1]["type"] != "existante", p[1]["numero"]))


def named_by() -> dict[str, list[str]]:
    """For each commune, the codes of the actions whose bilan names it."""
    named: dict[str, list[str]] = {c["id"]: [] for c in COMMUNES}
    for fiche, action in actions_in_order():
        for commune in fiche["bilan"].get("communes", []):
            named[commune].append(code(action))
    return named


def open_to_all() -> list[str]:
    """The actions whose « communes » indicator counts every member commune."""
    return [
        code(action)
        for fiche, action in actions_in_order()
        if any(
            i.get("categorie") == "communes" and i.get("valeur") == len(COMMUNES)
            for i in fiche["bilan"].get("indicateurs", [])
        )
    ]


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_report(tmp_path_factory.mktemp("communes")).target


def holding(doc: Document | Element, tag: str, ident: str) -> Element:
    """The innermost ``tag`` element that holds the element of id ``ident``."""
    found = [e for e in doc.find_all(tag) if e.find_all(id=ident)]
    assert found, ident
    return found[-1]


def cells(row: Element) -> list[Element]:
    return [c for c in row.children if isinstance(c, Element)]


def test_the_matrix_agrees_with_the_fiches(report: Path) -> None:
    index = parse((report / "index.html").read_text("utf-8"))
    table = index.find("table", class_="matrice-communes")
    header = [c.text().strip() for c in cells(table.find("thead").find("tr"))]
    codes = [code(a) for _f, a in actions_in_order()]
    assert header == ["Commune", *codes, "Actions"]
    named = named_by()
    rows = table.find("tbody").find_all("tr")
    assert [cells(r)[0].text().strip() for r in rows] == [c["nom"] for c in COMMUNES]
    for commune, row in zip(COMMUNES, rows, strict=True):
        marks = [c.text().strip() for c in cells(row)[1:-1]]
        shown = [c for c, mark in zip(codes, marks, strict=True) if mark.startswith("✓")]
        assert shown == named[commune["id"]], commune["id"]
        assert all(mark in ("✓oui", "non") for mark in marks)
        assert int(cells(row)[-1].text()) == len(named[commune["id"]])
    unnamed = [c["nom"] for c in COMMUNES if not named[c["id"]]]
    listed = holding(index, "div", "chiffres-non-nommees")
    assert [li.text().strip() for li in listed.find_all("li")] == unnamed
    assert "Lavérune" in unnamed and "Montpellier" not in unnamed


def test_the_open_data_matrix_agrees_with_the_fiches(report: Path) -> None:
    text = (report / "donnees" / "communes-actions.csv").read_text("utf-8")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert len(rows) == len(COMMUNES) * len(actions_in_order())
    named = named_by()
    for row in rows:
        action = ("E" if row["type"] == "existante" else "P") + row["numero"]
        assert (row["nommee"] == "true") == (action in named[row["commune"]])
    insee = {c["id"]: c["insee"] for c in COMMUNES}
    assert all(row["insee"] == insee[row["commune"]] for row in rows)


def commune_page(report: Path, ident: str) -> Document:
    return parse((report / "communes" / f"{ident}.html").read_text("utf-8"))


def fiche_links(section: Element) -> list[str]:
    return [a.attrs["href"] for h in section.find_all("h3") for a in h.find_all("a")]


def test_a_page_per_commune_with_its_actions(report: Path) -> None:
    fiches = {code(a): f["id"] for f, a in actions_in_order()}
    named = named_by()
    everyone = open_to_all()
    assert len(everyone) == 17
    for commune in COMMUNES:
        doc = commune_page(report, commune["id"])
        assert doc.find("h1").text() == commune["nom"]
        assert commune["insee"] in doc.find("dl", class_="commune-identite").text()
        own = list(dict.fromkeys(fiches[c] for c in named[commune["id"]]))
        section = holding(doc, "section", "nommee-titre")
        assert fiche_links(section) == [f"../actions/{f}.html" for f in own]
        others = [f for f in dict.fromkeys(fiches[c] for c in everyone) if f not in own]
        assert fiche_links(holding(doc, "section", "toutes-titre")) == [
            f"../actions/{f}.html" for f in others
        ]
    index = parse((report / "communes" / "index.html").read_text("utf-8"))
    links = [a.attrs["href"] for a in index.find("tbody").find_all("a")]
    assert links == [f"{c['id']}.html" for c in COMMUNES]


def test_a_commune_page_shows_the_indicators_and_the_phase(report: Path) -> None:
    doc = commune_page(report, "castelnau-le-lez")
    text = " ".join(holding(doc, "section", "nommee-titre").text().split())
    assert "Mutualisation des salles de spectacle" in text
    # p11's calendar starts in 2015-T4: its fifth quarter, 2016-T4, is phase 3
    assert (
        "Mutualisation des salles de spectacle Phase au T4 2016 : 3 phase 3, mise en œuvre." in text
    )
    assert "Budget concerné" in text and "32 000 € en 2016 pour la métropole" in text
