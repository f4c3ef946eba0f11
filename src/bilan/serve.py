"""`bilan serve`: a live preview of the report for the person editing a fiche.

The site is built as ``bilan build`` builds it (HTML only; the PDF, the Markdown report and
the open data when a page asks for them), into a temporary folder: the preview's output is
partial, so writing it into ``build/`` would replace the complete report left there, and
nothing is ever written into the data folder. It is served on 127.0.0.1 only (uvicorn and
Starlette). watchfiles watches the data and the templates; each burst of changes (an
editor's save is several events) gives one rebuild, in process, with the templates compiled
once and the build cache of the previous build, so that only what changed is rendered again.

Each served page is the built page with one ``<script>`` added before ``</body>``
(``apercu.js``): it listens to the server's events (Server-Sent Events) and reloads the page
after a rebuild (its content in place, or the whole page after a change of the templates),
or shows the data's errors in a dialog (file:line:column, message, hint) over the last page
that built, until they are fixed.
"""

from __future__ import annotations

import asyncio
import dataclasses
import gc
import html
import json
import mimetypes
import os
import shutil
import socket
import tempfile
import time
from collections.abc import AsyncIterator, Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import Route
from watchfiles import Change, DefaultFilter, awatch

from bilan.build import PROJECT_TEMPLATES, BuildOptions, InvalidData, WarmTemplates, build
from bilan.dataset import display_path
from bilan.diagnostics import Diagnostic, errors
from bilan.errors import BilanError, UsageError
from bilan.render import template_dirs

HOST = "127.0.0.1"
"""Only this machine: the preview shows data that may not be public yet."""
SCRIPT_URL = "/_apercu/apercu.js"
EVENTS_URL = "/_apercu/evenements"
SCRIPT = Path(__file__).with_name("apercu.js")
COLLECT_AFTER_S = 1.0
"""How long after a build its garbage is collected (unless another build comes first)."""
MTIME_SLACK_NS = 20_000_000
"""A file's modification time lags the clock by up to a tick of the kernel (4 ms on Linux)."""
NO_STORE = {"Cache-Control": "no-store"}
"""A reload must fetch the page again, never show a copy."""


class SourceFilter(DefaultFilter):
    """The changes that may change the report: not the files editors write beside the one
    being saved (watchfiles already ignores ``*~``, ``.#*`` locks, ``.*.swp`` and JetBrains'
    ``___jb_…___``), nor any hidden file, which the data loader skips too."""

    ignore_entity_patterns = (
        *DefaultFilter.ignore_entity_patterns,
        r"^\.",  # hidden: editors' swap, lock and temporary files (.x.swp, .#x, .x.tmp)
        r"^4913$",  # Vim's test that it may write in the folder
        r"^#.*#$",  # Emacs' auto-save
        r"\.(tmp|swap|kate-swp|crswap|part)$",  # temporary copies of an atomic save
        r"^\.?goutputstream-",  # GNOME's atomic save
    )


@dataclass(frozen=True)
class Outcome:
    """One build of the preview: what it built, or why it could not."""

    version: int
    seconds: float
    changed: tuple[str, ...] = ()
    """The files whose change started it (none for the first build)."""
    diagnostics: tuple[Diagnostic, ...] = ()
    """What validation found: the errors that stopped the build, or warnings."""
    problem: BilanError | None = None
    """A problem that is not in the data (a broken template, no bilan for the year)."""
    files: int = 0

    @property
    def ok(self) -> bool:
        return self.problem is None and not errors(self.diagnostics)


def on_demand_format(name: str, year: int) -> str | None:
    """The output format a request for ``name`` asks to build: the preview builds the site
    only, the other outputs when someone opens them."""
    if name == f"bilan-{year}.pdf":
        return "pdf"
    if name == f"bilan-{year}.md":
        return "md"
    if name.startswith("donnees/"):
        return "data"
    return None


def inject(page: bytes, version: int, year: int) -> bytes:
    """The built page with the preview's script before its last ``</body>`` (the only
    change: what the browser shows is the built page)."""
    tag = f'<script src="{SCRIPT_URL}" data-version="{version}" data-annee="{year}"></script>\n'
    script = tag.encode()
    at = page.rfind(b"</body>")
    return page + script if at < 0 else page[:at] + script + page[at:]


