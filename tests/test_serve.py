"""`bilan serve`: the live preview.

Without a browser: which changes rebuild (editors' temporary, lock and backup files do not),
what a rebuild leaves (the version, the errors the page shows, the pages as built plus one
script), the outputs built on demand, and the command as a process (address, events, Ctrl-C).
In headless Chromium (skipped without it, fatal in CI): the page reloads by itself after a
fiche is saved, shows the errors in a dialog after a broken save, and comes back once fixed.
Nothing here measures time: every wait polls for a state, with a timeout.
"""

from __future__ import annotations

import gc
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from typer.testing import CliRunner
from watchfiles import Change

from bilan import workers
from bilan.build import BuildOptions, build
from bilan.cli import app
from bilan.preview import Preview, inject, on_demand_format
from bilan.serve import listen
from bilan.watching import SourceFilter, changed_files, changed_since
from tests.conftest import DATA, ROOT
from tests.test_accessibility import AXE, CHROMIUM_FLAGS, chromium_path, require

FICHE = "p11-salles-de-spectacle"
PUBLICATION = "publication.json"
PAGE = f"actions/{FICHE}.html"
WAIT_S = 30
"""The longest any state is waited for (a slow CI machine); never a measure."""


@pytest.fixture
def data(tmp_path: Path) -> Path:
    """A copy of the repository's data, to edit, as it was before the 2016 edition was
    published (a published edition refuses any change of its data: P001)."""
    copy = tmp_path / "data"
    shutil.copytree(DATA, copy, ignore=shutil.ignore_patterns(PUBLICATION))
    return copy


def fiche_path(data: Path) -> Path:
    """The fiche's 2016 bilan: what its team edits each year."""
    return data / "rapports" / "2016" / "bilans" / f"{FICHE}.yaml"


SHOWN = f"rapports/2016/bilans/{FICHE}.yaml"


def add_strong_point(data: Path, text: str) -> None:
    """Add an item to the 2016 « points_forts » of the fiche, as its team would."""
    path = fiche_path(data)
    before = path.read_text("utf-8")
    assert "\npoints_forts:\n" in before
    path.write_text(before.replace("\npoints_forts:\n", f"\npoints_forts:\n  - {text}\n", 1))


def break_state(data: Path) -> tuple[int, int]:
    """« etat: en cours » (a space for the hyphen): the line and column of the mistake."""
    path = fiche_path(data)
    lines = path.read_text("utf-8").split("\n")
    line = next(i for i, text in enumerate(lines) if text == "etat: en-cours")
    lines[line] = "etat: en cours"
    path.write_text("\n".join(lines), "utf-8")
    return line + 1, len("etat: ") + 1


def fix_state(data: Path) -> None:
    path = fiche_path(data)
    path.write_text(path.read_text("utf-8").replace("etat: en cours", "etat: en-cours"), "utf-8")


# --- Which changes rebuild --------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "4913",  # Vim checks it may write in the folder
        ".p11.yaml.swp",  # Vim's swap file
        ".p11.yaml.swx",
        "p11.yaml~",  # backup (Vim, Emacs, gedit)
        ".#p11.yaml",  # Emacs' lock (a dangling link)
        "#p11.yaml#",  # Emacs' auto-save
        ".p11.yaml.tmp",  # a temporary copy, renamed over the file once written
        "p11.yaml.tmp",
        "p11.yaml.___jb_tmp___",  # JetBrains' atomic save
        ".goutputstream-8XK2Q1",  # GNOME's atomic save
        "p11.yaml.kate-swp",
        ".DS_Store",
        "p11.yaml.bak",
        "~$fiche.docx",  # Word's lock, beside a document pasted from
    ],
)
def test_editor_files_do_not_rebuild(name: str) -> None:
    keep = SourceFilter()
    for change in (Change.added, Change.modified, Change.deleted):
        assert not keep(change, f"/projet/data/actions/{name}")
    assert not keep(Change.modified, f"/projet/data/.git/{name}")


@pytest.mark.parametrize(
    "path",
    [
        "data/actions/p11-salles-de-spectacle.yaml",
        "data/rapports/2016/bilans/p11-salles-de-spectacle.yaml",
        "data/bilan.yaml",
        "data/communes.yaml",
        "data/rapports/2016/01-edito.md",
        "data/rapports/2016/rapport.yaml",
        "templates/_fiche.html.j2",
        "templates/style.css",
        "data/actions/notes.txt",  # not a fiche: validation says so (F002), the page too
    ],
)
def test_sources_rebuild(path: str) -> None:
    keep = SourceFilter()
    assert keep(Change.modified, f"/projet/{path}")
    assert keep(Change.deleted, f"/projet/{path}")


