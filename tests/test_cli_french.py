"""The command line speaks French: help of every command, usage errors, version, completion."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from bilan import __version__
from bilan.cli import app
from bilan.cli_french import FrenchGroup, french

runner = CliRunner()

GROUP = get_command(app)
assert isinstance(GROUP, FrenchGroup)
COMMANDS = sorted(GROUP.commands)
ENGLISH = (
    "Usage",
    "Show this message",
    "default:",
    "required",
    "Install completion",
    "Show completion",
    "Commands",
    "Error",
    "Try '",
    "<path>",
    "<int>",
    "<text>",
    "list[",
)


def test_every_command_is_listed() -> None:
    assert {"validate", "build", "stats", "new", "schema"} <= set(COMMANDS)


@pytest.mark.parametrize("command", [[], *([name] for name in COMMANDS)])
def test_help_is_in_french(command: list[str]) -> None:
    result = runner.invoke(app, [*command, "--help"], catch_exceptions=False)
    assert result.exit_code == 0
    help_text = result.stdout
    assert help_text.startswith(f"Utilisation : bilan {' '.join(command)}".rstrip())
    assert "Affiche cette aide et quitte." in help_text
    for word in ENGLISH:
        assert word not in help_text, (command, word)


def test_no_argument_shows_the_french_help() -> None:
    result = runner.invoke(app, [])
    assert result.exit_code == 2
    assert result.stderr.startswith("Utilisation : bilan [OPTIONS] COMMANDE [ARGUMENTS]...")
    assert "Commandes:" in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["validate", "--foo"], "erreur : option inconnue : --foo"),
        (["valdate"], "erreur : commande inconnue : 'valdate' ; vouliez-vous dire 'validate' ?"),
        (["build"], "erreur : option obligatoire manquante : '--year' / '-y'"),
        (["build", "--year", "deux"], "'--year' / '-y' : un nombre entier est attendu"),
        (["build", "--year"], "erreur : l'option '--year' attend une valeur"),
        (["validate", "-f", "xml"], "'xml' ne fait pas partie des valeurs possibles"),
        (["validate", "en-trop"], "erreur : argument en trop : en-trop"),
    ],
)
def test_usage_errors_are_in_french(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stdout == ""
    for word in ENGLISH:
        assert word not in result.stderr, word


def test_usage_error_shows_the_usage_line_and_where_to_find_help() -> None:
    result = runner.invoke(app, ["stats", "--annee", "2016"])
    lines = result.stderr.splitlines()
    assert lines[0] == "Utilisation : bilan stats [OPTIONS]"
    assert lines[1] == "Aide : bilan stats -h"
    assert lines[-1].startswith("erreur : option inconnue : --annee")


def test_untranslated_text_is_left_as_is() -> None:
    assert french("Données 2016 : rien à traduire") == "Données 2016 : rien à traduire"


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"bilan {__version__}\n"


def test_shell_completion_offers_the_commands() -> None:
    """What the bash completion script asks the program when the user presses Tab."""
    env = {
        **os.environ,
        "_BILAN_COMPLETE": "complete_bash",
        "COMP_WORDS": "bilan s",
        "COMP_CWORD": "1",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bilan"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert set(result.stdout.split()) == {name for name in COMMANDS if name.startswith("s")}
