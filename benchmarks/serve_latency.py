"""Latency of the live preview: from saving one fiche to the reloaded page showing the change.

`bilan serve` and `mkdocs serve` (the MkDocs site of the same fiches that benchmarks/run.py
builds, one page per fiche) each run as a whole process, as a writer would run them; a
headless Chromium shows the page of the middle fiche. Each edit adds a sentence to that
fiche's « points forts » (in the YAML file for bilan, in the Markdown page for MkDocs) and the
clock stops when the page shows it: watching, rebuilding, reloading and rendering included.
The first edit after start-up is not counted (warm-up); medians over the others. bilan's own
build time, which it prints after each rebuild, is reported beside it: the rest is the
watcher's debounce, the event, the reload and the browser.

    python benchmarks/serve_latency.py                    # 27 (real data) and 1000 fiches
    python benchmarks/serve_latency.py --sizes 27 --edits 9
    python benchmarks/serve_latency.py --sizes 1000 --profile   # where a rebuild's time goes

Not 10,000 by default: the generated set of that size numbers its actions beyond 999,
which the model refuses since `bilan new-year` (a preview of data with 8,725 errors
measures nothing); --sizes 10000 once benchmarks/generate.py numbers them within bounds.

Chromium: Debian's /usr/bin/chromium, driven by Playwright (no browser download).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import run  # benchmarks/run.py: the data sets and the MkDocs site, prepared once

BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
TARGETS = {run.REAL: 0.3, run.LARGE: 1.0}
"""Median latency targets of issues 16 and 20, in seconds."""
EDITS = {run.REAL: 9, run.LARGE: 5}
"""Measured edits per size for bilan (other sizes: 5); MkDocs, slower, gets MKDOCS_EDITS."""
MKDOCS_EDITS = {run.REAL: 7, 1000: 3, run.LARGE: 2}
UNSEALED = shutil.ignore_patterns("publication.json")
"""The data as it is while the year is being written: a published edition refuses any
change of its data (P001), and the repository's 2016 edition is published."""
START_S = 900
"""The longest a server may take to start (a first build of 10,000 fiches takes a minute)."""
EDIT_S = 300
"""The longest one edit may take to show (MkDocs rebuilds 10,000 pages in about a minute)."""


@dataclass
class Server:
    """A preview server as a process; its output collected as it comes."""

    command: list[str]
    cwd: Path
    lines: list[str] = field(default_factory=list)
    process: subprocess.Popen[str] | None = None

    def start(self, ready: Callable[[], bool]) -> None:
        self.process = subprocess.Popen(
            self.command,
            cwd=self.cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        threading.Thread(target=self._read, daemon=True).start()
        deadline = time.monotonic() + START_S
        while not ready():
            if self.process.poll() is not None or time.monotonic() > deadline:
                sys.exit(f"le serveur n'a pas démarré : {' '.join(self.command)}\n{self.output()}")
            time.sleep(0.05)

    def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)

    def output(self) -> str:
        return "".join(self.lines[-40:])

    def stop(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGINT)
        try:
            self.process.wait(60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def answers(url: str) -> Callable[[], bool]:
    def check() -> bool:
        import urllib.request

        try:
            with urllib.request.urlopen(url, timeout=5) as answer:
                return bool(answer.status == 200)
        except OSError:
            return False

    return check


def edit_fiche(path: Path, marker: str) -> None:
    """A sentence added to the « points forts » of a fiche's 2016 bilan (YAML)."""
    text = path.read_text("utf-8")
    assert "\npoints_forts:\n" in text, path
    path.write_text(text.replace("\npoints_forts:\n", f"\npoints_forts:\n  - {marker}\n", 1))


def edit_page(path: Path, marker: str) -> None:
    """The same sentence added to the « Points forts » of the fiche's MkDocs page."""
    text = path.read_text("utf-8")
    assert "### Points forts\n\n" in text, path
    path.write_text(text.replace("### Points forts\n\n", f"### Points forts\n\n- {marker}\n", 1))


@dataclass
class Latency:
    tool: str
    seconds: list[float] = field(default_factory=list)
    builds: list[float] = field(default_factory=list)


def measure(
    server: Server,
    ready: Callable[[], bool],
    url: str,
    edit: Callable[[str], None],
    edits: int,
    tool: str,
) -> Latency:
    """Start ``server``, open ``url``, then time ``edits`` edits (plus a warm-up one)."""
    from playwright.sync_api import sync_playwright

    result = Latency(tool)
    server.start(ready)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=CHROMIUM, headless=True, args=FLAGS
            )
            page = browser.new_page()
            page.route(re.compile(r"^(?!http://127\.0\.0\.1:)"), lambda route: route.abort())
            page.goto(url, timeout=START_S * 1000)
            for number in range(edits + 1):
                marker = f"Mesure de latence {tool} {number} {time.time_ns()}"
                before = len(server.lines)
                start = time.perf_counter()
                edit(marker)
                page.wait_for_function(
                    "marker => document.body !== null && document.body.innerText.includes(marker)",
                    arg=marker,
                    polling="raf",
                    timeout=EDIT_S * 1000,
                )
                elapsed = time.perf_counter() - start
                if number == 0:
                    continue  # warm-up
                result.seconds.append(elapsed)
                built = re.findall(r"Site à jour en ([0-9]+,[0-9]+) s", "".join(server.lines[before:]))
                if built:
                    result.builds.append(float(built[-1].replace(",", ".")))
            browser.close()
    finally:
        server.stop()
    return result


