"""Typer's own words in French: usage line, headings, built-in options, error messages.

Typer vendors Click without its gettext calls, so its strings cannot be translated by a
catalogue. They are translated where they are printed instead: a help formatter for the
help pages, and the group's ``main`` for usage errors. :data:`TRANSLATIONS` is the
catalogue: English fragment (a regular expression) → French.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Sequence
from typing import Any

import typer
from typer._click.exceptions import ClickException, NoArgsIsHelpError, UsageError
from typer._click.formatting import HelpFormatter
from typer.core import TyperGroup

TRANSLATIONS: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(english), french)
    for english, french in (
        # Help pages
        (r"^Commands$", "Commandes"),
        (r"^Show this message and exit\.$", "Affiche cette aide et quitte."),
        (
            r"^Install completion for the current shell\.$",
            "Installe la complétion automatique pour le shell utilisé.",
        ),
        (
            r"^Show completion for the current shell, to copy it or customize the installation\.$",
            "Affiche le script de complétion du shell utilisé, pour le copier ou l'adapter.",
        ),
        (r"(\[|; )default: ", r"\1par défaut : "),
        (r"(\[|; )required(\]|;)", r"\1obligatoire\2"),
        (r"\bCOMMAND \[ARGS\]\.\.\.", "COMMANDE [ARGUMENTS]..."),
        (r"<list\[(.*?)\]>", r"<\1>"),
        (r"<path>", "<chemin>"),
        (r"<int>", "<entier>"),
        (r"<text>", "<texte>"),
        # Usage errors
        (r"No such option: (\S+)", r"option inconnue : \1"),
        (r"\(Possible options: (.*)\)", r"(options possibles : \1)"),
        (
            r"No such command (.+?)\. Did you mean (.+)\?",
            r"commande inconnue : \1 ; vouliez-vous dire \2 ?",
        ),
        (r"No such command (.+?)\.$", r"commande inconnue : \1"),
        (r"^Missing command\.$", "commande manquante"),
        (r"^Missing option (.+)\.$", r"option obligatoire manquante : \1"),
        (r"^Missing argument (.+)\.$", r"argument obligatoire manquant : \1"),
        (r"^Invalid value for (.+?): ", r"valeur invalide pour \1 : "),
        (r"^Invalid value: ", "valeur invalide : "),
        (r"Value error, ", ""),
        (r"(.+) is not one of (.+)\.$", r"\1 ne fait pas partie des valeurs possibles (\2)"),
        (r"Input should be a valid integer.*$", "un nombre entier est attendu"),
        (r"Input should be a valid number.*$", "un nombre est attendu"),
        (r"Input should be greater than or equal to (\S+)", r"la valeur doit être au moins \1"),
        (r"Input should be less than or equal to (\S+)", r"la valeur doit être au plus \1"),
        (r"Input should be greater than (\S+)", r"la valeur doit dépasser \1"),
        (r"Input should be less than (\S+)", r"la valeur doit être inférieure à \1"),
        (r"Got unexpected extra argument\(s\) \((.*)\)", r"argument en trop : \1"),
        (r"Option (.+?) requires an argument\.", r"l'option \1 attend une valeur"),
        (r"Option (.+?) requires (\d+) arguments\.", r"l'option \1 attend \2 valeurs"),
        (r"Option (.+?) does not take a value\.", r"l'option \1 ne prend pas de valeur"),
        # typer's checks of path options (readable by default)
        (
            r"\b(?:[Pp]ath|[Ff]ile|[Dd]irectory) '(.*)' is not readable\.$",
            r"« \1 » n'est pas lisible (droits insuffisants)",
        ),
        (
            r"\b(?:[Pp]ath|[Ff]ile|[Dd]irectory) '(.*)' is not writable\.$",
            r"« \1 » n'est pas modifiable (droits insuffisants)",
        ),
        (r"\b(?:[Pp]ath|[Ff]ile|[Dd]irectory) '(.*)' does not exist\.$", r"« \1 » n'existe pas"),
        (
            r"\b(?:[Pp]ath|[Ff]ile|[Dd]irectory) '(.*)' is a file\.$",
            r"« \1 » est un fichier, pas un dossier",
        ),
        (
            r"\b(?:[Pp]ath|[Ff]ile|[Dd]irectory) '(.*)' is a directory\.$",
            r"« \1 » est un dossier, pas un fichier",
        ),
    )
)


def french(text: str) -> str:
    """``text`` with every English fragment of :data:`TRANSLATIONS` replaced."""
    for english, translation in TRANSLATIONS:
        text = english.sub(translation, text)
    return text


class FrenchHelpFormatter(HelpFormatter):
    """Help pages with a French usage line, headings and built-in option help."""

    def write_usage(self, prog: str, args: str = "", prefix: str | None = None) -> None:
        super().write_usage(prog, french(args), "Utilisation : " if prefix is None else prefix)

    def write_heading(self, heading: str) -> None:
        super().write_heading(french(heading))

    def write_dl(
        self, rows: Sequence[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        super().write_dl(
            [(french(term), french(text)) for term, text in rows], col_max, col_spacing
        )


class FrenchContext(typer.Context):
    """A context whose help pages are written by :class:`FrenchHelpFormatter`."""

    formatter_class = FrenchHelpFormatter


def show_usage_error(error: ClickException) -> None:
    """Print a usage error like Click does, in French, on standard error."""
    if isinstance(error, NoArgsIsHelpError):  # its message is the (French) help page
        typer.echo(error.format_message(), err=True)
        return
    context = error.ctx if isinstance(error, UsageError) else None
    if context is not None:
        typer.echo(context.get_usage(), err=True)
        if context.command.get_help_option(context) is not None:
            typer.echo(f"Aide : {context.command_path} {context.help_option_names[0]}", err=True)
        typer.echo("", err=True)
    typer.echo(f"erreur : {french(error.format_message())}", err=True)


class FrenchGroup(TyperGroup):
    """The command group of ``bilan``: its help pages and usage errors are in French."""

    context_class = FrenchContext

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for command in self.commands.values():
            command.context_class = FrenchContext  # their help pages and usage lines too

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        windows_expand_args: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, windows_expand_args, **extra)
        try:
            status = super().main(
                args, prog_name, complete_var, False, windows_expand_args, **extra
            )
        except ClickException as error:
            show_usage_error(error)
            sys.exit(error.exit_code)
        except typer.Abort:
            typer.echo("Interrompu.", err=True)
            sys.exit(1)
        # Without standalone mode, Typer returns the exit status instead of exiting.
        sys.exit(status if isinstance(status, int) else 0)