def test_files_saved_before_the_watcher_started_are_found(tmp_path: Path) -> None:
    (tmp_path / "actions").mkdir()
    old = tmp_path / "actions" / "ancienne.yaml"
    old.write_text("id: a\n")
    os.utime(old, ns=(1_000_000_000, 1_000_000_000))
    new = tmp_path / "actions" / "nouvelle.yaml"
    new.write_text("id: b\n")
    (tmp_path / "actions" / ".nouvelle.yaml.swp").write_text("")
    found = changed_since([tmp_path], 2_000_000_000)
    assert [Path(p).name for p in found] == ["nouvelle.yaml"]


def test_a_temporary_copy_renamed_over_the_file_is_not_a_change(tmp_path: Path) -> None:
    fiche = tmp_path / "p11.yaml"
    fiche.write_text("")
    temporary = str(tmp_path / "sedX1Y2Z3")  # sed -i, or an editor without a hidden name
    burst = {
        (Change.added, temporary),
        (Change.modified, temporary),
        (Change.deleted, temporary),
        (Change.added, str(fiche)),
    }
    assert [Path(p).name for p in changed_files(burst)] == ["p11.yaml"]
    assert changed_files({(Change.added, temporary), (Change.deleted, temporary)}) == []
    deleted = str(tmp_path / "supprimee.yaml")  # a fiche removed is a change
    assert [Path(p).name for p in changed_files({(Change.deleted, deleted)})] == ["supprimee.yaml"]


def test_outputs_built_on_demand() -> None:
    assert on_demand_format("bilan-2016.pdf", 2016) == "pdf"
    assert on_demand_format("bilan-2016.md", 2016) == "md"
    assert on_demand_format("bilan-2016.odt", 2016) == "odt"
    assert on_demand_format("bilan-2016.docx", 2016) == "docx"
    assert on_demand_format("donnees/actions.csv", 2016) == "data"
    assert on_demand_format("bilan-2015.pdf", 2016) is None
    assert on_demand_format("index.html", 2016) is None


# --- What a rebuild leaves --------------------------------------------------------------


def test_the_script_is_the_only_change() -> None:
    page = b"<html><body><p>a</p></body>\n</html>\n"
    served = inject(page, 7, 2016)
    tag = b'<script src="/_apercu/apercu.js" data-version="7" data-annee="2016"></script>\n'
    assert served == b"<html><body><p>a</p>" + tag + b"</body>\n</html>\n"
    assert served.replace(tag, b"") == page
    assert inject(b"<p>sans body</p>", 7, 2016) == b"<p>sans body</p>" + tag


def test_rebuilds_show_the_errors_then_the_fixed_page(data: Path, tmp_path: Path) -> None:
    preview = Preview(2016, data, None, tmp_path / "apercu")
    first = preview.build()
    assert first.ok and first.version == 1
    assert preview.state() == {
        "version": 1,
        "mise_en_page": 1,
        "construction": False,
        "erreurs": [],
        "probleme": None,
    }

    add_strong_point(data, "Première modification visible")
    assert preview.build([str(fiche_path(data))]).ok
    status, body, kind = preview.page(PAGE)
    assert (status, kind) == (200, "text/html")
    assert "Première modification visible" in body.decode()

    line, column = break_state(data)
    broken = preview.build()
    assert not broken.ok and broken.version == 3
    state = preview.state()
    assert state["version"] == 3
    [error] = state["erreurs"]
    assert error["lieu"] == f"{data.as_posix()}/{SHOWN}:{line}:{column}"
    assert error["code"] == "S004"
    assert error["message"].startswith("valeur « en cours » non autorisée pour « etat »")
    assert "en-cours" in error["conseil"]
    # The last page that built is still served, under the dialog.
    assert preview.page(PAGE)[1] == body.replace(b'data-version="2"', b'data-version="3"')

    fix_state(data)
    assert preview.build().ok
    assert preview.state()["erreurs"] == []
    assert preview.state()["version"] == 4
    assert preview.state()["mise_en_page"] == 1  # the pages change their content only


def test_a_change_of_the_templates_reloads_whole_pages(data: Path, tmp_path: Path) -> None:
    templates = tmp_path / "gabarits"
    templates.mkdir()
    preview = Preview(2016, data, templates, tmp_path / "apercu")
    preview.build()
    add_strong_point(data, "Une phrase")
    preview.build([str(fiche_path(data))])
    style = templates / "style.css"
    style.write_text("body { color: #000; }\n", "utf-8")
    assert preview.build([str(style)]).ok
    assert preview.state()["mise_en_page"] == 3
    assert preview.page("style.css")[1] == b"body { color: #000; }\n"


