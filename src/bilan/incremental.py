"""Incremental builds: what a build computed, reused by the next one where the inputs are
the same. The only module that knows about the cache; nothing below the build imports it.

It plugs into three plain interfaces of the layers below, each a pure function that it
memoises by what determines the result:

- :class:`bilan.dataset.FicheParser` (bytes → fiche): a fiche whose bytes validated before
  is not parsed again; its model is read from the cache only if something asks for more
  than its id and actions (:class:`CachedFiche`);
- :data:`bilan.validate.FicheChecker` (a fiche and its context → findings): keyed by the
  fiche's file and what its rules see (the communes, the report years);
- :class:`bilan.render.UnitRenderer` (unit → text): keyed by the unit's template and its
  inputs, nothing else (:mod:`bilan.units`); and an output file whose key did not change,
  and that nobody changed since, is kept from the previous edition. The templates
  themselves, once compiled, are kept for the later builds of the same process
  (:class:`CompiledTemplates`, in memory: ``bilan serve`` builds again and again).

Every key depends on :func:`code_salt` (bilan's code, the templates, the rendering
libraries): after an upgrade or a template change nothing is reused. Entries are JSON or
text with a checksum, read back through the models: a damaged or forged cache cannot run
code, and a damaged entry is computed again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import mmap
import os
import re
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from functools import lru_cache, partial
from importlib import metadata
from pathlib import Path
from typing import Any

from jinja2 import BytecodeCache
from jinja2.bccache import Bucket
from pydantic import BaseModel, TypeAdapter

import bilan
from bilan.config import CONFIG_FILE
from bilan.dataset import Kind, LoadedFiche, Parsed, parse_files
from bilan.diagnostics import Diagnostic, Severity
from bilan.document import Document
from bilan.files import SourceFile
from bilan.keys import digest
from bilan.modelerrors import check_model
from bilan.models import Action, Fiche, Report
from bilan.render import UnitRenderer
from bilan.rules import BilanEntry, RuleContext
from bilan.sourcetext import decode
from bilan.units import Identified, Output, Page, Static, Unit
from bilan.validate import BilanChecker, BilanFindings, check_bilan
from bilan.vocabulary import Vocabulary
from bilan.writer import CACHE_DIR as CACHE_DIR  # where the cache lives: the writer owns it
from bilan.yamlio import load_bytes

INDEX = "index.json"
RENDERING_LIBRARIES = ("jinja2", "markupsafe", "markdown-it-py", "babel", "pydantic", "pyyaml")
KEEP_BUILDS = 8
"""Entries unused by this many builds are dropped when the cache is compacted (builds of
other years share the cache: their pages stay)."""
_SUMMARY = TypeAdapter(tuple[str, tuple[Action, ...], int | None, int | None])
"""A fiche's id, actions and years (entry, exit): what the data set rules read of it."""
_BLOB = re.compile(r"[0-9a-f]{16}\.blob")
"""The name of a blob file (:meth:`Store.save`)."""


def code_salt(template_dirs: Sequence[Path], data_dir: Path | None = None) -> str:
    """Hash of everything besides the fiches that makes the output: bilan's code and
    defaults, the templates (user's and project's), the project's configuration (its
    vocabulary is in every page) and the versions of the libraries that render."""
    hashed = hashlib.blake2b(digest_size=16)
    package = Path(bilan.__file__).parent
    sources = [
        (f"bilan/{p.relative_to(package).as_posix()}", p)
        for p in sorted(package.rglob("*"))
        if p.is_file() and "__pycache__" not in p.parts
    ]
    if data_dir is not None and (data_dir / CONFIG_FILE).is_file():
        sources.append((CONFIG_FILE, data_dir / CONFIG_FILE))
    for index, folder in enumerate(template_dirs):  # by place, not path: a moved copy agrees
        files = sorted(p for p in folder.rglob("*") if p.is_file())
        sources += [(f"{index}/{p.relative_to(folder).as_posix()}", p) for p in files]
    for name, path in sources:
        hashed.update(name.encode() + b"\x00" + path.read_bytes() + b"\x00")
    hashed.update(_library_versions().encode())
    return hashed.hexdigest()


