"""The published report is valid HTML and accessible (RGAA 4.1, built on WCAG 2.1 AA).

Three layers, from cheapest to most faithful:

- the built pages read as text: one h1, no skipped heading level, lang, skip link,
  landmarks, table captions and header scopes, link texts; and the contrast of the colour
  pairs the style sheet uses, computed from its custom properties;
- the W3C Nu HTML Checker (npm ``vnu-jar``, run by Java) over every page and the CSS;
- headless Debian Chromium, driven by Playwright, the site served on 127.0.0.1 with every
  other request blocked: axe-core on every page, the calendar in Chromium's own accessibility
  tree, keyboard focus, and reflow at 320 px and at 200 % zoom.

The tools come from `.ci/run` (Debian packages) and package.json (``make test`` runs
``npm ci``). On a developer machine without them the tool tests are skipped, saying what is
missing; in CI (``CI=true``, set by `.ci/run`) a missing tool fails them. What no tool can
judge is checked by hand and written down in docs/accessibilite.md.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from tests.conftest import ROOT
from tests.golden import build_report
from tests.htmltree import Document, Element, parse

if TYPE_CHECKING:
    from playwright.sync_api import Browser, BrowserContext, Page, Route

NODE_MODULES = ROOT / "node_modules"
VNU = NODE_MODULES / "vnu-jar" / "build" / "dist" / "vnu.jar"
AXE = NODE_MODULES / "axe-core" / "axe.min.js"
AXE_FRENCH = NODE_MODULES / "axe-core" / "locales" / "fr.json"
STYLE = ROOT / "templates" / "style.css"
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "RGAAv4"]
"""WCAG 2.1 A and AA, and the RGAA 4 tests axe-core knows (each also tagged RGAA-x.y.z)."""
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
CALENDAR_PAGE = "actions/p11-salles-de-spectacle.html"
"""A fiche whose 2016 calendar has phase 3 in T3 2016 (data/actions/p11-salles-de-spectacle.yaml)."""
STATES = {"totalement conforme", "partiellement conforme", "non conforme"}
"""The three compliance states a French accessibility statement may declare."""
GENERIC_LINK_TEXTS = {
    "ici",
    "cliquez ici",
    "lien",
    "suite",
    "lire la suite",
    "en savoir plus",
    "voir",
}


# --- Tools: skipped on a developer machine without them, fatal in CI ----------------------


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() in {"1", "true", "yes"}


def require(available: bool, what: str) -> None:
    """Skip when a tool is missing on a developer machine; fail when it is missing in CI."""
    if available:
        return
    reason = f"{what} absent : installez-le (voir .ci/run et docs/accessibilite.md)"
    if in_ci():
        pytest.fail(f"{reason} ; en CI ce test ne peut pas être sauté")
    pytest.skip(reason)


def java() -> str:
    path = shutil.which("java")
    require(path is not None, "Java (paquet Debian default-jre-headless)")
    require(VNU.is_file(), "node_modules/vnu-jar (lancez npm ci)")
    assert path is not None
    return path


def chromium_path() -> str:
    path = shutil.which("chromium") or shutil.which("chromium-browser")
    require(path is not None, "Chromium (paquet Debian chromium)")
    assert path is not None
    return path


# --- The built report ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def served_root(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The 2016 build (``2016/``) beside known-bad files (``temoin/``) that the checkers must
    catch, so that a check that silently checks nothing cannot pass."""
    root = tmp_path_factory.mktemp("site")
    build_report(root)
    control = root / "temoin"
    control.mkdir()
    (control / "style.css").write_text("p { colr: red; }\n", encoding="utf-8")
    (control / "index.html").write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'><title>Témoin</title></head><body>"
        "<p><img src='photo.png'></p><p><img src='https://example.org/pixel.png' alt=''></p>"
        "</body></html>",
        encoding="utf-8",
    )
    return root


@pytest.fixture(scope="module")
def site(served_root: Path) -> Path:
    return served_root / "2016"


@pytest.fixture(scope="module")
def pages(site: Path) -> list[str]:
    """Every HTML page of the build, as a path relative to the site."""
    found = sorted(p.relative_to(site).as_posix() for p in site.rglob("*.html"))
    assert "index.html" in found and "accessibilite.html" in found
    assert sum(name.startswith("actions/") for name in found) >= 20
    return found


@pytest.fixture(scope="module")
def documents(site: Path, pages: list[str]) -> dict[str, Document]:
    return {name: parse((site / name).read_text("utf-8")) for name in pages}


# --- Structure of every page, read from the HTML -----------------------------------------


