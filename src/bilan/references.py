"""Plain references of a narrative text, read without Jinja.

A narrative names computed values as ``{{ chiffres.actions.total }}`` and nothing more.
Reading such text needs no template engine: this module finds the references with one
regular expression, as Jinja's parser would list them, so that ``bilan validate`` does not
import Jinja (a fifth of its start-up). Anything else, a tag, a comment, a filter or
a stray brace, returns None and the caller asks Jinja. What is wrong with a reference is
said in French from the line itself (:func:`malformed`), never in Jinja's English, with
the nearest known name for a typo (:func:`closest_name`).
"""

from __future__ import annotations

import difflib
import re
from typing import Any

_NAME = r"[A-Za-z_][A-Za-z0-9_]*"
_INDEX = r"0|[1-9][0-9]*"  # Jinja reads « 007 » as 7: such an index is left to Jinja
_REFERENCE = re.compile(rf"\{{\{{[ \t]*({_NAME}(?:\.{_NAME}|\[(?:{_INDEX})\])*)[ \t]*\}}\}}")
_PART = re.compile(rf"\.({_NAME})|\[({_INDEX})\]")
_KEYWORDS = frozenset(
    {"and", "or", "not", "in", "is", "if", "else", "true", "false", "none", "True", "False", "None"}
)
"""Names that Jinja reads as operators or values, not as references."""


def plain_references(source: str) -> list[tuple[list[str], int]] | None:
    """Every reference with its 1-based line, each followed by its prefixes (``a.b.c``,
    ``a.b``, ``a``: Jinja's order), or None when the text holds anything else."""
    if "\r" in source:  # Jinja counts a lone carriage return as a line
        return None
    found: list[tuple[list[str], int]] = []
    rest: list[str] = []
    end = 0
    for match in _REFERENCE.finditer(source):
        rest.append(source[end : match.start()])
        end = match.end()
        expression = match.group(1)
        head = re.match(_NAME, expression)
        assert head is not None
        if head.group() in _KEYWORDS or source[match.start() - 1 : match.start()] == "{":
            return None
        dotted = [head.group()]
        dotted += [attr or index for attr, index in _PART.findall(expression, head.end())]
        line = source.count("\n", 0, match.start()) + 1
        found += [(dotted[:size], line) for size in range(len(dotted), 0, -1)]
    rest.append(source[end:])
    text = "\x00".join(rest)  # a reference removed must not join two braces into one
    if any(opening in text for opening in ("{{", "{%", "{#")):
        return None
    return found


def known_names(namespace: dict[str, Any]) -> list[str]:
    """Every value a reference can name (``chiffres.actions.total``…), to suggest the
    nearest one for a typo; lists are named, not their items."""
    found: list[str] = []

    def walk(value: Any, dotted: str) -> None:
        if isinstance(value, dict):
            for key, item in value.items():
                if isinstance(key, str) and re.fullmatch(_NAME, key):
                    walk(item, f"{dotted}.{key}" if dotted else key)
        elif dotted:
            found.append(dotted)

    walk(namespace, "")
    return sorted(found)


def closest_name(name: str, known: list[str]) -> str | None:
    """The known name ``name`` is most likely a typo of."""
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    return close[0] if close else None


def excerpt(line: str, start: int, end: int, replacement: str | None = None) -> str:
    """The words around ``line[start:end]`` (a long Markdown paragraph is one line), with
    that part replaced if asked: what to look for, and what to write instead."""
    middle = line[start:end] if replacement is None else replacement
    before = line[max(0, start - 40) : start]
    after = line[end : end + 40]
    if start > 40:
        before = "…" + before.split(" ", 1)[-1] if " " in before else "…" + before
    if end + 40 < len(line):
        after = (after.rsplit(" ", 1)[0] if " " in after else after) + "…"
    return before + middle + after


_REFERENCE_START = re.compile(r"\{\{|\{%|\{#")


def malformed(line: str) -> tuple[int, str, str] | None:
    """How a reference of ``line`` is badly written, in French: its 1-based column, what
    is wrong and the line's words as they should be; None when it cannot tell."""
    for opening in _REFERENCE_START.finditer(line):
        found = _malformed_at(line, opening.start(), opening.group())
        if found is not None:
            return found
    return None


_DOTTED_START = re.compile(rf"[ \t{{]*({_NAME}(?:[ \t]*\.+[ \t]*{_NAME})*)")


def _malformed_at(line: str, start: int, opening: str) -> tuple[int, str, str] | None:
    if opening == "{#":
        return (
            start + 1,
            "« {# » ouvre un commentaire qui n'est jamais refermé",
            "séparez « { » et « # » par une espace, ou refermez le commentaire par « #} »",
        )
    if opening == "{%":
        return (
            start + 1,
            "seules des références aux chiffres sont permises, pas une instruction {% … %}",
            "une référence s'écrit {{ chiffres.actions.total }}",
        )
    close = line.find("}}", start + 2)
    single = line.find("}", start + 2)
    if close >= 0 and single == close:
        end, inner = close + 2, line[start + 2 : close]
        name = inner.strip(" \t{")
        if not name:
            return (
                start + 1,
                "référence vide « {{ }} »",
                "écrivez le nom d'une valeur entre les accolades",
            )
        what = (
            "une accolade « { » en trop"
            if inner.lstrip().startswith("{")
            else "un point en trop"
            if ".." in name
            else "le nom de la valeur s'écrit avec des points, sans espace"
            if re.search(r"\s", name)
            else None
        )
        dotted = re.sub(r"[\s.]+", ".", name)
    else:
        named = _DOTTED_START.match(line, start + 2)
        if named is None:
            return None
        dotted = re.sub(r"[\s.]+", ".", named.group(1))
        if single >= 0 and not line[named.end() : single].strip():
            end, what = single + 1, "il manque une accolade fermante « } »"
        else:
            end, what = named.end(), "la référence n'est pas refermée par « }} »"
    if what is None or not re.fullmatch(rf"{_NAME}(?:\.{_NAME})*", dotted):
        return None
    fixed = "{{ " + dotted + " }}"
    return (
        start + 1,
        f"référence mal écrite : {what}",
        f"écrivez « {excerpt(line, start, end, fixed).strip()} »",
    )


_STRAY = re.compile(r"(?<!\{)\{[ \t]*chiffres(?:\.\w+)*[ \t]*\}\}")
"""« { chiffres.actions.total }} »: one opening brace, which Jinja reads as text."""


def stray_reference(source: str) -> tuple[int, int, str] | None:
    """A reference written with a single opening brace (offset, end, the fix)."""
    found = _STRAY.search(source)
    if found is None:
        return None
    inner = found.group().strip("{} \t")
    return found.start(), found.end(), "{{ " + inner + " }}"