@lru_cache(maxsize=1)
def _library_versions() -> str:
    """The rendering libraries' versions and Python's: those this process runs, which do
    not change while it runs (a third of :func:`code_salt`'s time, read once)."""
    versions = []
    for library in RENDERING_LIBRARIES:
        try:
            versions.append(f"{library}={metadata.version(library)}\x00")
        except metadata.PackageNotFoundError:  # pragma: no cover - a broken install
            versions.append(f"{library}=?\x00")
    return "".join(versions) + sys.version


class Store:
    """Keys → bytes, kept in one file (``<random>.blob``, appended to) and its index
    (``index.json``: the salt, each entry's place, checksum and last use, and the outputs
    of each edition). Written only by :meth:`save`, each file replaced at once: a build
    stopped halfway leaves the previous cache, still right."""

    def __init__(self, folder: Path, salt: str) -> None:
        self.folder = folder
        self.salt = salt
        self.generation = 0
        self._entries: dict[str, tuple[int, int, int, int]] = {}
        """Key → offset, length, CRC-32, generation of last use (previous builds)."""
        self._blob: bytes | mmap.mmap = b""
        self._blob_name = ""
        self.outputs: dict[str, dict[str, tuple[str, int, int]]] = {}
        """Edition folder name → output path → key, size, modification time."""
        self._new: dict[str, bytes] = {}
        self._used: set[str] = set()
        self._read()

    def _read(self) -> None:
        try:
            index = json.loads((self.folder / INDEX).read_bytes())
            if not isinstance(index, dict) or index.get("salt") != self.salt:
                return
            blob_name = str(index["blob"])
            if Path(blob_name).name != blob_name or not blob_name.endswith(".blob"):
                return
            entries = {
                str(k): (int(v[0]), int(v[1]), int(v[2]), int(v[3]))
                for k, v in index["entries"].items()
            }
            outputs = {
                str(edition): {str(p): (str(v[0]), int(v[1]), int(v[2])) for p, v in paths.items()}
                for edition, paths in index["outputs"].items()
            }
            generation = int(index["generation"])
            with open(self.folder / blob_name, "rb") as file:
                blob = mmap.mmap(file.fileno(), 0, access=mmap.ACCESS_READ) if entries else b""
        except (OSError, ValueError, KeyError, TypeError, IndexError, AttributeError):
            return
        self._entries, self.outputs, self.generation = entries, outputs, generation
        self._blob, self._blob_name = blob, blob_name

    def __contains__(self, key: str) -> bool:
        return key in self._new or key in self._entries

    def get(self, key: str) -> bytes | None:
        """The bytes of ``key``, or None if unknown or damaged; marks it used."""
        value = self._new.get(key)
        if value is not None:
            return value
        entry = self._entries.get(key)
        if entry is None:
            return None
        start, length, checksum, _generation = entry
        value = bytes(self._blob[start : start + length])
        if len(value) != length or zlib.crc32(value) != checksum:
            return None
        self._used.add(key)
        return value

    def put(self, key: str, value: bytes) -> None:
        self._new[key] = value
        self._used.add(key)

    def save(self) -> None:
        """Write what this build added, and the index; compact the file when most of it is
        entries no build has used for :data:`KEEP_BUILDS` builds."""
        self.folder.mkdir(parents=True, exist_ok=True)
        generation = self.generation + 1
        old = self._entries
        kept = {
            key: (start, length, checksum, generation if key in self._used else last)
            for key, (start, length, checksum, last) in old.items()
            if key not in self._new
        }
        stale = {k for k, v in kept.items() if v[3] <= generation - KEEP_BUILDS}
        dead = sum(kept[k][1] for k in stale) + max(
            0, len(self._blob) - sum(v[1] for v in old.values())
        )
        try:
            if self._blob_name and dead <= len(self._blob) // 2:
                name, entries = self._blob_name, kept
                with open(self.folder / name, "ab") as file:
                    offset = file.seek(0, os.SEEK_END)
                    for key, value in self._new.items():
                        entries[key] = (offset, len(value), zlib.crc32(value), generation)
                        offset += len(value)
                        file.write(value)
            else:
                name, entries = f"{os.urandom(8).hex()}.blob", {}
                chunks: list[bytes] = []
                offset = 0
                for key, (start, length, checksum, last) in kept.items():
                    if key in stale:
                        continue
                    chunks.append(bytes(self._blob[start : start + length]))
                    entries[key] = (offset, length, checksum, last)
                    offset += length
                for key, value in self._new.items():
                    chunks.append(value)
                    entries[key] = (offset, len(value), zlib.crc32(value), generation)
                    offset += len(value)
                _replace(self.folder / name, b"".join(chunks))
            index = {
                "salt": self.salt,
                "generation": generation,
                "blob": name,
                "entries": entries,
                "outputs": self.outputs,
            }
            _replace(self.folder / INDEX, json.dumps(index, separators=(",", ":")).encode())
        finally:
            if isinstance(self._blob, mmap.mmap):
                self._blob.close()
        for path in self.folder.glob("*.blob"):
            if path.name != name and _BLOB.fullmatch(path.name):  # never another's file
                path.unlink(missing_ok=True)


