"""`bilan build`: files → validate → figures → views → render units → write, for one year.

Every output of the requested formats (:mod:`bilan.outputs`) is rendered first; the
edition folder is replaced only when every file is ready (see :mod:`bilan.writer`). The
same data and templates give byte-identical files: inputs are sorted and nothing depends
on the clock. With the cache (:mod:`bilan.incremental`), only what changed is rendered.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from importlib.resources import files
from pathlib import Path
from typing import Any

from bilan.dataset import DataSet
from bilan.diagnostics import Diagnostic
from bilan.errors import BuildError, InvalidData, UsageError, reason
from bilan.files import display_path
from bilan.keys import digest
from bilan.narrative import Narrative, load_narrative
from bilan.opendata import rows, to_csv
from bilan.outputs import FORMATS, OutputFormat
from bilan.render import UnitRenderer
from bilan.units import Output, Page, Static, Unit
from bilan.validate import YearInputs, validate_data
from bilan.views import edition_view
from bilan.vocabulary import default_vocabulary
from bilan.writer import (
    check_owned_file,
    claim_cache,
    output_folder,
    read_edition,
    remove_owned_file,
    write_atomically,
    write_owned_file,
)


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
    formats: frozenset[str] = frozenset()
    """The formats the edition holds: those built now, and those kept from the previous
    build because they came from the same inputs (see :func:`bilan.writer.write_atomically`)."""
    figures: dict[str, Any] = field(default_factory=dict)
    """The consolidated figures of the year the report shows."""


def template_dirs(user: Path | None) -> list[Path]:
    """Templates are looked up in the user's folder first, then in the package's."""
    dirs = [user, project_templates()] if user is not None else [project_templates()]
    for folder in dirs:
        hint = "indiquez avec --templates un dossier de gabarits lisible"
        if not folder.is_dir():
            what = "n'est pas un dossier" if folder.exists() else "introuvable"
            raise UsageError(f"dossier de gabarits {what} : {display_path(folder)}", hint)
        if not os.access(folder, os.R_OK | os.X_OK):
            raise UsageError(f"dossier de gabarits illisible : {display_path(folder)}", hint)
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
    ``editions``: the years built together with this one, which its pages link to. The
    output folder is locked meanwhile: one build at a time (see :mod:`bilan.writer`)."""
    dirs = template_dirs(options.templates)
    with output_folder(options.out, [options.data, *dirs]):
        return _build(options, dirs, editions)


def edition_key(
    salt: str,
    year: int,
    narrative: Narrative,
    own: YearInputs,
    dataset: DataSet,
    figures: Mapping[str, Any],
) -> str:
    """A key of everything an output of the year is made of: code, templates and project
    configuration (the salt), the year, the narrative, the edition's own communes,
    vocabulary, fiches and errata (the published copies once published), every bilan of
    the year and of the year before (their files' hashes: the progress since then) and
    the figures (which hold the evolution since the year before): the same with or
    without the cache."""
    parts = [salt, str(year), narrative.meta.model_dump_json()]
    parts.append(json.dumps(figures, sort_keys=True, ensure_ascii=False, default=str))
    parts += [own.communes.model_dump_json(), own.vocabulary.model_dump_json()]
    parts += [erratum.model_dump_json() for erratum in own.errata]
    for part in narrative.parts:
        parts += [Path(part.path).name, part.section.model_dump_json(), part.body]
    parts.append("fiches")
    for item in own.fiches:
        parts += [item.stem, item.digest]
    for shown in (year, year - 1):
        parts.append(f"bilans {shown}")
        for report in dataset.bilans.get(shown, []):
            parts += [report.stem, report.digest]
    return digest("edition", *parts)


def _build(options: BuildOptions, dirs: list[Path], editions: Sequence[int]) -> BuildResult:
    from bilan.incremental import code_salt

    target = options.out / str(options.year)
    chosen, notices = chosen_formats(options)
    salt = code_salt(dirs, options.data)
    cache = None
    if options.cache:
        from bilan.incremental import BuildCache

        cache = BuildCache(claim_cache(options.out, create=False), salt)
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
    narrative = validation.narratives[year]
    fiches = [(f, dataset.bilan_of(year, f.stem)) for f in own.fiches]
    earlier = {b.stem: b for b in dataset.bilans.get(year - 1, [])}
    edition = edition_view(year, narrative, own.communes, fiches, figures, own.vocabulary, earlier)
    edition = replace(edition, editions=tuple(editions), errata=own.errata)
    key = edition_key(salt, year, narrative, own, dataset, figures)
    previous = read_edition(target)  # refuses a folder that is not bilan's, before rendering
    chosen, planned = _with_links_current(chosen, previous.current(key))
    links = [link for name in FORMATS if name in planned for link in FORMATS[name].links(year)]
    planned_outputs = {f.name: f.plan(edition, links) for f in chosen}
    outputs = [output for plan in planned_outputs.values() for output in plan]
    kept = cache.kept(target, outputs) if cache is not None else set()
    rendered = {
        name: {o.path: _produce(o, renderer) for o in plan if o.path not in kept}
        for name, plan in planned_outputs.items()
    }
    written = write_atomically(target, rendered, key, kept, previous)
    if written.dropped:
        notices.append(
            f"sorties retirées de {display_path(target)}, construites à partir d'autres "
            f"données ou gabarits : {', '.join(sorted(written.dropped))} ; reconstruisez-les "
            "avec " + " ".join(f"-f {name}" for name in sorted(written.dropped))
        )
    if cache is not None:
        claim_cache(options.out)
        try:
            cache.save(target)
        except OSError as error:  # the report is written: only the next build is slower
            notices.append(f"cache non enregistré ({reason(error)}) : le rapport est complet")
    return BuildResult(
        year,
        target,
        list(written.files),
        validation.diagnostics,
        notices,
        validation.files,
        written.formats,
        figures,
    )


