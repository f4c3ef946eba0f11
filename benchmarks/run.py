"""`make bench`: time `bilan validate` and `bilan build` next to their floor and their peers.

Every command runs as a whole process, as a user would run it; the runs of one size are
interleaved (floor, validate, peer, floor, validate, peer…) so that a busy machine slows
them all alike, and the table gives medians and ratios measured in the same run. Peak
memory is the largest resident set of the process and of its children (``wait4``).

    python benchmarks/run.py                 # 27 (real data), 1000 and 10000 fiches
    python benchmarks/run.py --sizes 27,1000 --repeat 5
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))

import generate

ROOT = Path(__file__).resolve().parents[1]
WORK = ROOT / "benchmarks" / "_data"
BIN = Path(sys.executable).parent
SCHEMA = ROOT / "schemas" / "fiche.schema.json"
REAL = 27
"""The repository's data: 25 files that cover the 27 actions of the 2016 report."""
LARGE = 10_000
"""The size the issue's targets for large data sets are set at (other sizes: no target)."""
ROUNDS = {REAL: (7, 3), 1000: (3, 2)}
"""Rounds per size, (all measures, slow ones); other sizes: (3, 1)."""
PDF_MAX = REAL
"""The PDF is timed on the real data only: WeasyPrint lays out a thousand fiches in
minutes and gigabytes, longer than the whole benchmark."""


@dataclass
class Sample:
    wall: float
    cpu: float
    rss_mb: float


@dataclass
class Measure:
    label: str
    command: list[str]
    samples: list[Sample] = field(default_factory=list)

    def median(self, attribute: str) -> float:
        return statistics.median(getattr(s, attribute) for s in self.samples)


LAUNCHER = """
import json, os, sys, time
start = time.perf_counter()
pid = os.posix_spawn(sys.argv[1], sys.argv[1:], os.environ)
_pid, status, usage = os.wait4(pid, 0)
wall = time.perf_counter() - start
print(json.dumps([os.waitstatus_to_exitcode(status), wall, usage.ru_utime + usage.ru_stime,
                  usage.ru_maxrss / 1024]))
"""
"""Runs one command and reports it. Peak memory (``ru_maxrss``) carries over an ``exec``
the peak of the process that spawned it: measured from this small launcher, not from
the runner, whose own peak would show instead."""


def run(command: list[str], cwd: Path = ROOT) -> Sample:
    """One whole process: wall time, CPU time (user + system) and peak memory. The files
    that earlier commands wrote are flushed to disk first: no command pays for another's
    writing (a full build of 10,000 fiches leaves half a gigabyte to write back)."""
    os.sync()
    with open(WORK / "last-stderr.txt", "wb") as err:
        done = subprocess.run(
            [sys.executable, "-c", LAUNCHER, shutil.which(command[0]) or command[0], *command[1:]],
            cwd=cwd,
            stdout=subprocess.PIPE,
            stderr=err,
            check=False,
        )
    code, wall, cpu, rss = json.loads(done.stdout.splitlines()[-1])
    if code != 0:
        message = (WORK / "last-stderr.txt").read_text("utf-8", "replace")[-2000:]
        sys.exit(f"échec ({code}) : {' '.join(command)}\n{message}")
    return Sample(wall, cpu, rss)


def prepare(size: int) -> Path:
    """benchmarks/_data/n<size>/: the data folder and the MkDocs peer, made once."""
    target = WORK / f"n{size}"
    stamp = target / "stamp.json"
    source = Path(generate.__file__)
    expected = {"size": size, "generator": source.stat().st_mtime_ns}
    if size == REAL:
        expected["data"] = max(p.stat().st_mtime_ns for p in (ROOT / "data").rglob("*"))
    if stamp.is_file() and json.loads(stamp.read_text()) == expected:
        return target
    print(f"Préparation des données ({size} fiches)…", flush=True)
    if size == REAL:
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(ROOT / "data", target / "data")
        # the edits measured are a team's before publication: the sealed edition would refuse them
        for sealed in (target / "data" / "rapports").glob("*/publication.json"):
            sealed.unlink()
        bilans = target / "data" / "rapports" / str(generate.YEAR) / "bilans"

        def plain(path: Path) -> Any:
            return yaml.load(path.read_bytes(), Loader=yaml.CSafeLoader) if path.exists() else {}

        fiches = [
            (plain(path), plain(bilans / path.name))
            for path in sorted((target / "data" / "actions").glob("*.yaml"))
        ]
        generate.write_mkdocs(target / "mkdocs", fiches)
    else:
        generate.generate(size, target)
    stamp.write_text(json.dumps(expected))
    return target


def run_quietly(command: list[str]) -> bool:
    """Whether ``command`` succeeds (WeasyPrint imports only with its system libraries)."""
    return subprocess.run(command, capture_output=True, check=False).returncode == 0


