"""`bilan build`: files → validate → figures → render → write, for one report year.

Everything is rendered in memory first; the output folder is replaced only when every
file is ready (see :mod:`bilan.writer`). The same data and templates give byte-identical
files: inputs are sorted and nothing depends on the clock.
"""

from __future__ import annotations

import sys
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Environment, TemplateError, TemplateNotFound, TemplateSyntaxError

from bilan import charts, opendata
from bilan.buildcache import BuildCache, code_salt
from bilan.dataset import display_path
from bilan.diagnostics import Diagnostic
from bilan.errors import BuildError, UsageError
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
from bilan.writer import check_output_folder, write_atomically


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


class WarmTemplates:
    """The Jinja environments a long-running process (``bilan serve``) keeps from one build
    to the next, so that the templates are compiled once: half the time of a rebuild of the
    repository's data. Kept for one code salt only: a template added, changed or removed
    (or a change of code) starts afresh, as the build cache does."""

    def __init__(self) -> None:
        self._salt = ""
        self._made: dict[str, Environment] = {}

    def get(
        self, make: Callable[[list[Path]], Environment], dirs: list[Path], salt: str
    ) -> Environment:
        if salt != self._salt:
            self._salt, self._made = salt, {}
        if make.__name__ not in self._made:
            self._made[make.__name__] = make(dirs)
        return self._made[make.__name__]


def build(options: BuildOptions, warm: WarmTemplates | None = None) -> BuildResult:
    """Build the report of ``options.year``; raise InvalidData if the data has errors.
    ``warm``: environments kept from an earlier build of the same process."""
    dirs = template_dirs(options.templates, PROJECT_TEMPLATES)
    for folder in dirs:
        if not folder.is_dir():
            raise UsageError(f"dossier de gabarits introuvable : {display_path(folder)}")
    check_output_folder(options.out, [options.data, *dirs])
    target = options.out / str(options.year)
    salt = code_salt(dirs) if options.cache or warm is not None else ""
    cache = BuildCache(options.out, options.year, salt) if options.cache else None

    def env(make: Callable[[list[Path]], Environment]) -> Environment:
        return make(dirs) if warm is None else warm.get(make, dirs, salt)

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
    }
    files: dict[str, bytes] = {}
    data = (
        _data_in_background(figures, narrative, cache, target)
        if "data" in options.formats
        else dict
    )
    renderers: dict[str, Callable[[], dict[str, bytes]]] = {
        "html": lambda: _html(dirs, env(environment), context, views, cache, target),
        "md": lambda: _markdown(env(text_environment), context, options.year, cache),
        "data": data,
    }
    notices: list[str] = []
    try:
        for name, render in renderers.items():
            if name in options.formats:
                files.update(render())
        if "pdf" in options.formats:
            from bilan.pdf import PdfUnavailable, render_pdf

            try:
                files[f"bilan-{options.year}.pdf"] = render_pdf(dirs, context)
            except PdfUnavailable as error:
                if options.pdf_requested:
                    raise BuildError(error.message, error.hint) from None
                notices.append(f"PDF non produit : {error.message}. {error.hint}")
    except TemplateError as error:
        raise template_error(error) from None
    reused = set() if cache is None else cache.reused
    write_atomically(target, files, reused)
    if cache is not None:
        cache.save(target, (item.digest for item in dataset.fiches))
    return BuildResult(target, sorted({*files, *reused}), validation.diagnostics, notices)


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
    env: Environment,
    context: dict[str, Any],
    views: list[FicheView],
    cache: BuildCache | None = None,
    target: Path | None = None,
) -> dict[str, bytes]:
    """The site; with a cache, the pages that did not change are left out (kept)."""
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
    env: Environment, context: dict[str, Any], year: int, cache: BuildCache | None = None
) -> dict[str, bytes]:
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
