"""Typer's own words in French: usage line, headings, built-in options, usage errors.

Typer's strings have no French catalogue, so they are never printed: the command classes
here (given to typer as ``cls=``) write the help pages themselves from the parameters'
facts (names, metavar, type, choices, default, bounds), and usage errors are told from
the facts their exception carries (:class:`NoSuchOption` names the option and the close
ones, :class:`BadParameter` the parameter and, through pydantic, why its value failed…),
never by translating English text. Only :mod:`bilan.typer_click` imports typer's Click.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from difflib import get_close_matches
from enum import Enum
from pathlib import Path
from typing import Any, get_args

import typer
from pydantic import ValidationError
from typer.core import TyperArgument, TyperCommand, TyperGroup, TyperOption

from bilan.diagnostics import printable
from bilan.typer_click import (
    BadOptionUsage,
    BadParameter,
    ClickException,
    Context,
    HelpFormatter,
    MissingParameter,
    NoArgsIsHelpError,
    NoSuchOption,
    UsageError,
)

BUILT_IN_HELP = {
    "help": "Affiche cette aide et quitte.",
    "install_completion": "Installe la complétion automatique pour le shell utilisé.",
    "show_completion": "Affiche le script de complétion du shell utilisé, pour le copier "
    "ou l'adapter.",
}
"""The help of the options typer adds itself, by parameter name."""

USAGE_PREFIX = "Utilisation : "
SUBCOMMAND_METAVAR = "COMMANDE [ARGUMENTS]..."

_TYPE_NAMES: dict[type, str] = {int: "entier", float: "nombre", str: "texte", Path: "chemin"}


class FrenchUsageError(UsageError):
    """A usage error that bilan raises itself, its message already in French."""


class FrenchBadParameter(BadParameter):
    """A value that a parameter's callback refuses, its reason already in French."""


def _choice(value: Any) -> str:
    return str(value.value if isinstance(value, Enum) else value)


def _choices(param: TyperOption | TyperArgument) -> list[str] | None:
    described = param.type_descriptor
    if not described.is_choice or described.choices is None:
        return None
    return [_choice(choice) for choice in described.choices]


def _value_label(param: TyperOption | TyperArgument) -> str:
    """What a parameter expects, as the help shows it: an option's metavar, else the
    choices or the type (an argument's metavar is its name)."""
    if param.metavar is not None and isinstance(param, TyperOption):
        return param.metavar
    choices = _choices(param)
    if choices is not None:
        return f"<{'|'.join(choices)}>"
    described = param.type_descriptor
    kind = Path if described.is_path else described.annotation
    if described.is_list and get_args(kind):
        kind = get_args(kind)[0]
    return f"<{_TYPE_NAMES.get(kind, 'valeur')}>"


def _default(param: TyperOption | TyperArgument, ctx: Context) -> str:
    if isinstance(param.show_default, str):
        return param.show_default
    if not param.show_default or (isinstance(param, TyperOption) and param.is_flag):
        return ""
    value = param.get_default(ctx, call=False)
    if value is None or callable(value):
        return ""
    if isinstance(value, list | tuple):
        return ", ".join(_choice(item) for item in value)
    return _choice(value)


def _bounds(param: TyperOption | TyperArgument) -> str:
    low, high = param.min, param.max
    if low is not None and high is not None:
        return f"de {low} à {high}"
    if low is not None:
        return f"au moins {low}"
    return f"au plus {high}" if high is not None else ""


def help_record(param: Any, ctx: Context) -> tuple[str, str] | None:
    """One line of the options' (or arguments') table: names and value, help and facts."""
    if not isinstance(param, TyperOption | TyperArgument) or param.hidden:
        return None
    if isinstance(param, TyperArgument):
        names = f"{param.metavar or param.name.upper()} {_value_label(param)}"
    else:
        names = ", ".join(sorted(param.opts, key=lambda name: name.startswith("--")))
        if not (param.is_flag or param.count):
            names += f" {_value_label(param)}"
    help_text = BUILT_IN_HELP.get(param.name or "", param.help or "")
    default = _default(param, ctx)
    facts = [
        f"par défaut : {default}" if default else "",
        _bounds(param),
        "obligatoire" if param.required else "",
    ]
    extra = "; ".join(fact for fact in facts if fact)
    if extra:
        help_text = f"{help_text}  [{extra}]" if help_text else f"[{extra}]"
    return names, help_text