def headings(document: Document) -> list[tuple[int, str]]:
    return [
        (int(element.tag[1]), element.text())
        for element in document.iter()
        if re.fullmatch(r"h[1-6]", element.tag)
    ]


def heading_problems(levels: list[tuple[int, str]]) -> list[str]:
    """One h1 first, and no level deeper than the previous one plus one."""
    problems = []
    if [level for level, _ in levels].count(1) != 1:
        problems.append(f"{[level for level, _ in levels].count(1)} titres h1 au lieu d'un")
    previous = 0
    for level, text in levels:
        if level > previous + 1:
            problems.append(f"h{level} « {text[:60]} » après un h{previous}")
        previous = level
    return problems


def test_heading_check_sees_a_skipped_level() -> None:
    assert heading_problems([(1, "a"), (2, "b"), (4, "c")]) == ["h4 « c » après un h2"]
    assert heading_problems([(2, "a")]) == ["0 titres h1 au lieu d'un", "h2 « a » après un h0"]


def test_one_h1_and_no_skipped_heading_level(documents: dict[str, Document]) -> None:
    problems = {name: heading_problems(headings(doc)) for name, doc in documents.items()}
    assert {name: found for name, found in problems.items() if found} == {}


def test_language_title_and_landmarks(documents: dict[str, Document]) -> None:
    for name, doc in documents.items():
        html = doc.find("html")
        assert html.attrs.get("lang") == "fr", name
        assert doc.find("title").text(), name
        body = doc.find("body")
        top = [child.tag for child in body.children if isinstance(child, Element)]
        assert top.count("header") == 1 and top.count("main") == 1, (name, top)
        assert top.count("footer") == 1, (name, top)
        assert len(doc.find_all("main")) == 1, name
        for nav in doc.find_all("nav"):
            assert "aria-label" in nav.attrs or "aria-labelledby" in nav.attrs, name


def test_skip_link_comes_first_and_reaches_the_main_content(
    documents: dict[str, Document],
) -> None:
    for name, doc in documents.items():
        first = doc.find("body").find_all("a")[0]
        assert first.attrs.get("href") == "#contenu", name
        assert first.text() == "Aller au contenu", name
        assert doc.by_id("contenu").tag == "main", name


def test_every_footer_links_the_statement_with_its_compliance_status(
    documents: dict[str, Document],
) -> None:
    """RGAA: every page shows « Accessibilité : <état> », the state the statement declares."""
    declared = [
        strong.text()
        for strong in documents["accessibilite.html"].find("main").find_all("strong")
        if strong.text() in STATES
    ]
    assert len(declared) == 1, declared
    for name, doc in documents.items():
        links = doc.find("footer").find_all("a")
        statement = [a for a in links if a.attrs["href"].endswith("accessibilite.html")]
        assert len(statement) == 1, name
        assert statement[0].text() == f"Accessibilité : {declared[0]}", name


def test_tables_have_a_caption_and_scoped_headers(documents: dict[str, Document]) -> None:
    seen = 0
    for name, doc in documents.items():
        for table in doc.find_all("table"):
            seen += 1
            captions = [c for c in table.children if isinstance(c, Element) and c.tag == "caption"]
            assert captions and captions[0].text(), (name, table.attrs)
            for header in table.find_all("th"):
                assert header.attrs.get("scope") in {"col", "row"}, (name, header.text())
            assert table.find_all("td"), (name, captions[0].text())
    assert seen > len(documents)


def test_calendar_cells_say_the_phase_in_words(documents: dict[str, Document]) -> None:
    cells = [
        cell
        for doc in documents.values()
        for table in doc.find_all("table", class_="calendrier")
        for cell in table.find_all("td")
    ]
    assert cells
    for cell in cells:
        spoken = cell.find("span", class_="sr-only").text()
        assert re.fullmatch(r"aucune phase|phases? [1-4]( et [1-4])*, .+", spoken), spoken
        shown = "".join(s.text() for s in cell.find_all("span") if s.attrs.get("aria-hidden"))
        assert re.findall("[1-4]", shown) == re.findall("[1-4]", spoken), (shown, spoken)


def accessible_link_text(link: Element) -> str:
    return link.attrs.get("aria-label") or link.text()


def test_link_texts_make_sense_alone(documents: dict[str, Document]) -> None:
    """No empty or generic link; one text never leads to two different places on a page."""
    for name, doc in documents.items():
        targets: dict[str, set[str]] = {}
        for link in doc.find_all("a"):
            text = accessible_link_text(link)
            assert text, (name, link.attrs)
            assert text.lower().strip(" .…") not in GENERIC_LINK_TEXTS, (name, text)
            targets.setdefault(text, set()).add(link.attrs["href"])
        ambiguous = {text: hrefs for text, hrefs in targets.items() if len(hrefs) > 1}
        assert ambiguous == {}, name


