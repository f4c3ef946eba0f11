"""`bilan build`: files → validate → figures → render → write, for one report year.

Everything is rendered in memory first; the output folder is replaced only when every
file is ready (see :mod:`bilan.writer`). The same data and templates give byte-identical
files: inputs are sorted and nothing depends on the clock.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import TemplateError, TemplateNotFound, TemplateSyntaxError

from bilan import charts, opendata
from bilan.buildcache import BuildCache, code_salt
from bilan.dataset import DataSet, display_path
from bilan.diagnostics import Diagnostic
from bilan.errors import BuildError, UsageError, reason
from bilan.keys import digest
from bilan.models import PHASES
from bilan.narrative import Narrative, render_text
from bilan.render import (
    environment,
    finalize_figure,
    single_blank_lines,
    template_dirs,
    text_environment,
)
from bilan.validate import validate_data
from bilan.views import FicheView, annex_matrix, fiche_views
from bilan.workers import in_background
from bilan.writer import claim_cache, edition_formats, output_folder, write_atomically


def project_templates() -> Path:
    """The project's templates: the repository's folder (editable install, the usual case),
    else the copy a regular install puts under ``<prefix>/share/bilan/templates``."""
    in_repository = Path(__file__).resolve().parents[2] / "templates"
    if in_repository.is_dir():
        return in_repository
    return Path(sys.prefix) / "share" / "bilan" / "templates"


PROJECT_TEMPLATES = project_templates()
FORMATS = ("html", "md", "data", "pdf")
STATIC_FILES = ("style.css",)


@dataclass(frozen=True)
class BuildOptions:
    """What to build, from where, to where."""

    year: int
    data: Path = Path("data")
    out: Path = Path("build")
    templates: Path | None = None
    formats: frozenset[str] = frozenset(FORMATS)
    pdf_requested: bool = False
    cache: bool = True
    """Reuse what the previous build left in OUT/.bilan-cache/ (see bilan.buildcache)."""


@dataclass
class BuildResult:
    """Where the report went, what it holds, and the warnings met on the way."""

    target: Path
    files: list[str]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    formats: frozenset[str] = frozenset()
    """The outputs the edition holds: those built now, and those kept from the previous
    build because they came from the same inputs (see :func:`bilan.writer.write_atomically`)."""


class InvalidData(BuildError):
    """The data does not validate: the build stops before writing anything."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        super().__init__(
            "les données contiennent des erreurs : rapport non construit",
            "corrigez-les (bilan validate les liste toutes), puis relancez",
        )
        self.diagnostics = diagnostics


@dataclass(frozen=True)
class PartView:
    """A narrative part, its references resolved and its Markdown rendered."""

    id: str
    numero: str | None
    titre: str
    markdown: str
    signature: tuple[str, ...]

    @property
    def heading(self) -> str:
        if self.numero and self.numero[0].isdigit():
            return f"{self.numero}. {self.titre}"
        return f"{self.numero} : {self.titre}" if self.numero else self.titre


def _part_id(numero: str | None, index: int) -> str:
    if numero is None:
        return "edito" if index == 0 else f"texte-{index}"
    slug = numero.lower().replace(" ", "-")
    return slug if not slug[0].isdigit() else f"partie-{slug}"


def part_views(narrative: Narrative, namespace: dict[str, Any]) -> list[PartView]:
    views = []
    for index, part in enumerate(narrative.parts):
        section = part.section
        views.append(
            PartView(
                id=_part_id(section.numero, index),
                numero=section.numero,
                titre=render_text(section.titre, namespace, finalize_figure),
                markdown=render_text(part.body, namespace, finalize_figure),
                signature=tuple(section.signature),
            )
        )
    return views


def consolidated_charts(figures: dict[str, Any]) -> dict[str, Any]:
    """The two charts of the analyse consolidée."""
    themes = figures["actions"]["par_theme"]
    theme_bars = [
        charts.Bar(
            counts["libelle"],
            (
                charts.Segment(counts["existantes"], "barre-existante", "existantes"),
                charts.Segment(counts["prospectives"], "barre-prospective", "à construire"),
            ),
        )
        for counts in themes.values()
    ]
    theme_text = " ; ".join(
        f"{c['libelle']} : {_count(c['existantes'], 'existante')}, {c['prospectives']} à construire"
        for c in themes.values()
    )
    phases = figures["phases_fin_annee"]
    phase_bars = [
        charts.Bar(
            f"{level} – {label}", (charts.Segment(phases[str(level)], f"phase-{level}", label),)
        )
        for level, label in PHASES.items()
    ] + [
        charts.Bar(
            "Aucune phase à cette date", (charts.Segment(phases["aucune"], "phase-vide", "aucune"),)
        )
    ]
    phase_text = (
        " ; ".join(
            f"phase {level} ({label.lower()}) : {_count(phases[str(level)], 'action')}"
            for level, label in PHASES.items()
        )
        + f" ; aucune phase à cette date : {_count(phases['aucune'], 'action')}"
    )
    year = figures["annee"]
    return {
        "themes": charts.bar_chart(
            "graphique-themes",
            "Actions par thème et par nature",
            f"Nombre d'actions par thème, existantes puis à construire. {theme_text}.",
            theme_bars,
        ),
        "phases": charts.bar_chart(
            "graphique-phases",
            f"Phase des actions au T4 {year}",
            f"Nombre d'actions dans chaque phase au quatrième trimestre {year}. {phase_text}.",
            phase_bars,
        ),
    }


