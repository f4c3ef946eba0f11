"""Incremental builds: what the previous build computed, reused where its inputs are the same.

``OUT/.bilan-cache/`` keeps, from one build to the next:

- the validated fiches, by the hash of their file's bytes, each with a summary (its id and
  actions): a fiche whose file did not change is neither parsed nor validated again, and
  read from the cache only if something asks for more than its summary (``fiches.jsonl``);
- what was found in each fiche for the year (the fiche rules' diagnostics, its lines in
  the figures), by the key :mod:`bilan.validate` gives it (``<année>.findings.json``): the
  checks and figures of ten thousand fiches only look again at the one that changed;
- rendered fragments (a fiche's section of index.html and of the Markdown report, the
  tables of the figures and their rows), by the hash of what they show (``<année>.json``
  and the ``.fragments`` file it names): the two big files are put together again from
  them, as bytes, rendering only what changed;
- the key, size and time of every fiche page and data file written: an output whose key
  did not change, and whose file is still the one written, is linked from the previous
  output (the data files are keyed by the figures they hold).

Every key starts with :func:`code_salt`, the hash of bilan's code, of the templates and
of the rendering libraries' versions: after an upgrade or a template change nothing is
reused. The cache is JSON read back through the models, so a damaged or forged cache cannot
run code; a part that does not load is ignored (that part is then built again; a fiche
whose cached copy is damaged is read from its file). The output is byte for byte that of
a full build (tests/test_performance.py).
"""

from __future__ import annotations

import hashlib
import json
import mmap
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import astuple
from functools import partial
from importlib import metadata
from itertools import accumulate
from pathlib import Path
from typing import Any

from jinja2 import TemplateRuntimeError, nodes
from jinja2.ext import Extension
from jinja2.parser import Parser
from jinja2.runtime import Context
from markupsafe import Markup
from pydantic import TypeAdapter

from bilan.diagnostics import Diagnostic, Severity
from bilan.figures import ActionLine
from bilan.keys import digest
from bilan.models import Action, CommunesFile, Fiche, ReportMeta
from bilan.validate import FicheFindings
from bilan.views import FicheView
from bilan.workers import gc_paused
from bilan.writer import CACHE_DIR

FICHES = "fiches.jsonl"
_SUMMARY = TypeAdapter(tuple[str, tuple[Action, ...]])
_FINDINGS = TypeAdapter(
    dict[
        str,
        tuple[
            list[tuple[str, int, int, str, Severity, str, str]],
            dict[int, list[ActionLine]],
            dict[int, str],
        ],
    ]
)
_BLOB = re.compile(r"[0-9]{4}-[0-9a-f]{16}\.fragments")
RENDERING_LIBRARIES = ("jinja2", "markupsafe", "markdown-it-py", "babel", "pydantic", "pyyaml")