class Preview:
    """The preview's builds and what they left: the state the pages show, the files served.

    Builds run one at a time (:attr:`lock`); each watched change makes a new version, which
    the open pages compare with the one they show."""

    def __init__(self, year: int, data: Path, templates: Path | None, out: Path) -> None:
        self.year = year
        self.data = data
        self.templates = templates
        self.out = out
        self.target = out / str(year)
        self.warm = WarmTemplates()
        self.last = Outcome(0, 0.0)
        self.building = False
        self.layout = 1
        """The last version built after a change outside the data (the templates): a page
        shown before it reloads whole, the others only their content."""
        self.on_demand: dict[str, bytes] = {}
        """The outputs built on demand (PDF, Markdown, open data) for the current site."""

    def watched(self) -> list[Path]:
        """The folders whose changes rebuild: the data and every templates folder."""
        return [self.data, *template_dirs(self.templates, PROJECT_TEMPLATES)]

    def build(self, changed: Iterable[str] = (), extra: str | None = None) -> Outcome:
        """Build the site (and ``extra``, an output format asked for) and record the outcome.
        A build for ``extra`` makes no new version (the pages did not change); its outputs
        are kept aside, each build replacing the output folder, until the site changes."""
        formats = frozenset({"html"} if extra is None else {"html", extra})
        options = BuildOptions(
            year=self.year,
            data=self.data,
            out=self.out,
            templates=self.templates,
            formats=formats,
            pdf_requested=extra == "pdf",
        )
        start = time.perf_counter()
        version = self.last.version + (extra is None)
        try:
            result = build(options, self.warm)
        except InvalidData as error:
            outcome = Outcome(version, 0.0, tuple(changed), tuple(error.diagnostics))
        except BilanError as error:
            outcome = Outcome(version, 0.0, tuple(changed), problem=error)
        except Exception as error:  # a bug must not stop the preview: shown, then next save
            message = f"erreur interne : {type(error).__name__}: {error}"
            hint = "signalez le problème ; « bilan --debug build » donne la trace complète"
            outcome = Outcome(version, 0.0, tuple(changed), problem=BilanError(message, hint))
        else:
            found = tuple(result.diagnostics)
            outcome = Outcome(version, 0.0, tuple(changed), found, files=len(result.files))
            if extra is None:
                self.on_demand = {}
            else:
                asked = [n for n in result.files if on_demand_format(n, self.year) == extra]
                self.on_demand.update({n: (result.target / n).read_bytes() for n in asked})
        outcome = dataclasses.replace(outcome, seconds=time.perf_counter() - start)
        if extra is None:
            self.last = outcome
            data = self.data.resolve()
            if any(not Path(p).resolve().is_relative_to(data) for p in outcome.changed):
                self.layout = version
        return outcome

    def state(self) -> dict[str, Any]:
        """What the open pages are told (JSON): the version, and what to show in the dialog."""
        last = self.last
        shown = [d for d in last.diagnostics if d.is_error]
        problem = last.problem
        return {
            "version": last.version,
            "mise_en_page": self.layout,
            "construction": self.building,
            "erreurs": [
                {
                    "lieu": d.location(),
                    "code": d.code,
                    "message": d.message,
                    "conseil": d.hint,
                }
                for d in shown
            ],
            "probleme": None
            if problem is None
            else {"message": problem.message, "conseil": problem.hint},
        }

    def file(self, name: str) -> bytes | None:
        """The bytes of an output of the last build, None if there is none by that name."""
        parts = [part for part in name.split("/") if part]
        if not parts or any(part in (".", "..") or part.startswith(".") for part in parts):
            return None
        if name in self.on_demand:
            return self.on_demand[name]
        path = self.target.joinpath(*parts)
        try:
            return path.read_bytes() if path.is_file() else None
        except OSError:
            return None

    def page(self, name: str) -> tuple[int, bytes, str]:
        """Status, body and media type of the answer to ``GET /name``."""
        name = name + "index.html" if name == "" or name.endswith("/") else name
        found = self.file(name)
        if found is None:
            if name == "index.html":
                text = "Le rapport n'a pas encore pu être construit : voir les erreurs affichées."
            else:
                text = f"Page introuvable dans le rapport construit : {name}"
            return (
                404,
                inject(_placeholder(self.year, text), self.last.version, self.year),
                "text/html",
            )
        kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
        if name.endswith(".md"):
            kind = "text/markdown"
        if kind == "text/html":
            found = inject(found, self.last.version, self.year)
        return 200, found, kind


def _placeholder(year: int, text: str) -> bytes:
    return (
        '<!DOCTYPE html>\n<html lang="fr">\n<head>\n<meta charset="utf-8">\n'
        f"<title>Aperçu du bilan {year}</title>\n</head>\n<body>\n<main>\n"
        f"<h1>Aperçu du bilan {year}</h1>\n<p>{html.escape(text)}</p>\n</main>\n</body>\n</html>\n"
    ).encode()


