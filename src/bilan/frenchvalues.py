"""How a French writer writes what the model wants written otherwise.

« 6,5 » for 6.5, « 24 500 000 » or « 32 000 € » for a number, « T1 2017 » or a date for
the quarter 2017-T1, « diagnostic » for phase 1, « Saint-Jean-de-Védas » or « St Jean de
Vedas » for the commune id saint-jean-de-vedas, « En cours » for en-cours. Each function
reads one such value and gives the value the model wants, or None when it cannot tell:
the translator of model errors (:mod:`bilan.modelerrors`) then says « écrivez … ».
"""

from __future__ import annotations

import datetime
import difflib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from functools import cached_property

_QUOTES = "\"'“”‘’«»„‹›`"
_SPACES = " \u00a0\u202f\u2007\t"
_SCALES = {"k": 1_000, "m": 1_000_000, "million": 1_000_000, "millions": 1_000_000}
_SCALES |= {"md": 10**9, "mds": 10**9, "milliard": 10**9, "milliards": 10**9}
_NUMBER = re.compile(
    rf"^(?P<number>\d{{1,3}}(?:[{_SPACES}.]\d{{3}})+(?:,\d+)?|\d+(?:[.,]\d+)?)"
    rf"[{_SPACES}]*(?P<rest>.*)$"
)


def plain(text: str) -> str:
    """``text`` as an id would be: lowercase, without accents, quotes or spaces
    (« Saint-Jean-de-Védas » → saint-jean-de-vedas, « Plan d'action » → plan-d-action)."""
    text = text.replace("œ", "oe").replace("Œ", "oe").replace("æ", "ae")
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return "-".join(re.findall(r"[a-z0-9]+", text))


def unquoted(text: str) -> str:
    """``text`` without the quotes and spaces a word processor puts around it."""
    return text.strip(_QUOTES + _SPACES)


def number(text: str) -> tuple[int | float, str] | None:
    """A number written the French way, and the unit written after it (as the model's
    ``unite`` wants it: EUR for euros), or None: « 6,5 » → (6.5, ""), « 24 500 000 » →
    (24500000, ""), « 32 000 € » → (32000, "EUR"), « 1,5 M€ » → (1500000, "EUR")."""
    found = _NUMBER.match(unquoted(text))
    if found is None:
        return None
    digits = re.sub(rf"[{_SPACES}]", "", found.group("number"))
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+", digits):
        digits = digits.replace(".", "")  # 1.500.000: dots between thousands
    value: int | float = (
        float(digits.replace(",", ".")) if re.search("[.,]", digits) else int(digits)
    )
    rest = found.group("rest").strip()
    words = rest.split(" ", 1)
    scale = _SCALES.get(words[0].lower().rstrip("€"))
    if scale is not None:
        value = value * scale
        rest = rest[len(words[0]) :].strip() if not words[0].endswith("€") else "€"
        if isinstance(value, float) and value.is_integer():
            value = int(value)
    rest = re.sub(r"^(d'|de )", "", rest.strip())
    unit = "EUR" if re.match(r"(€|eur)", rest, re.IGNORECASE) else rest
    return value, unit


def quarter(value: object) -> str | None:
    """The quarter a date or a text means, as the model writes it (« 2017-T1 »):
    2017-01-01, « 2017-01 », « T1 2017 », « 1er trimestre 2017 », « 2017 T1 », « 2017-Q1 »."""
    if isinstance(value, datetime.date):
        return f"{value.year}-T{(value.month - 1) // 3 + 1}"
    if not isinstance(value, str):
        return None
    text = plain(value)
    year = re.search(r"(?<!\d)(20\d\d|19\d\d)(?!\d)", text)
    if year is None:
        return None
    rest = re.sub("-+", "-", text[: year.start()] + "-" + text[year.end() :]).strip("-")
    marked = re.search(r"(?:^|-)(?:t|q|trimestre-)-?([1-4])(?:-|$)", rest) or re.search(
        r"(?:^|-)([1-4])(?:er|e|eme)?-trimestre(?:-|$)", rest
    )
    if marked is not None:
        return f"{year.group(1)}-T{marked.group(1)}"
    named = _MONTHS.get(rest.split("-")[-1]) or _MONTHS.get(rest.split("-")[0])
    if named is not None:
        return f"{year.group(1)}-T{(named - 1) // 3 + 1}"
    month = re.fullmatch(r"(\d{1,2})(?:-(\d{1,2}))?", rest)
    if month is not None:
        # « 2017-01 » (year first) or « 01/01/2017 » (day first, as the French write it)
        parts = [int(p) for p in month.groups() if p is not None]
        chosen = parts[0] if text.startswith(year.group(1)) or len(parts) == 1 else parts[-1]
        if 1 <= chosen <= 12:
            return f"{year.group(1)}-T{(chosen - 1) // 3 + 1}"
    return None


