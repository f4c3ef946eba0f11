"""`bilan build --year 2016`: what the report says, checked against the fiches themselves.

The expectations are read from data/actions/*.yaml with a plain YAML reader, not through
bilan's own loader and figures, so that a wrong count in bilan cannot hide behind itself.
PDF is left out (tested on its own).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from markdown_it import MarkdownIt
from typer.testing import CliRunner

from bilan.cli import app
from bilan.errors import InvalidData
from bilan.incremental import CACHE_DIR
from bilan.writer import MANIFEST
from tests.conftest import DATA
from tests.golden import YEAR, build_report
from tests.htmltree import Document, Element, parse

runner = CliRunner()
FORMAT_ARGS = ("-f", "html", "-f", "md", "-f", "data")
PUBLISHED = {"total": 27, "existantes": 15, "prospectives": 12, "demarrees": 10, "non_demarrees": 2}
"""The figures printed in the January 2017 report, which the data must give back."""
CSV_COLUMNS = [
    "annee",
    "type",
    "numero",
    "titre",
    "fiche",
    "themes",
    "etat",
    "sans_fiche",
    "phase_fin_annee",
    "communes_concernees",
    "acteurs_associes",
    "population_couverte",
    "budget_eur",
    "reunions",
    "communes_citees",
]


# --- What the fiches say, read independently of bilan -------------------------------------


@dataclass(frozen=True)
class SourceAction:
    type: str
    numero: int
    titre: str
    themes: tuple[str, ...]
    fiche: str
    etat: str | None

    @property
    def code(self) -> str:
        return ("E" if self.type == "existante" else "P") + str(self.numero)


def _plain(path: Path) -> Any:
    return yaml.safe_load(path.read_text("utf-8"))


THEMES = {t["id"]: t["libelle"] for t in _plain(DATA / "bilan.yaml")["vocabulaire"]["themes"]}
"""The project's themes, in the order the report shows them."""


def source_fiches(data: Path = DATA) -> list[dict[str, Any]]:
    """Every fiche as plain YAML, with its bilan of the year under ``bilan`` (empty when it
    has none), in report order (existing first, by first action number)."""
    bilans = data / "rapports" / str(YEAR) / "bilans"
    fiches = []
    for path in sorted((data / "actions").glob("*.yaml")):
        fiche = _plain(path)
        own = bilans / path.name
        fiche["bilan"] = _plain(own) if own.exists() else {}
        fiches.append(fiche)

    def order(fiche: dict[str, Any]) -> tuple[int, int]:
        return min((a["type"] != "existante", a["numero"]) for a in fiche["actions"])

    return sorted(fiches, key=order)


def source_actions(data: Path = DATA) -> list[SourceAction]:
    actions = [
        SourceAction(
            a["type"],
            a["numero"],
            a["titre"],
            tuple(a["themes"]),
            f["id"],
            f["bilan"].get("etat"),
        )
        for f in source_fiches(data)
        for a in f["actions"]
    ]
    return sorted(actions, key=lambda a: (a.type != "existante", a.numero))


def without_sheet(fiche: dict[str, Any]) -> bool:
    return "sans_fiche" in fiche["bilan"]


def number(text: str) -> int:
    """« 441 888 » (French separators) → 441888."""
    return int(re.sub(r"[\s\u202f\u00a0]", "", text))


# --- The built report, shared by the read-only tests --------------------------------------


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_report(tmp_path_factory.mktemp("build")).target


@pytest.fixture(scope="module")
def index(report: Path) -> Document:
    return page(report / "index.html")


def page(path: Path) -> Document:
    return parse(path.read_text("utf-8"))


def invoke(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args), catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


