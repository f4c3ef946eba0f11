"""Incremental builds: what the previous build computed, reused where its inputs are the same.

``OUT/.bilan-cache/`` keeps, from one build to the next:

- the validated fiches, by the hash of their file's bytes: a fiche whose file did not
  change is neither parsed nor validated again (``fiches.jsonl``);
- rendered fragments (a fiche's section of index.html and of the Markdown report), by the
  hash of what they show (``<année>.json`` and the ``.fragments`` file it names): the two big files
  are put together again from them, rendering only the fiches that changed;
- the key, size and time of every fiche page written: a page whose key did not change,
  and whose file is still the one written, is linked from the previous output.

Every key starts with :func:`code_salt`, the hash of bilan's code, of the templates and
of the rendering libraries' versions: after an upgrade or a template change nothing is
reused. The cache is JSON read back through the model, so a damaged or forged cache cannot
run code, and one that does not load is ignored (the build is then a full one). The
output is byte for byte that of a full build (tests/test_performance.py).
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from jinja2 import TemplateRuntimeError, nodes
from jinja2.ext import Extension
from jinja2.parser import Parser
from jinja2.runtime import Context
from markupsafe import Markup
from pydantic import ValidationError

from bilan.models import CommunesFile, Fiche, ReportMeta
from bilan.views import FicheView
from bilan.workers import gc_paused

CACHE_DIR = ".bilan-cache"
FICHES = "fiches.jsonl"
_BLOB = re.compile(r"[0-9]{4}-[0-9a-f]{16}\.fragments")
RENDERING_LIBRARIES = ("jinja2", "markupsafe", "markdown-it-py", "babel", "pydantic", "pyyaml")


def digest(*parts: str) -> str:
    """A short hash of ``parts`` (separated, so that ("ab", "c") differs from ("a", "bc"))."""
    hashed = hashlib.blake2b(digest_size=16)
    for part in parts:
        hashed.update(part.encode("utf-8", "surrogatepass"))
        hashed.update(b"\x00")
    return hashed.hexdigest()


def code_salt(template_dirs: Sequence[Path]) -> str:
    """Hash of everything besides the data that makes the output: bilan's code, the
    templates (user's and project's) and the versions of the libraries that render."""
    hashed = hashlib.blake2b(digest_size=16)
    package = Path(__file__).parent
    sources = [(f"bilan/{p.name}", p) for p in sorted(package.glob("*.py"))]
    for folder in template_dirs:
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        sources += [(f"{folder}/{p.relative_to(folder).as_posix()}", p) for p in files]
    for name, path in sources:
        hashed.update(name.encode() + b"\x00" + path.read_bytes() + b"\x00")
    for library in RENDERING_LIBRARIES:
        try:
            hashed.update(f"{library}={metadata.version(library)}\x00".encode())
        except metadata.PackageNotFoundError:  # pragma: no cover - a broken install
            hashed.update(f"{library}=?\x00".encode())
    hashed.update(sys.version.encode())
    return hashed.hexdigest()


class BuildCache:
    """What the previous build of one year left in ``OUT/.bilan-cache/``, and what this
    build leaves for the next one."""

    def __init__(self, out: Path, year: int, salt: str) -> None:
        self.folder = out / CACHE_DIR
        self.year = year
        self.salt = salt
        self.fiches: dict[str, Fiche] = self._read_fiches()
        self._stored_fiches = set(self.fiches)
        self._fragments: dict[str, tuple[int, int]] = {}
        self._blob: bytes | mmap.mmap = b""
        self._blob_name = ""
        self._outputs: dict[str, tuple[str, int, int]] = {}
        self._read_year()
        self.context_key = ""
        self.view_keys: dict[str, str] = {}
        self.fragments: dict[str, str] = {}
        """Fragments of this build, rendered or reused: the next build's cache."""
        self.pages: dict[str, str] = {}
        """Page name → key, for every page of this build."""
        self.reused: set[str] = set()
        """Pages kept from the previous output."""

    def _header(self, line: bytes) -> dict[str, Any] | None:
        """The JSON header line of a cache file, if it was written by this code."""
        try:
            header = json.loads(line)
        except ValueError:
            return None
        if not isinstance(header, dict) or header.get("salt") != self.salt:
            return None
        return header

    def _read_fiches(self) -> dict[str, Fiche]:
        """``fiches.jsonl``: a header, then one line per fiche, « hash JSON ». A damaged
        line (a build stopped while appending) is skipped."""
        try:
            with open(self.folder / FICHES, "rb") as lines:
                if self._header(lines.readline()) is None:
                    return {}
                found: dict[str, Fiche] = {}
                with gc_paused():
                    for line in lines:
                        key, _, fiche = line.partition(b" ")
                        try:
                            found[key.decode("ascii")] = Fiche.model_validate_json(fiche)
                        except (ValidationError, UnicodeDecodeError):
                            continue
                return found
        except OSError:
            return {}

    def _read_year(self) -> None:
        """``<année>.json``: the fragments' places in the ``.fragments`` file it names, and
        the pages of the previous build."""
        try:
            with open(self.folder / f"{self.year}.json", "rb") as file:
                header = self._header(file.readline()) or {}
        except OSError:
            return
        blob_name = str(header.get("blob", ""))
        fragments, outputs = header.get("fragments"), header.get("outputs")
        if not _BLOB.fullmatch(blob_name) or not isinstance(fragments, dict):
            return
        try:
            self._fragments = {str(k): (int(v[0]), int(v[1])) for k, v in fragments.items()}
            self._outputs = {
                str(k): (str(v[0]), int(v[1]), int(v[2]))
                for k, v in (outputs if isinstance(outputs, dict) else {}).items()
            }
            with open(self.folder / blob_name, "rb") as file:
                self._blob = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, TypeError, ValueError, IndexError):
            self._fragments, self._outputs = {}, {}
            return
        self._blob_name = blob_name

    def prepare(
        self,
        meta: ReportMeta,
        communes: CommunesFile,
        digests: dict[str, str],
        views: list[FicheView],
    ) -> None:
        """Keys of this build: what every page and fragment shows besides its fiche (the
        report's settings, the year, the communes), and each fiche view's own key (its
        file and its neighbours' files, which its page links to)."""
        self.context_key = digest(
            self.salt, meta.model_dump_json(), str(self.year), communes.model_dump_json()
        )
        for view in views:
            neighbours = (view.previous, view.following)
            self.view_keys[view.id] = digest(
                digests[view.id], *(digests[v.id] if v else "" for v in neighbours)
            )

    def fragment(self, key: str, render: Callable[[], str]) -> str:
        """The fragment of ``key``, from the previous build or rendered now."""
        text = self.fragments.get(key)
        if text is None:
            stored = self._fragments.get(key)
            if stored is not None:
                text = self._blob[stored[0] : stored[0] + stored[1]].decode("utf-8")
            else:
                text = render()
            self.fragments[key] = text
        return text

    def page(self, target: Path, name: str, view: FicheView) -> bool:
        """Record the page of ``view``; True if the previous output's file can be kept."""
        key = digest(self.context_key, "page", self.view_keys[view.id])
        self.pages[name] = key
        old = self._outputs.get(name)
        if old is None or old[0] != key:
            return False
        try:
            info = (target / name).stat()
        except OSError:
            return False
        if (info.st_size, info.st_mtime_ns) != old[1:]:
            return False  # changed by hand since: written again
        self.reused.add(name)
        return True

    def save(self, target: Path, digests: Iterable[str]) -> None:
        """Leave what this build knows for the next one: the fiches still in the data, the
        fragments it showed and its pages as written in ``target``. Files grow by
        appending what is new; they are written again, compact, once mostly stale."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with gc_paused():
            self._save_fiches(set(digests))
            blob_name, index = self._save_fragments()
            outputs: dict[str, tuple[str, int, int]] = {}
            for name, key in self.pages.items():
                try:
                    info = (target / name).stat()
                except OSError:
                    continue
                outputs[name] = (key, info.st_size, info.st_mtime_ns)
            header = {"blob": blob_name, "fragments": index, "outputs": outputs}
            self._replace(f"{self.year}.json", self._header_line(header))
        for old in self.folder.glob(f"{self.year}-*.fragments"):
            if old.name != blob_name:
                old.unlink(missing_ok=True)

    def _save_fiches(self, live: set[str]) -> None:
        def lines(keys: Iterable[str]) -> bytes:
            return b"".join(
                key.encode() + b" " + self.fiches[key].model_dump_json().encode() + b"\n"
                for key in sorted(keys)
            )

        stale = self._stored_fiches - live
        if not self._stored_fiches or len(stale) > len(live):
            self._replace(FICHES, self._header_line({}) + lines(live))
        elif live - self._stored_fiches:
            with open(self.folder / FICHES, "ab") as file:
                file.write(lines(live - self._stored_fiches))

    def _save_fragments(self) -> tuple[str, dict[str, tuple[int, int]]]:
        """Append the new fragments to the ``.fragments`` file (a build stopped halfway
        leaves the index of the previous one, still right), or write a compact one."""
        old = self._fragments
        kept = {key: old[key] for key in self.fragments if key in old}
        new = [key for key in self.fragments if key not in old]
        size = len(self._blob)
        live = sum(length for _start, length in kept.values())
        if isinstance(self._blob, mmap.mmap):
            self._blob.close()
        if self._blob_name and size <= 2 * live + (1 << 20):
            index = dict(kept)
            with open(self.folder / self._blob_name, "ab") as file:
                for key in new:
                    data = self.fragments[key].encode("utf-8")
                    index[key] = (file.tell(), len(data))
                    file.write(data)
            return self._blob_name, index
        blob = bytearray()
        index = {}
        for key, text in self.fragments.items():
            data = text.encode("utf-8")
            index[key] = (len(blob), len(data))
            blob += data
        name = f"{self.year}-{os.urandom(8).hex()}.fragments"
        self._replace(name, bytes(blob))
        return name, index

    def _header_line(self, content: dict[str, Any]) -> bytes:
        return json.dumps({"salt": self.salt, **content}, separators=(",", ":")).encode() + b"\n"

    def _replace(self, name: str, content: bytes) -> None:
        """Replace one cache file at once (a build stopped halfway leaves the old one)."""
        partial = self.folder / f".{name}.tmp"
        partial.write_bytes(content)
        os.replace(partial, self.folder / name)


class FragmentCache(Extension):
    """``{% cache vue, … %}…{% endcache %}``: the body is rendered once per key and then
    taken from the build cache. The key is the values listed (a fiche view stands for its
    key, :meth:`BuildCache.prepare`), the place of the tag, and what every fragment may
    show (the code, the templates, the year, the report's settings, the communes): the
    body must show nothing else (not the consolidated figures, for instance). Without a
    cache (``environment.fragment_cache`` None, as for the PDF) the body is just rendered.
    """

    tags = {"cache"}  # noqa: RUF012 - the name Jinja looks for

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        environment.extend(fragment_cache=None)

    def parse(self, parser: Parser) -> nodes.Node:
        lineno = next(parser.stream).lineno
        values = [parser.parse_expression()]
        while parser.stream.skip_if("comma"):
            values.append(parser.parse_expression())
        body = parser.parse_statements(("name:endcache",), drop_needle=True)
        place = nodes.Const(f"{parser.name}:{lineno}")
        call = self.call_method(
            "_render", [nodes.DerivedContextReference(), place, nodes.List(values)]
        )
        return nodes.CallBlock(call, [], [], body).set_lineno(lineno)

    def _render(
        self, context: Context, place: str, values: list[Any], caller: Callable[[], str]
    ) -> str:
        cache: BuildCache | None = self.environment.fragment_cache  # type: ignore[attr-defined]
        if cache is None:
            return caller()
        key = digest(cache.context_key, place, *(_value_key(cache, v) for v in values))
        text = cache.fragment(key, caller)
        return Markup(text) if context.eval_ctx.autoescape else text


def _value_key(cache: BuildCache, value: Any) -> str:
    if isinstance(value, FicheView):
        return "vue:" + cache.view_keys[value.id]
    if value is None or isinstance(value, str | int | float | bool):
        return f"{type(value).__name__}:{value!r}"
    raise TemplateRuntimeError(
        f"{{% cache %}} : une valeur de type {type(value).__name__} ne peut pas servir de clé "
        "(une vue de fiche, un texte, un nombre, un booléen ou none)"
    )