def reset(folder: Path) -> None:
    if folder.exists():
        shutil.rmtree(folder)


def middle_bilan(data: Path) -> Path:
    """The 2016 bilan of the middle fiche (in file-name order) that has a calendar."""
    files = sorted((data / "rapports" / str(generate.YEAR) / "bilans").glob("*.yaml"))
    middle = len(files) // 2
    return next(p for p in files[middle:] if "\ncalendrier:" in p.read_text("utf-8"))


def edit_one_fiche(data: Path, round_: int) -> None:
    """Change one sentence of the middle fiche's bilan, as a team would in a pull request."""
    path = middle_bilan(data)
    text = path.read_text("utf-8")
    lines = [line for line in text.split("\n") if not line.startswith("# benchmark")]
    text = "\n".join([lines[0], f"# benchmark: modification {round_}", *lines[1:]])
    text = text.replace("points_forts:\n", f"points_forts:\n  - Modification n° {round_}\n", 1)
    path.write_text(text, "utf-8")


def edit_a_figure(data: Path) -> None:
    """Change the état of the middle fiche's bilan (to « terminee », or back to « en-cours »):
    the consolidated figures change, hence their tables and the open data."""
    path = middle_bilan(data)
    text = path.read_text("utf-8")
    found = re.search(r"^etat: (\S+)$", text, re.M)
    assert found, path
    after = "en-cours" if found.group(1) == "terminee" else "terminee"
    path.write_text(text[: found.start(1)] + after + text[found.end(1) :], "utf-8")


SLOW = {"check-jsonschema", "build", "incremental", "incremental-figures", "mkdocs", "pdf"}
"""Measures taken in fewer rounds on large data sets (each takes seconds to minutes)."""
EDITS = 3
"""Incremental builds per round, one edit each, the first right after the full build."""


def bench_size(
    size: int, rounds: int, slow_rounds: int, pdf: bool, only: set[str]
) -> dict[str, Measure]:
    folder = prepare(size)
    data = folder / "data"
    out = folder / "build"
    site = folder / "mkdocs"
    bilan = str(BIN / "bilan")
    yaml_files = [str(p) for p in sorted((data / "actions").glob("*.yaml"))]
    build = [bilan, "build", "--year", "2016", "--data", str(data), "--out", str(out)]
    html_md_data = ["-f", "html", "-f", "md", "-f", "data"]
    here = ROOT / "benchmarks"
    measures = {
        "floor": Measure(
            "plancher (import typer, yaml, pydantic ; libyaml)",
            [sys.executable, str(here / "floor.py"), str(data)],
        ),
        "floor-pydantic": Measure(
            "plancher pydantic (le plancher et un modèle d'un champ)",
            [sys.executable, str(here / "floor_pydantic.py"), str(data)],
        ),
        "floor-typer": Measure(
            "plancher typer (une commande typer ; libyaml)",
            [sys.executable, str(here / "floor_typer.py"), "--data", str(data)],
        ),
        "validate-1": Measure(
            "bilan validate --jobs 1", [bilan, "validate", "--data", str(data), "--jobs", "1"]
        ),
        "validate": Measure(
            "bilan validate (tous les cœurs)", [bilan, "validate", "--data", str(data)]
        ),
        "check-jsonschema": Measure(
            "check-jsonschema (même schéma, mêmes fichiers)",
            [str(BIN / "check-jsonschema"), "--schemafile", str(SCHEMA), *yaml_files],
        ),
        "build": Measure("bilan build -f html -f md -f data", [*build, *html_md_data]),
        "incremental": Measure("bilan build, une fiche modifiée", [*build, *html_md_data]),
        "incremental-figures": Measure(
            "bilan build, une fiche modifiée (chiffres changés)", [*build, *html_md_data]
        ),
        "mkdocs": Measure(
            "mkdocs build (autant de pages)",
            [
                str(BIN / "mkdocs"),
                "build",
                "-q",
                "-f",
                str(site / "mkdocs.yml"),
                "-d",
                str(site / "site"),
            ],
        ),
    }
    if pdf:
        measures["pdf"] = Measure("bilan build -f pdf", [*build, "-f", "pdf"])
    if only:
        measures = {key: measure for key, measure in measures.items() if key in only}
    for round_ in range(rounds):
        print(f"  {size} fiches, tour {round_ + 1}/{rounds}", flush=True)
        for key, measure in measures.items():
            if (key in SLOW and round_ >= slow_rounds) or (key == "pdf" and round_ > 0):
                continue
            if key in ("build", "pdf"):
                reset(out)  # the cache too: a full build
            elif key == "mkdocs":
                reset(site / "site")
            if key.startswith("incremental"):  # after the full build just above
                for edit in range(EDITS):
                    if key == "incremental":
                        edit_one_fiche(data, round_ * EDITS + edit)
                    else:
                        edit_a_figure(data)
                    measure.samples.append(run(measure.command))
                continue
            measure.samples.append(run(measure.command))
    return measures


