"""The command line: a thin typer shell over the library.

Commands parse their options, call one library function and print. Heavy modules
(Jinja, markdown-it, WeasyPrint) are imported inside the commands that need them, so
that ``bilan validate`` starts fast. Errors in the data are diagnostics (exit 1), which
validate, build and stats print through the same reporter (:func:`show_diagnostics`); a
missing folder or a wrong option is a usage error (exit 2); an unexpected error is a bug
report, with the command to rerun with ``--debug``, the only way to a Python traceback.
"""

from __future__ import annotations

import os
import shlex
import sys
from collections.abc import Callable, Sequence
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Any, Literal, NoReturn, TypeVar

import typer

from bilan import __version__
from bilan.cli_french import FrenchBadParameter, FrenchCommand, FrenchGroup
from bilan.diagnostics import Diagnostic, errors, printable
from bilan.errors import BilanError, InvalidData, UsageError, interruptions_as_errors, os_failure
from bilan.outputs import FORMATS as OUTPUT_FORMATS
from bilan.reporters import CODE_QUALITY_FILE, REPORTERS, choose_reporter
from bilan.typer_click import ClickException, Context

_ARGS = "bilan.args"
"""Where the root context keeps the arguments it was given (to rerun them with --debug)."""


def issue_tracker() -> str | None:
    """Where to report a bug: the ``Issues`` URL of the package's metadata
    (``[project.urls]`` of pyproject.toml, its one place). Imported here: only a failing
    run needs it, and it costs every run a tenth of its start-up."""
    from importlib.metadata import PackageNotFoundError, metadata

    try:
        urls = metadata("bilan").get_all("Project-URL") or []
    except PackageNotFoundError:  # pragma: no cover - run from a bare source tree
        return None
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() == "issues":
            return str(url).strip()
    return None


def report_bug(error: Exception, rerun: Sequence[str]) -> None:
    """An unexpected error, told as a bug of bilan: what broke, the command that shows the
    trace (``rerun``), where to report it. No trace here: only with --debug."""
    where = issue_tracker()
    lines = [
        f"erreur interne : {type(error).__name__}: {error}",
        "C'est un défaut de bilan lui-même, pas une erreur dans vos données ni dans la commande.",
        "Pour afficher la trace complète, relancez la même commande avec --debug :",
        f"    {shlex.join(rerun)}",
        f"puis signalez le problème, en joignant cette trace : {where}"
        if where
        else "puis signalez le problème à l'équipe qui maintient bilan, en joignant cette trace.",
    ]
    for line in lines:
        typer.echo(printable(line), err=True)


def fail(error: BilanError) -> NoReturn:
    """Print a user-facing error in French and exit with its status."""
    typer.echo(printable(f"erreur : {error.message}"), err=True)
    if error.hint:
        typer.echo(printable(f"Conseil : {error.hint}"), err=True)
    raise typer.Exit(error.exit_code)


