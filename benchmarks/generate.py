"""Realistic synthetic data sets for the benchmarks: N fiches, the 31 communes, a narrative.

The fiches look like the real ones (data/actions/): French text folded over several lines,
Markdown lists inside items, quarterly calendars (one row or one per expected result),
indicators whose value appears in their text, references to the communes; each with its
2016 bilan (data/rapports/2016/bilans/). The project's configuration, the communes and the
2016 narrative are copied from the repository, so the generated folder validates without
error. The same seed gives the same bytes.

Also writes, for the rendering peer, an MkDocs site with one Markdown page per fiche.

    python benchmarks/generate.py 1000 benchmarks/_data/n1000
"""

from __future__ import annotations

import argparse
import itertools
import random
import re
import shutil
import textwrap
import unicodedata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
REAL_DATA = ROOT / "data"
YEAR = 2016
FIRST_QUARTER = (2015, 4)  # the window of the 2016 report: 2015-T4 to 2019-T4
QUARTERS = 17

THEMES = (
    "fonctions-ressources",
    "services-a-la-population",
    "amenagement-developpement-durable",
    "interventions-techniques",
)

SUBJECTS = (
    "Mutualisation des moyens",
    "Réseau thématique",
    "Groupement de commandes",
    "Plateforme mutualisée",
    "Service commun",
    "Coordination intercommunale",
    "Schéma partagé",
    "Centre de ressources",
    "Convention de coopération",
    "Pôle d'expertise",
    "Observatoire intercommunal",
    "Programme concerté",
)
DOMAINS = (
    "des archives",
    "de l'informatique",
    "des ressources humaines",
    "de la commande publique",
    "des espaces verts",
    "de l'enseignement musical",
    "des salles de spectacle",
    "de la voirie",
    "de l'éclairage public",
    "des assurances",
    "de la restauration scolaire",
    "du périscolaire",
    "de l'accessibilité",
    "de la gestion des risques",
    "de l'urbanisme réglementaire",
    "du système d'information géographique",
    "de la communication",
    "des affaires juridiques",
    "de la maintenance des bâtiments",
    "des équipements sportifs",
    "de la lecture publique",
    "des fêtes et traditions",
    "du stationnement",
    "de la propreté urbaine",
)
VERBS = (
    "Rationaliser",
    "Harmoniser",
    "Mettre en commun",
    "Renforcer",
    "Coordonner",
    "Développer",
    "Sécuriser",
    "Optimiser",
    "Partager",
    "Structurer",
)
OBJECTS = (
    "les pratiques des services communaux",
    "les achats de fournitures et de prestations",
    "l'expertise technique au service des communes",
    "les outils de suivi et de pilotage",
    "la formation des agents",
    "l'information des usagers",
    "les moyens matériels et humains",
    "les procédures administratives",
    "la programmation des investissements",
    "les données du territoire",
)
PURPOSES = (
    "afin de réduire les coûts de fonctionnement",
    "pour améliorer la qualité du service rendu aux habitants",
    "dans le respect des obligations réglementaires",
    "au plus près de la population",
    "en tenant compte des spécificités de chaque commune",
    "pour gagner en lisibilité auprès des partenaires",
    "tout en préservant l'autonomie des communes",
)
FACTS = (
    "Réunion de lancement organisée avec les communes volontaires",
    "Recensement des besoins réalisé au moyen d'un questionnaire",
    "Signature d'une convention de mutualisation suite à délibération",
    "Mise en place d'un comité de pilotage associant les élus",
    "Recrutement d'un agent chargé de la coordination",
    "Rédaction d'un cahier des charges commun",
    "Organisation de journées d'échange entre agents",
    "Diffusion d'un guide des bonnes pratiques",
    "Création d'un espace collaboratif partagé",
    "Lancement d'une consultation groupée",
)
OBSTACLES = (
    "Diversité des attentes et des calendriers des communes concernées",
    "Disponibilité limitée des agents référents",
    "Réorganisation des services issue de la convergence",
    "Contraintes budgétaires des communes",
    "Hétérogénéité des outils et des pratiques",
    "Délais de validation dans les instances",
)
OUTLOOKS = (
    "Extension de la démarche à d'autres communes",
    "Évaluation du dispositif après une année de fonctionnement",
    "Élaboration d'une charte de fonctionnement",
    "Mise en place d'indicateurs de suivi partagés",
    "Recherche de financements complémentaires",
    "Consolidation du réseau des référents",
)
INDICATORS = (
    ("Nombre de communes concernées", "communes", None),
    ("Nombre d'acteurs associés", "acteurs", None),
    ("Population couverte", "population", "habitants"),
    ("Budget concerné", "budget", "EUR"),
    ("Nombre de réunions", "reunions", None),
    ("Nombre d'agents formés", None, "agents"),
    ("Nombre de dossiers traités", None, None),
)