def _check_every_year(options: BuildOptions, years: Sequence[int]) -> None:
    """What would stop the build of a year, checked for every year before any is written:
    an edition written first links to the others, which must follow."""
    validation = validate_data(options.data, years=list(years))
    if not validation.ok:
        raise InvalidData(validation.diagnostics, validation.files, "aucun rapport construit")
    for year in years:
        read_edition(options.out / str(year))  # refuses a folder that is not bilan's
        if not any(line["bilan_fourni"] for line in validation.figures[year]["par_action"]):
            raise UsageError(
                f"aucune fiche n'a de bilan {year} : il n'y a rien à publier pour cette année",
                f"ajoutez les bilans dans data/rapports/{year}/bilans/ (bilan new-year les "
                "prépare), ou construisez les autres années une à une avec --year",
            )


def _with_links_current(
    chosen: list[OutputFormat], current: dict[str, frozenset[str]]
) -> tuple[list[OutputFormat], frozenset[str]]:
    """The formats to write, and those the edition will hold: the ones chosen (each
    available here: :func:`chosen_formats` left out the others), and the current ones of
    the previous edition (same inputs), which stay. A format kept but built alongside
    other formats is written again, so that its links (the site's footer) lead to what
    the edition holds, no more, no less; with the cache, only its files whose links
    changed are rendered."""
    names = {f.name for f in chosen}
    planned = frozenset(names | set(current))
    again = [
        FORMATS[name]
        for name, alongside in current.items()
        if name not in names
        and alongside != planned
        and name in FORMATS
        and FORMATS[name].unavailable() is None
    ]
    return chosen + again, planned


EDITIONS_PAGE = "index.html"
"""OUT/index.html, written by ``bilan build --all``: the list of the editions."""
ALL_YEARS_DATA = "actions-toutes-annees.csv"
"""OUT/actions-toutes-annees.csv, written by ``bilan build --all``: the open data of every
edition, one row per action and year."""


def build_all(options: BuildOptions, years: Sequence[int]) -> list[BuildResult]:
    """Every year of ``years`` into OUT/<year>/, each linking to the others, then the list
    of editions (OUT/index.html), all under one lock of the output folder. Each edition is
    replaced only when it is ready; the list is written last, once every edition is, and
    only if each holds its site (else a list of bilan's own is removed: never a link that
    leads nowhere). A list that bilan did not write is never replaced."""
    if not years:
        raise UsageError(
            f"aucun rapport dans {display_path(options.data / 'rapports')} : rien à construire",
            "créez DATA/rapports/ANNÉE/rapport.yaml, ou vérifiez l'option --data",
        )
    dirs = template_dirs(options.templates)
    with output_folder(options.out, [options.data, *dirs]):
        for name in (EDITIONS_PAGE, ALL_YEARS_DATA):
            check_owned_file(options.out, name)  # a file of the user's: nothing built
        _check_every_year(options, years)
        results = [_build(replace(options, year=year), dirs, years) for year in years]
        table = [row for result in results for row in rows(result.figures)]
        write_owned_file(options.out, ALL_YEARS_DATA, to_csv(table).encode("utf-8"))
        if not all("html" in result.formats for result in results):
            if remove_owned_file(options.out, EDITIONS_PAGE):
                results[-1].notices.append(
                    f"liste des éditions {display_path(options.out / EDITIONS_PAGE)} retirée : "
                    "toutes les éditions n'ont pas leur site (construisez-les avec -f html)"
                )
            return results
        listed = []
        for year in years:
            narrative, _found = load_narrative(options.data, year)
            assert narrative is not None  # its edition was just built
            listed.append({"annee": year, "rapport": narrative.meta})
        renderer = UnitRenderer(dirs, default_vocabulary())
        inputs = {"editions": tuple(reversed(listed)), "derniere": years[-1]}
        page = renderer.render(Unit("editions.html.j2", {**inputs, "donnees": ALL_YEARS_DATA}))
        write_owned_file(options.out, EDITIONS_PAGE, page.encode("utf-8"))
    return results


def _produce(output: Output, renderer: UnitRenderer) -> bytes:
    if isinstance(output, Static):
        return renderer.static(output.source)
    assert isinstance(output, Page)
    return output.convert(renderer.render(output.unit), renderer.static)
