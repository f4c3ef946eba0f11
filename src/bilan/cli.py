"""The command line: a thin typer shell over the library.

Commands parse their options, call one library function and print. Heavy modules
(Jinja, markdown-it, WeasyPrint) are imported inside the commands that need them, so
that ``bilan validate`` starts fast. Errors in the data are diagnostics (exit 1); a
missing folder or a wrong option is a usage error (exit 2); a Python traceback only
with ``--debug``.
"""

from __future__ import annotations

import os
import sys
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Literal, NoReturn

import typer

from bilan import __version__
from bilan.cli_french import FrenchGroup
from bilan.diagnostics import printable
from bilan.errors import BilanError

app = typer.Typer(
    name="bilan",
    cls=FrenchGroup,
    help="Bilan annuel du schéma de mutualisation : vérifie les fiches-actions et produit le rapport.",
    no_args_is_help=True,
    add_completion=True,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

_state = {"debug": False}


class OutputFormat(StrEnum):
    text = "text"
    json = "json"
    github = "github"
    gitlab = "gitlab"


DataOption = Annotated[
    Path,
    typer.Option(
        "--data", help="Dossier des données (fiches, communes, rapports).", show_default=True
    ),
]


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
    _state["debug"] = debug


def fail(error: BilanError) -> NoReturn:
    """Print a user-facing error in French and exit with its status."""
    typer.echo(printable(f"erreur : {error.message}"), err=True)
    if error.hint:
        typer.echo(printable(f"Conseil : {error.hint}"), err=True)
    raise typer.Exit(error.exit_code)


def guarded(run: object) -> None:
    """Call ``run`` and turn known errors into messages, unknown ones into a short notice."""
    try:
        run()  # type: ignore[operator]
    except BilanError as error:
        fail(error)
    except (typer.Exit, typer.Abort, KeyboardInterrupt):
        raise
    except BrokenPipeError:  # output piped into `head`: stop quietly, as Unix tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise typer.Exit(1) from None
    except Exception as error:
        if _state["debug"]:
            raise
        typer.echo(printable(f"erreur interne : {type(error).__name__}: {error}"), err=True)
        typer.echo(
            "Relancez avec « bilan --debug … » pour la trace complète, et signalez le problème.",
            err=True,
        )
        raise typer.Exit(1) from None


@app.command()
def validate(
    data: DataOption = Path("data"),
    output_format: Annotated[
        OutputFormat,
        typer.Option(
            "--format",
            "-f",
            help="Format de sortie : text, json, github (annotations) ou gitlab (Code Quality).",
        ),
    ] = OutputFormat.text,
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

    def run() -> None:
        from bilan import diagnostics as diag
        from bilan.validate import validate_data

        result = validate_data(data, jobs=jobs)
        found = result.diagnostics
        if output_format is OutputFormat.json:
            typer.echo(diag.render_json(found, result.files))
        elif output_format is OutputFormat.github:
            if found:
                typer.echo(diag.render_github(found))
            typer.echo(diag.summary(found, result.files))
        elif output_format is OutputFormat.gitlab:
            typer.echo(diag.render_gitlab(found))
        else:
            if found:
                typer.echo(diag.render_text(found, Path.cwd()))
            typer.echo(diag.summary(found, result.files))
        if not result.ok or (strict and found):
            raise typer.Exit(1)

    guarded(run)


class BuildFormat(StrEnum):
    html = "html"
    md = "md"
    data = "data"
    pdf = "pdf"


@app.command()
def build(
    year: Annotated[
        int, typer.Option("--year", "-y", help="Année du bilan à construire, par exemple 2016.")
    ],
    data: DataOption = Path("data"),
    out: Annotated[
        Path, typer.Option("--out", "-o", help="Dossier de sortie ; le rapport va dans OUT/ANNÉE/.")
    ] = Path("build"),
    templates: Annotated[
        Path | None,
        typer.Option(
            "--templates", help="Dossier de gabarits personnalisés, consulté avant ceux du projet."
        ),
    ] = None,
    formats: Annotated[
        list[BuildFormat] | None,
        typer.Option(
            "--format",
            "-f",
            help="Sorties à produire (répétable) : html, md, data, pdf. Par défaut : toutes.",
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
) -> None:
    """Construit le rapport d'une année : site HTML, PDF, Markdown et données ouvertes.

    Les données sont d'abord vérifiées : en cas d'erreur, rien n'est écrit et le rapport
    précédent reste en place.
    """

    def run() -> None:
        from bilan import diagnostics as diag
        from bilan.build import FORMATS, BuildOptions, InvalidData
        from bilan.build import build as run_build

        chosen = frozenset(f.value for f in formats) if formats else frozenset(FORMATS)
        options = BuildOptions(
            year=year,
            data=data,
            out=out,
            templates=templates,
            formats=chosen,
            pdf_requested=bool(formats) and "pdf" in chosen,
            cache=not no_cache,
        )
        try:
            result = run_build(options)
        except InvalidData as error:
            typer.echo(diag.render_text(error.diagnostics, Path.cwd()), err=True)
            typer.echo(
                diag.summary(error.diagnostics, len({d.path for d in error.diagnostics})), err=True
            )
            raise
        if result.diagnostics:
            typer.echo(diag.render_text(result.diagnostics, Path.cwd()), err=True)
        for notice in result.notices:
            typer.echo(f"avertissement : {notice}", err=True)
        count = len(result.files)
        plural = "s" if count > 1 else ""
        typer.echo(f"Rapport {year} construit dans {result.target}/ ({count} fichier{plural}).")
        if "html" in chosen:
            typer.echo(f"Ouvrir : {result.target / 'index.html'}")

    guarded(run)


class StatsFormat(StrEnum):
    table = "table"
    json = "json"


@app.command()
def stats(
    year: Annotated[
        int,
        typer.Option("--year", "-y", metavar="ANNÉE", help="Année du bilan, par exemple 2016."),
    ],
    data: DataOption = Path("data"),
    output_format: Annotated[
        StatsFormat,
        typer.Option("--format", "-f", help="Présentation : table (texte lisible) ou json."),
    ] = StatsFormat.table,
) -> None:
    """Affiche les chiffres consolidés d'une année, ceux que montre le rapport.

    Les données sont d'abord vérifiées comme pour « bilan build » : en cas d'erreur,
    aucun chiffre n'est affiché.
    """

    def run() -> None:
        from bilan import diagnostics as diag
        from bilan.stats import InvalidData, to_json, to_table, year_figures

        try:
            figures = year_figures(data, year)
        except InvalidData as error:
            typer.echo(diag.render_text(error.diagnostics, Path.cwd()), err=True)
            typer.echo(diag.summary(error.diagnostics, error.files), err=True)
            raise
        typer.echo(to_json(figures) if output_format is StatsFormat.json else to_table(figures))

    guarded(run)


@app.command()
def new(
    kind: Annotated[
        Literal["existante", "prospective"],
        typer.Option("--type", "-t", help="Type de l'action : existante ou prospective."),
    ],
    number: Annotated[
        int,
        typer.Option(
            "--numero", "-n", min=1, metavar="N", help="Numéro de l'action, propre à son type."
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
        typer.Option(
            "--annee",
            min=2000,
            max=2100,
            metavar="ANNÉE",
            help="Année du premier bilan. Par défaut : la dernière année de DATA/rapports/, "
            "sinon l'année en cours.",
        ),
    ] = None,
    themes: Annotated[
        list[str] | None,
        typer.Option(
            "--theme",
            metavar="THÈME",
            help="Thème de l'action (répétable) : fonctions-ressources, services-a-la-population, "
            "amenagement-developpement-durable ou interventions-techniques. "
            "Par défaut : fonctions-ressources.",
        ),
    ] = None,
) -> None:
    """Crée la fiche d'une nouvelle action : valide, commentée, à compléter.

    La fiche est écrite dans DATA/actions/, nommée d'après le type, le numéro et le titre
    (par exemple p13-reseau-thematique-sport.yaml). Une fiche existante n'est jamais
    remplacée, et un numéro déjà décrit par une autre fiche est refusé.
    """

    def run() -> None:
        from bilan.dataset import display_path
        from bilan.skeleton import create

        made = create(data, kind, number, title, year, themes or [])
        typer.echo(f"Fiche créée : {display_path(made.path)} (bilan {made.year}).")
        for notice in made.notices:
            typer.echo(f"avertissement : {notice}", err=True)
        typer.echo("Complétez-la, puis lancez « bilan validate ».")

    guarded(run)


@app.command()
def schema(
    name: Annotated[
        Literal["fiche", "communes"],
        typer.Argument(
            metavar="MODÈLE",
            help="fiche (une fiche-action) ou communes (data/communes.yaml).",
            show_default=False,
        ),
    ] = "fiche",
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
    """Affiche ou écrit le schéma JSON d'une fiche-action (ou de communes.yaml).

    Les éditeurs (VS Code et son extension YAML) s'en servent pour compléter et vérifier
    les champs pendant la saisie. « make schemas » régénère ceux du dépôt (schemas/).
    """

    def run() -> None:
        from bilan.schema import render, write

        if out is None:
            typer.echo(render(name), nl=False)
            return
        write(name, out)
        typer.echo(f"Schéma écrit : {out}")

    guarded(run)


@app.command()
def serve(
    data: DataOption = Path("data"),
    templates: Annotated[
        Path | None,
        typer.Option(
            "--templates", help="Dossier de gabarits personnalisés, consulté avant ceux du projet."
        ),
    ] = None,
    year: Annotated[
        int | None,
        typer.Option(
            "--year",
            "-y",
            help="Année du bilan à montrer. Par défaut : la dernière de DATA/rapports/.",
            show_default=False,
        ),
    ] = None,
    port: Annotated[
        int, typer.Option("--port", "-p", min=0, max=65535, help="Port de l'aperçu sur 127.0.0.1.")
    ] = 8000,
) -> None:
    """Aperçu en direct : construit le site, le montre dans le navigateur et le met à jour
    à chaque enregistrement d'une fiche, d'un texte ou d'un gabarit.

    Les erreurs des données s'affichent ici et sur la page, jusqu'à leur correction. Le
    site est construit dans un dossier temporaire (le PDF à la demande) : ni data/ ni
    build/ ne sont modifiés. Ctrl-C pour arrêter.
    """

    def run() -> None:
        from bilan import diagnostics as diag
        from bilan.serve import Outcome
        from bilan.serve import serve as run_preview

        def told(outcome: Outcome) -> None:
            why = ", ".join(outcome.changed) or "premier affichage"
            if outcome.diagnostics:
                typer.echo(diag.render_text(list(outcome.diagnostics), Path.cwd()), err=True)
            if outcome.problem is not None:
                problem = outcome.problem
                typer.echo(printable(f"erreur : {problem.message}"), err=True)
                if problem.hint:
                    typer.echo(printable(f"Conseil : {problem.hint}"), err=True)
            if outcome.ok:
                seconds = f"{outcome.seconds:.2f}".replace(".", ",")
                typer.echo(printable(f"Site à jour en {seconds} s ({why})."))
            else:
                count = len(diag.errors(outcome.diagnostics)) or 1
                typer.echo(
                    printable(
                        f"Site non mis à jour ({why}) : {count} erreur{'s' if count > 1 else ''} ; "
                        "la page montre la dernière version construite."
                    ),
                    err=True,
                )

        typer.echo("Construction de l'aperçu…")
        run_preview(
            year,
            data,
            templates,
            port,
            told,
            lambda url: typer.echo(f"Aperçu : {url} (Ctrl-C pour arrêter)"),
        )
        typer.echo("Aperçu arrêté.")

    guarded(run)
