"""The command line speaks French: help of every command, usage errors, version, completion."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from typer.main import get_command
from typer.testing import CliRunner

from bilan import __version__
from bilan.cli import app
from bilan.cli_french import FrenchCommand, FrenchGroup

runner = CliRunner()

GROUP = get_command(app)
assert isinstance(GROUP, FrenchGroup)
COMMANDS = sorted(GROUP.commands)
ENGLISH = re.compile(
    r"Usage|Show this|[Dd]efault|[Rr]equired|Install completion|Show completion|Commands|"
    r"Error|Try '|Missing|No such|Invalid|[Uu]nexpected|extra argument|is not one of|"
    r"Input should|Value error|Did you mean|Possible|requires|does not take|Aborted|"
    r"env var|dynamic|DEPRECATED|takes \d|<path>|<int>|<text>|<float>|list\[|x>=|<=x|"
    r"\b(the|is|not|of|for|and|with|value|command|options)\b"
)
"""The words of Click's and typer's English messages (and a few common English words)."""


def english(text: str) -> list[str]:
    return ENGLISH.findall(text)


def test_every_command_is_listed_and_french() -> None:
    assert {"validate", "build", "stats", "new", "schema"} <= set(COMMANDS)
    assert all(isinstance(GROUP.commands[name], FrenchCommand) for name in COMMANDS)


@pytest.mark.parametrize("command", [[], *([name] for name in COMMANDS)])
@pytest.mark.parametrize("flag", ["--help", "-h"])
def test_help_is_in_french(command: list[str], flag: str) -> None:
    result = runner.invoke(app, [*command, flag], catch_exceptions=False)
    assert result.exit_code == 0
    help_text = result.stdout
    assert help_text.startswith(f"Utilisation : bilan {' '.join(command)}".rstrip())
    assert re.search(r"-h, --help +Affiche cette aide et quitte\.", help_text)
    assert english(help_text) == [], command


def test_help_shows_defaults_bounds_and_requirements_in_french() -> None:
    build = runner.invoke(app, ["build", "-h"]).stdout
    flat = " ".join(build.split())
    assert "-y, --year, --annee ANNÉE" in flat and "[de 2000 à 2100]" in flat
    publish = runner.invoke(app, ["publish", "-h"]).stdout
    assert "2100; obligatoire]" in " ".join(publish.split())
    assert "[par défaut : build]" in build
    assert "-f, --format <html|pdf|md|data>" in build
    new = " ".join(runner.invoke(app, ["new", "-h"]).stdout.split())
    assert "[de 1 à 999; obligatoire]" in new and "[de 2000 à 2100]" in new
    schema = runner.invoke(app, ["schema", "-h"]).stdout
    assert "MODÈLE <fiche|bilan|communes|projet>" in schema


def test_no_argument_shows_the_french_help() -> None:
    result = runner.invoke(app, [])
    assert result.exit_code == 2
    assert result.stderr.startswith("Utilisation : bilan [OPTIONS] COMMANDE [ARGUMENTS]...")
    assert "Commandes:" in result.stderr
    assert english(result.stderr) == []


USAGE_ERRORS = [
    (["validate", "--foo"], "option inconnue : --foo"),
    (["validate", "--form"], "option inconnue : --form ; vouliez-vous dire --format ?"),
    (["--nope"], "option inconnue : --nope"),
    (["valdate"], "commande inconnue : « valdate » ; vouliez-vous dire « validate » ?"),
    (["zzz"], "commande inconnue : « zzz »"),
    (["--debug"], "commande manquante"),
    (["publish"], "option obligatoire manquante : '--year' / '--annee' / '-y'"),
    (["new", "-t", "existante", "-n", "1"], "option obligatoire manquante : '--titre'"),
    (
        ["build", "--year", "deux"],
        "'--year' / '--annee' / '-y' : un nombre entier est attendu, pas « deux »",
    ),
    (["build", "--year"], "l'option '--year' attend une valeur"),
    (["validate", "--strict=oui"], "l'option '--strict' ne prend pas de valeur"),
    (["--debug=1", "validate"], "l'option '--debug' ne prend pas de valeur"),
    (["validate", "-f", "xml"], "« xml » ne fait pas partie des formats possibles"),
    (["build", "-y", "2016", "--diagnostics", "xml"], "« xml » ne fait pas partie des formats"),
    (["build", "-y", "2016", "-f", "odt"], "« odt » ne fait pas partie des valeurs possibles"),
    (["stats", "-y", "2016", "-f", "csv"], "« csv » ne fait pas partie des valeurs possibles"),
    (["new", "-t", "existante", "-n", "0", "--titre", "x"], "la valeur doit être au moins 1"),
    (["new", "-t", "existante", "-n", "1", "--titre", "x", "--annee", "3000"], "au plus 2100"),
    (["validate", "-j", "0"], "'--jobs' / '-j' : la valeur doit être au moins 1"),
    (["schema", "tout"], "valeur invalide pour 'MODÈLE' : « tout » ne fait pas partie"),
    (["validate", "en-trop"], "argument en trop : en-trop"),
    (["schema", "fiche", "communes"], "argument en trop : communes"),
]


@pytest.mark.parametrize(("args", "message"), USAGE_ERRORS)
def test_usage_errors_are_in_french(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1].startswith("erreur : ")
    assert message in result.stderr
    assert english(result.stderr) == [], result.stderr


def test_usage_error_shows_the_usage_line_and_where_to_find_help() -> None:
    result = runner.invoke(app, ["stats", "--anne", "2016"])
    lines = result.stderr.splitlines()
    assert lines[0] == "Utilisation : bilan stats [OPTIONS]"
    assert lines[1] == "Aide : bilan stats -h"
    assert lines[-1].startswith("erreur : option inconnue : --anne")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["build", "--all", "--year", "2016"], "--all et --year s'excluent"),
        (["publish", "-y", "2016", "--date", "15/01/2017"], "n'est pas une date AAAA-MM-JJ"),
    ],
)
def test_incompatible_or_malformed_options_are_usage_errors(args: list[str], message: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert result.stderr.startswith(f"erreur : {message}") or message in result.stderr
    assert "Conseil : " in result.stderr


def test_a_parser_error_names_its_command() -> None:
    lines = runner.invoke(app, ["validate", "--strict=1"]).stderr.splitlines()
    assert lines[:2] == ["Utilisation : bilan validate [OPTIONS]", "Aide : bilan validate -h"]


def test_version() -> None:
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout == f"bilan {__version__}\n"


def completions(words: str) -> set[str]:
    """What the bash completion script gets when the user presses Tab after ``words``."""
    env = {
        **os.environ,
        "_BILAN_COMPLETE": "complete_bash",
        "COMP_WORDS": words,
        "COMP_CWORD": str(len(words.split()) - 1),
    }
    result = subprocess.run(
        [sys.executable, "-m", "bilan"], env=env, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    return set(result.stdout.split())


def test_shell_completion_offers_the_commands() -> None:
    assert completions("bilan s") == {name for name in COMMANDS if name.startswith("s")}


def test_shell_completion_offers_the_diagnostic_formats() -> None:
    assert completions("bilan build --diagnostics g") == {"github", "gitlab"}