def _count(number: int, noun: str) -> str:
    """« 1 action », « 2 actions », « 0 action » (French: plural from 2)."""
    return f"{number} {noun}{'s' if number > 1 else ''}"


def build(options: BuildOptions) -> BuildResult:
    """Build the report of ``options.year``; raise InvalidData if the data has errors.
    The output folder is locked meanwhile: one build at a time (see :mod:`bilan.writer`)."""
    dirs = template_dirs(options.templates, PROJECT_TEMPLATES)
    for folder in dirs:
        check_templates(folder)
    with output_folder(options.out, [options.data, *dirs]):
        return _build(options, dirs)


def check_templates(folder: Path) -> None:
    shown = display_path(folder)
    hint = "indiquez avec --templates un dossier de gabarits lisible"
    if not folder.is_dir():
        what = "n'est pas un dossier" if folder.exists() else "introuvable"
        raise UsageError(f"dossier de gabarits {what} : {shown}", hint)
    if not os.access(folder, os.R_OK | os.X_OK):
        raise UsageError(f"dossier de gabarits illisible : {shown}", hint)


def edition_key(salt: str, year: int, narrative: Narrative, dataset: DataSet) -> str:
    """A key of everything an output of the year is made of: code and templates (the
    salt), the year, the narrative, the communes and every fiche (its file's hash): the
    same with or without the cache."""
    assert dataset.communes is not None
    parts = [salt, str(year), narrative.meta.model_dump_json(), dataset.communes.model_dump_json()]
    for part in narrative.parts:
        parts += [Path(part.path).name, part.section.model_dump_json(), part.body]
    for item in dataset.fiches:
        parts += [item.stem, item.digest]
    return digest("edition", *parts)


def _build(options: BuildOptions, dirs: list[Path]) -> BuildResult:
    target = options.out / str(options.year)
    salt = code_salt(dirs)
    cache = None
    if options.cache:
        claim_cache(options.out, create=False)
        cache = BuildCache(options.out, options.year, salt)
    validation = validate_data(options.data, years=[options.year], cache=cache)
    if not validation.ok:
        raise InvalidData(validation.diagnostics)
    dataset = validation.dataset
    narrative = validation.narratives[options.year]
    assert dataset.communes is not None
    figures = validation.figures[options.year]
    if not any(line["bilan_fourni"] for line in figures["par_action"]):
        raise UsageError(
            f"aucune fiche n'a de bilan {options.year} : il n'y a rien à publier pour cette année",
            f"ajoutez une entrée « {options.year}: » sous « bilans » dans les fiches",
        )
    key = edition_key(salt, options.year, narrative, dataset)
    planned = edition_formats(target, key, options.formats)  # refuses a folder not bilan's
    namespace = {"chiffres": figures}
    window = narrative.meta.calendrier
    views = fiche_views(dataset.fiches, options.year, window.debut, window.fin)
    if cache is not None:
        cache.know(figures, validation.figures_keys[options.year])
        digests = {item.id: item.digest for item in dataset.fiches}
        cache.prepare(narrative.meta, dataset.communes, digests, views)
    context: dict[str, Any] = {
        "rapport": narrative.meta,
        "annee": options.year,
        "chiffres": figures,
        "parties": part_views(narrative, namespace),
        "fiches": views,
        "fiches_existantes": [v for v in views if v.kind == "existante"],
        "fiches_prospectives": [v for v in views if v.kind == "prospective"],
        "annexe1": annex_matrix(views),
        "communes": dataset.communes.communes,
        "metropole": dataset.communes.metropole,
        "graphiques": consolidated_charts(figures),
        "sorties": planned,
    }
    outputs: dict[str, dict[str, bytes]] = {}
    data = (
        _data_in_background(figures, narrative, cache, target)
        if "data" in options.formats
        else dict
    )
    renderers: dict[str, Callable[[], dict[str, bytes]]] = {
        "html": lambda: _html(dirs, context, views, cache, target),
        "md": lambda: _markdown(dirs, context, options.year, cache),
        "data": data,
    }
    notices: list[str] = []
    try:
        for name, render in renderers.items():
            if name in options.formats:
                outputs[name] = render()
        if "pdf" in options.formats:
            from bilan.pdf import PdfUnavailable, render_pdf

            try:
                outputs["pdf"] = {f"bilan-{options.year}.pdf": render_pdf(dirs, context)}
            except PdfUnavailable as error:
                if options.pdf_requested:
                    raise BuildError(error.message, error.hint) from None
                notices.append(f"PDF non produit : {error.message}. {error.hint}")
    except TemplateError as error:
        raise template_error(error) from None
    reused = set() if cache is None else cache.reused
    written = write_atomically(target, outputs, key, reused)
    if written.dropped:
        notices.append(
            f"sorties retirées de {display_path(target)}, construites à partir d'autres "
            f"données ou gabarits : {', '.join(sorted(written.dropped))} ; reconstruisez-les "
            "avec " + " ".join(f"-f {name}" for name in sorted(written.dropped))
        )
    if cache is not None:
        claim_cache(options.out)
        try:
            cache.save(target, (item.digest for item in dataset.fiches))
        except OSError as error:  # the report is written: only the next build is slower
            notices.append(f"cache non enregistré ({reason(error)}) : le rapport est complet")
    return BuildResult(
        target, list(written.files), validation.diagnostics, notices, written.formats
    )