def test_rebuilds_leave_no_garbage(data: Path, tmp_path: Path) -> None:
    """The ``bilan`` executable freezes what loading leaves (bilan.workers), garbage
    included; a preview turns that off, or it would keep the garbage of every build (a
    thousand objects a build of the repository's data, 180,000 at 10,000 fiches)."""
    workers.freeze_after_loading()  # as bilan.__main__ does
    try:
        preview = Preview(2016, data, None, tmp_path / "apercu")
        objects = []
        for number in range(4):
            add_strong_point(data, f"Modification {number}")
            assert preview.build().ok
            gc.collect()
            assert gc.get_freeze_count() == 0
            objects.append(len(gc.get_objects()))
        assert objects[-1] - objects[1] < 300, objects
    finally:
        workers.freeze_after_loading(False)


def test_served_pages_are_the_built_ones(data: Path, tmp_path: Path) -> None:
    """After rebuilds with warm templates and the build cache, every page served is, but
    for the script, the page a fresh `bilan build` writes."""
    preview = Preview(2016, data, None, tmp_path / "apercu")
    preview.build()
    add_strong_point(data, "Une phrase de plus")
    preview.build()
    fresh = build(
        BuildOptions(
            year=2016, data=data, out=tmp_path / "neuf", formats=frozenset({"html"}), cache=False
        )
    )
    names = sorted(  # not bilan's hidden manifest (.bilan-manifest.json): not served
        p.relative_to(fresh.target).as_posix()
        for p in fresh.target.rglob("*.*")
        if not p.name.startswith(".")
    )
    assert PAGE in names and "index.html" in names
    for name in names:
        status, body, _kind = preview.page(name)
        expected = (fresh.target / name).read_bytes()
        if name.endswith(".html"):
            expected = inject(expected, 2, 2016)
        assert (status, body) == (200, expected), name


def test_pages_outside_the_output_are_refused(data: Path, tmp_path: Path) -> None:
    preview = Preview(2016, data, None, tmp_path / "apercu")
    preview.build()
    for name in ("../data/communes.yaml", "actions/../../x", ".bilan-cache/fiches.jsonl", "nulle"):
        status, body, _kind = preview.page(name)
        assert status == 404, name
        assert b"/_apercu/apercu.js" in body  # the page comes once it exists
    assert preview.page("")[0] == 200  # index.html


def test_an_output_on_demand_keeps_the_version(data: Path, tmp_path: Path) -> None:
    preview = Preview(2016, data, None, tmp_path / "apercu")
    preview.build()
    assert preview.file("bilan-2016.md") is None  # the preview builds the site only
    assert preview.build(extra="md").ok
    markdown = preview.file("bilan-2016.md")
    assert markdown is not None and markdown.startswith(b"# ")
    assert preview.build(extra="data").ok
    assert preview.file("donnees/actions.csv") is not None
    assert preview.file("bilan-2016.md") == markdown  # kept, each format in its folder
    assert preview.on_demand == {"md": 1, "data": 1}
    assert preview.file("index.html") is not None
    assert preview.state()["version"] == 1
    add_strong_point(data, "Après la construction à la demande")
    assert preview.build().ok
    assert preview.file("bilan-2016.md") is None  # out of date: built again when asked
    assert preview.build(extra="md").ok
    again = preview.file("bilan-2016.md")
    assert again is not None and "Après la construction à la demande" in again.decode()


def test_a_broken_template_is_shown(data: Path, tmp_path: Path) -> None:
    templates = tmp_path / "gabarits"
    templates.mkdir()
    (templates / "action.html.j2").write_text("{% if %}\n", "utf-8")
    preview = Preview(2016, data, templates, tmp_path / "apercu")
    assert not preview.build().ok
    problem = preview.state()["probleme"]
    assert problem["message"].startswith("gabarit ")
    assert "action.html.j2, ligne 1" in problem["message"]
    assert "corrigez le gabarit" in problem["conseil"]
    (templates / "action.html.j2").unlink()
    assert preview.build().ok  # the project's template again


# --- The command ------------------------------------------------------------------------