def _replace(path: Path, content: bytes) -> None:
    """Replace one file at once."""
    partial_file = path.with_name(f".{path.name}.tmp")
    partial_file.write_bytes(content)
    os.replace(partial_file, path)


class _CachedFile:
    """A file whose bytes validated in an earlier build: its model is read from the cache,
    and its document (for positions) from its bytes, only when something asks."""

    def __init__(self, file: SourceFile, stored: bytes) -> None:
        self.stem, self.shown, self.digest = file.stem, file.shown, file.digest
        self._raw = file.raw
        self._stored = stored
        self._doc: Document | None = None

    def _model(self, model: type[Any], stored: bytes) -> Any:
        try:
            return model.model_validate_json(stored)
        except ValueError:  # a damaged or outdated entry: the file says
            doc, _found = load_bytes(self._raw, self.shown)
            valid = None if doc is None else check_model(doc, model)[0]
            assert valid is not None, "these bytes were valid when the cache kept them"
            return valid

    @property
    def doc(self) -> Document:
        if self._doc is None:
            text, _found = decode(self._raw, self.shown)  # decoded without error before
            assert text is not None
            self._doc = Document.unread(self.shown, text)
        return self._doc


class CachedFiche(_CachedFile):
    """A fiche (see :class:`FicheSource`) whose id, actions and years come from the cache's
    summary, its model only when asked."""

    def __init__(self, file: SourceFile, stored: bytes) -> None:
        summary, _tab, model = stored.partition(b"\t")
        super().__init__(file, model)
        self._summary_json = summary
        self._summary: tuple[str, tuple[Action, ...], int | None, int | None] | None = None
        self._fiche: Fiche | None = None

    @property
    def id(self) -> str:
        return self._summarised()[0]

    @property
    def actions(self) -> Sequence[Action]:
        return self._summarised()[1]

    def in_schema(self, year: int) -> bool:
        _id, _actions, entree, sortie = self._summarised()
        return (entree is None or entree <= year) and (sortie is None or year <= sortie)

    def _summarised(self) -> tuple[str, tuple[Action, ...], int | None, int | None]:
        if self._summary is None:
            try:
                self._summary = _SUMMARY.validate_json(self._summary_json)
            except ValueError:  # a damaged entry: the fiche's own file says
                self._summary = _summary(self.fiche)
        return self._summary

    @property
    def fiche(self) -> Fiche:
        if self._fiche is None:
            self._fiche = self._model(Fiche, self._stored)
        return self._fiche


class CachedReport(_CachedFile):
    """A bilan (see :class:`ReportSource`) read from the cache when asked."""

    def __init__(self, file: SourceFile, stored: bytes) -> None:
        super().__init__(file, stored)
        self._report: Report | None = None

    @property
    def report(self) -> Report:
        if self._report is None:
            self._report = self._model(Report, self._stored)
        return self._report


def _summary(fiche: Fiche) -> tuple[str, tuple[Action, ...], int | None, int | None]:
    return (
        fiche.id,
        tuple(fiche.actions),
        fiche.entree,
        fiche.sortie.annee if fiche.sortie else None,
    )


def _entry(item: Any) -> bytes:
    """What the cache keeps of a valid file (a source parsed by
    :func:`bilan.dataset.parse_files`): its model as JSON, a fiche's after its summary."""
    if isinstance(item, LoadedFiche):
        summary = _SUMMARY.dump_json(_summary(item.fiche))
        return summary + b"\t" + item.fiche.model_dump_json().encode()
    report: Report = item.report
    return report.model_dump_json().encode()