_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("janvier", "janv"),
            ("fevrier", "fevr", "fev"),
            ("mars",),
            ("avril", "avr"),
            ("mai",),
            ("juin",),
            ("juillet", "juil"),
            ("aout",),
            ("septembre", "sept"),
            ("octobre", "oct"),
            ("novembre", "nov"),
            ("decembre", "dec"),
        ],
        start=1,
    )
    for name in names
}
EMPTY_WORDS = frozenset({"vide", "null", "none", "aucune", "aucun", "rien", "x", "-"})
"""What a writer puts in an empty calendar cell, where YAML wants null."""


def phase(text: str, labels: Mapping[int, str]) -> int | list[int] | None:
    """The phase number a written phase means, among the project's phase ``labels``
    (number → label): with the usual ones, « diagnostic » → 1, « plan d'action » → 2,
    « Mise en œuvre » → 3, « suivi » → 4, « 3/4 » → [3, 4], « 2 » → 2; None if unknown."""
    both = re.fullmatch(r"\s*(\d)\s*[/-]\s*(\d)\s*", text)
    if both is not None and {int(both.group(1)), int(both.group(2))} <= labels.keys():
        return [int(both.group(1)), int(both.group(2))]
    if text.strip().isdigit():
        return int(text) if int(text) in labels else None
    written = plain(text)
    if len(written) < 3:
        return None
    for number_, label in labels.items():
        words = plain(label)
        if words == written or words.startswith(written) or written in words.split("-ou-"):
            return number_
    return None


def phase_names(labels: Mapping[int, str]) -> str:
    """The project's phases as a hint lists them: « 1 diagnostic, 2 plan d'action, 3 mise en
    œuvre, 4 suivi ou fin »."""
    return ", ".join(f"{n} {label[0].lower()}{label[1:]}" for n, label in labels.items())


def choice(value: str, choices: Iterable[str]) -> str | None:
    """The allowed value that ``value`` spells differently (case, accents, spaces,
    quotes): « En cours » → en-cours, « Services à la population » →
    services-a-la-population; None if none."""
    written = plain(value)
    found = [c for c in choices if plain(c) == written]
    if not found:  # « en cours de réalisation » → en-cours
        found = [c for c in choices if written.startswith(plain(c) + "-")]
    return found[0] if len(found) == 1 else None


_SAINTS = {"st": "saint", "ste": "sainte", "s": "saint"}


def _name_key(text: str) -> str:
    words = plain(text).split("-")
    return "-".join(_SAINTS.get(word, word) for word in words if word)


class NameIndex:
    """Ids found from what a writer calls them: the id itself, the official name, with or
    without accents, hyphens, « St » for « Saint ». A bounded number of close-match
    searches per run: each costs the size of the list, and hundreds of unknown names
    are a wrong list, not typos."""

    LIMIT = 50

    def __init__(self, names: Iterable[tuple[str, str]]) -> None:
        """``names``: (id, official name) pairs; indexed on the first search only (a run
        without a commune written by its name does not pay for it)."""
        self.names = list(names)
        self.asked = 0

    @cached_property
    def by_key(self) -> dict[str, str]:
        found: dict[str, str] = {}
        for ident, name in self.names:
            for key in (_name_key(ident), _name_key(name)):
                found.setdefault(key, ident)
        return found

    @cached_property
    def keys(self) -> list[str]:
        return sorted(self.by_key)

    def find(self, written: str) -> str | None:
        """The id ``written`` most likely means, or None."""
        key = _name_key(written)
        if not key:
            return None
        if key in self.by_key:
            return self.by_key[key]
        starting = {self.by_key[k] for k in self.keys if k.startswith(key + "-")}
        if len(starting) == 1:
            return starting.pop()  # « Villeneuve » → villeneuve-les-maguelone
        self.asked += 1
        if self.asked > self.LIMIT:
            return None
        close = difflib.get_close_matches(key, self.keys, n=1, cutoff=0.75)
        return self.by_key[close[0]] if close else None