RATIOS = (
    # (measure, reference, what, target on the real data, target on the largest set)
    ("validate-1", "floor", "bilan validate --jobs 1 / plancher", 1.4, 1.3),
    ("validate", "floor", "bilan validate (tous les cœurs) / plancher", None, 0.75),
    ("floor-pydantic", "floor", "plancher pydantic / plancher", None, None),
    ("validate-1", "floor-pydantic", "bilan validate --jobs 1 / plancher pydantic", None, None),
    ("validate-1", "floor-typer", "bilan validate --jobs 1 / plancher typer", None, None),
    ("validate", "check-jsonschema", "bilan validate / check-jsonschema", None, 1.0),
    ("build", "mkdocs", "bilan build / mkdocs build", None, 1.0),
    ("incremental", "build", "une fiche modifiée / construction complète", None, 0.1),
    (
        "incremental-figures",
        "build",
        "une fiche modifiée, chiffres changés / construction complète",
        None,
        0.1,
    ),
)
"""Targets of issue 8: on the real data (first value) and on 10,000 fiches (second)."""


def table(results: dict[int, dict[str, Measure]]) -> str:
    lines = [
        "| fiches | mesure | temps (s) | CPU (s) | mémoire max (Mo) | tours |",
        "|---:|---|---:|---:|---:|---:|",
    ]
    for size, measures in results.items():
        for measure in measures.values():
            lines.append(
                f"| {size} | {measure.label} | {measure.median('wall'):.3f} | "
                f"{measure.median('cpu'):.3f} | {measure.median('rss_mb'):.0f} | "
                f"{len(measure.samples)} |"
            )
    lines += ["", "| fiches | rapport (temps médians) | valeur | objectif |", "|---:|---|---:|---|"]
    sizes = sorted(results)
    for size, measures in results.items():
        for key, reference, what, small, large in RATIOS:
            if key not in measures or reference not in measures:
                continue
            value = measures[key].median("wall") / measures[reference].median("wall")
            target = small if size == REAL else large if size == LARGE else None
            shown = (
                ""
                if target is None
                else f"≤ {target:g} : " + ("atteint" if value <= target else "non atteint")
            )
            lines.append(f"| {size} | {what} | {value:.2f} | {shown} |")
    if len(sizes) > 1 and all({"floor", "validate-1"} <= set(results[s]) for s in sizes):
        small, large = sizes[0], sizes[-1]

        def growth(key: str) -> float:
            grown = results[large][key].median("rss_mb") - results[small][key].median("rss_mb")
            return grown / (large - small) * 1000

        data_mb = sum(p.stat().st_size for p in (WORK / f"n{large}" / "data").rglob("*.yaml"))
        lines += [
            "",
            f"Mémoire de `bilan validate --jobs 1` : +{growth('validate-1'):.1f} Mo par millier "
            f"de fiches, linéaire (plancher : +{growth('floor'):.1f} Mo ; les fichiers : "
            f"{data_mb / 1e6 / large * 1000:.1f} Mo par millier de fiches).",
        ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description="Benchmarks de bilan (voir docs/performance.md).")
    parser.add_argument("--sizes", default=f"{REAL},1000,10000", help="nombres de fiches")
    parser.add_argument("--repeat", type=int, help="tours par taille, pour toutes les mesures")
    parser.add_argument("--only", default="", help="mesures à faire, par exemple floor,validate")
    args = parser.parse_args()
    WORK.mkdir(parents=True, exist_ok=True)
    pdf_available = run_quietly([sys.executable, "-c", "import weasyprint"])
    results = {}
    for size in (int(s) for s in args.sizes.split(",")):
        rounds, slow = (args.repeat, args.repeat) if args.repeat else ROUNDS.get(size, (3, 1))
        only = set(filter(None, args.only.split(",")))
        results[size] = bench_size(size, rounds, slow, pdf_available and size <= PDF_MAX, only)
    report = table(results)
    cores = os.cpu_count()
    header = (
        f"Python {sys.version.split()[0]}, {cores} cœurs ; médianes ; "
        "rapport = temps / temps de la référence, mesurés dans le même passage."
    )
    print(f"\n{header}\n\n{report}")
    (WORK / "results.md").write_text(f"{header}\n\n{report}\n", "utf-8")
    raw = {
        str(size): {key: [vars(s) for s in m.samples] for key, m in measures.items()}
        for size, measures in results.items()
    }
    (WORK / "results.json").write_text(json.dumps(raw, indent=2), "utf-8")


if __name__ == "__main__":
    main()
