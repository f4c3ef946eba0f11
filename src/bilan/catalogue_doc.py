"""``docs/diagnostics.md``, generated from the catalogue of codes (:mod:`bilan.catalogue`).

Each rule's example is run here as ``bilan validate`` would run it, so the messages the
page shows are the ones the tool prints today. ``make docs`` (``python -m
bilan.catalogue_doc docs/diagnostics.md``) writes the page; a test fails while it is stale.
"""

from __future__ import annotations

import contextlib
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path

from bilan.catalogue import BASE, CATALOGUE, SLIPS, Entry, Example
from bilan.diagnostics import Diagnostic
from bilan.reporters import REPORTERS, TextReporter
from bilan.validate import validate_data

FAMILIES = {
    "F": (
        "F — Fichiers",
        "Problèmes avec les fichiers eux-mêmes, avant même de lire leur contenu. Ces messages "
        "n'ont pas de numéro de ligne.",
    ),
    "Y": (
        "Y — Syntaxe YAML",
        "Le fichier est lu, mais ce n'est pas du YAML correct, ou il utilise des possibilités "
        "de YAML que les fiches n'autorisent pas. Ces codes concernent les fiches, "
        "`communes.yaml`, `rapport.yaml` et l'en-tête (entre les deux lignes `---`) des "
        "parties du rapport.",
    ),
    "S": (
        "S — Schéma : champs et valeurs",
        "Le fichier est du YAML correct, mais ses champs ne respectent pas le format des fiches "
        "(voir [format-fiche.md](format-fiche.md)), de `communes.yaml`, de `rapport.yaml` ou "
        "de l'en-tête d'une partie du rapport. Le `Conseil :` de ces messages est souvent la "
        "description du champ concerné.",
    ),
    "R": (
        "R — Règles entre fichiers",
        "Chaque fichier est correct à lui seul, mais l'ensemble ne l'est pas : numérotation "
        "des actions, communes citées, calendriers, chiffres. Ces règles ne portent que sur "
        "les fiches sans erreur `F`, `Y` ou `S`. Chacune montre un dossier d'exemple qui "
        "échoue (`# ← R…` marque la ligne signalée), ce qu'affiche alors `bilan validate`, "
        "et le même dossier corrigé, sur lequel elle ne trouve rien.",
    ),
    "N": (
        "N — Texte du rapport",
        "Le texte de chaque rapport annuel est dans `data/rapports/<année>/` : un fichier "
        "`rapport.yaml` et des parties en Markdown (`.md`), qui commencent chacune par un "
        "en-tête entre deux lignes `---`. Les chiffres du texte sont des **références** comme "
        "`{{ chiffres.actions.total }}`, remplacées par les valeurs calculées à partir des "
        "fiches.\n\nLes références ne sont vérifiées (`N003`, `N004`) que lorsque "
        "`rapport.yaml`, les en-têtes des parties et `communes.yaml` sont sans erreur.",
    ),
    "P": (
        "P — Éditions publiées",
        "Une édition publiée (`bilan publish --year 2016`) est scellée : son dossier "
        "`data/rapports/<année>/` garde dans `publication.json` ce dont elle est faite. "
        "Reconstruite plus tard, elle donne le même rapport, quoi que changent les années "
        "suivantes ; ses fichiers ne changent plus, sauf correction déclarée dans "
        "`errata.yaml`, que l'édition affiche.",
    ),
}

SCORE_BEFORE = 16
"""The score of the twelve mistakes when issue 16 tried them."""