def _sentence(rng: random.Random) -> str:
    return f"{rng.choice(VERBS)} {rng.choice(OBJECTS)} {rng.choice(DOMAINS)} {rng.choice(PURPOSES)}"


def _long_text(rng: random.Random, sentences: int) -> str:
    parts = [_sentence(rng) for _ in range(sentences)]
    return ". ".join(parts) + "."


def _grouped(value: int) -> str:
    """French digit grouping, as people type it in the fiches: 28 000."""
    return f"{value:,}".replace(",", " ")


def _unique_titles(rng: random.Random, count: int, communes: list[str]) -> list[str]:
    combos = list(itertools.product(SUBJECTS, DOMAINS, ["", *communes]))
    rng.shuffle(combos)
    titles = []
    for subject, domain, place in combos[:count]:
        titles.append(f"{subject} {domain}" + (f" ({place})" if place else ""))
    if len(titles) < count:
        titles += [f"{SUBJECTS[i % len(SUBJECTS)]} n° {i}" for i in range(len(titles), count)]
    return titles


def _calendar(rng: random.Random, year: int, results: int, started: bool) -> dict[str, Any]:
    """Phases never go back; a fiche not started is at most in phase 2 at the end of ``year``."""
    first_year, first_q = FIRST_QUARTER if year == YEAR else (year - 1, 4)
    offset = rng.choice((0, 0, 0, 1, 2))
    start = first_year * 4 + first_q - 1 + offset
    debut = f"{start // 4}-T{start % 4 + 1}"
    year_end = year * 4 + 3 - start

    def row() -> list[Any]:
        cells: list[Any] = []
        level = 1
        for index in range(QUARTERS - offset):
            limit = 4 if started or index > year_end else 2
            if rng.random() < 0.25:
                level = min(level + 1, limit)
            if rng.random() < 0.05 and level < limit:
                cells.append([level, level + 1])
                level += 1
            else:
                cells.append(level)
        if rng.random() < 0.2:
            empty = rng.randint(1, 2)
            cells[:empty] = [None] * empty
        return cells

    if results > 1 and rng.random() < 0.15:
        return {
            "debut": debut,
            "lignes": [{"resultat": n, "phases": row()} for n in range(1, results + 1)],
        }
    return {"debut": debut, "phases": row()}


def _indicators(rng: random.Random, communes: int) -> list[dict[str, Any]]:
    chosen = rng.sample(INDICATORS, rng.randint(2, 5))
    out = []
    for label, category, unit in chosen:
        value = {
            "communes": rng.randint(1, communes),
            "acteurs": rng.randint(2, 60),
            "population": rng.randint(2_000, 450_000),
            "budget": rng.randint(5, 900) * 1000,
            "reunions": rng.randint(1, 30),
        }.get(category or "", rng.randint(1, 500))
        item: dict[str, Any] = {"libelle": label}
        if category:
            item["categorie"] = category
        item["valeur"] = value
        if unit:
            item["unite"] = unit
        roll = rng.random()
        if roll < 0.3:
            written = _grouped(value) + (" €" if unit == "EUR" else "")
            item["texte"] = f"{written} en {YEAR}, {rng.choice(PURPOSES)}"
        elif roll < 0.4:
            item["texte"] = (
                f"- {_grouped(value)} au total\n- dont {rng.choice(OBJECTS)} {rng.choice(DOMAINS)}\n"
            )
        out.append(item)
    return out