def test_charts_have_a_text_alternative(documents: dict[str, Document]) -> None:
    charts = documents["index.html"].find_all("svg")
    assert len(charts) == 3  # actions by theme, phases at T4, communes named
    for chart in charts:
        assert chart.attrs["role"] == "img"
        labels = [chart.by_id(ident).text() for ident in chart.attrs["aria-labelledby"].split()]
        assert labels[0] and len(labels[1]) > 50, labels
        assert re.search(r"\d", labels[1]), "la description donne les nombres"


# --- Contrast, computed from the style sheet's custom properties -------------------------


def css_variables(css: str) -> dict[str, str]:
    root = re.search(r":root\s*\{(.*?)\}", css, re.S)
    assert root, "style.css sans bloc :root"
    return dict(re.findall(r"--([\w-]+)\s*:\s*(#[0-9a-fA-F]{6})\s*;", root.group(1)))


def luminance(colour: str) -> float:
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(first: str, second: str) -> float:
    light, dark = sorted((luminance(first), luminance(second)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


TEXT_PAIRS = [
    *(("encre", f"phase-{n}") for n in range(1, 5)),  # phase numbers in calendars and keys
    ("encre", "barre-existante"),  # numbers inside the chart bars
    ("encre", "barre-prospective"),
    ("encre", "fond"),
    ("encre", "fond-doux"),
    ("encre-douce", "fond"),
    ("encre-douce", "fond-doux"),
    ("accent", "fond"),  # links
    ("accent", "fond-doux"),  # links in the footer
    ("accent-fonce", "fond"),  # headings
    ("fond", "accent-fonce"),  # banner and skip link
    ("fond", "accent"),  # the tick of a fiche's theme
]
"""Text colour on background colour: WCAG 1.4.3 asks 4.5:1 for normal text."""
NON_TEXT_PAIRS = [
    ("focus", "fond"),
    ("focus", "fond-doux"),
    ("focus-sur-fonce", "accent-fonce"),
    *(("phase-bord-" + str(n), "fond") for n in range(1, 5)),
]
"""Focus rings and phase borders: WCAG 1.4.11 asks 3:1 against what surrounds them."""


def test_contrast_helper_matches_known_values() -> None:
    assert contrast("#000000", "#ffffff") == pytest.approx(21)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


@pytest.mark.parametrize(("pairs", "minimum"), [(TEXT_PAIRS, 4.5), (NON_TEXT_PAIRS, 3.0)])
def test_colour_contrast_from_the_style_sheet(pairs: list[tuple[str, str]], minimum: float) -> None:
    colours = css_variables(STYLE.read_text("utf-8"))
    low = {
        f"--{fg} sur --{bg}": round(contrast(colours[fg], colours[bg]), 2)
        for fg, bg in pairs
        if contrast(colours[fg], colours[bg]) < minimum
    }
    assert low == {}


# --- W3C Nu HTML Checker -------------------------------------------------------------------


@pytest.fixture(scope="module", params=["html", "css"])
def vnu_errors(
    request: pytest.FixtureRequest, served_root: Path
) -> tuple[str, dict[str, list[str]]]:
    """Errors of one Nu HTML Checker run (HTML, or CSS: mixing them shifts line numbers) over
    the build and the control folder, by folder, as « file:line:col: message »."""
    kind: str = request.param
    options = ["--errors-only", f"--skip-non-{kind}", "--format", "json", "--stdout"]
    folders = [str(served_root / "2016"), str(served_root / "temoin")]
    result = subprocess.run(
        [java(), "-jar", str(VNU), *options, *folders],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert result.stdout.strip(), f"vnu n'a rien répondu : {result.stderr}"
    errors: dict[str, list[str]] = {"2016": [], "temoin": []}
    for message in json.loads(result.stdout)["messages"]:
        if message.get("type") not in {"error", "non-document-error"}:
            continue
        path = Path(message.get("url", "").removeprefix("file:"))
        folder = path.relative_to(served_root).parts[0]
        errors[folder].append(
            f"{path.relative_to(served_root)}:{message.get('lastLine', '?')}:"
            f"{message.get('firstColumn', message.get('lastColumn', '?'))}: {message['message']}"
        )
    assert result.returncode != 0, "vnu doit échouer sur le dossier témoin"
    return kind, errors


def test_vnu_catches_the_control_errors(vnu_errors: tuple[str, dict[str, list[str]]]) -> None:
    kind, errors = vnu_errors
    expected = {"html": "“alt”", "css": "“colr”"}[kind]  # an img without alt, a misspelt property
    assert any(expected in error for error in errors["temoin"]), errors["temoin"]


def test_vnu_finds_no_error_in_the_report(vnu_errors: tuple[str, dict[str, list[str]]]) -> None:
    _, errors = vnu_errors
    assert errors["2016"] == [], "\n".join(errors["2016"])


# --- In Chromium ---------------------------------------------------------------------------


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        """The test output stays about the report."""


@pytest.fixture(scope="module")
def server(served_root: Path) -> Iterator[str]:
    """The build served on 127.0.0.1 (a random port) as a web server would publish it."""
    handler = functools.partial(_QuietHandler, directory=str(served_root))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = chromium_path()
    require(
        importlib.util.find_spec("playwright") is not None,
        "Playwright pour Python (pip install -e '.[dev]')",
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_FLAGS)
        yield launched
        launched.close()


class Offline:
    """A browser context that reaches the local server only; other requests are recorded."""

    def __init__(self, browser: Browser, base: str, **options: Any) -> None:
        self.base = base
        self.blocked: list[str] = []
        self.context: BrowserContext = browser.new_context(**options)
        self.context.route("**/*", self._route)

    def _route(self, route: Route) -> None:
        url = route.request.url
        if url.startswith(self.base):
            route.continue_()
        else:
            self.blocked.append(url)
            route.abort()

    def page(self) -> Page:
        return self.context.new_page()


@pytest.fixture
def offline(browser: Browser, server: str) -> Iterator[Offline]:
    context = Offline(browser, server)
    yield context
    context.context.close()


AXE_RUN = """async ([tags, locale]) => {
  axe.configure({locale});
  const result = await axe.run(document, {
    runOnly: {type: 'tag', values: tags}, resultTypes: ['violations'],
  });
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => ({target: n.target.join(' '), html: n.html.slice(0, 160)})),
  }));
}"""


def axe_violations(page: Page, url: str) -> list[str]:
    """axe-core's violations on one page, one line per rule and element."""
    require(AXE.is_file(), "node_modules/axe-core (lancez npm ci)")
    response = page.goto(url)
    assert response is not None and response.ok, url
    page.add_script_tag(path=str(AXE))
    locale = json.loads(AXE_FRENCH.read_text("utf-8"))
    found = page.evaluate(AXE_RUN, [AXE_TAGS, locale])
    return [
        f"{rule['id']} ({rule['impact']}) : {rule['help']} — {node['target']} — {node['html']}"
        for rule in found
        for node in rule["nodes"]
    ]


def test_axe_and_the_request_block_work_on_a_bad_page(offline: Offline) -> None:
    found = axe_violations(offline.page(), offline.base + "temoin/index.html")
    rules = {line.split(" ")[0] for line in found}
    assert {"image-alt", "html-has-lang"} <= rules, found
    assert offline.blocked == ["https://example.org/pixel.png"]


def test_axe_finds_no_violation_on_any_page(offline: Offline, pages: list[str]) -> None:
    page = offline.page()
    failures = [
        f"{name} : {line}"
        for name in pages
        for line in axe_violations(page, offline.base + "2016/" + name)
    ]
    assert failures == [], "\n".join(failures)
    assert offline.blocked == [], "le rapport ne doit rien charger hors de son dossier"


def accessibility_rows(page: Page, table_name_start: str) -> list[list[tuple[str, str]]]:
    """The rows of a table as Chromium exposes them to screen readers: (role, name) cells."""
    nodes = page.context.new_cdp_session(page).send("Accessibility.getFullAXTree")["nodes"]
    by_id = {node["nodeId"]: node for node in nodes}

    def role(node: dict[str, Any]) -> str:
        return str(node.get("role", {}).get("value", ""))

    def name(node: dict[str, Any]) -> str:
        return str(node.get("name", {}).get("value", ""))

    def descendants(node: dict[str, Any], wanted: set[str]) -> Iterator[dict[str, Any]]:
        for child_id in node.get("childIds", []):
            child = by_id.get(child_id)
            if child is None:
                continue
            if role(child) in wanted:
                yield child
            else:
                yield from descendants(child, wanted)

    tables = [n for n in nodes if role(n) == "table" and name(n).startswith(table_name_start)]
    assert len(tables) == 1, [name(n) for n in nodes if role(n) == "table"]
    cells = {"columnheader", "rowheader", "cell"}
    return [
        [(role(cell), name(cell)) for cell in descendants(row, cells)]
        for row in descendants(tables[0], {"row"})
    ]


def test_calendar_announces_quarter_and_phase(offline: Offline) -> None:
    """A screen reader on the T3 2016 cell hears « T3 2016 : phase 3, mise en œuvre »."""
    page = offline.page()
    page.goto(offline.base + "2016/" + CALENDAR_PAGE)
    header, *rows = accessibility_rows(page, "Calendrier des phases par trimestre")
    assert all(role == "columnheader" for role, _ in header)
    column = [name for _, name in header].index("T3 2016")
    assert len(rows) == 1 and rows[0][0] == ("rowheader", "Phase")
    role, spoken = rows[0][column]
    assert role == "cell"
    assert f"{header[column][1]} : {spoken}" == "T3 2016 : phase 3, mise en œuvre"


FOCUS_STYLE = """() => {
  const e = document.activeElement, s = getComputedStyle(e), r = e.getBoundingClientRect();
  const around = document.elementsFromPoint(Math.max(r.left - 4, 0), r.top + r.height / 2)
    .find(x => x !== e && !e.contains(x));
  let behind = 'rgb(255, 255, 255)';
  for (let x = around; x; x = x.parentElement) {
    const colour = getComputedStyle(x).backgroundColor;
    if (colour !== 'transparent' && !colour.endsWith(', 0)')) { behind = colour; break; }
  }
  return {tag: e.tagName, cls: e.className, text: (e.textContent || '').trim().slice(0, 40),
          style: s.outlineStyle, width: parseFloat(s.outlineWidth), ring: s.outlineColor, behind,
          visible: r.width > 0 && r.height > 0 && r.bottom > 0 && r.top < innerHeight};
}"""
"""What has the keyboard focus, its ring, and the colour of what lies just outside it."""


def rgb_hex(css_colour: str) -> str:
    """« rgb(7, 54, 63) » → « #07363f »."""
    red, green, blue = (int(n) for n in re.findall(r"\d+", css_colour)[:3])
    return f"#{red:02x}{green:02x}{blue:02x}"


@pytest.mark.parametrize("name", ["index.html", CALENDAR_PAGE, "accessibilite.html"])
def test_keyboard_focus_is_always_visible(offline: Offline, name: str) -> None:
    """Tab through the page: the skip link comes first, and every stop shows, on screen, a ring
    at least 2 px wide that contrasts 3:1 with what surrounds it (WCAG 2.4.7 and 1.4.11)."""
    page = offline.page()
    page.goto(offline.base + "2016/" + name)
    page.keyboard.press("Tab")
    first = page.evaluate(FOCUS_STYLE)
    assert first["cls"] == "lien-evitement" and first["visible"], first
    stops = page.evaluate("document.querySelectorAll('a[href], [tabindex=\"0\"]').length")
    faint = []
    for _ in range(min(stops, 80)):
        focus = page.evaluate(FOCUS_STYLE)
        ring = contrast(rgb_hex(focus["ring"]), rgb_hex(focus["behind"]))
        if focus["style"] == "none" or focus["width"] < 2 or not focus["visible"] or ring < 3:
            faint.append({**focus, "contraste": round(ring, 2)})
        page.keyboard.press("Tab")
    assert faint == []
    page.goto(offline.base + "2016/" + name)
    page.keyboard.press("Tab")
    page.keyboard.press("Enter")
    assert page.evaluate("document.activeElement.id") == "contenu"


@pytest.mark.parametrize(
    ("width", "scale"),
    [(320, 1), (640, 2)],
    ids=["320px", "zoom-200"],
)
def test_pages_reflow_without_sideways_scrolling(
    browser: Browser, server: str, pages: list[str], width: int, scale: int
) -> None:
    """At 320 CSS px (WCAG 1.4.10) and at 200 % of a 1280 px screen, only tables may scroll,
    inside their own focusable region."""
    context = Offline(
        browser, server, viewport={"width": width, "height": 800}, device_scale_factor=scale
    )
    page = context.page()
    too_wide = {}
    for name in pages:
        page.goto(server + "2016/" + name)
        overflow = page.evaluate(
            """() => ({page: document.documentElement.scrollWidth,
                       outside: [...document.querySelectorAll('main *')].filter(e =>
                         e.getBoundingClientRect().right > innerWidth + 1 &&
                         !e.closest('.defilement')).length})"""
        )
        if overflow["page"] > width or overflow["outside"]:
            too_wide[name] = overflow
    context.context.close()
    assert too_wide == {}