def _findings_entry(found: BilanFindings) -> bytes:
    diagnostics = [dataclasses.astuple(d) for d in found.diagnostics]
    return json.dumps([diagnostics, found.lines], ensure_ascii=False).encode()


def _findings(value: bytes) -> BilanFindings | None:
    try:
        diagnostics, lines = json.loads(value)
        return BilanFindings(
            [
                Diagnostic(p, li, c, code, Severity(s), m, h)
                for p, li, c, code, s, m, h in diagnostics
            ],
            list(lines),
        )
    except (ValueError, TypeError, AttributeError):
        return None


def callable_name(function: Callable[..., Any]) -> str:
    """A stable name for a function (or a partial application of one), for keys."""
    if isinstance(function, partial):
        bound = json.dumps([function.args, function.keywords], sort_keys=True, default=str)
        return f"{callable_name(function.func)}{bound}"
    return f"{function.__module__}.{function.__qualname__}"


class BuildCache:
    """What earlier builds left in ``OUT/.bilan-cache/``, and what this build leaves."""

    def __init__(self, folder: Path, salt: str) -> None:
        self.store = Store(folder, salt)
        self.salt = salt
        self._context_keys: dict[int, tuple[RuleContext, str]] = {}
        self._written: dict[str, str] = {}
        """Output path → key, for every output of this build."""
        self._kept: dict[str, tuple[str, int, int]] = {}
        """The outputs kept from the previous edition, as the index recorded them."""
        self._renderer: CachedRenderer | None = None

    # bilan.dataset.FicheParser

    def parse(
        self,
        files: Sequence[SourceFile],
        model: Kind,
        context: Mapping[str, Any],
        jobs: int | None = None,
    ) -> Iterator[Parsed]:
        """Files already known by their bytes come from the cache; the others are parsed
        (and kept for the next build)."""
        prefix = "f" if model is Fiche else "b"
        stored = [self.store.get(f"{prefix}:{file.digest}") for file in files]
        unknown = [file for file, entry in zip(files, stored, strict=True) if entry is None]
        parsed = iter(parse_files(unknown, model, context, jobs))
        cached = CachedFiche if model is Fiche else CachedReport
        for file, entry in zip(files, stored, strict=True):
            if entry is not None:
                yield cached(file, entry), []
                continue
            item, found = next(parsed)
            if item is not None:
                self.store.put(f"{prefix}:{file.digest}", _entry(item))
            yield item, found

    # bilan.validate.BilanChecker

    def checker(self, check: BilanChecker = check_bilan) -> BilanChecker:
        """``check``, remembered by the files of the entry and what its rules see."""

        def remembered(entry: BilanEntry, context: RuleContext) -> BilanFindings:
            fiche, bilan, previous = entry.fiche, entry.bilan, entry.previous
            key = "r:" + digest(
                fiche.digest,
                fiche.shown,
                fiche.stem,
                bilan.digest,
                bilan.shown,
                previous.digest if previous else "",
                repr(entry.window),
                self._context_key(context),
            )
            stored = self.store.get(key)
            found = None if stored is None else _findings(stored)
            if found is None:
                found = check(entry, context)
                self.store.put(key, _findings_entry(found))
            return found

        return remembered

    def _context_key(self, context: RuleContext) -> str:
        known = self._context_keys.get(id(context))
        if known is None or known[0] is not context:
            communes = "" if context.communes is None else context.communes.model_dump_json()
            severities = repr(sorted(context.severities.items()))
            known = (context, digest(communes, severities))
            self._context_keys[id(context)] = known
        return known[1]

    # bilan.render.UnitRenderer

    def renderer(self, dirs: Sequence[Path], vocabulary: Vocabulary) -> CachedRenderer:
        self._renderer = CachedRenderer(dirs, vocabulary, self)
        return self._renderer

    # Outputs kept from the previous edition

    def kept(self, target: Path, outputs: Iterable[Output]) -> set[str]:
        """The outputs whose key is the one the previous build wrote them with, and whose
        file nobody changed since: they are kept as they are. Records every output's key.
        Keys come from :meth:`renderer`'s, which must be the renderer of this build."""
        renderer = self._renderer
        assert renderer is not None, "renderer() first"
        previous = self.store.outputs.get(target.name, {})
        kept = set()
        for output in outputs:
            key = renderer.output_key(output)
            self._written[output.path] = key
            old = previous.get(output.path)
            if old is None or old[0] != key:
                continue
            try:
                info = os.stat(target / output.path)
            except OSError:
                continue
            if (info.st_size, info.st_mtime_ns) == old[1:]:
                kept.add(output.path)
        self._kept = {path: previous[path] for path in kept}
        return kept

    def save(self, target: Path) -> None:
        """Leave this build's entries and the outputs of ``target`` as written."""
        outputs: dict[str, tuple[str, int, int]] = {}
        for path, key in self._written.items():
            if path in self._kept:
                outputs[path] = self._kept[path]
                continue
            try:
                info = os.stat(target / path)
            except OSError:
                continue
            outputs[path] = (key, info.st_size, info.st_mtime_ns)
        self.store.outputs[target.name] = outputs
        self.store.save()


