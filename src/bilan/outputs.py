"""The output formats of an edition, in one registry, and the render units of each.

A format says what it is called, whether the build may go on without it, what it needs,
and which files it writes, each as a unit of declared inputs (:mod:`bilan.units`). The
CLI's choices and help come from :data:`FORMATS`; adding a format is one entry here and
its templates.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import TYPE_CHECKING, Any

from bilan.units import Output, Page, Static, Unit

if TYPE_CHECKING:
    from bilan.views import EditionView

# The views, the open data and WeasyPrint are imported by the functions that use them:
# the CLI reads this registry for its choices without paying for them.

STYLE_SHEET = "style.css"


@dataclass(frozen=True)
class Link:
    """An output the site links to (footer, download links)."""

    path: str
    label: str


@dataclass(frozen=True)
class OutputFormat:
    """One output format of ``bilan build --format``."""

    name: str
    title: str
    """Its short French name, for messages (« PDF »)."""
    description: str
    """What it is, in French, for the CLI's help."""
    plan: Callable[[EditionView, Sequence[Link]], list[Output]]
    """The files it writes for an edition; the links: the other outputs the edition holds."""
    links: Callable[[int], list[Link]]
    """What the site links to when this format is in the edition."""
    optional: bool = False
    """Left out with a warning when what it needs is missing, unless asked for by name."""
    unavailable: Callable[[], tuple[str, str] | None] = lambda: None
    """Why it cannot be produced on this machine (message, hint), or None."""


def _fiche_sections(edition: EditionView, linked: bool) -> tuple[tuple[str, str, Any], ...]:
    """The parts of the detailed annex, each with the section of each of its fiches."""
    return tuple(
        (
            group.id,
            group.title,
            tuple(
                Unit(
                    "fiche-section.html.j2",
                    {
                        "vue": view,
                        "annee": edition.year,
                        "lien": f"actions/{view.id}.html" if linked else None,
                    },
                )
                for view in group.fiches
            ),
        )
        for group in edition.groups
    )


def _figures_html(edition: EditionView, linked: bool) -> Unit:
    rows = tuple(
        Unit("chiffres-ligne.html.j2", {"a": line}) for line in edition.figures["par_action"]
    )
    return Unit(
        "chiffres.html.j2",
        {
            "chiffres": edition.figures,
            "graphiques": edition.charts,
            "annee": edition.year,
            "lignes": rows,
            "liens_communes": linked,
        },
    )


def _annex_html(edition: EditionView) -> Unit:
    return Unit(
        "annexe1.html.j2", {"annexe1": edition.annex, "actions": edition.figures["actions"]}
    )


def _report_body(edition: EditionView, linked: bool = False) -> dict[str, Any]:
    """What the report's page and its print version show besides the fiches; ``linked``:
    the communes link to their pages (the site)."""
    return {
        "rapport": edition.meta,
        "errata": edition.errata,
        "annee": edition.year,
        "parties": edition.parts,
        "chiffres": _figures_html(edition, linked),
        "liens_communes": linked,
        "annexe1": _annex_html(edition),
        "communes": tuple(edition.communes.communes),
        "metropole": edition.communes.metropole,
        "total_communes": len(edition.communes.communes),
    }


def html_outputs(edition: EditionView, links: Sequence[Link]) -> list[Output]:
    """The site: the report on one page, a page per fiche, a page per commune and their
    index, the accessibility statement."""
    shell = {"rapport": edition.meta, "sorties": tuple(links), "editions": edition.editions}
    outputs: list[Output] = [
        Page(
            "index.html",
            Unit(
                "index.html.j2",
                {
                    **shell,
                    **_report_body(edition, linked=True),
                    "annexe2": _fiche_sections(edition, linked=True),
                    "racine": "",
                    "page": "index",
                },
            ),
        )
    ]
    fiches = edition.fiches
    for index, view in enumerate(fiches):
        previous = fiches[index - 1] if index > 0 else None
        following = fiches[index + 1] if index + 1 < len(fiches) else None
        outputs.append(
            Page(
                f"actions/{view.id}.html",
                Unit(
                    "action.html.j2",
                    {
                        **shell,
                        "vue": view,
                        "precedente": previous,
                        "suivante": following,
                        "annee": edition.year,
                        "racine": "../",
                        "page": "action",
                    },
                ),
            )
        )
    communes = _commune_pages(edition, shell)
    outputs.extend(communes)
    outputs.append(
        Page(
            "accessibilite.html",
            Unit(
                "accessibilite.html.j2",
                {
                    **shell,
                    "pages_fiches": len(fiches),
                    "pages_communes": len(communes) - 1,
                    "pages_total": len(fiches) + len(communes) + 2,
                    "racine": "",
                    "page": "accessibilite",
                },
            ),
        )
    )
    outputs.append(Static(STYLE_SHEET, STYLE_SHEET))
    return outputs


