"""Plain references of a narrative text, read without Jinja.

A narrative names computed values as ``{{ chiffres.actions.total }}`` and nothing more.
Reading such text needs no template engine: this module finds the references with one
regular expression, as Jinja's parser would list them, so that ``bilan validate`` does not
import Jinja (a fifth of its start-up). Anything else, a tag, a comment, a filter or
a stray brace, returns None and the caller asks Jinja, which explains what is wrong.
"""

from __future__ import annotations

import re

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
