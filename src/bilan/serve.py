"""`bilan serve`: a live preview of the report for the person editing a fiche.

The builds are :class:`bilan.preview.Preview`'s; here, the server and the watcher.
uvicorn and Starlette serve the site on 127.0.0.1 only; watchfiles watches the data and
the templates, and each burst of changes (an editor's save is several events) gives one
rebuild, in another thread, so that the server goes on answering. The open pages are told
by Server-Sent Events: a build under way, then the new version or the errors.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import socket
import tempfile
import time
from collections.abc import AsyncIterator, Callable
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
from watchfiles import awatch

from bilan.errors import BilanError, UsageError
from bilan.preview import SCRIPT_URL, Outcome, Preview, on_demand_format
from bilan.watching import SourceFilter, changed_files, changed_since

HOST = "127.0.0.1"
"""Only this machine: the preview shows data that may not be public yet."""
EVENTS_URL = "/_apercu/evenements"
SCRIPT = Path(__file__).with_name("apercu.js")
MTIME_SLACK_NS = 20_000_000
"""A file's modification time lags the clock by up to a tick of the kernel (4 ms on Linux)."""
NO_STORE = {"Cache-Control": "no-store"}
"""A reload must fetch the page again, never show a copy."""


@dataclass
class Hub:
    """Tells the open pages when the state changed; :meth:`close` ends their streams (a
    stream still open would keep the server from stopping)."""

    changed: asyncio.Event = field(default_factory=asyncio.Event)
    closing: asyncio.Event = field(default_factory=asyncio.Event)
    building: asyncio.Lock = field(default_factory=asyncio.Lock)
    """Held by the build under way: one at a time."""

    def publish(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()

    def close(self) -> None:
        self.closing.set()

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
    body = preview.placeholder(text)
    return Response(body, 503, headers=NO_STORE, media_type="text/html")


async def watch(
    preview: Preview,
    hub: Hub,
    stop: asyncio.Event,
    told: Callable[[Outcome], None],
    step_ms: int = 20,
) -> None:
    """Rebuild after each burst of changes (events closer than ``step_ms`` are one burst,
    an editor's save is several) until ``stop``; a change made during a build comes in
    the next burst."""
    async for changes in awatch(
        *preview.watched(), watch_filter=SourceFilter(), step=step_ms, stop_event=stop
    ):
        changed = changed_files(changes)
        if changed:
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
    return outcome


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
    year: int,
    data: Path,
    templates: Path | None,
    port: int,
    told: Callable[[Outcome], None],
    ready: Callable[[str], None],
) -> None:
    """Build, serve and watch until Ctrl-C: ``told`` after each build, ``ready`` with the
    address once it answers. Returns normally when stopped."""
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
        asyncio.run(run(preview, sock, told, lambda: ready(address), since_ns))
    except KeyboardInterrupt:
        pass  # Ctrl-C during the first build, or as uvicorn raises it again once stopped
    finally:
        sock.close()
        shutil.rmtree(out, ignore_errors=True)