def template_error(error: TemplateError) -> BuildError:
    """A broken template (often a customised one, from --templates) in French."""
    if isinstance(error, TemplateSyntaxError):
        where = display_path(Path(error.filename)) if error.filename else error.name
        message = f"gabarit {where}, ligne {error.lineno} : {error.message}"
    elif isinstance(error, TemplateNotFound):
        message = f"gabarit introuvable : {error.name}"
    else:
        message = f"gabarit{_template_line(error)} : {error.message}"
    return BuildError(
        message,
        "corrigez le gabarit (dossier --templates ou templates/) ; le rapport précédent reste "
        "en place",
    )


def _template_line(error: TemplateError) -> str:
    """« X.html.j2, ligne N » from the traceback, which Jinja rewrites to point at templates."""
    frames = [f for f in traceback.extract_tb(error.__traceback__) if f.filename.endswith(".j2")]
    if not frames:
        return ""
    return f" {display_path(Path(frames[-1].filename))}, ligne {frames[-1].lineno}"


PAGE_CONTEXT = ("rapport", "annee", "communes", "metropole")
"""What a fiche page shows besides its fiche: no more than its cache key covers."""


def _html(
    dirs: list[Path],
    context: dict[str, Any],
    views: list[FicheView],
    cache: BuildCache | None = None,
    target: Path | None = None,
) -> dict[str, bytes]:
    """The site; with a cache, the pages that did not change are left out (kept)."""
    env = environment(dirs)
    env.fragment_cache = cache  # type: ignore[attr-defined]
    files = {"index.html": env.get_template("index.html.j2").render(context, page="index")}
    page = env.get_template("action.html.j2")
    shared = {name: context[name] for name in PAGE_CONTEXT}
    for view in views:
        name = f"actions/{view.id}.html"
        if cache is None or target is None or not cache.page(target, name, view):
            files[name] = page.render(shared, vue=view, page="action")
    files["accessibilite.html"] = env.get_template("accessibilite.html.j2").render(
        context, page="accessibilite"
    )
    encode = (lambda text: text.encode("utf-8")) if cache is None else cache.splice
    out = {name: encode(text) for name, text in files.items()}
    for name in STATIC_FILES:
        source = next(d / name for d in dirs if (d / name).is_file())
        out[name] = source.read_bytes()
    return out


def _markdown(
    dirs: list[Path], context: dict[str, Any], year: int, cache: BuildCache | None = None
) -> dict[str, bytes]:
    env = text_environment(dirs)
    env.fragment_cache = cache  # type: ignore[attr-defined]
    text = single_blank_lines(env.get_template("bilan.md.j2").render(context))
    data = text.encode("utf-8") if cache is None else cache.splice(text)
    if cache is not None and cache.met_at_joins(data, b"\n\n\n"):
        data = single_blank_lines(data)  # the fragments spliced in have single blank lines
    return {f"bilan-{year}.md": data.strip() + b"\n"}


DATA_FILES = ("donnees/actions.csv", "donnees/actions.json", "donnees/datapackage.json")


def _data_in_background(
    figures: dict[str, Any], narrative: Narrative, cache: BuildCache | None, target: Path
) -> Callable[[], dict[str, bytes]]:
    """The open data, written by another core while this one renders the pages; with a
    cache, left out (kept) when the figures did not change."""
    if cache is not None:
        key = digest("donnees", cache.data_key(figures))
        if cache.keep(target, DATA_FILES, key):
            return dict
    return in_background(_data, figures, narrative.meta.organisme, narrative.meta.titre)


def _data(figures: dict[str, Any], organisme: str, titre: str) -> dict[str, bytes]:
    table = opendata.rows(figures)
    texts = (
        opendata.to_csv(table),
        opendata.to_json(figures, table),
        opendata.datapackage(figures, organisme, titre),
    )
    return {name: text.encode("utf-8") for name, text in zip(DATA_FILES, texts, strict=True)}
