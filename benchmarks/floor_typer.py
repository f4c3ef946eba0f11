"""The floor of any typer command: the same libyaml load as floor.py, from a one-command
typer application that takes the data folder as an option. Typer 0.29 reads options
through pydantic, so that every typer program pays most of pydantic's import before its
first line runs: this is the floor a typer CLI can reach.

    python benchmarks/floor_typer.py --data DATA
"""

from pathlib import Path
from typing import Annotated

import pydantic  # noqa: F401
import typer
import yaml


def main(data: Annotated[Path, typer.Option("--data")] = Path("data")) -> None:
    for path in sorted(data.rglob("*.yaml")):
        yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)


if __name__ == "__main__":
    typer.run(main)