def snapshot(folder: Path) -> dict[str, bytes]:
    return {
        p.relative_to(folder).as_posix(): p.read_bytes()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def fiche_articles(index: Document, part: str) -> list[Element]:
    return [a for a in index.by_id(part).find_all("article") if "fiche" in a.classes]


def per_action_rows(index: Document) -> list[list[Element]]:
    """Rows of the « Action par action » table: [header cell, phase, communes, réunions]."""
    table = index.find("table", class_="chiffres-actions")
    body = table.find("tbody")
    return [[c for c in row.children if isinstance(c, Element)] for row in body.find_all("tr")]


# --- The data itself is the published report ----------------------------------------------


def test_the_data_holds_the_published_actions() -> None:
    actions = source_actions()
    numbers = {(a.type, a.numero) for a in actions}
    assert numbers == {("existante", n) for n in range(1, 16)} | {
        ("prospective", n) for n in range(1, 13)
    }
    prospective = [a for a in actions if a.type == "prospective"]
    assert {
        "total": len(actions),
        "existantes": len(actions) - len(prospective),
        "prospectives": len(prospective),
        "demarrees": sum(1 for a in prospective if a.etat not in (None, "non-demarree")),
        "non_demarrees": sum(1 for a in prospective if a.etat == "non-demarree"),
    } == PUBLISHED


# --- Command line --------------------------------------------------------------------------


def test_cli_builds_the_requested_formats_only(tmp_path: Path) -> None:
    code, out, err = invoke(
        "build", "--year", str(YEAR), "--data", str(DATA), "--out", str(tmp_path), *FORMAT_ARGS
    )
    assert code == 0, err
    target = tmp_path / str(YEAR)
    assert f"Rapport {YEAR} construit dans {target}/" in out
    fiches = {f"actions/{f['id']}.html" for f in source_fiches()}
    communes = {f"communes/{c['id']}.html" for c in _plain(DATA / "communes.yaml")["communes"]}
    assert set(snapshot(target)) == {
        MANIFEST,
        "index.html",
        "accessibilite.html",
        "style.css",
        f"bilan-{YEAR}.md",
        "donnees/actions.csv",
        "donnees/actions.json",
        "donnees/datapackage.json",
        "donnees/communes-actions.csv",
        "communes/index.html",
        *communes,
        *fiches,
    }
    # no temporary left over; the build cache aside (bilan.buildcache)
    assert sorted(p.name for p in tmp_path.iterdir()) == [CACHE_DIR, str(YEAR)]


def test_a_year_without_a_report_is_a_clear_error(tmp_path: Path) -> None:
    code, out, err = invoke("build", "--year", "2015", "--data", str(DATA), "--out", str(tmp_path))
    assert code == 2
    assert "erreur : pas de rapport pour l'année 2015" in err
    assert "Traceback" not in out + err
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("where", ["data", "parent-of-data", "inside-data", "templates"])
def test_refuses_an_output_folder_holding_data_or_templates(
    real_data: Path, tmp_path: Path, where: str
) -> None:
    templates = tmp_path / "gabarits"
    templates.mkdir()
    out = {
        "data": real_data,
        "parent-of-data": real_data.parent,
        "inside-data": real_data / "sortie",
        "templates": templates,
    }[where]
    before = snapshot(tmp_path)
    code, _out, err = invoke(
        "build", "--year", str(YEAR), "--data", str(real_data), "--out", str(out),
        "--templates", str(templates), *FORMAT_ARGS,
    )  # fmt: skip
    assert code == 2
    assert "erreur : le dossier de sortie" in err
    assert snapshot(tmp_path) == before
    assert not (out / str(YEAR)).exists()


def test_templates_option_overrides_one_template(tmp_path: Path) -> None:
    templates = tmp_path / "gabarits"
    templates.mkdir()
    (templates / "style.css").write_text("/* feuille de l'intercommunalité */\n", "utf-8")
    (templates / "bilan.md.j2").write_text("# {{ rapport.titre }}\n\nGabarit local.\n", "utf-8")
    code, _out, err = invoke(
        "build", "--year", str(YEAR), "--data", str(DATA), "--out", str(tmp_path / "out"),
        "--templates", str(templates), *FORMAT_ARGS,
    )  # fmt: skip
    assert code == 0, err
    target = tmp_path / "out" / str(YEAR)
    assert (target / "style.css").read_text("utf-8") == "/* feuille de l'intercommunalité */\n"
    title = yaml.safe_load((DATA / "rapports" / str(YEAR) / "rapport.yaml").read_text("utf-8"))
    assert (target / f"bilan-{YEAR}.md").read_text("utf-8") == (
        f"# {title['titre']}\n\nGabarit local.\n"
    )
    # The templates not overridden still come from the project.
    assert page(target / "index.html").find("nav", class_="sommaire")


def test_missing_templates_folder_is_a_usage_error(tmp_path: Path) -> None:
    code, _out, err = invoke(
        "build", "--year", str(YEAR), "--data", str(DATA), "--out", str(tmp_path / "out"),
        "--templates", str(tmp_path / "absent"), *FORMAT_ARGS,
    )  # fmt: skip
    assert code == 2
    assert "dossier de gabarits introuvable" in err


def test_a_fiche_without_the_year_warns_and_the_report_says_so(
    real_data: Path, tmp_path: Path
) -> None:
    (real_data / "rapports" / str(YEAR) / "bilans" / "p10-reseau-espaces-verts.yaml").unlink()
    code, _out, err = invoke(
        "build", "--year", str(YEAR), "--data", str(real_data), "--out", str(tmp_path / "out"),
        *FORMAT_ARGS,
    )  # fmt: skip
    assert code == 0, err
    assert "p10-reseau-espaces-verts.yaml" in err
    assert f"avertissement R009: pas de bilan {YEAR} pour cette fiche" in err
    target = tmp_path / "out" / str(YEAR)
    said = f"Fiche non fournie pour le bilan {YEAR}."
    article = page(target / "index.html").by_id("p10-reseau-espaces-verts-fiche")
    assert said in article.text()
    assert not article.find_all("table")
    assert said in page(target / "actions" / "p10-reseau-espaces-verts.html").find("main").text()
    markdown = (target / f"bilan-{YEAR}.md").read_text("utf-8")
    assert f"– Réseau thématique « espaces verts »\n\n*{said}*\n" in markdown
    rows = list(
        csv.DictReader(io.StringIO((target / "donnees" / "actions.csv").read_text("utf-8")))
    )
    [p10] = [r for r in rows if (r["type"], r["numero"]) == ("prospective", "10")]
    assert (p10["etat"], p10["phase_fin_annee"], p10["communes_concernees"]) == ("", "", "")


def test_narrative_figures_follow_the_data(real_data: Path, tmp_path: Path) -> None:
    """Change the fiches, and the text of the report changes with them."""
    (real_data / "actions" / "p12-reseau-enseignement-musical.yaml").unlink()
    (
        real_data / "rapports" / str(YEAR) / "bilans" / "p12-reseau-enseignement-musical.yaml"
    ).unlink()
    path = real_data / "rapports" / str(YEAR) / "bilans" / "p02-moyens-informatiques.yaml"
    text = path.read_text("utf-8")
    assert text.count("etat: en-cours") == 1
    path.write_text(text.replace("etat: en-cours", "etat: non-demarree"), "utf-8")
    index = page(build_report(tmp_path / "out", real_data).target / "index.html")
    part3 = index.by_id("partie-3").text()
    assert "un ensemble de 26 actions/projets" in part3
    assert "Elle se compose de 15 actions" in part3
    assert "et 11 nouveaux projets" in part3
    strong = [s.text() for s in index.by_id("partie-3").find_all("strong")]
    assert "8 actions" in strong
    assert "3 actions" in strong
    assert index.by_id("annexe-1-titre").text() == "Annexe 1 : Les 26 actions de coopération"


# --- Determinism and atomicity -------------------------------------------------------------


def test_two_builds_are_byte_identical(tmp_path: Path) -> None:
    """Two processes with different hash seeds, data copies at different paths."""
    outputs = []
    for seed in ("1", "2"):
        data = tmp_path / f"copie-{seed}" / "data"
        shutil.copytree(DATA, data)
        out = tmp_path / f"sortie-{seed}"
        subprocess.run(
            [sys.executable, "-m", "bilan", "build", "--year", str(YEAR), "--data", str(data),
             "--out", str(out), *FORMAT_ARGS],
            check=True,
            capture_output=True,
            env={**os.environ, "PYTHONHASHSEED": seed},
        )  # fmt: skip
        outputs.append(snapshot(out / str(YEAR)))
    first, second = outputs
    assert sorted(first) == sorted(second)
    differing = [name for name in first if first[name] != second[name]]
    assert differing == []


def test_a_failed_build_leaves_the_previous_one_untouched(real_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "out"
    build_report(out, real_data)
    before = snapshot(out)
    path = real_data / "actions" / "p11-salles-de-spectacle.yaml"
    path.write_text(path.read_text("utf-8").replace("objectifs:", "objectif:"), "utf-8")
    with pytest.raises(InvalidData) as raised:
        build_report(out, real_data)
    assert "S001" in [d.code for d in raised.value.diagnostics if d.is_error]
    assert snapshot(out) == before
    assert sorted(p.name for p in out.iterdir()) == [CACHE_DIR, str(YEAR)]


# --- index.html: every fiche, every action, every figure -----------------------------------


def test_pages_are_well_nested(report: Path) -> None:
    for path in sorted(report.rglob("*.html")):
        assert page(path).problems == [], path.name


@pytest.mark.parametrize(
    ("part", "kind"),
    [("cooperations-existantes", "existante"), ("cooperations-en-devenir", "prospective")],
)
def test_every_fiche_appears_in_order(index: Document, part: str, kind: str) -> None:
    expected = [f for f in source_fiches() if min(a["type"] for a in f["actions"]) == kind]
    articles = fiche_articles(index, part)
    assert [a.attrs["id"] for a in articles] == [f"{f['id']}-fiche" for f in expected]
    for article, fiche in zip(articles, expected, strict=True):
        title = article.find("h4", class_="fiche-titre")
        assert title.attrs["id"] == f"{fiche['id']}-titre"
        assert title.text().endswith(fiche["titre"])
        assert article.find("a", href=f"actions/{fiche['id']}.html")


def test_every_action_number_appears(index: Document) -> None:
    labelled = set()
    for part in ("cooperations-existantes", "cooperations-en-devenir"):
        for article in fiche_articles(index, part):
            label = article.find("span", class_="fiche-numero").text()
            match = re.fullmatch(r"Actions? (existante|prospective)s? ([0-9-]+)", label)
            assert match, label
            labelled |= {(match[1], int(n)) for n in match[2].split("-")}
    assert labelled == {(a.type, a.numero) for a in source_actions()}
    rows = [row[0].text() for row in per_action_rows(index)]
    assert rows == [f"{a.code} – {a.titre}" for a in source_actions()]


def test_annex_1_puts_every_action_under_its_themes(index: Document) -> None:
    table = index.find("table", class_="annexe-1")
    seen: Counter[str] = Counter()
    rows = table.find("tbody").find_all("tr")
    assert [r.find("th").text() for r in rows] == list(THEMES.values())
    for row, theme in zip(rows, THEMES, strict=True):
        existing, prospective = row.find_all("td")
        for cell, kind in ((existing, "existante"), (prospective, "prospective")):
            expected = [a for a in source_actions() if a.type == kind and theme in a.themes]
            items = cell.find_all("li")
            assert [li.text() for li in items] == [f"{a.titre} ({a.code})" for a in expected]
            assert [li.find("a").attrs["href"] for li in items] == [
                f"#{a.fiche}-fiche" for a in expected
            ]
            seen.update(a.code for a in expected)
    assert set(seen) == {a.code for a in source_actions()}
    assert [code for code, times in seen.items() if times > 1] == ["P7"]


def test_computed_figures_in_the_narrative(index: Document) -> None:
    figures = {k: str(v) for k, v in PUBLISHED.items()}
    communes = yaml.safe_load((DATA / "communes.yaml").read_text("utf-8"))["communes"]
    assert (
        f"comporte {figures['total']} actions : {figures['existantes']} projets existants "
        f"et {figures['prospectives']} nouveaux projets" in index.by_id("partie-1").text()
    )
    part3 = index.by_id("partie-3")
    assert (
        f"un ensemble de {figures['total']} actions/projets entre communes. Elle se compose "
        f"de {figures['existantes']} actions dites « état des lieux »" in part3.text()
    )
    strong = [s.text() for s in part3.find_all("strong")]
    assert f"Pour les {figures['prospectives']} actions nouvelles" in strong
    assert f"{figures['demarrees']} actions" in strong
    assert f"{figures['non_demarrees']} actions" in strong
    assert (
        index.by_id("annexe-1-titre")
        .text()
        .endswith(f"Les {figures['total']} actions de coopération")
    )
    assert f"les {len(communes)} communes." in index.by_id("edito").text()
    assert index.by_id("communes-titre").text() == f"Les {len(communes)} communes de la métropole"
    listed = [
        li.text() for li in index.by_id("communes").find("ul", class_="communes").find_all("li")
    ]
    assert listed == [c["nom"] for c in communes]


def test_theme_table_counts(index: Document) -> None:
    table = index.find("table", class_="chiffres-table")
    actions = source_actions()
    for row, (theme, label) in zip(table.find("tbody").find_all("tr"), THEMES.items(), strict=True):
        existing = sum(1 for a in actions if a.type == "existante" and theme in a.themes)
        prospective = sum(1 for a in actions if a.type == "prospective" and theme in a.themes)
        assert row.find("th").text() == label
        assert [number(td.text()) for td in row.find_all("td")] == [
            existing,
            prospective,
            existing + prospective,
        ]
    total = [number(td.text()) for td in table.find("tfoot").find_all("td")]
    assert total == [PUBLISHED["existantes"], PUBLISHED["prospectives"], PUBLISHED["total"]]


def test_started_and_not_started_names(index: Document) -> None:
    prospective = [a for a in source_actions() if a.type == "prospective"]
    for heading, started in (("chiffres-demarrees", True), ("chiffres-non-demarrees", False)):
        block = next(  # the column whose own heading this is
            div for div in index.find_all("div")
            if any(isinstance(c, Element) and c.attrs.get("id") == heading for c in div.children)
        )  # fmt: skip
        expected = [a for a in prospective if (a.etat != "non-demarree") is started]
        assert [li.text() for li in block.find_all("li")] == [
            f"{a.titre} ({a.code})" for a in expected
        ]


def test_phase_and_meeting_totals_agree_with_the_action_table(index: Document) -> None:
    rows = per_action_rows(index)
    levels: Counter[str] = Counter()
    meetings: dict[str, int] = {}
    for header, phase, _communes, reunions in rows:
        badge = phase.find_all("span", class_="pastille")
        levels[badge[0].text().split("/")[-1] if badge else "aucune"] += 1
        if reunions.text():
            meetings[header.find("a").attrs["href"]] = number(reunions.text())
    tables = index.find_all("table", class_="chiffres-table")
    phases = next(t for t in tables if t.find("th").text() == "Phase")
    counted = {
        ("aucune" if not r.find_all("span") else r.find("span").text()): number(r.find("td").text())
        for r in phases.find("tbody").find_all("tr")
    }
    assert counted == {level: levels.get(level, 0) for level in ("1", "2", "3", "4", "aucune")}
    assert sum(counted.values()) == PUBLISHED["total"]
    foot = index.find("table", class_="chiffres-actions").find("tfoot")
    assert foot.find("th").text() == f"Réunions indiquées par les fiches ({len(meetings)} fiches)"
    assert number(foot.find_all("td")[-1].text()) == sum(meetings.values())


def test_the_two_actions_without_a_sheet_say_so(index: Document, report: Path) -> None:
    fiches = source_fiches()
    missing = [f for f in fiches if without_sheet(f)]
    assert [f["id"] for f in missing] == ["e08-pcaet", "p01-reseau-affaires-juridiques"]
    said = f"Pas de fiche pour cette action dans le bilan {YEAR}."
    for fiche in fiches:
        article = index.by_id(f"{fiche['id']}-fiche")
        own = page(report / "actions" / f"{fiche['id']}.html").find("article")
        for shown in (article, own):
            if without_sheet(fiche):
                assert said in shown.text()
                assert " ".join(fiche["bilan"]["sans_fiche"].split()) in shown.text()
                assert not shown.find_all("table")
            else:
                assert said not in shown.text()
                assert shown.find_all("table", class_="calendrier")
    codes = {row[0].text().split(" – ")[0]: row[1].text() for row in per_action_rows(index)}
    assert {code for code, phase in codes.items() if phase == "pas de fiche"} == {"E8", "P1"}


def quarter(label: str) -> int:
    year, q = label.split("-T")
    return int(year) * 4 + int(q) - 1


def phase_text(cell: int | list[int] | None) -> str:
    if cell is None:
        return ""
    return "/".join(map(str, cell)) if isinstance(cell, list) else str(cell)


def test_calendars_show_the_fiches_phases(report: Path) -> None:
    meta = _plain(DATA / "rapports" / str(YEAR) / "rapport.yaml")
    first, last = quarter(meta["calendrier"]["debut"]), quarter(meta["calendrier"]["fin"])
    year_end = quarter(f"{YEAR}-T4") - first
    for fiche in source_fiches():
        calendar = fiche["bilan"].get("calendrier")
        if calendar is None:
            continue
        table = page(report / "actions" / f"{fiche['id']}.html").find("table", class_="calendrier")
        heads = [th.text() for th in table.find("thead").find_all("th")][1:]
        assert len(heads) == last - first + 1
        assert (heads[0], heads[year_end], heads[-1]) == ("T4 2015", f"T4 {YEAR}", "T4 2019")
        assert table.find("th", class_="fin-annee").text() == f"T4 {YEAR}"
        offset = quarter(calendar["debut"]) - first
        rows = calendar.get("lignes") or [{"phases": calendar["phases"]}]
        body = table.find("tbody").find_all("tr")
        assert len(body) == len(rows), fiche["id"]
        for tr, row in zip(body, rows, strict=True):
            cells = tr.find_all("td")
            shown = [
                next((s.text() for s in td.find_all("span") if "aria-hidden" in s.attrs), "")
                for td in cells
            ]
            expected = [
                phase_text(row["phases"][i - offset])
                if 0 <= i - offset < len(row["phases"])
                else ""
                for i in range(len(heads))
            ]
            assert shown == expected, fiche["id"]
            assert "fin-annee" in cells[year_end].classes


# --- The fiche pages -----------------------------------------------------------------------


def test_fiche_pages_form_a_chain(report: Path) -> None:
    ids = [f["id"] for f in source_fiches()]
    for position, ident in enumerate(ids):
        doc = page(report / "actions" / f"{ident}.html")
        neighbours = doc.find("nav", class_="fiches-voisines")
        prev = neighbours.find_all("a", rel="prev")
        following = neighbours.find_all("a", rel="next")
        assert [a.attrs["href"] for a in prev] == (
            [f"{ids[position - 1]}.html"] if position else []
        )
        assert [a.attrs["href"] for a in following] == (
            [f"{ids[position + 1]}.html"] if position + 1 < len(ids) else []
        )
        assert neighbours.find("a", href="../index.html#annexe-2").text() == "Toutes les fiches"
        current = doc.find("nav", class_="fil-ariane").find("a", **{"aria-current": "page"})
        assert current.attrs["href"] == f"{ident}.html"
        assert doc.find("article").attrs["id"] == "fiche"


def test_every_link_resolves(report: Path) -> None:
    ids: dict[Path, set[str]] = {}

    def anchors(path: Path) -> set[str]:
        if path not in ids:
            ids[path] = {e.attrs["id"] for e in page(path).iter() if "id" in e.attrs}
        return ids[path]

    broken = []
    for path in sorted(report.rglob("*.html")):
        for element in page(path).iter():
            href = element.attrs.get("href") if element.tag in ("a", "link") else None
            if href is None or href.startswith(("http://", "https://", "mailto:")):
                continue
            target, _, fragment = href.partition("#")
            resolved = (path.parent / target).resolve() if target else path
            if not resolved.is_file() or (fragment and fragment not in anchors(resolved)):
                broken.append(f"{path.relative_to(report)} → {href}")
    assert broken == []


# --- Markdown ------------------------------------------------------------------------------


def markdown_tokens(text: str) -> list[Any]:
    return MarkdownIt("commonmark").enable("table").parse(text)


def test_markdown_has_every_fiche_and_real_tables(report: Path) -> None:
    text = (report / f"bilan-{YEAR}.md").read_text("utf-8")
    tokens = markdown_tokens(text)
    fiches = source_fiches()
    with_calendar = [f for f in fiches if not without_sheet(f)]
    # 4 tables of figures (the last: the communes), the Annexe 1 matrix, and one calendar
    # per fiche with a sheet
    assert sum(1 for t in tokens if t.type == "table_open") == 4 + 1 + len(with_calendar)
    headings = [
        tokens[i + 1].content
        for i, t in enumerate(tokens)
        if t.type == "heading_open" and t.tag == "h4"
    ]
    for fiche in fiches:
        assert any(h.endswith(f" – {fiche['titre']}") for h in headings), fiche["id"]
    for token in tokens:
        if token.type == "inline":
            assert not token.content.lstrip().startswith("|"), f"tableau non reconnu : {token.map}"


def test_markdown_tables_and_lists_start_after_a_blank_line(report: Path) -> None:
    """Renderers stricter than CommonMark (Python-Markdown, many wikis) need the blank line."""
    lines = (report / f"bilan-{YEAR}.md").read_text("utf-8").split("\n")
    item = re.compile(r"([-*+]|[0-9]+\.) ")
    glued = []
    for before, line in itertools.pairwise(lines):
        if not before.strip() or before.startswith((" ", "|", "#")) or item.match(before):
            continue
        if line.startswith("|") or item.match(line):
            glued.append(f"{before!r} → {line!r}")
    assert glued == []


@pytest.mark.parametrize(
    "label",
    [
        "Rappel des objectifs :",
        "Résultats attendus :",
        "Points forts identifiés / améliorations notables constatées :",
        "Difficultés rencontrées :",
        "Résultats à venir :",
        "Axes d'amélioration et perspectives :",
    ],
)
def test_markdown_lists_do_not_swallow_the_next_heading(report: Path, label: str) -> None:
    """Each label of a fiche is its own top-level paragraph, not the tail of a list."""
    tokens = markdown_tokens((report / f"bilan-{YEAR}.md").read_text("utf-8"))
    paragraphs = [t for t in tokens if t.type == "inline" and label in t.content]
    with_sheet = sum(1 for f in source_fiches() if not without_sheet(f))
    assert len(paragraphs) == with_sheet
    assert all(t.content == label and t.level == 1 for t in paragraphs)


# --- Open data -----------------------------------------------------------------------------


def csv_rows(report: Path) -> tuple[list[str], list[dict[str, str]]]:
    with (report / "donnees" / "actions.csv").open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        return list(reader.fieldnames or []), list(reader)


def test_csv_has_one_row_per_action(report: Path) -> None:
    columns, rows = csv_rows(report)
    assert columns == CSV_COLUMNS
    actions = source_actions()
    assert len(rows) == PUBLISHED["total"] == len(actions)
    for row, action in zip(rows, actions, strict=True):
        assert (row["annee"], row["type"], row["numero"]) == (
            str(YEAR),
            action.type,
            str(action.numero),
        )
        assert (row["titre"], row["fiche"], row["themes"]) == (
            action.titre,
            action.fiche,
            "|".join(action.themes),
        )
        assert row["etat"] == (action.etat or "")
        assert re.fullmatch(r"([1-4](/[1-4])?)?", row["phase_fin_annee"]), row
    assert [r["numero"] for r in rows if r["sans_fiche"] == "true"] == ["8", "1"]
    assert {r["sans_fiche"] for r in rows} == {"true", "false"}


def test_csv_agrees_with_the_html_table(report: Path, index: Document) -> None:
    _columns, rows = csv_rows(report)
    table = per_action_rows(index)
    for row, (_header, phase, communes, reunions) in zip(rows, table, strict=True):
        badge = phase.find_all("span", class_="pastille")
        assert row["phase_fin_annee"] == (badge[0].text() if badge else "")
        for cell, column in ((communes, "communes_concernees"), (reunions, "reunions")):
            assert (str(number(cell.text())) if cell.text() else "") == row[column]


def test_datapackage_describes_the_csv(report: Path) -> None:
    package = json.loads((report / "donnees" / "datapackage.json").read_text("utf-8"))
    [resource] = [r for r in package["resources"] if r["path"] == "actions.csv"]
    schema = resource["schema"]
    columns, rows = csv_rows(report)
    assert [f["name"] for f in schema["fields"]] == columns
    missing = set(schema.get("missingValues", [""]))
    for field in schema["fields"]:
        for row in rows:
            value = row[field["name"]]
            if value in missing:
                continue
            kind = field["type"]
            if kind == "integer":
                int(value)
            elif kind == "number":
                float(value)
            elif kind == "boolean":
                assert value in field["trueValues"] + field["falseValues"], field["name"]
            else:
                assert kind == "string", field
    keys = [tuple(row[k] for k in schema["primaryKey"]) for row in rows]
    assert len(set(keys)) == len(keys)
    for other in package["resources"]:
        assert (report / "donnees" / other["path"]).is_file()


def as_csv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def test_json_rows_equal_csv_rows(report: Path) -> None:
    payload = json.loads((report / "donnees" / "actions.json").read_text("utf-8"))
    _columns, rows = csv_rows(report)
    assert payload["annee"] == YEAR
    assert [{k: as_csv_cell(v) for k, v in action.items()} for action in payload["actions"]] == rows
    assert payload["chiffres"]["actions"]["total"] == PUBLISHED["total"]


def test_json_has_one_action_per_line(report: Path) -> None:
    """actions.json is indented, each action on its own line (one line of a diff)."""
    text = (report / "donnees" / "actions.json").read_text("utf-8")
    payload = json.loads(text)
    lines = text.splitlines()
    for key, items, indent in (
        ("actions", payload["actions"], "    "),
        ("par_action", payload["chiffres"]["par_action"], "      "),
    ):
        expected = [
            indent + json.dumps(item, ensure_ascii=False, sort_keys=True, separators=(", ", ": "))
            for item in items
        ]
        start = lines.index(f'{indent[:-2]}"{key}": [') + 1
        assert [line.rstrip(",") for line in lines[start : start + len(items)]] == expected
        assert lines[start + len(items)] in (f"{indent[:-2]}],", f"{indent[:-2]}]")
    assert text.startswith('{\n  "actions": [\n') and text.endswith("\n}\n")