def bench_size(size: int, edits: int | None, mkdocs_edits: int | None) -> list[Latency]:
    """Both previews on a fresh copy of the data set and of its MkDocs site."""
    source = run.prepare(size)
    work = run.WORK / f"serve-n{size}"
    if work.exists():
        shutil.rmtree(work)
    shutil.copytree(source / "data", work / "data", ignore=UNSEALED)
    shutil.copytree(source / "mkdocs", work / "mkdocs", ignore=shutil.ignore_patterns("site"))
    fiche = run.middle_bilan(work / "data")
    bilan_port, mkdocs_port = free_port(), free_port()
    print(f"  {size} fiches : bilan serve", flush=True)
    bilan = Server(
        [str(BIN / "bilan"), "serve", "--data", str(work / "data"), "--port", str(bilan_port)],
        work,
    )
    base = f"http://127.0.0.1:{bilan_port}/"
    found = [
        measure(
            bilan,
            lambda: any("Aperçu :" in line for line in bilan.lines),
            f"{base}actions/{fiche.stem}.html",
            lambda marker: edit_fiche(fiche, marker),
            edits or EDITS.get(size, 5),
            "bilan serve",
        )
    ]
    print(f"  {size} fiches : mkdocs serve", flush=True)
    config = work / "mkdocs" / "mkdocs.yml"
    address = f"127.0.0.1:{mkdocs_port}"
    mkdocs = Server([str(BIN / "mkdocs"), "serve", "-f", str(config), "-a", address], work)
    page = f"http://{address}/actions/{fiche.stem}/"
    markdown = work / "mkdocs" / "docs" / "actions" / f"{fiche.stem}.md"
    found.append(
        measure(
            mkdocs,
            answers(page),
            page,
            lambda marker: edit_page(markdown, marker),
            mkdocs_edits or MKDOCS_EDITS.get(size, 2),
            "mkdocs serve",
        )
    )
    return found


def table(results: dict[int, list[Latency]]) -> str:
    lines = [
        "| fiches | aperçu | latence médiane (s) | min – max (s) | construction médiane (s) | "
        "modifications | objectif |",
        "|---:|---|---:|---:|---:|---:|---|",
    ]
    for size, latencies in results.items():
        for latency in latencies:
            median = statistics.median(latency.seconds)
            build = f"{statistics.median(latency.builds):.3f}" if latency.builds else ""
            target = TARGETS.get(size) if latency.tool == "bilan serve" else None
            goal = (
                ""
                if target is None
                else f"≤ {target:g} s : " + ("atteint" if median <= target else "non atteint")
            )
            lines.append(
                f"| {size} | {latency.tool} | {median:.3f} | {min(latency.seconds):.3f} – "
                f"{max(latency.seconds):.3f} | {build} | {len(latency.seconds)} | {goal} |"
            )
        bilan, mkdocs = (statistics.median(x.seconds) for x in latencies)
        lines.append(f"| {size} | bilan serve / mkdocs serve | {bilan / mkdocs:.2f} | | | | |")
    return "\n".join(lines)


def profile(size: int) -> str:
    """Where one rebuild after an edit spends its time, in process (pyinstrument)."""
    import tempfile

    from pyinstrument import Profiler

    from bilan.preview import Preview

    source = run.prepare(size)
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(source / "data", data, ignore=UNSEALED)
        preview = Preview(2016, data, None, Path(tmp) / "apercu")
        preview.build()
        fiche = run.middle_bilan(data)
        edit_fiche(fiche, "Avant le profil")
        preview.build()  # warm
        edit_fiche(fiche, "Profil")
        profiler = Profiler(interval=0.001)
        profiler.start()
        assert preview.build().ok
        profiler.stop()
    text: str = profiler.output_text(unicode=True, color=False)
    return text


def main(argv: list[str] | None = None) -> str:
    parser = argparse.ArgumentParser(description="Latence de bilan serve et de mkdocs serve.")
    parser.add_argument("--sizes", default=f"{run.REAL},1000", help="nombres de fiches")
    parser.add_argument("--edits", type=int, help="modifications mesurées (bilan serve)")
    parser.add_argument("--mkdocs-edits", type=int, help="modifications mesurées (mkdocs serve)")
    parser.add_argument("--profile", action="store_true", help="profil d'une reconstruction")
    args = parser.parse_args(argv)
    sizes = [int(s) for s in args.sizes.split(",")]
    run.WORK.mkdir(parents=True, exist_ok=True)
    if args.profile:
        report = "\n".join(profile(size) for size in sizes)
        print(report)
        return report
    if not Path(CHROMIUM).is_file():
        print("Chromium absent (/usr/bin/chromium) : latence de l'aperçu non mesurée.")
        return ""
    results: dict[int, list[Latency]] = {}
    for size in sizes:
        results[size] = bench_size(size, args.edits, args.mkdocs_edits)
    report = (
        "Aperçu en direct : d'une fiche enregistrée à la page rechargée qui montre la "
        "modification (Chromium sans affichage).\n\n" + table(results)
    )
    print(f"\n{report}")
    (run.WORK / "serve-latency.md").write_text(report + "\n", "utf-8")
    return report


if __name__ == "__main__":
    main()