class CompiledTemplates(BytecodeCache):
    """The code of the templates that this process compiled, by template file: Jinja uses
    it again while the template's source has the same checksum, else compiles it afresh.
    Compiling is most of a rebuild of the repository's data after one edit (0.15 of
    0.25 s). In memory only: compiled code is never read from the cache folder, which
    must not be able to run code."""

    def __init__(self) -> None:
        self._code: dict[str, tuple[str, Any]] = {}

    def load_bytecode(self, bucket: Bucket) -> None:
        known = self._code.get(bucket.key)
        if known is not None and known[0] == bucket.checksum:
            bucket.code = known[1]

    def dump_bytecode(self, bucket: Bucket) -> None:
        self._code[bucket.key] = (bucket.checksum, bucket.code)


COMPILED = (CompiledTemplates(), CompiledTemplates())
"""The process's compiled templates, of the HTML and of the text environment (escaping
changes the code)."""


class CachedRenderer(UnitRenderer):
    """A renderer that renders a unit only when no earlier build rendered the same one."""

    def __init__(self, dirs: Sequence[Path], vocabulary: Vocabulary, cache: BuildCache) -> None:
        super().__init__(dirs, vocabulary, COMPILED)
        self._store = cache.store
        # the templates see the vocabulary (a published edition keeps its own)
        self._salt = digest(cache.salt, vocabulary.model_dump_json())
        self._keys: dict[int, tuple[object, str]] = {}

    def render(self, unit: Unit) -> str:
        key = f"u:{self.key(unit)}"
        stored = self._store.get(key)
        if stored is not None:
            return stored.decode("utf-8")
        text = super().render(unit)
        self._store.put(key, text.encode("utf-8"))
        return text

    def key(self, unit: Unit) -> str:
        """The unit's template (or function) and inputs, hashed; once per unit and build."""
        known = self._keys.get(id(unit))
        if known is not None and known[0] is unit:
            return known[1]
        parts = [self._salt, unit.name]
        for name in sorted(unit.inputs):
            parts += [name, self._canonical(unit.inputs[name])]
        key = digest(*parts)
        self._keys[id(unit)] = (unit, key)
        return key

    def output_key(self, output: Output) -> str:
        if isinstance(output, Static):
            return digest(
                self._salt,
                "static",
                output.path,
                hashlib.blake2b(self.static(output.source)).hexdigest(),
            )
        assert isinstance(output, Page)
        return digest(self.key(output.unit), callable_name(output.convert), output.path)

    def _canonical(self, value: Any) -> str:
        """An input as text that changes whenever what a template can reach through it
        changes; large containers once per build."""
        if isinstance(value, str | int | float | bool) or value is None:
            return json.dumps(value)
        known = self._keys.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        text = json.dumps(value, sort_keys=True, ensure_ascii=False, default=self._plain)
        self._keys[id(value)] = (value, text)
        return text

    def _plain(self, value: Any) -> Any:
        """What json.dumps cannot write itself, as JSON that stands for it."""
        if isinstance(value, Unit):
            return {"unit": self.key(value)}
        if isinstance(value, Identified):
            return {"identity": value.identity()}
        if isinstance(value, BaseModel):
            return {type(value).__name__: value.model_dump(mode="json")}
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            fields = {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
            return {type(value).__qualname__: fields}
        if isinstance(value, set | frozenset):
            return sorted(value)
        raise TypeError(f"input of type {type(value).__name__} cannot be keyed")