def _commune_pages(edition: EditionView, shell: dict[str, Any]) -> list[Output]:
    """A page per member commune (the actions that name it, those open to all), and
    their index."""
    coverage = edition.figures["couverture"]
    views = {view.id: view for view in edition.fiches}
    lines = edition.figures["par_action"]

    def entries(chosen: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """One entry per fiche (a fiche may cover several actions), in report order."""
        phases = {line["fiche"]: line["phase_fin_annee"] for line in lines}
        fiches = dict.fromkeys(action["fiche"] for action in chosen)
        return [{"vue": views[fiche], "phase": phases[fiche]} for fiche in fiches]

    to_all = entries(coverage["toutes_communes"])
    common = {
        **shell,
        "annee": edition.year,
        "total_communes": len(coverage["communes"]),
        "racine": "../",
        "page": "commune",
    }
    outputs: list[Output] = []
    for row in coverage["communes"]:
        named = entries(row["actions"])
        own = {entry["vue"].id for entry in named}
        outputs.append(
            Page(
                f"communes/{row['id']}.html",
                Unit(
                    "commune.html.j2",
                    {
                        **common,
                        "commune": {key: row[key] for key in ("id", "nom", "insee")},
                        "nommee": tuple(named),
                        "toutes": tuple(e for e in to_all if e["vue"].id not in own),
                    },
                ),
            )
        )
    index = {
        **common,
        "communes": tuple(
            {key: row[key] for key in ("id", "nom", "insee", "nombre")}
            for row in coverage["communes"]
        ),
        "non_nommees": tuple(coverage["non_nommees"]),
        "toutes": len(coverage["toutes_communes"]),
        "page": "communes",
    }
    outputs.append(Page("communes/index.html", Unit("communes.html.j2", index)))
    return outputs


def _markdown_report(edition: EditionView, charts: dict[str, str] | None) -> Unit:
    """The whole report in Markdown; ``charts``: the images of the figures (the editable
    documents show them, the Markdown file has only their tables)."""
    rows = tuple(
        Unit("chiffres-ligne.md.j2", {"a": line}) for line in edition.figures["par_action"]
    )
    figures = Unit(
        "chiffres.md.j2",
        {"chiffres": edition.figures, "annee": edition.year, "lignes": rows, "graphiques": charts},
    )
    groups = tuple(
        (
            group.id,
            group.title,
            tuple(
                Unit("fiche.md.j2", {"vue": view, "annee": edition.year}) for view in group.fiches
            ),
        )
        for group in edition.groups
    )
    body = {
        **_report_body(edition),
        "chiffres": figures,
        "annexe1": Unit("annexe1.md.j2", {"annexe1": edition.annex}),
        "annexe2": groups,
        "page_titre": charts is None,
    }
    return Unit("bilan.md.j2", body)


def markdown_outputs(edition: EditionView, _links: Sequence[Link]) -> list[Output]:
    """The whole report as one Markdown file, readable in a git diff."""
    return [
        Page(
            f"bilan-{edition.year}.md",
            _markdown_report(edition, None),
            convert=_markdown_file,
        )
    ]


def office_outputs(to: str) -> Callable[[EditionView, Sequence[Link]], list[Output]]:
    """The report as an editable document (``to``: odt, docx), made by pandoc from the
    Markdown report, with the charts as SVG images."""

    def plan(edition: EditionView, _links: Sequence[Link]) -> list[Output]:
        from bilan.office import markdown_to_office

        charts = {
            name: "data:image/svg+xml;base64," + base64.b64encode(str(svg).encode()).decode()
            for name, svg in edition.charts.items()
        }
        meta = edition.meta
        metadata = {
            "title": meta.titre,
            "subtitle": meta.sous_titre,
            "author": meta.organisme,
            "date": meta.publication,
            "lang": "fr-FR",
        }
        convert = partial(
            markdown_to_office,
            to=to,
            metadata=metadata,
            epoch=int(datetime(edition.year + 1, 1, 1, tzinfo=UTC).timestamp()),
        )
        unit = _markdown_report(edition, charts)
        return [Page(f"bilan-{edition.year}.{to}", unit, convert=convert)]

    return plan


def _office_unavailable() -> tuple[str, str] | None:
    from bilan.office import unavailable

    return unavailable()


def _markdown_file(text: str, _read: Callable[[str], bytes]) -> bytes:
    """Templates leave runs of blank lines: one each, and one final line break."""
    from bilan.render import single_blank_lines

    return single_blank_lines(text).strip().encode("utf-8") + b"\n"


DATA_FILES = (
    "donnees/actions.csv",
    "donnees/actions.json",
    "donnees/datapackage.json",
    "donnees/communes-actions.csv",
)


def data_outputs(edition: EditionView, _links: Sequence[Link]) -> list[Output]:
    """The open data: one row per action (CSV, JSON), the commune × action matrix (CSV),
    and their description."""
    from bilan import opendata

    figures = edition.figures
    meta = edition.meta
    csv_name, json_name, package_name, coverage_name = DATA_FILES
    return [
        Page(csv_name, Unit(opendata.csv_text, {"figures": figures})),
        Page(
            coverage_name,
            Unit(
                opendata.coverage_csv,
                {
                    "annee": edition.year,
                    "actions": [
                        {"type": a["type"], "numero": a["numero"]} for a in figures["par_action"]
                    ],
                    "communes": [
                        {key: row[key] for key in ("id", "nom", "insee", "cases")}
                        for row in figures["couverture"]["communes"]
                    ],
                },
            ),
        ),
        Page(json_name, Unit(opendata.json_text, {"figures": figures})),
        Page(
            package_name,
            Unit(
                opendata.datapackage,
                {"figures": figures, "organisme": meta.organisme, "titre": meta.titre},
            ),
        ),
    ]


def pdf_outputs(edition: EditionView, _links: Sequence[Link]) -> list[Output]:
    """The print version for the council."""
    from bilan.pdf import html_to_pdf

    sommaire = tuple((group.id, group.title, group.fiches) for group in edition.groups)
    inputs = {
        **_report_body(edition),
        "annexe2": _fiche_sections(edition, linked=False),
        "sommaire_annexe2": sommaire,
    }
    convert = partial(html_to_pdf, identifier=f"bilan-{edition.year}")
    return [Page(f"bilan-{edition.year}.pdf", Unit("pdf.html.j2", inputs), convert=convert)]


def _pdf_unavailable() -> tuple[str, str] | None:
    from bilan.pdf import unavailable

    return unavailable()


def _office_format(name: str, kind: str) -> OutputFormat:
    """The report as an editable document (ODT or DOCX), made by pandoc."""
    code = name.upper()
    return OutputFormat(
        name,
        code,
        f"le rapport en document {kind} ({code}), modifiable dans un traitement de texte",
        office_outputs(name),
        lambda year: [Link(f"bilan-{year}.{name}", f"Le rapport en {code} ({kind})")],
        optional=True,
        unavailable=_office_unavailable,
    )


FORMATS: dict[str, OutputFormat] = {
    format.name: format
    for format in (
        OutputFormat(
            "html",
            "site HTML",
            "site HTML : le rapport, une page par fiche, une page par commune, la déclaration "
            "d'accessibilité",
            html_outputs,
            lambda year: [],
        ),
        OutputFormat(
            "pdf",
            "PDF",
            "le PDF imprimable pour le conseil",
            pdf_outputs,
            lambda year: [Link(f"bilan-{year}.pdf", "Le rapport en PDF")],
            optional=True,
            unavailable=_pdf_unavailable,
        ),
        OutputFormat(
            "md",
            "Markdown",
            "le rapport en Markdown",
            markdown_outputs,
            lambda year: [Link(f"bilan-{year}.md", "Le rapport en Markdown")],
        ),
        _office_format("odt", "OpenDocument"),
        _office_format("docx", "Word"),
        OutputFormat(
            "data",
            "données ouvertes",
            "données ouvertes (CSV des actions et de la matrice communes × actions, JSON, "
            "datapackage.json)",
            data_outputs,
            lambda year: [Link(DATA_FILES[0], "Données ouvertes (CSV)")],
        ),
    )
}
"""Every output format, in the order of the CLI's help."""