class BilanGroup(FrenchGroup):
    """The group of ``bilan``'s commands: known errors become French messages and their
    exit status, unknown ones a bug report; a Python trace only with ``--debug``."""

    def make_context(
        self, info_name: str | None, args: list[str], parent: Context | None = None, **extra: Any
    ) -> Context:
        given = tuple(args)
        context = super().make_context(info_name, args, parent, **extra)
        context.meta[_ARGS] = given
        return context

    def invoke(self, ctx: Context) -> Any:
        try:
            return super().invoke(ctx)
        except BilanError as error:
            fail(error)
        except (ClickException, typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except BrokenPipeError:  # output piped into `head`: stop quietly, as Unix tools do
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise typer.Exit(1) from None
        except OSError as error:  # a permission, a full disk: not a bug, said in French
            if ctx.params.get("debug"):
                raise
            fail(os_failure(error, f"« {error.filename} »" if error.filename else "un fichier"))
        except Exception as error:
            if ctx.params.get("debug"):
                raise
            report_bug(error, [ctx.info_name or "bilan", "--debug", *ctx.meta.get(_ARGS, ())])
            raise typer.Exit(1) from None


app = typer.Typer(
    name="bilan",
    cls=BilanGroup,
    help="Bilan annuel du schéma de mutualisation : vérifie les fiches-actions et produit le rapport.",
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

Function = TypeVar("Function", bound=Callable[..., Any])


def command(name: str | None = None) -> Callable[[Function], Function]:
    """``@app.command()`` with bilan's French command class."""
    return app.command(name, cls=FrenchCommand)


# readable=False: typer's own check of a path says « not readable » in English and names no
# reason; the library says why, in French (bilan.dataset, bilan.writer).
DataOption = Annotated[
    Path,
    typer.Option(
        "--data",
        help="Dossier des données (fiches, communes, rapports).",
        show_default=True,
        readable=False,
    ),
]


def year_option(help_text: str) -> Any:
    """The --year option (« --annee » is its French alias), its help saying what the year is."""
    return typer.Option(
        "--year",
        "--annee",
        "-y",
        min=2000,
        max=2100,
        metavar="ANNÉE",
        help=help_text,
        show_default=False,
    )


YearOption = Annotated[
    int | None,
    year_option("Année du bilan, par exemple 2016. Par défaut : la dernière de DATA/rapports/."),
]


PreparedYear = Annotated[
    int, year_option("L'année à préparer, celle qui suit la dernière de DATA/rapports/.")
]
PublishedYear = Annotated[int, year_option("L'année dont l'édition est publiée.")]


def chosen_year(year: int | None, data: Path) -> int:
    """The year asked for, else the latest of the data folder."""
    from bilan.dataset import latest_year

    return latest_year(data) if year is None else year


def _reporter_name(value: str | None) -> str | None:
    if value is not None and value not in REPORTERS:
        raise FrenchBadParameter(
            f"« {printable(value)} » ne fait pas partie des formats possibles "
            f"({', '.join(REPORTERS)})"
        )
    return value


def diagnostics_option(*names: str) -> Any:
    """The choice of a diagnostics format (see bilan.reporters), the same for every command."""
    return typer.Option(
        *names,
        metavar="FORMAT",
        callback=_reporter_name,
        autocompletion=lambda: list(REPORTERS),
        show_default=False,
        help=f"Format des messages sur les données : {', '.join(REPORTERS)} (voir "
        "docs/diagnostics.md). Par défaut : github dans GitHub Actions ; dans GitLab CI, text "
        f"et le rapport Code Quality dans {CODE_QUALITY_FILE} ; sinon text.",
    )


def show_diagnostics(
    diagnostics: Sequence[Diagnostic], files: int, chosen: str | None, *, err: bool
) -> None:
    """What the validation found, and its summary, in the format ``chosen`` (else the
    CI's, else text): the same for validate, build and stats."""
    reporter = choose_reporter(chosen, os.environ, Path.cwd())
    reporter.report(diagnostics, files, lambda text: typer.echo(text, err=err))


def _version(value: bool) -> None:
    if value:
        typer.echo(f"bilan {__version__}")
        raise typer.Exit()


@app.callback()
def main(
    debug: Annotated[
        bool,
        typer.Option("--debug", help="Affiche la trace Python complète en cas d'erreur interne."),
    ] = False,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Affiche la version et quitte."
        ),
    ] = False,
) -> None:
    """Bilan annuel du schéma de mutualisation (article L5211-39-1 du CGCT)."""


