"""`bilan build`: files → validate → figures → views → render units → write, for one year.

Every output of the requested formats (:mod:`bilan.outputs`) is rendered first; the
edition folder is replaced only when every file is ready (see :mod:`bilan.writer`). The
same data and templates give byte-identical files: inputs are sorted and nothing depends
on the clock. With the cache (:mod:`bilan.incremental`), only what changed is rendered.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from importlib.resources import files
from pathlib import Path

from bilan.diagnostics import Diagnostic
from bilan.errors import BuildError, InvalidData, UsageError
from bilan.files import display_path
from bilan.narrative import load_narrative
from bilan.outputs import FORMATS, OutputFormat
from bilan.render import UnitRenderer
from bilan.units import Output, Page, Static, Unit
from bilan.validate import validate_data
from bilan.views import edition_view
from bilan.vocabulary import default_vocabulary
from bilan.writer import check_output_folder, write_atomically


def project_templates() -> Path:
    """The default templates, shipped in the package (``bilan.templates``, the
    repository's ``templates/`` folder): found the same way in every kind of install."""
    return Path(str(files("bilan.templates")))


@dataclass(frozen=True)
class BuildOptions:
    """What to build, from where, to where."""

    year: int
    data: Path = Path("data")
    out: Path = Path("build")
    templates: Path | None = None
    formats: frozenset[str] = frozenset(FORMATS)
    requested: frozenset[str] = frozenset()
    """Formats asked for by name: an optional one that cannot be produced is an error."""
    cache: bool = True
    """Reuse what the previous build left in OUT/.bilan-cache/ (see bilan.incremental)."""


@dataclass
class BuildResult:
    """Where the report went, what it holds, and the warnings met on the way."""

    year: int
    target: Path
    files: list[str]
    diagnostics: list[Diagnostic] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    checked: int = 0
    """Files the validation read (for the same summary as ``bilan validate``)."""


def template_dirs(user: Path | None) -> list[Path]:
    """Templates are looked up in the user's folder first, then in the package's."""
    dirs = [user, project_templates()] if user is not None else [project_templates()]
    for folder in dirs:
        if not folder.is_dir():
            raise UsageError(f"dossier de gabarits introuvable : {display_path(folder)}")
    return dirs


def chosen_formats(options: BuildOptions) -> tuple[list[OutputFormat], list[str]]:
    """The formats to build, and a notice for each optional one left out."""
    chosen, notices = [], []
    for name, output_format in FORMATS.items():
        if name not in options.formats:
            continue
        reason = output_format.unavailable()
        if reason is None:
            chosen.append(output_format)
        elif name in options.requested or not output_format.optional:
            raise BuildError(*reason)
        else:
            notices.append(f"{output_format.title} non produit : {reason[0]}. {reason[1]}")
    return chosen, notices


def build(options: BuildOptions, editions: Sequence[int] = ()) -> BuildResult:
    """Build the report of ``options.year``; raise InvalidData if the data has errors.
    ``editions``: the years built together with this one, which its pages link to."""
    dirs = template_dirs(options.templates)
    check_output_folder(options.out, [options.data, *dirs])
    target = options.out / str(options.year)
    chosen, notices = chosen_formats(options)
    cache = None
    if options.cache:
        from bilan.incremental import CACHE_DIR, BuildCache, code_salt

        cache = BuildCache(options.out / CACHE_DIR, code_salt(dirs, options.data))
        validation = validate_data(
            options.data, years=[options.year], parse=cache.parse, check=cache.checker()
        )
    else:
        validation = validate_data(options.data, years=[options.year])
    if not validation.ok:
        raise InvalidData(validation.diagnostics, validation.files, "rapport non construit")
    dataset, year = validation.dataset, options.year
    own = validation.inputs[year]
    renderer = cache.renderer(dirs, own.vocabulary) if cache else UnitRenderer(dirs, own.vocabulary)
    figures = validation.figures[year]
    if not any(line["bilan_fourni"] for line in figures["par_action"]):
        raise UsageError(
            f"aucune fiche n'a de bilan {year} : il n'y a rien à publier pour cette année",
            f"ajoutez les bilans dans data/rapports/{year}/bilans/ (bilan new-year les prépare)",
        )
    fiches = [(f, dataset.bilan_of(year, f.stem)) for f in own.fiches]
    previous = {b.stem: b for b in dataset.bilans.get(year - 1, [])}
    edition = edition_view(
        year, validation.narratives[year], own.communes, fiches, figures, own.vocabulary, previous
    )
    edition = replace(edition, editions=tuple(editions), errata=own.errata)
    links = [link for output_format in chosen for link in output_format.links(options.year)]
    outputs = [output for f in chosen for output in f.plan(edition, links)]
    kept = cache.kept(target, outputs) if cache is not None else set()
    rendered = {
        output.path: _produce(output, renderer) for output in outputs if output.path not in kept
    }
    write_atomically(target, rendered, kept)
    if cache is not None:
        cache.save(target)
    return BuildResult(
        year, target, sorted({*rendered, *kept}), validation.diagnostics, notices, validation.files
    )


EDITIONS_PAGE = "index.html"
"""OUT/index.html, written by ``bilan build --all``: the list of the editions."""


def build_all(options: BuildOptions, years: Sequence[int]) -> list[BuildResult]:
    """Every year of ``years`` into OUT/<year>/, each linking to the others, then the list
    of editions (OUT/index.html). Each edition is replaced only when it is ready; the list
    is written last, once every edition is."""
    if not years:
        raise UsageError(
            f"aucun rapport dans {display_path(options.data / 'rapports')} : rien à construire",
            "créez DATA/rapports/ANNÉE/rapport.yaml, ou vérifiez l'option --data",
        )
    results = [build(replace(options, year=year), editions=years) for year in years]
    listed = []
    for year in years:
        narrative, _found = load_narrative(options.data, year)
        assert narrative is not None  # its edition was just built
        listed.append({"annee": year, "rapport": narrative.meta})
    renderer = UnitRenderer(template_dirs(options.templates), default_vocabulary())
    page = renderer.render(
        Unit("editions.html.j2", {"editions": tuple(reversed(listed)), "derniere": years[-1]})
    )
    target = options.out / EDITIONS_PAGE
    staging = target.with_name(f".{EDITIONS_PAGE}.tmp")
    staging.write_bytes(page.encode("utf-8"))
    os.replace(staging, target)
    return results


def _produce(output: Output, renderer: UnitRenderer) -> bytes:
    if isinstance(output, Static):
        return renderer.static(output.source)
    assert isinstance(output, Page)
    return output.convert(renderer.render(output.unit), renderer.static)
