"""The floor of `bilan validate`: the interpreter, the client's stack imported, and a
libyaml load of every YAML file of the data folder. Nothing can validate faster.

    python benchmarks/floor.py DATA
"""

import sys
from pathlib import Path

import pydantic  # noqa: F401
import typer  # noqa: F401
import yaml

for path in sorted(Path(sys.argv[1]).rglob("*.yaml")):
    yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