def _report(rng: random.Random, year: int, results: int, commune_ids: list[str]) -> dict[str, Any]:
    if rng.random() < 0.01:
        return {"sans_fiche": f"Le bilan {year} ne comporte pas de fiche pour cette action."}
    started = rng.random() < 0.8
    report: dict[str, Any] = {
        "etat": "en-cours" if started else "non-demarree",
        "calendrier": _calendar(rng, year, results, started),
        "communes": sorted(rng.sample(commune_ids, rng.randint(1, 9))),
        "indicateurs": _indicators(rng, len(commune_ids)),
        "points_forts": [_fact(rng) for _ in range(rng.randint(2, 6))],
        "difficultes": [_obstacle(rng) for _ in range(rng.randint(1, 3))],
        "perspectives": {
            "resultats_a_venir": [_outlook(rng) for _ in range(rng.randint(1, 3))],
            "axes_amelioration": [_outlook(rng) for _ in range(rng.randint(1, 4))],
        },
    }
    return report


def _fact(rng: random.Random) -> str:
    fact = f"{rng.choice(FACTS)} en {rng.choice(('janvier', 'mars', 'juin', 'octobre'))}"
    if rng.random() < 0.5:
        fact += f" : {_long_text(rng, rng.randint(1, 3))}"
    return fact


def _obstacle(rng: random.Random) -> str:
    text = rng.choice(OBSTACLES)
    return text + (f", {rng.choice(PURPOSES)}." if rng.random() < 0.5 else "")


def _outlook(rng: random.Random) -> str:
    return f"{rng.choice(OUTLOOKS)} {rng.choice(DOMAINS)}"


def _objective(rng: random.Random) -> str:
    if rng.random() < 0.2:
        bullets = "\n".join(f"- {_sentence(rng)}" for _ in range(rng.randint(2, 4)))
        return f"{rng.choice(VERBS)} {rng.choice(OBJECTS)} :\n\n{bullets}\n"
    return _long_text(rng, rng.randint(1, 2))


def _actions(count: int, rng: random.Random) -> list[list[tuple[str, int]]]:
    """Fiches as lists of (type, numero): numbering without gaps, a few fiches cover 2 or 3."""
    existing = round(count * 0.55)
    groups: list[list[tuple[str, int]]] = []
    for kind, fiches in (("existante", existing), ("prospective", count - existing)):
        number = 1
        for _ in range(fiches):
            width = 1 if rng.random() < 0.95 else rng.choice((2, 3))
            groups.append([(kind, number + k) for k in range(width)])
            number += width
    return groups


def slug(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text.lower().replace("œ", "oe"))
    words = re.findall(r"[a-z0-9]+", plain.encode("ascii", "ignore").decode())
    return "-".join(words)[:60].strip("-")


def fiches(count: int, seed: int, communes: dict[str, str]) -> list[dict[str, Any]]:
    """``count`` fiches as plain data (``communes``: id → name), in file-name order, each
    with its 2016 bilan under ``bilan`` (see :func:`files_of`)."""
    rng = random.Random(seed)
    commune_ids = sorted(communes)
    groups = _actions(count, rng)
    titles = _unique_titles(rng, sum(len(g) for g in groups), sorted(communes.values()))
    title_iter = iter(titles)
    out = []
    for group in groups:
        kind = group[0][0]
        actions = [
            {
                "type": k,
                "numero": n,
                "titre": next(title_iter),
                "themes": sorted(rng.sample(THEMES, 1 if rng.random() < 0.85 else 2)),
            }
            for k, n in group
        ]
        numbers = "-".join(f"{n:05d}" for _k, n in group)
        ident = f"{'e' if kind == 'existante' else 'p'}{numbers}-{slug(actions[0]['titre'])}"
        results = rng.randint(1, 4)
        out.append(
            {
                "id": ident,
                "titre": actions[0]["titre"] if len(actions) == 1 else _sentence(rng)[:80].strip(),
                "actions": actions,
                "objectifs": [_objective(rng) for _ in range(rng.randint(2, 4))],
                "resultats_attendus": [_objective(rng) for _ in range(results)],
                "bilan": _report(rng, YEAR, results, commune_ids),
            }
        )
    return out