class French:
    """What a typer command and group share here: French help pages and usage lines, and
    the parser's errors tied to their command (for the usage line and the option's facts)."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        try:
            rest: list[str] = super().parse_args(ctx, args)  # type: ignore[misc]
        except UsageError as error:  # the parser raises them without the context
            error.ctx = error.ctx or ctx
            raise
        return rest

    def format_usage(self: Any, ctx: Context, formatter: HelpFormatter) -> None:
        pieces = self.collect_usage_pieces(ctx)
        formatter.write_usage(ctx.command_path, " ".join(pieces), prefix=USAGE_PREFIX)

    def format_options(self: Any, ctx: Context, formatter: HelpFormatter) -> None:
        records = [(p, help_record(p, ctx)) for p in self.get_params(ctx)]
        for heading, kind in (("Arguments", TyperArgument), ("Options", TyperOption)):
            rows = [row for p, row in records if row is not None and isinstance(p, kind)]
            if rows:
                with formatter.section(heading):
                    formatter.write_dl(rows)


class FrenchCommand(French, TyperCommand):
    """A ``bilan`` command (``@app.command(cls=FrenchCommand)``): French help, and its
    extra arguments refused in French."""

    def parse_args(self, ctx: Context, args: list[str]) -> list[str]:
        refused = not ctx.allow_extra_args and not ctx.resilient_parsing
        ctx.allow_extra_args = True  # kept, to be refused below in French
        rest = super().parse_args(ctx, args)
        if refused and rest:
            raise FrenchUsageError(f"argument en trop : {printable(' '.join(rest))}", ctx)
        return rest


class FrenchGroup(French, TyperGroup):
    """The command group of ``bilan``: French help, commands, and usage errors."""

    def __init__(self, **attrs: Any) -> None:
        attrs["subcommand_metavar"] = SUBCOMMAND_METAVAR
        # Without a command, the group runs and says so in French (see invoke).
        attrs["invoke_without_command"] = True
        super().__init__(**attrs)

    def format_options(self, ctx: Context, formatter: HelpFormatter) -> None:
        super().format_options(ctx, formatter)
        names = self.list_commands(ctx)
        limit = formatter.width - 6 - max(map(len, names), default=0)
        rows = []
        for name in names:
            command = self.get_command(ctx, name)
            if command is not None and not command.hidden:
                rows.append((name, command.get_short_help_str(limit)))
        if rows:
            with formatter.section("Commandes"):
                formatter.write_dl(rows)

    def resolve_command(self, ctx: Context, args: list[str]) -> Any:
        name = args[0]
        if self.get_command(ctx, name) is None and not ctx.resilient_parsing:
            if name.startswith("-"):  # an option after the command's place: its own error
                self.parse_args(ctx, args)
            message = f"commande inconnue : « {printable(name)} »"
            close = get_close_matches(name, self.list_commands(ctx))
            if close:
                message += f" ; vouliez-vous dire « {close[0]} » ?"
            raise FrenchUsageError(message, ctx)
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: Context) -> Any:
        result = super().invoke(ctx)
        if ctx.invoked_subcommand is None:
            raise FrenchUsageError("commande manquante", ctx)
        return result

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
        # Without standalone mode, typer returns the exit status instead of exiting.
        sys.exit(status if isinstance(status, int) else 0)


def _option_named(ctx: Context | None, name: str) -> TyperOption | None:
    params = [] if ctx is None else ctx.command.get_params(ctx)
    return next((p for p in params if isinstance(p, TyperOption) and name in p.opts), None)


def _why(error: BadParameter) -> str:
    """Why the value of a parameter was refused, from pydantic's error type (typer
    validates values with pydantic) and the parameter's choices."""
    if isinstance(error, FrenchBadParameter):
        return error.message
    cause = error.__cause__
    if not isinstance(cause, ValidationError) or not cause.errors():
        return "valeur refusée"
    first = cause.errors()[0]
    value = printable(str(first.get("input", "")))
    limits = first.get("ctx", {})
    choices = (
        _choices(error.param) if isinstance(error.param, TyperOption | TyperArgument) else None
    )
    if choices is not None:
        return f"« {value} » ne fait pas partie des valeurs possibles ({', '.join(choices)})"
    reasons = {
        "int_parsing": f"un nombre entier est attendu, pas « {value} »",
        "int_from_float": f"un nombre entier est attendu, pas « {value} »",
        "float_parsing": f"un nombre est attendu, pas « {value} »",
        "greater_than_equal": f"la valeur doit être au moins {limits.get('ge')}",
        "greater_than": f"la valeur doit dépasser {limits.get('gt')}",
        "less_than_equal": f"la valeur doit être au plus {limits.get('le')}",
        "less_than": f"la valeur doit être inférieure à {limits.get('lt')}",
    }
    return reasons.get(first["type"], f"« {value} » n'est pas une valeur possible")


def usage_error_message(error: ClickException) -> str:
    """A usage error in French, from the facts its exception carries."""
    if isinstance(error, FrenchUsageError):
        return error.message
    if isinstance(error, NoSuchOption):
        message = f"option inconnue : {printable(error.option_name)}"
        if error.possibilities:
            message += f" ; vouliez-vous dire {' ou '.join(sorted(error.possibilities))} ?"
        return message
    hint = error.param.get_error_hint() if isinstance(error, BadParameter) and error.param else ""
    if isinstance(error, MissingParameter):
        if isinstance(error.param, TyperArgument):
            return f"argument obligatoire manquant : {hint}"
        return f"option obligatoire manquante : {hint}"
    if isinstance(error, BadParameter):
        return f"valeur invalide pour {hint} : {_why(error)}" if hint else _why(error)
    if isinstance(error, BadOptionUsage):
        name = printable(error.option_name)
        option = _option_named(error.ctx, error.option_name)
        if option is not None and option.is_flag:
            return f"l'option '{name}' ne prend pas de valeur"
        if option is not None and option.nargs > 1:
            return f"l'option '{name}' attend {option.nargs} valeurs"
        return f"l'option '{name}' attend une valeur"
    return "commande mal appelée"


def show_usage_error(error: ClickException) -> None:
    """Print a usage error on standard error: the usage line, where to find help, then
    the error in French."""
    if isinstance(error, NoArgsIsHelpError):  # its message is the (French) help page
        typer.echo(error.format_message(), err=True)
        return
    context = error.ctx if isinstance(error, UsageError) else None
    if context is not None:
        typer.echo(context.get_usage(), err=True)
        if context.command.get_help_option(context) is not None:
            typer.echo(f"Aide : {context.command_path} {context.help_option_names[0]}", err=True)
        typer.echo("", err=True)
    typer.echo(f"erreur : {usage_error_message(error)}", err=True)