INTRODUCTION = """\
<!-- Page produite par « make docs » à partir de src/bilan/catalogue.py et des règles de
src/bilan/rules.py : ne la modifiez pas à la main, modifiez-les puis relancez make docs. -->

# Les messages de `bilan validate`

`bilan validate` relit tous les fichiers du dossier de données (les fiches de
`data/actions/`, `data/communes.yaml` et le texte des rapports de `data/rapports/<année>/`)
et signale chaque problème par un **message** muni d'un **code** (`F002`, `Y002`, `S004`…).
`bilan build` et `bilan stats` font la même vérification et affichent les mêmes messages.
Cette page explique comment lire ces messages, puis donne, code par code, ce qu'ils
veulent dire et comment corriger.

Le format des fiches lui-même est décrit dans [format-fiche.md](format-fiche.md).

## Lire un message

Un message ressemble à ceci :

```console
$ bilan validate
{example}
```

La première ligne se lit ainsi :

```text
fichier:ligne:colonne: gravité CODE: message
```

- **fichier** : le fichier concerné, depuis le dossier où la commande a été lancée ;
- **ligne** et **colonne** : l'endroit exact du problème dans ce fichier (la première ligne
  est la ligne 1, le premier caractère d'une ligne est la colonne 1). Certains messages
  portent sur un fichier entier ou sur un dossier : ils n'ont alors ni ligne ni colonne
  (par exemple `data/actions/notes.txt: erreur F002: …`) ;
- **gravité** : `erreur` ou `avertissement` (voir plus bas) ;
- **CODE** : une lettre et trois chiffres, à chercher dans cette page ;
- **message** : ce qui ne va pas, en français.

Viennent ensuite, quand c'est possible :

- la **ligne du fichier** telle que vous l'avez écrite, en retrait ;
- un **accent circonflexe `^`** placé sous le caractère où le problème commence ;
- une ligne **`Conseil :`** qui propose une correction.

La dernière ligne fait le compte : `N fichiers vérifiés : … erreurs, … avertissements.`, ou
`… : aucun problème.` si tout va bien.

Tous les problèmes sont signalés en une seule fois, fichier par fichier. Une exception :
tant qu'un fichier n'est pas lisible (codes `F` et `Y`), ses autres problèmes (codes `S`, `R`)
ne peuvent pas être vus. Corrigez donc d'abord les codes `F` et `Y`, puis relancez
`bilan validate`.

### Erreurs et avertissements

- Une **erreur** doit être corrigée : les données ne sont pas valides et le rapport ne peut
  pas être produit tel quel.
- Un **avertissement** signale une chose probablement fausse mais possible (un calendrier
  qui recule, une fiche absente pour l'année…). Les données restent valides : relisez, et
  corrigez si c'est une faute.

Avec l'option **`--strict`** (`bilan validate --strict`), les avertissements comptent comme
des erreurs : la vérification échoue dès qu'il y a un message, quel qu'il soit.

La gravité de chaque règle (codes `R`) est celle qu'indique cette page ; elle pourra être
réglée par projet (une règle passée en avertissement, ou désactivée). Les codes `F`, `Y`,
`S` et `N` restent des erreurs : un fichier qui ne se lit pas ne peut pas être vérifié plus
loin.

### Code de sortie

À la fin, la commande rend un code de sortie, utile pour l'intégration continue :

| code de sortie | signification |
|---|---|
| 0 | données valides (il peut y avoir des avertissements, sauf avec `--strict`) |
| 1 | au moins une erreur (ou, avec `--strict`, au moins un avertissement) |
| 2 | commande mal appelée : dossier de données, `communes.yaml` ou `actions/` introuvable, dossier d'année de `data/rapports/` sans `rapport.yaml`, option inconnue |

Dans le cas 2, aucun message à code n'est affiché et rien n'est vérifié : la commande
s'arrête tout de suite avec une ligne `erreur : …` suivie d'un `Conseil : …`, par exemple
`erreur : dossier de données introuvable : data` (lancez la commande depuis le dossier du
projet, ou indiquez le dossier avec `--data`) ou `erreur : pas de rapport pour l'année 2017 :
data/rapports/2017/rapport.yaml introuvable` (ajoutez `rapport.yaml`, en copiant celui d'une
autre année, ou supprimez le dossier créé par erreur).

### Autres formats

`bilan validate --format` (ou `--diagnostics`), et `bilan build --diagnostics` ou
`bilan stats --diagnostics`, donnent les mêmes messages (mêmes codes, mêmes positions) dans
un autre format :

{formats}

Sans cette option, le format est choisi d'après l'endroit où la commande tourne : `github`
dans GitHub Actions (variable `GITHUB_ACTIONS=true`) ; dans GitLab CI (variable `GITLAB_CI`),
le texte pour le journal du job, et le rapport *Code Quality* écrit dans
`gl-code-quality-report.json`, que `.gitlab-ci.yml` déclare à GitLab ; `text` ailleurs.
`bilan validate` écrit sur la sortie standard ; `bilan build` et `bilan stats`, dont la
sortie standard est le rapport ou les chiffres, écrivent les messages sur la sortie d'erreur.

## Erreurs de saisie courantes

Les fautes que l'on fait le plus souvent en remplissant une fiche ou un bilan à la main
(dans VS Code, dans l'éditeur de GitHub ou après un copier-coller depuis Word), et ce que
`bilan validate` en dit : une seule erreur par faute, à la ligne de la faute, avec la
correction à faire. Chaque exemple modifie le petit dossier décrit plus bas (« Les exemples
de cette page ») ; le message est celui qu'affiche l'outil aujourd'hui.

La note dit si le message suffit : 0 = trompeur, 1 = au bon endroit mais sans conseil utile,
2 = une personne qui n'est pas développeuse corrige seule. La colonne « Avant » rappelle ce
qu'affichait l'outil quand ces fautes ont été essayées (issue 16 : {before} sur {total}) ;
aujourd'hui : **{score} sur {total}**.

{slips}

## Les exemples de cette page

Chaque exemple a été obtenu en lançant réellement `bilan validate --data data` sur un petit
dossier de données. Sauf mention contraire, ce dossier contient :

{base}

Pour les codes `F`, `Y`, `S` et `N`, « Exemple » indique la modification apportée à ces
fichiers et « Message affiché » recopie la première ligne de ce que la commande a affiché ;
les numéros de ligne se rapportent au fichier ainsi modifié. Pour les codes `R`, l'exemple
donne en entier les fichiers qui changent.
"""


