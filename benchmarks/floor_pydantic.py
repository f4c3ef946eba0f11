"""The floor of any program that validates with pydantic: floor.py, plus one model of a
single field, built and used once. ``import pydantic`` alone loads almost nothing
(pydantic 2 imports on demand); the first model pays for the rest of the library.

    python benchmarks/floor_pydantic.py DATA
"""

import sys
from pathlib import Path

import pydantic
import typer  # noqa: F401
import yaml


class One(pydantic.BaseModel):
    id: str


for path in sorted(Path(sys.argv[1]).rglob("*.yaml")):
    data = yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader)
One(id="fiche")
