"""The only door to the Click that typer vendors (``typer._click``, a private module).

:mod:`bilan.cli_french` reads the structured facts of these exceptions (which option,
which parameter, what value) to say them in French, and its command classes override
typer's methods, whose signatures name Click's context and help formatter. Everything
else goes through typer's public API; if typer moves these, only this file changes.
"""

from __future__ import annotations

from typer._click.core import Context
from typer._click.exceptions import (
    BadOptionUsage,
    BadParameter,
    ClickException,
    MissingParameter,
    NoArgsIsHelpError,
    NoSuchOption,
    UsageError,
)
from typer._click.formatting import HelpFormatter

__all__ = [
    "BadOptionUsage",
    "BadParameter",
    "ClickException",
    "Context",
    "HelpFormatter",
    "MissingParameter",
    "NoArgsIsHelpError",
    "NoSuchOption",
    "UsageError",
]