def run_example(files: Mapping[str, str]) -> tuple[list[Diagnostic], int, str]:
    """What ``bilan validate --data data`` finds in :data:`BASE` with ``files`` written over
    it, in a fresh folder: the diagnostics, the number of files read, and the text it
    prints (the paths as the user sees them, from the folder holding ``data/``)."""
    with tempfile.TemporaryDirectory() as folder:
        root = Path(folder)
        for name, text in {**BASE, **files}.items():
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text, encoding="utf-8")
        with contextlib.chdir(root):
            result = validate_data(Path("data"), jobs=1)
            text = TextReporter(root).render(result.diagnostics, result.files)
    return result.diagnostics, result.files, text


def _files(example: Example | Mapping[str, str]) -> str:
    files = example.files if isinstance(example, Example) else example
    blocks = []
    for name, text in files.items():
        kind = "markdown" if name.endswith(".md") else "yaml"
        blocks.append(f"`{name}` :\n\n```{kind}\n{text.rstrip()}\n```")
    return "\n\n".join(blocks)


def _severity(entry: Entry) -> str:
    return entry.severity.value + (
        " (règle : gravité réglable par projet)" if entry.is_rule else ""
    )


def _section(entry: Entry) -> str:
    parts = [
        f"### {entry.code} — {entry.title}",
        f"**Gravité** : {_severity(entry)}",
        entry.description,
    ]
    if entry.failing is not None and entry.passing is not None:
        _found, _files_read, shown = run_example(entry.failing.files)
        parts += [
            "**Exemple qui échoue** :",
            _files(entry.failing),
            "**Message affiché** :",
            f"```console\n$ bilan validate\n{shown}\n```",
            "**Corrigé, l'exemple passe** :",
            _files(entry.passing),
        ]
    else:
        parts += [f"**Exemple** : {entry.example}", f"**Message affiché** : {entry.message}"]
    parts.append(f"**Comment corriger** : {entry.fix[:1].upper()}{entry.fix[1:]}")
    return "\n\n".join(parts)


def _changes(lines: list[tuple[str, int, str]]) -> str:
    """A slip's change as the table shows it: each file, then its lines as written."""
    shown: list[str] = []
    for index, (path, number, text) in enumerate(lines):
        if index == 0 or lines[index - 1][0] != path:
            shown.append(f"`{path}`")
        shown.append(f"ligne {number} : `{text}`")
    return "<br>".join(shown)


def _answer(example: Example) -> str:
    """What ``bilan validate`` says of a slip: each diagnostic, its position and its hint."""
    found, _files_read, _text = run_example(example.files)
    return "<br>".join(
        f"`{d.location()}: {d.severity.value} {d.code}: {d.message}`<br>Conseil : `{d.hint}`"
        for d in found
    )


def _slips() -> str:
    rows = [
        "| | erreur de saisie | exemple | ce qu'affiche `bilan validate` | avant | note |",
        "|---|---|---|---|---|---|",
    ]
    for number, slip in enumerate(SLIPS, 1):
        rows.append(
            f"| {number} | {slip.mistake} | "
            + "<br><br>".join(_changes(lines) for lines in slip.edits())
            + " | "
            + "<br><br>".join(_answer(example) for example in slip.examples)
            + f" | {slip.before} | {slip.score} |"
        )
    return "\n".join(rows)


def render() -> str:
    """The whole page, from the catalogue."""
    fiche = BASE["data/actions/e01-test.yaml"]
    misspelt = fiche.replace("\nactions:", "\nobjectif:\n  - Un objectif\nactions:")
    _found, _files_read, example = run_example({"data/actions/e01-test.yaml": misspelt})
    formats = "\n".join(f"- `{name}` : {kind.description} ;" for name, kind in REPORTERS.items())
    page = [
        INTRODUCTION.format(
            example=example,
            formats=formats.rstrip(" ;") + ".",
            base=_files(BASE),
            slips=_slips(),
            before=SCORE_BEFORE,
            score=sum(slip.score for slip in SLIPS),
            total=2 * len(SLIPS),
        ).rstrip()
    ]
    for letter, (heading, introduction) in FAMILIES.items():
        page += [f"## {heading}", introduction]
        page += [_section(entry) for entry in CATALOGUE.values() if entry.code[0] == letter]
    return "\n\n".join(page) + "\n"


def main() -> None:
    """Write the page to the path given (``docs/diagnostics.md``), or print it."""
    text = render()
    if len(sys.argv) > 1:
        Path(sys.argv[1]).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)


if __name__ == "__main__":
    main()