def code_salt(template_dirs: Sequence[Path]) -> str:
    """Hash of everything besides the data that makes the output: bilan's code, the
    templates (user's and project's) and the versions of the libraries that render."""
    hashed = hashlib.blake2b(digest_size=16)
    package = Path(__file__).parent
    sources = [(f"bilan/{p.name}", p) for p in sorted(package.glob("*.py"))]
    for index, folder in enumerate(template_dirs):  # by place, not path: a moved copy agrees
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        sources += [(f"{index}/{p.relative_to(folder).as_posix()}", p) for p in files]
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
        self._fiches_file: bytes | mmap.mmap = b""
        self._stored = self._read_fiches()
        """File hash → place of « summary TAB fiche » in ``fiches.jsonl``."""
        self._added: dict[str, Fiche] = {}
        self._found = self._read_findings()
        self._found_now: dict[str, FicheFindings] = {}
        self._fragments: dict[str, tuple[int, int]] = {}
        self._held: dict[str, list[str]] = {}
        """Fragment → the fragments it holds (a loop's items in a table), previous build."""
        self._blob: bytes | mmap.mmap = b""
        self._blob_name = ""
        self._outputs: dict[str, tuple[str, int, int]] = {}
        self._read_year()
        self._data_keys: dict[int, tuple[object, str]] = {}
        self._lines: dict[int, tuple[object, str, int]] = {}
        self.context_key = ""
        self.view_keys: dict[str, str] = {}
        self.fragments: dict[str, str | None] = {}
        """Fragments of this build (the next build's cache): rendered now, or None for one
        taken from the previous build's file."""
        self._token = os.urandom(8).hex()
        self._marks = re.compile(f"\x00{self._token}:([0-9]+)\x00".encode())
        self._pieces: list[list[bytes]] = []
        self.held: dict[str, list[str]] = {}
        """Fragment → the fragments it holds, this build: kept with it, so that the items
        of a table whose whole was reused are still there when one of them changes."""
        self._rendering: list[list[str]] = []
        self.joins: list[int] = []
        self.outputs: dict[str, str] = {}
        """Output name → key, for every page and data file of this build."""
        self.reused: set[str] = set()
        """Outputs kept from the previous build."""

    def _header(self, line: bytes) -> dict[str, Any] | None:
        """The JSON header line of a cache file, if it was written by this code."""
        try:
            header = json.loads(line)
        except ValueError:
            return None
        if not isinstance(header, dict) or header.get("salt") != self.salt:
            return None
        return header

    def _read_fiches(self) -> dict[str, tuple[int, int]]:
        """``fiches.jsonl``: a header, then one line per fiche, « hash TAB summary TAB
        fiche » (JSON never holds a raw tab). Only the places of the lines are read here
        (the file is mapped, not loaded): see :meth:`summary` and :meth:`fiche`."""
        try:
            with open(self.folder / FICHES, "rb") as file:
                header = file.readline()
                if self._header(header) is None:
                    return {}
                self._fiches_file = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError):
            return {}
        lines, found = self._fiches_file, {}
        start, size = len(header), len(self._fiches_file)
        while start < size:
            end = lines.find(b"\n", start)
            end = size if end < 0 else end
            if lines[start + 32 : start + 33] == b"\t":
                found[lines[start : start + 32].decode("latin-1")] = (start + 33, end)
            start = end + 1
        return found

    def _stored_line(self, digest: str) -> bytes:
        """« summary TAB fiche » of a fiche in ``fiches.jsonl``."""
        start, end = self._stored[digest]
        return self._fiches_file[start:end]

    # What bilan.dataset asks of a fiche store (bilan.dataset.FicheStore).

    def known(self) -> frozenset[str]:
        return frozenset(self._stored)

    def summary(self, digest: str) -> tuple[str, tuple[Action, ...]]:
        """Raises ValueError if the cached copy is damaged (the fiche is then read again)."""
        return _SUMMARY.validate_json(self._stored_line(digest).partition(b"\t")[0])

    def fiche(self, digest: str) -> Fiche:
        """Raises ValueError if the cached copy is damaged (the fiche is then read again)."""
        return Fiche.model_validate_json(self._stored_line(digest).partition(b"\t")[2])

    def add(self, digest: str, fiche: Fiche) -> None:
        self._added[digest] = fiche

    # What bilan.validate asks of the cache (bilan.validate.ValidationCache).

    def findings(self, key: str) -> FicheFindings | None:
        found = self._found.get(key)
        if found is not None:
            self.add_findings(key, found)
        return found

    def add_findings(self, key: str, found: FicheFindings) -> None:
        self._found_now[key] = found
        for year, lines in found.lines.items():  # the rows of the figures' tables
            for index, line in enumerate(lines):
                self._lines[id(line)] = (line, found.lines_keys[year], index)

    def _read_findings(self) -> dict[str, FicheFindings]:
        """``<année>.findings.json``: a header, then one JSON object, key → findings."""
        try:
            with open(self.folder / f"{self.year}.findings.json", "rb") as file:
                if self._header(file.readline()) is None:
                    return {}
                stored = _FINDINGS.validate_json(file.read())
        except (OSError, ValueError):
            return {}
        return {
            key: FicheFindings([Diagnostic(*d) for d in diagnostics], lines, lines_keys)
            for key, (diagnostics, lines, lines_keys) in stored.items()
        }

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
        children = header.get("children")
        if not _BLOB.fullmatch(blob_name) or not isinstance(fragments, dict):
            return
        try:
            self._fragments = {str(k): (int(v[0]), int(v[1])) for k, v in fragments.items()}
            held = children if isinstance(children, dict) else {}
            self._held = {k: v for k, v in held.items() if isinstance(v, list)}
            self._outputs = {
                str(k): (str(v[0]), int(v[1]), int(v[2]))
                for k, v in (outputs if isinstance(outputs, dict) else {}).items()
            }
            with open(self.folder / blob_name, "rb") as file:
                self._blob = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, TypeError, ValueError, IndexError):
            self._fragments, self._outputs, self._held = {}, {}, {}
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
        return self.fragment_bytes(key, render).decode("utf-8")

    def fragment_bytes(self, key: str, render: Callable[[], str]) -> bytes:
        """The fragment of ``key`` as UTF-8: a fragment of the previous build is never
        decoded (ten thousand of them make a hundred megabytes)."""
        if self._rendering:
            self._rendering[-1].append(key)
        stored = self._fragments.get(key)
        text = self.fragments.get(key)
        if text is None and stored is not None:
            self._keep(key)
            return self._blob[stored[0] : stored[0] + stored[1]]
        if text is None:
            self._rendering.append([])
            try:
                text = render()
            finally:
                held = self._rendering.pop()
            self.fragments[key] = text
            if held:
                self.held[key] = held
        return text.encode("utf-8")

    def _keep(self, key: str) -> None:
        """Keep a fragment of the previous build, and the fragments it holds."""
        pending = [key]
        while pending:
            name = pending.pop()
            if name in self.fragments or name not in self._fragments:
                continue
            self.fragments[name] = None
            if name in self._held:
                self.held[name] = self._held[name]
                pending += self._held[name]

    def spliced(self, pieces: list[bytes]) -> str:
        """A mark that :meth:`splice` replaces with ``pieces``, joined: the fragments of a
        ``{% cache for %}`` loop go into the page as bytes, never through Jinja."""
        self._pieces.append(pieces)
        return f"\x00{self._token}:{len(self._pieces) - 1}\x00"

    def splice(self, text: str) -> bytes:
        """``text`` (a rendered output) as UTF-8, its marks replaced by their fragments.
        Where its parts meet is kept in :attr:`joins` (see :meth:`met_at_joins`)."""
        parts = self._marks.split(text.encode("utf-8"))
        out: list[bytes] = []
        for index, part in enumerate(parts):
            out.extend(self._pieces[int(part)] if index % 2 else (part,))
        self.joins = list(accumulate(len(part) for part in out[:-1]))
        return b"".join(out)

    def met_at_joins(self, data: bytes, pattern: bytes) -> bool:
        """Whether ``pattern`` appears in the spliced ``data`` across a join of its parts
        (three bytes on each side suffice for a pattern of at most three bytes)."""
        assert len(pattern) <= 3
        return any(pattern in data[max(0, at - 3) : at + 3] for at in self.joins)

    def page(self, target: Path, name: str, view: FicheView) -> bool:
        """Record the page of ``view``; True if the previous output's file can be kept."""
        return self.keep(target, (name,), digest("page", self.view_keys[view.id]))

    def know(self, value: object, key: str) -> None:
        """Give the content key of plain data, known without hashing it whole."""
        self._data_keys[id(value)] = (value, key)

    def data_key(self, value: object) -> str:
        """The key of plain data (dicts, lists, text, numbers), once per object and build;
        for a line of a fiche's actions, from the hash of its fiche's lines."""
        known = self._data_keys.get(id(value))
        if known is None or known[0] is not value:
            line = self._lines.get(id(value))
            if line is not None and line[0] is value:
                key = digest("ligne", line[1], str(line[2]))
            else:
                key = digest(json.dumps(value, ensure_ascii=False, sort_keys=True))
            known = (value, key)
            self._data_keys[id(value)] = known
        return known[1]

    def keep(self, target: Path, names: Sequence[str], key: str) -> bool:
        """Record outputs ``names`` under ``key`` (with the context's); True if the previous
        build wrote each of them with that key and none was changed since: they are then
        kept as they are, together (one changed file means all are written again)."""
        key = digest(self.context_key, key)
        for name in names:
            self.outputs[name] = key
        if not all(self._unchanged(target, name, key) for name in names):
            return False
        self.reused.update(names)  # linked: the same files, the same sizes and times
        return True

    def _unchanged(self, target: Path, name: str, key: str) -> bool:
        old = self._outputs.get(name)
        if old is None or old[0] != key:
            return False
        try:
            info = os.stat(f"{target}/{name}")
        except OSError:
            return False
        return (info.st_size, info.st_mtime_ns) == old[1:]  # else changed by hand since

    def save(self, target: Path, digests: Iterable[str]) -> None:
        """Leave what this build knows for the next one: the fiches still in the data, what
        was found in them, the fragments it showed and its outputs as written in
        ``target``. Files grow by appending what is new; they are written again, compact,
        once mostly stale."""
        self.folder.mkdir(parents=True, exist_ok=True)
        with gc_paused():
            self._save_fiches(set(digests))
            findings = {
                key: ([astuple(d) for d in found.diagnostics], found.lines, found.lines_keys)
                for key, found in self._found_now.items()
            }
            self._replace(
                f"{self.year}.findings.json",
                self._header_line({}) + _FINDINGS.dump_json(findings),
            )
            blob_name, index = self._save_fragments()
            outputs: dict[str, tuple[str, int, int]] = {}
            for name, key in self.outputs.items():
                if name in self.reused:
                    outputs[name] = self._outputs[name]
                    continue
                try:
                    info = os.stat(f"{target}/{name}")
                except OSError:
                    continue
                outputs[name] = (key, info.st_size, info.st_mtime_ns)
            held = {key: keys for key, keys in self.held.items() if key in index}
            header = {"blob": blob_name, "fragments": index, "children": held, "outputs": outputs}
            self._replace(f"{self.year}.json", self._header_line(header))
        for old in self.folder.glob(f"{self.year}-*.fragments"):
            if old.name != blob_name and _BLOB.fullmatch(old.name):  # never another's file
                old.unlink(missing_ok=True)

    def _save_fiches(self, live: set[str]) -> None:
        def line(key: str) -> bytes:
            if key in self._stored:
                rest = self._stored_line(key)
            else:
                added = self._added[key]
                summary = _SUMMARY.dump_json((added.id, tuple(added.actions)))
                rest = summary + b"\t" + added.model_dump_json().encode()
            return key.encode() + b"\t" + rest + b"\n"

        stale = set(self._stored) - live
        new = sorted(live - set(self._stored))
        try:
            if not self._stored or len(stale) > len(live):
                lines = b"".join(line(key) for key in sorted(live))
                self._replace(FICHES, self._header_line({}) + lines)
            elif new:
                with open(self.folder / FICHES, "ab") as file:
                    file.write(b"".join(line(key) for key in new))
        finally:
            if isinstance(self._fiches_file, mmap.mmap):
                self._fiches_file.close()

    def _save_fragments(self) -> tuple[str, dict[str, tuple[int, int]]]:
        """Append the new fragments to the ``.fragments`` file (a build stopped halfway
        leaves the index of the previous one, still right), or write a compact one."""
        old = self._fragments
        kept = {key: old[key] for key in self.fragments if key in old}
        new = [(key, text) for key, text in self.fragments.items() if text is not None]
        size = len(self._blob)
        live = sum(length for _start, length in kept.values())
        try:
            if self._blob_name and size <= 2 * live + (1 << 20):
                index = dict(kept)
                with open(self.folder / self._blob_name, "ab") as file:
                    for key, text in new:
                        data = text.encode("utf-8")
                        index[key] = (file.tell(), len(data))
                        file.write(data)
                return self._blob_name, index
            blob = bytearray()
            index = {}
            for key in self.fragments:
                data = self.fragment_bytes(key, str)
                index[key] = (len(blob), len(data))
                blob += data
            name = f"{self.year}-{os.urandom(8).hex()}.fragments"
            self._replace(name, bytes(blob))
            return name, index
        finally:
            if isinstance(self._blob, mmap.mmap):
                self._blob.close()

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
    key, :meth:`BuildCache.prepare`; plain data such as the figures for a hash of its
    JSON), the place of the tag, and what every fragment may show (the code, the
    templates, the year, the report's settings, the communes): the body must show nothing
    else (not the figures, unless they are listed). Without a cache
    (``environment.fragment_cache`` None, as for the PDF) the body is just rendered.

    ``{% cache for vue in fiches, … %}…{% endcache %}`` is a loop whose body is cached
    for each item, the item being the first value of its key: the same output as a
    ``{% for %}`` around a ``{% cache %}``, with the loop run in Python (ten thousand
    fiches cost ten thousand look-ups, not ten thousand template calls).
    """

    tags = {"cache"}  # noqa: RUF012 - the name Jinja looks for

    def __init__(self, environment: Any) -> None:
        super().__init__(environment)
        environment.extend(fragment_cache=None, fragment_normalize=None)

    def parse(self, parser: Parser) -> nodes.Node:
        lineno = next(parser.stream).lineno
        place = nodes.Const(f"{parser.name}:{lineno}")
        target: nodes.Name | None = None
        if parser.stream.skip_if("name:for"):
            target = parser.parse_assign_target(name_only=True)
            parser.stream.expect("name:in")
            items = parser.parse_expression()
        values: list[nodes.Expr] = [] if target else [parser.parse_expression()]
        while parser.stream.skip_if("comma"):
            values.append(parser.parse_expression())
        body = parser.parse_statements(("name:endcache",), drop_needle=True)
        context = nodes.DerivedContextReference()
        if target is None:
            call = self.call_method("_render", [context, place, nodes.List(values)])
            return nodes.CallBlock(call, [], [], body).set_lineno(lineno)
        call = self.call_method("_render_each", [context, place, items, nodes.List(values)])
        parameter = nodes.Name(target.name, "param")
        return nodes.CallBlock(call, [parameter], [], body).set_lineno(lineno)

    def _render(
        self, context: Context, place: str, values: list[Any], caller: Callable[[], str]
    ) -> str:
        cache: BuildCache | None = self.environment.fragment_cache  # type: ignore[attr-defined]
        if cache is None:
            return caller()
        key = digest(cache.context_key, place, *(_value_key(cache, v) for v in values))
        whole = partial(_whole, cache, self.environment, caller)
        return self._markup(context, cache.fragment(key, whole))

    def _render_each(
        self,
        context: Context,
        place: str,
        items: Iterable[Any],
        values: list[Any],
        caller: Callable[[Any], str],
    ) -> str:
        cache: BuildCache | None = self.environment.fragment_cache  # type: ignore[attr-defined]
        if cache is None:
            return self._markup(context, "".join(caller(item) for item in items))
        shared = [_value_key(cache, v) for v in values]
        pieces = [
            cache.fragment_bytes(
                digest(cache.context_key, place, _value_key(cache, item), *shared),
                partial(_whole, cache, self.environment, caller, item),
            )
            for item in items
        ]
        return self._markup(context, cache.spliced(pieces))

    @staticmethod
    def _markup(context: Context, text: str) -> str:
        return Markup(text) if context.eval_ctx.autoescape else text


def _whole(cache: BuildCache, environment: Any, caller: Callable[..., str], *args: Any) -> str:
    """What ``caller`` renders, with the marks of the loops it holds spliced in (a fragment
    is kept whole), normalised as the environment says (``fragment_normalize``)."""
    text = cache.splice(caller(*args)).decode("utf-8")
    normalize = environment.fragment_normalize
    return text if normalize is None else str(normalize(text))


def _value_key(cache: BuildCache, value: Any) -> str:
    if isinstance(value, FicheView):
        return "vue:" + cache.view_keys[value.id]
    if value is None or isinstance(value, str | int | float | bool):
        return f"{type(value).__name__}:{value!r}"
    if isinstance(value, dict | list):
        try:
            return "donnees:" + cache.data_key(value)
        except TypeError:
            pass  # not plain data: refused below
    raise TemplateRuntimeError(
        f"{{% cache %}} : une valeur de type {type(value).__name__} ne peut pas servir de clé "
        "(une vue de fiche, des données simples, un texte, un nombre, un booléen ou none)"
    )