@command()
def validate(
    data: DataOption = Path("data"),
    output_format: Annotated[
        str | None, diagnostics_option("--format", "-f", "--diagnostics")
    ] = None,
    strict: Annotated[
        bool,
        typer.Option("--strict", help="Les avertissements font aussi échouer la vérification."),
    ] = False,
    jobs: Annotated[
        int | None,
        typer.Option(
            "--jobs",
            "-j",
            min=1,
            metavar="N",
            help="Processus qui lisent les fiches. Par défaut : autant que de cœurs "
            "disponibles, un seul pour un petit dossier.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Vérifie toutes les fiches, les communes et le texte des rapports.

    Code de sortie : 0 si tout est valide (avertissements permis), 1 s'il y a des erreurs
    (ou des avertissements avec --strict), 2 si la commande est mal appelée.
    """

    from bilan.validate import validate_data

    result = validate_data(data, jobs=jobs)
    show_diagnostics(result.diagnostics, result.files, output_format, err=False)
    if not result.ok or (strict and result.diagnostics):
        raise typer.Exit(1)


BuildFormat = StrEnum("BuildFormat", {name: name for name in OUTPUT_FORMATS})  # type: ignore[misc]
"""The output formats of the registry (bilan.outputs), as the option's choices."""


@command()
def build(
    year: YearOption = None,
    every_year: Annotated[
        bool,
        typer.Option(
            "--all",
            help="Construit toutes les années de DATA/rapports/, chacune dans OUT/ANNÉE/, et "
            "OUT/index.html qui les liste.",
        ),
    ] = False,
    data: DataOption = Path("data"),
    out: Annotated[
        Path,
        typer.Option(
            "--out", "-o", help="Dossier de sortie ; le rapport va dans OUT/ANNÉE/.", readable=False
        ),
    ] = Path("build"),
    templates: Annotated[
        Path | None,
        typer.Option(
            "--templates",
            help="Dossier de gabarits personnalisés, consulté avant ceux du projet.",
            readable=False,
        ),
    ] = None,
    formats: Annotated[
        list[BuildFormat] | None,
        typer.Option(
            "--format",
            "-f",
            help="Sorties à produire (répétable) : "
            + " ; ".join(f"{f.name}, {f.description}" for f in OUTPUT_FORMATS.values())
            + ". Par défaut : toutes.",
        ),
    ] = None,
    no_cache: Annotated[
        bool,
        typer.Option(
            "--no-cache",
            help="Reconstruit tout, sans reprendre ce que la construction précédente a laissé "
            "dans OUT/.bilan-cache/ (fiches vérifiées, pages inchangées).",
        ),
    ] = False,
    diagnostics: Annotated[str | None, diagnostics_option("--diagnostics")] = None,
) -> None:
    """Construit le rapport d'une année : site HTML, PDF, Markdown et données ouvertes.

    Les données sont d'abord vérifiées : en cas d'erreur, rien n'est écrit et le rapport
    précédent reste en place.
    """

    from bilan.build import BuildOptions, build_all
    from bilan.build import build as run_build
    from bilan.dataset import report_years

    if every_year and year is not None:
        raise UsageError(
            "--all et --year s'excluent", "gardez --all (toutes les années) ou --year ANNÉE"
        )
    requested = frozenset(str(f.value) for f in formats or ())
    options = BuildOptions(
        year=chosen_year(year, data) if not every_year else 0,
        data=data,
        out=out,
        templates=templates,
        formats=requested or frozenset(OUTPUT_FORMATS),
        requested=requested,
        cache=not no_cache,
    )
    try:
        with interruptions_as_errors("construction"):
            results = build_all(options, report_years(data)) if every_year else [run_build(options)]
    except InvalidData as error:
        show_diagnostics(error.diagnostics, error.files, diagnostics, err=True)
        raise
    for result in results:
        show_diagnostics(result.diagnostics, result.checked, diagnostics, err=True)
        for notice in result.notices:
            typer.echo(f"avertissement : {notice}", err=True)
        count = len(result.files)
        plural = "s" if count > 1 else ""
        typer.echo(
            f"Rapport {result.year} construit dans {result.target}/ ({count} fichier{plural})."
        )
    if all("html" in result.formats for result in results):  # the list of editions too
        opened = options.out / "index.html" if every_year else results[0].target / "index.html"
        typer.echo(f"Ouvrir : {opened}")


class StatsFormat(StrEnum):
    table = "table"
    json = "json"


@command()
def stats(
    year: YearOption = None,
    data: DataOption = Path("data"),
    output_format: Annotated[
        StatsFormat,
        typer.Option("--format", "-f", help="Présentation : table (texte lisible) ou json."),
    ] = StatsFormat.table,
    diagnostics: Annotated[str | None, diagnostics_option("--diagnostics")] = None,
) -> None:
    """Affiche les chiffres consolidés d'une année, ceux que montre le rapport.

    Les données sont d'abord vérifiées comme pour « bilan build » : en cas d'erreur,
    aucun chiffre n'est affiché.
    """

    from bilan.stats import to_json, to_table, year_figures

    try:
        found = year_figures(data, chosen_year(year, data))
    except InvalidData as error:
        show_diagnostics(error.diagnostics, error.files, diagnostics, err=True)
        raise
    show_diagnostics(found.diagnostics, found.files, diagnostics, err=True)
    figures = found.figures
    if output_format is StatsFormat.json:
        typer.echo(to_json(figures))
    else:
        typer.echo(to_table(figures, found.vocabulary))


@command()
def new(
    kind: Annotated[
        str,
        typer.Option(
            "--type",
            "-t",
            metavar="TYPE",
            help="Type de l'action, parmi ceux du projet (data/bilan.yaml ; par défaut : "
            "existante ou prospective).",
        ),
    ],
    number: Annotated[
        int,
        typer.Option(
            "--numero",
            "-n",
            min=1,
            max=999,
            metavar="N",
            help="Numéro de l'action, propre à son type (1 à 999).",
        ),
    ],
    title: Annotated[
        str,
        typer.Option(
            "--titre",
            metavar="TITRE",
            help="Intitulé de l'action (annexe 1) ; il donne aussi l'identifiant de la fiche.",
        ),
    ],
    data: DataOption = Path("data"),
    year: Annotated[
        int | None,
        year_option(
            "Année du premier bilan (l'action entre au schéma cette année-là). Par "
            "défaut : la dernière année de DATA/rapports/, sinon l'année en cours."
        ),
    ] = None,
    themes: Annotated[
        list[str] | None,
        typer.Option(
            "--theme",
            metavar="THÈME",
            help="Thème de l'action (répétable), parmi ceux du projet (data/bilan.yaml). "
            "Par défaut : le premier.",
        ),
    ] = None,
) -> None:
    """Crée la fiche d'une nouvelle action et son premier bilan : valides, commentés.

    La fiche est écrite dans DATA/actions/, nommée d'après le type, le numéro et le titre
    (par exemple p13-reseau-thematique-sport.yaml), et son bilan dans
    DATA/rapports/ANNÉE/bilans/. Un fichier existant n'est jamais remplacé, et un numéro
    déjà décrit par une autre fiche est refusé.
    """
    from bilan.files import display_path
    from bilan.skeleton import create

    made = create(data, kind, number, title, year, themes or [])
    typer.echo(f"Fiche créée : {display_path(made.path)}.")
    if made.bilan is not None:
        typer.echo(f"Bilan {made.year} créé : {display_path(made.bilan)}.")
    for notice in made.notices:
        typer.echo(f"avertissement : {notice}", err=True)
    typer.echo("Complétez-les, puis lancez « bilan validate ».")


@command("new-year")
def new_year(
    year: PreparedYear,
    data: DataOption = Path("data"),
) -> None:
    """Prépare le bilan d'une nouvelle année à partir de celui de l'année précédente.

    Chaque action encore au schéma reçoit son bilan de l'année : état, calendrier, communes
    et indicateurs (sans leurs valeurs) repris, résultats à venir de l'année précédente à
    évaluer, textes de l'année « À compléter ». Le rapport (rapport.yaml et les parties)
    est copié, chaque partie marquée à réécrire. « bilan validate » signale ce qui reste
    à compléter. Une année déjà commencée n'est jamais remplacée.
    """
    from bilan.files import display_path
    from bilan.newyear import start_year

    try:
        made = start_year(data, year)
    except InvalidData as error:
        show_diagnostics(error.diagnostics, error.files, None, err=True)
        raise
    typer.echo(f"Année {year} préparée dans {display_path(made.folder)}/ :")
    typer.echo(f"  {made.bilans} bilans repris de {year - 1}, {made.created} nouveaux ;")
    typer.echo(f"  {made.parts} parties du rapport à réécrire, et rapport.yaml.")
    typer.echo("Complétez ce qui est marqué « À compléter », puis lancez « bilan validate ».")


@command()
def publish(
    year: PublishedYear,
    date: Annotated[
        str | None,
        typer.Option(
            "--date",
            metavar="AAAA-MM-JJ",
            help="Date du scellement (par défaut : aujourd'hui).",
            show_default=False,
        ),
    ] = None,
    data: DataOption = Path("data"),
) -> None:
    """Scelle l'édition d'une année : elle ne pourra plus changer par mégarde.

    L'édition doit être valide et terminée (plus rien « À compléter »). Ce dont elle est
    faite est enregistré dans DATA/rapports/ANNÉE/publication.json : la construire plus
    tard donne le même rapport, quoi que changent les années suivantes, et toute
    modification de ses fichiers est une erreur, sauf si un erratum la déclare
    (DATA/rapports/ANNÉE/errata.yaml, que l'édition affiche).
    """
    import datetime

    from bilan.files import display_path
    from bilan.publish import publish as run_publish

    try:
        day = datetime.date.fromisoformat(date) if date else datetime.date.today()
    except ValueError:
        raise UsageError(
            f"--date : « {date} » n'est pas une date AAAA-MM-JJ",
            "écrivez la date ainsi : --date 2017-01-15",
        ) from None
    try:
        target = run_publish(data, year, day)
    except InvalidData as error:
        show_diagnostics(error.diagnostics, error.files, None, err=True)
        raise
    typer.echo(f"Édition {year} scellée le {day.isoformat()} : {display_path(target)}.")
    typer.echo("Ajoutez ce fichier au dépôt (git add) avec les données de l'année.")


@command()
def schema(
    name: Annotated[
        Literal["fiche", "bilan", "communes", "projet"],
        typer.Argument(
            metavar="MODÈLE",
            help="fiche (data/actions/*.yaml), bilan (data/rapports/ANNÉE/bilans/*.yaml), "
            "communes (data/communes.yaml) ou projet (data/bilan.yaml).",
            show_default=False,
        ),
    ] = "fiche",
    data: DataOption = Path("data"),
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            metavar="FICHIER",
            help="Fichier à écrire ; sans cette option, le schéma s'affiche.",
        ),
    ] = None,
) -> None:
    """Affiche ou écrit le schéma JSON d'un fichier du projet, avec son vocabulaire.

    Les éditeurs (VS Code et son extension YAML) s'en servent pour compléter et vérifier
    les champs pendant la saisie : thèmes, phases et états y sont ceux de DATA/bilan.yaml.
    « make schemas » régénère ceux du dépôt (schemas/).
    """
    from bilan.config import load_project
    from bilan.schema import render, write

    project, _raw, found = load_project(data) if data.is_dir() else (None, b"", [])
    if found:
        raise BilanError(
            "la configuration du projet (data/bilan.yaml) contient des erreurs",
            "corrigez-les d'abord (bilan validate les liste toutes)",
        )
    vocabulary = project.vocabulaire if project else None
    if out is None:
        typer.echo(render(name, vocabulary), nl=False)
        return
    write(name, out, vocabulary)
    typer.echo(f"Schéma écrit : {out}")


@command()
def serve(
    year: YearOption = None,
    data: DataOption = Path("data"),
    templates: Annotated[
        Path | None,
        typer.Option(
            "--templates", help="Dossier de gabarits personnalisés, consulté avant ceux du projet."
        ),
    ] = None,
    port: Annotated[
        int,
        typer.Option(
            "--port", "-p", min=0, max=65535, metavar="PORT", help="Port de l'aperçu sur 127.0.0.1."
        ),
    ] = 8000,
) -> None:
    """Aperçu en direct : construit le site, le montre dans le navigateur et le met à jour
    à chaque enregistrement d'une fiche, d'un bilan, d'un texte ou d'un gabarit.

    Les erreurs des données s'affichent ici et sur la page, jusqu'à leur correction. Le
    site est construit dans un dossier temporaire (le PDF à la demande) : ni DATA/ ni
    build/ ne sont modifiés. Ctrl-C pour arrêter.
    """
    from bilan.preview import Outcome
    from bilan.serve import serve as run_preview

    def told(outcome: Outcome) -> None:
        why = ", ".join(outcome.changed) or "premier affichage"
        if outcome.diagnostics:
            show_diagnostics(outcome.diagnostics, outcome.checked, "text", err=True)
        problem = outcome.problem
        if problem is not None:
            typer.echo(printable(f"erreur : {problem.message}"), err=True)
            if problem.hint:
                typer.echo(printable(f"Conseil : {problem.hint}"), err=True)
        if outcome.ok:
            seconds = f"{outcome.seconds:.2f}".replace(".", ",")
            typer.echo(printable(f"Site à jour en {seconds} s ({why})."))
            return
        count = len(errors(outcome.diagnostics)) or 1
        typer.echo(
            printable(
                f"Site non mis à jour ({why}) : {count} erreur{'s' if count > 1 else ''} ; "
                "la page montre la dernière version construite."
            ),
            err=True,
        )

    chosen = chosen_year(year, data)
    typer.echo("Construction de l'aperçu…")
    run_preview(
        chosen,
        data,
        templates,
        port,
        told,
        lambda url: typer.echo(f"Aperçu : {url} (Ctrl-C pour arrêter)"),
    )
    typer.echo("Aperçu arrêté.")