@dataclass
class Hub:
    """Tells the open pages when the state changed; :meth:`close` ends their streams (a
    stream still open would keep the server from stopping)."""

    changed: asyncio.Event = field(default_factory=asyncio.Event)
    closing: asyncio.Event = field(default_factory=asyncio.Event)
    building: asyncio.Lock = field(default_factory=asyncio.Lock)
    """Held by the build under way: one at a time."""
    collection: asyncio.TimerHandle | None = None
    collector: asyncio.Future[None] | None = None
    """The collection under way (a task must be held, or it may vanish)."""

    def publish(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()

    def close(self) -> None:
        self.closing.set()

    def collect_soon(self) -> None:
        """Collect the last build's garbage once the pages had time to show it: a collection
        holds the interpreter (a fifth of a second at 10,000 fiches), it must not delay them."""
        if self.collection is not None:
            self.collection.cancel()
        self.collection = asyncio.get_running_loop().call_later(COLLECT_AFTER_S, self._collect)

    def _collect(self) -> None:
        async def collect() -> None:
            async with self.building:
                await asyncio.to_thread(collect_garbage)

        self.collector = asyncio.ensure_future(collect())

    async def next(self) -> None:
        """Until the next change, or the end."""
        waits = [asyncio.ensure_future(e.wait()) for e in (self.changed, self.closing)]
        _done, pending = await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in pending:
            task.cancel()


def application(preview: Preview, hub: Hub) -> Starlette:
    """The preview's web application: the site, the script and the events."""

    async def events(request: Request) -> StreamingResponse:
        async def stream() -> AsyncIterator[str]:
            while not hub.closing.is_set():
                yield f"event: etat\ndata: {json.dumps(preview.state(), ensure_ascii=False)}\n\n"
                await hub.next()

        return StreamingResponse(stream(), media_type="text/event-stream", headers=NO_STORE)

    async def script(request: Request) -> Response:
        return Response(SCRIPT.read_bytes(), media_type="text/javascript", headers=NO_STORE)

    async def site(request: Request) -> Response:
        name: str = request.path_params["name"]
        wanted = on_demand_format(name, preview.year)
        if wanted is not None and preview.file(name) is None:
            async with hub.building:
                if preview.file(name) is None:
                    outcome = await asyncio.to_thread(preview.build, (), wanted)
                    hub.collect_soon()
                    if not outcome.ok:
                        return _failure(preview, outcome)
        status, body, kind = preview.page(name)
        return Response(body, status, headers=NO_STORE, media_type=kind)

    return Starlette(
        routes=[
            Route(SCRIPT_URL, script),
            Route(EVENTS_URL, events),
            Route("/{name:path}", site),
        ],
        # A page of another site cannot reach the preview through a name bound to 127.0.0.1.
        middleware=[Middleware(TrustedHostMiddleware, allowed_hosts=[HOST, "localhost"])],
    )


def _failure(preview: Preview, outcome: Outcome) -> Response:
    """The answer when an output asked for could not be built: why, as a page."""
    problem = outcome.problem or BilanError("les données contiennent des erreurs", "corrigez-les")
    text = problem.message + (f". Conseil : {problem.hint}" if problem.hint else "")
    body = inject(_placeholder(preview.year, text), preview.last.version, preview.year)
    return Response(body, 503, headers=NO_STORE, media_type="text/html")


async def watch(
    preview: Preview,
    hub: Hub,
    stop: asyncio.Event,
    told: Callable[[Outcome], None],
    step_ms: int = 30,
) -> None:
    """Rebuild after each burst of changes (events closer than ``step_ms`` are one burst,
    an editor's save is several) until ``stop``; a change made during a build comes in
    the next burst."""
    async for changes in awatch(
        *preview.watched(), watch_filter=SourceFilter(), step=step_ms, stop_event=stop
    ):
        changed = sorted({display_path(Path(path)) for _change, path in changes})
        await rebuild(preview, hub, changed, told)


async def rebuild(
    preview: Preview, hub: Hub, changed: list[str], told: Callable[[Outcome], None]
) -> Outcome:
    """One build in another thread (the server goes on answering), the pages told before
    and after."""
    async with hub.building:
        preview.building = True
        hub.publish()
        try:
            outcome = await asyncio.to_thread(preview.build, changed)
        finally:
            preview.building = False
        hub.publish()
    told(outcome)
    hub.collect_soon()
    return outcome


def collect_garbage() -> None:
    """Free what a build left: :func:`bilan.workers.gc_paused` puts everything alive at the
    end of loading out of the collector's sight, garbage included, which a command that
    then exits does not mind; a preview that builds again and again would keep the garbage
    of every build (200 MB at 10,000 fiches, and the next builds slower)."""
    gc.unfreeze()
    gc.collect()


def changed_since(folders: Iterable[Path], since_ns: int) -> list[str]:
    """The watched files changed after ``since_ns`` (what was saved during the first build,
    before the watcher started)."""
    keep = SourceFilter()
    found = []
    for folder in folders:
        for root, dirs, files in os.walk(folder):
            dirs[:] = [d for d in dirs if keep(Change.modified, os.path.join(root, d))]
            for name in files:
                path = os.path.join(root, name)
                try:
                    newer = os.stat(path).st_mtime_ns > since_ns
                except OSError:
                    continue
                if newer and keep(Change.modified, path):
                    found.append(display_path(Path(path)))
    return sorted(found)


class _Server(uvicorn.Server):
    """uvicorn, its open event streams closed when asked to stop (Ctrl-C), and telling
    when it listens."""

    def __init__(self, config: uvicorn.Config, hub: Hub, listening: Callable[[], None]) -> None:
        super().__init__(config)
        self._hub = hub
        self._loop = asyncio.get_running_loop()
        self._listening = listening

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if not self.should_exit:
            self._listening()

    def handle_exit(self, sig: int, frame: Any) -> None:
        self._loop.call_soon_threadsafe(self._hub.close)
        super().handle_exit(sig, frame)


def listen(port: int) -> socket.socket:
    """The preview's socket on 127.0.0.1 (port 0: one the system chooses)."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    # A preview stopped a moment ago leaves its closed connections waiting (TIME_WAIT):
    # they must not keep the next one from listening (a listener still there does).
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((HOST, port))
    except OSError as error:
        sock.close()
        raise UsageError(
            f"le port {port} n'est pas disponible sur {HOST} ({error.strerror})",
            "un autre aperçu tourne peut-être déjà ; sinon choisissez un autre port "
            f"(--port {port + 1})",
        ) from None
    sock.listen(128)
    return sock


async def run(
    preview: Preview,
    sock: socket.socket,
    told: Callable[[Outcome], None],
    ready: Callable[[], None],
    since_ns: int,
) -> None:
    """Watch and serve until Ctrl-C (or SIGTERM); first, rebuild if a file was saved after
    ``since_ns`` (during the first build)."""
    hub = Hub()
    stop = asyncio.Event()
    config = uvicorn.Config(
        application(preview, hub), log_level="warning", lifespan="off", timeout_graceful_shutdown=3
    )
    server = _Server(config, hub, ready)
    watcher = asyncio.create_task(watch(preview, hub, stop, told))
    await asyncio.sleep(0)  # the watcher watches from here on
    missed = changed_since(preview.watched(), since_ns)
    if missed:
        await rebuild(preview, hub, missed, told)
    try:
        await server.serve(sockets=[sock])
    finally:
        hub.close()
        stop.set()
        await watcher


def serve(
    year: int | None,
    data: Path,
    templates: Path | None,
    port: int,
    told: Callable[[Outcome], None],
    ready: Callable[[str], None],
) -> None:
    """Build, serve and watch until Ctrl-C: ``told`` after each build, ``ready`` with the
    address once it answers. Returns normally when stopped."""
    from bilan.narrative import report_years

    if year is None:
        years = report_years(data) if data.is_dir() else []
        if not years:
            raise UsageError(
                f"aucun rapport dans {display_path(data)}/rapports/ : quelle année montrer ?",
                "indiquez-la avec --year, par exemple --year 2016",
            )
        year = years[-1]
    sock = listen(port)
    out = Path(tempfile.mkdtemp(prefix="bilan-apercu-"))
    address = f"http://{HOST}:{sock.getsockname()[1]}/"
    try:
        preview = Preview(year, data, templates, out)
        since_ns = time.time_ns() - MTIME_SLACK_NS
        first = preview.build()
        if isinstance(first.problem, UsageError):
            raise first.problem
        told(first)
        collect_garbage()
        asyncio.run(run(preview, sock, told, lambda: ready(address), since_ns))
    except KeyboardInterrupt:
        pass  # Ctrl-C during the first build, or as uvicorn raises it again once stopped
    finally:
        sock.close()
        shutil.rmtree(out, ignore_errors=True)