def test_a_busy_port_is_a_usage_error(data: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(app, ["serve", "--data", str(data), "--port", str(port)])
    assert result.exit_code == 2
    assert f"erreur : le port {port} n'est pas disponible sur 127.0.0.1" in result.output
    assert f"--port {port + 1}" in result.output


def test_a_missing_data_folder_is_a_usage_error(tmp_path: Path) -> None:
    result = CliRunner().invoke(app, ["serve", "--data", str(tmp_path / "nulle"), "--port", "0"])
    assert result.exit_code == 2
    assert "erreur : dossier des données introuvable" in result.output
    assert "Conseil : lancez la commande depuis le dossier du projet" in result.output


def test_a_data_folder_without_a_report_is_a_usage_error(tmp_path: Path) -> None:
    (tmp_path / "vide").mkdir()
    result = CliRunner().invoke(app, ["serve", "--data", str(tmp_path / "vide"), "--port", "0"])
    assert result.exit_code == 2
    assert "erreur : aucun rapport dans" in result.output
    assert "Conseil : créez DATA/rapports/ANNÉE/rapport.yaml" in result.output


@dataclass
class Served:
    """A `bilan serve` process, its output read as it comes."""

    process: subprocess.Popen[str]
    lines: list[str] = field(default_factory=list)
    changed: threading.Condition = field(default_factory=threading.Condition)
    address: str = ""

    def read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            with self.changed:
                self.lines.append(line)
                self.changed.notify_all()

    def wait_for(self, pattern: str) -> re.Match[str]:
        """The first line that matches ``pattern``, once printed."""
        with self.changed:
            found: list[re.Match[str]] = []

            def seen() -> bool:
                found[:] = [m for m in (re.search(pattern, x) for x in self.lines) if m][:1]
                return bool(found) or self.process.poll() is not None

            self.changed.wait_for(seen, timeout=WAIT_S)
        assert found, f"« {pattern} » attendu ; sortie :\n{''.join(self.lines)}"
        return found[0]

    def output(self) -> str:
        with self.changed:
            return "".join(self.lines)


@pytest.fixture
def served(data: Path) -> Iterator[Served]:
    """`bilan serve` on a copy of the data, on a port the system chooses."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bilan", "serve", "--data", str(data), "--port", "0"],
        cwd=data.parent,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    running = Served(process)
    threading.Thread(target=running.read, daemon=True).start()
    running.address = running.wait_for(r"Aperçu : (http://127\.0\.0\.1:[0-9]+/)").group(1)
    yield running
    if process.poll() is None:
        process.kill()
        process.wait()


def events(address: str) -> Iterator[dict[str, object]]:
    """The states the preview sends, as they come."""
    with urllib.request.urlopen(address + "_apercu/evenements", timeout=WAIT_S) as stream:
        for line in stream:
            if line.startswith(b"data: "):
                yield json.loads(line[6:])


def next_state(states: Iterator[dict[str, object]], version: int) -> dict[str, object]:
    """The first finished build from ``version`` on."""
    return next(s for s in states if s["version"] >= version and not s["construction"])


def test_the_command_serves_watches_and_stops_on_ctrl_c(served: Served, data: Path) -> None:
    with urllib.request.urlopen(served.address + PAGE) as answer:
        page = answer.read()
        assert answer.headers["Cache-Control"] == "no-store"
    assert page.count(b"/_apercu/apercu.js") == 1
    with pytest.raises(urllib.error.HTTPError) as refused:  # another name for 127.0.0.1
        urllib.request.urlopen(
            urllib.request.Request(served.address, headers={"Host": "exemple.fr"})
        )
    assert refused.value.code == 400

    states = events(served.address)
    assert next_state(states, 1)["erreurs"] == []
    # Vim's way of saving: a test file, the old file renamed to a backup, the new one
    # written, the backup removed; none of the editor's files reaches the report.
    path = fiche_path(data)
    (path.parent / "4913").write_text("")
    (path.parent / "4913").unlink()
    backup = path.with_name(path.name + "~")
    text = path.read_text("utf-8")
    path.rename(backup)
    path.write_text(text.replace("\npoints_forts:\n", "\npoints_forts:\n  - Vim\n", 1))
    backup.unlink()
    state = next_state(states, 2)
    assert state["erreurs"] == [] and state["probleme"] is None
    # An atomic save: a hidden temporary file renamed over the fiche.
    temporary = path.with_name(f".{path.name}.tmp")
    temporary.write_text(path.read_text("utf-8").replace("Vim", "Sauvegarde atomique"))
    os.replace(temporary, path)
    later = next_state(states, int(str(state["version"])) + 1)
    assert later["erreurs"] == []
    with urllib.request.urlopen(served.address + PAGE) as answer:
        assert b"Sauvegarde atomique" in answer.read()
    served.wait_for(rf"Site à jour en [0-9]+,[0-9]+ s \(.*{SHOWN}\)\.")

    # A broken save: the terminal says what `bilan validate` says, then the fixed one.
    line, column = break_state(data)
    served.wait_for(rf"{SHOWN}:{line}:{column}: erreur S004: valeur « en cours » non autorisée")
    served.wait_for(r"^    etat: en cours$")
    served.wait_for(r"^    Conseil : écrivez « en-cours »")
    served.wait_for(r"Site non mis à jour \(.*\) : 1 erreur ; la page montre la dernière")
    broken = next_state(states, int(str(later["version"])) + 1)
    assert [e["code"] for e in broken["erreurs"]] == ["S004"]  # type: ignore[union-attr]
    fix_state(data)
    fixed = next_state(states, int(str(broken["version"])) + 1)
    assert fixed["erreurs"] == []

    served.process.send_signal(signal.SIGINT)  # Ctrl-C, an event stream still open
    assert served.process.wait(timeout=WAIT_S) == 0
    served.wait_for("Aperçu arrêté.")
    assert "Traceback" not in served.output()
    port = int(served.address.rsplit(":", 1)[1].strip("/"))
    listen(port).close()  # released: the next preview can listen there
    left = sorted(p.relative_to(data).as_posix() for p in data.rglob("*"))
    assert left == sorted(
        p.relative_to(DATA).as_posix() for p in DATA.rglob("*") if p.name != PUBLICATION
    )


# --- In the browser ---------------------------------------------------------------------


def test_the_page_follows_the_edits_in_chromium(served: Served, data: Path) -> None:
    executable = chromium_path()
    require(AXE.is_file(), "node_modules/axe-core (lancez npm ci)")
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=executable, headless=True, args=CHROMIUM_FLAGS
        )
        try:
            page = browser.new_page()
            page.route(
                re.compile(r"^(?!http://127\.0\.0\.1:)"), lambda route: route.abort()
            )  # nothing from outside
            page.goto(served.address + PAGE)
            expect(page.get_by_role("status")).to_have_text(
                "Aperçu en direct", timeout=WAIT_S * 1000
            )

            page.evaluate("window.scrollTo(0, 300)")
            add_strong_point(data, "Texte ajouté dans l'éditeur")
            expect(page.get_by_text("Texte ajouté dans l'éditeur")).to_be_attached(
                timeout=WAIT_S * 1000
            )
            assert page.evaluate("window.scrollY") == 300  # the content in place: not at the top

            line, column = break_state(data)
            dialog = page.get_by_role("alertdialog")
            expect(dialog).to_be_visible(timeout=WAIT_S * 1000)
            expect(dialog).to_have_accessible_name("Le rapport n'a pas pu être mis à jour")
            expect(dialog).to_contain_text(f"{SHOWN}:{line}:{column}")
            expect(dialog).to_contain_text("valeur « en cours » non autorisée pour « etat »")
            expect(dialog).to_contain_text("Conseil : écrivez « en-cours »")
            expect(dialog.get_by_role("button", name="Fermer")).to_be_focused()
            # The last page that built stays underneath.
            expect(page.get_by_text("Texte ajouté dans l'éditeur")).to_be_attached()
            page.add_script_tag(path=str(AXE))
            found = page.evaluate(
                "async () => (await axe.run(document.querySelector('dialog'), "
                "{runOnly: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']})).violations"
                ".map(v => v.id + ': ' + v.help)"
            )
            assert found == []

            fix_state(data)
            expect(dialog).to_be_hidden(timeout=WAIT_S * 1000)
            expect(page.get_by_text("Texte ajouté dans l'éditeur")).to_be_visible()
            expect(page.get_by_role("status")).to_have_text("Aperçu en direct")
        finally:
            browser.close()


def test_the_script_is_shipped() -> None:
    """The script the pages load is package data, there for a regular install too."""
    pyproject = (ROOT / "pyproject.toml").read_text("utf-8")
    assert re.search(
        r'\[tool\.setuptools\.package-data\]\n(.+\n)*"bilan" = \["apercu\.js"\]', pyproject
    )


def test_an_output_that_fails_on_demand_leaves_the_site_alone(data: Path, tmp_path: Path) -> None:
    templates = tmp_path / "gabarits"
    templates.mkdir()
    (templates / "bilan.md.j2").write_text("{{ inconnu }}\n", "utf-8")
    preview = Preview(2016, data, templates, tmp_path / "apercu")
    assert preview.build().ok
    failed = preview.build(extra="md")
    assert failed.problem is not None and "inconnu" in failed.problem.message
    assert preview.state()["probleme"] is None and preview.state()["version"] == 1
    assert preview.page(PAGE)[0] == 200