# --- YAML, written the way people write the real files -------------------------------


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool | int | float):
        return str(value).lower() if isinstance(value, bool) else str(value)
    text = str(value)
    if re.search(
        r"^[-?:,\[\]{}#&*!|>'\"%@`]|: | #|^\s|\s$|^(yes|no|on|off|true|false|null)$", text
    ):
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return text


def _flow(items: list[Any]) -> str:
    return "[" + ", ".join(_flow(i) if isinstance(i, list) else _scalar(i) for i in items) + "]"


def _text_item(text: str, indent: int, bullet: str) -> list[str]:
    pad = " " * indent
    if "\n" in text:
        body = textwrap.indent(text.rstrip("\n"), pad + "  ").replace(pad + "  \n", "\n")
        return [f"{pad}{bullet}|", *body.split("\n")]
    if len(text) > 90:
        wrapped = textwrap.wrap(text, 90, break_long_words=False, break_on_hyphens=False)
        return [f"{pad}{bullet}>-", *(f"{pad}  {line}" for line in wrapped)]
    return [f"{pad}{bullet}{_scalar(text)}"]


def _emit(value: Any, indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if isinstance(item, dict):
                lines += [f"{pad}{key}:", *_emit(item, indent + 2)]
            elif isinstance(item, list) and (key in ("phases", "themes") or not item):
                lines.append(f"{pad}{key}: {_flow(item)}")
            elif isinstance(item, list):
                lines.append(f"{pad}{key}:")
                for element in item:
                    if isinstance(element, dict):
                        sub = _emit(element, indent + 4)
                        lines.append(f"{pad}  - {sub[0].lstrip()}")
                        lines += sub[1:]
                    else:
                        lines += _text_item(str(element), indent + 2, "- ")
            elif isinstance(item, str) and ("\n" in item or len(item) > 90):
                lines += _text_item(item, indent, f"{key}: ")
            else:
                lines.append(f"{pad}{key}: {_scalar(item)}")
    return lines


SCHEMA_LINES = {
    "fiche": "# yaml-language-server: $schema=../../schemas/fiche.schema.json",
    "bilan": "# yaml-language-server: $schema=../../../../schemas/bilan.schema.json",
}
"""The first line of each kind of file, naming its schema relative to the file."""


def files_of(item: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """A generated fiche → its file (data/actions/) and its 2016 bilan's."""
    fiche = {k: v for k, v in item.items() if k != "bilan"}
    return fiche, {"fiche": item["id"], **item["bilan"]}


def to_yaml(value: dict[str, Any], kind: str = "fiche") -> str:
    return "\n".join([SCHEMA_LINES[kind], *_emit(value, 0)]) + "\n"


# --- The same fiches as MkDocs pages (the rendering peer) ------------------------------


def _items(items: list[str], numbered: bool) -> list[str]:
    bullet = "1. " if numbered else "- "
    return [bullet + textwrap.indent(i.strip(), " " * len(bullet)).lstrip() for i in items]


def to_markdown(fiche: dict[str, Any], report: dict[str, Any]) -> str:
    """A fiche and its bilan as one Markdown page, with what our HTML page shows."""
    lines = [f"# {fiche['titre']}", "", "## 1. Le projet", "", "Rappel des objectifs :", ""]
    lines += _items(fiche.get("objectifs", []), True)
    lines += ["", "Résultats attendus :", "", *_items(fiche.get("resultats_attendus", []), True)]
    calendar = report.get("calendrier")
    if calendar is None:
        return "\n".join([*lines, "", report.get("sans_fiche", "")]) + "\n"
    rows = calendar.get("lignes") or [{"phases": calendar["phases"]}]
    lines += ["", "## 2. La mise en œuvre", ""]
    lines += ["| Ligne | " + " | ".join(f"Q{n + 1}" for n in range(QUARTERS)) + " |"]
    lines += ["|---|" + ":-:|" * QUARTERS]
    for number, row in enumerate(rows, 1):
        cells = [
            "/".join(map(str, c)) if isinstance(c, list) else str(c or "") for c in row["phases"]
        ]
        lines.append(f"| {number} | " + " | ".join(cells) + " |")
    lines += ["", "## 3. Le niveau d'avancement", ""]
    for indicator in report.get("indicateurs", []):
        detail = str(indicator.get("texte", indicator.get("valeur", ""))).strip()
        lines.append(f"- **{indicator['libelle']}** : {textwrap.indent(detail, '  ').lstrip()}")
    for title, key in (("Points forts", "points_forts"), ("Difficultés", "difficultes")):
        lines += ["", f"### {title}", "", *_items(report.get(key, []), False)]
    outlook = report.get("perspectives", {})
    lines += ["", "## 4. Les perspectives", ""]
    lines += _items(outlook.get("resultats_a_venir", []), True)
    lines += ["", *_items(outlook.get("axes_amelioration", []), False)]
    return "\n".join(lines) + "\n"


def write_mkdocs(target: Path, items: list[tuple[dict[str, Any], dict[str, Any]]]) -> None:
    """An MkDocs site with the same pages: an index and one page per fiche and its bilan
    (not in the nav, as our pages are linked from the index only)."""
    docs = target / "docs" / "actions"
    docs.mkdir(parents=True)
    (target / "mkdocs.yml").write_text(
        "site_name: Bilan 2016\ntheme: mkdocs\nnav:\n  - index.md\n"
        "validation:\n  omitted_files: ignore\n  not_in_nav: ignore\n",
        encoding="utf-8",
    )
    links = "\n".join(f"- [{f['titre']}](actions/{f['id']}.md)" for f, _ in items)
    (target / "docs" / "index.md").write_text(f"# Bilan 2016\n\n{links}\n", encoding="utf-8")
    for fiche, report in items:
        (docs / f"{fiche['id']}.md").write_text(to_markdown(fiche, report), encoding="utf-8")


def read_communes(path: Path) -> dict[str, str]:
    """Identifier → name, from a communes.yaml written one commune per line."""
    return dict(re.findall(r"\{id: ([a-z0-9-]+), nom: ([^,]+),", path.read_text("utf-8")))


def generate(count: int, target: Path, seed: int = 2016) -> None:
    """Write ``target``/data (the bilan data folder) and ``target``/mkdocs (the peer)."""
    if target.exists():
        shutil.rmtree(target)
    data = target / "data"
    (data / "actions").mkdir(parents=True)
    for name in ("communes.yaml", "bilan.yaml"):
        shutil.copy(REAL_DATA / name, data / name)
    year = data / "rapports" / str(YEAR)
    shutil.copytree(
        REAL_DATA / "rapports" / str(YEAR),
        year,
        ignore=shutil.ignore_patterns("bilans", "publication.json", "errata.yaml"),
    )
    (year / "bilans").mkdir()
    items = [files_of(f) for f in fiches(count, seed, read_communes(data / "communes.yaml"))]
    for fiche, report in items:
        name = f"{fiche['id']}.yaml"
        (data / "actions" / name).write_text(to_yaml(fiche), encoding="utf-8")
        (year / "bilans" / name).write_text(to_yaml(report, "bilan"), encoding="utf-8")
    write_mkdocs(target / "mkdocs", items)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("count", type=int, help="nombre de fiches")
    parser.add_argument("target", type=Path, help="dossier à (re)créer")
    parser.add_argument("--seed", type=int, default=2016)
    args = parser.parse_args()
    generate(args.count, args.target, args.seed)


if __name__ == "__main__":
    main()
