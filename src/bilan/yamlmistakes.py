"""How people who are not developers break YAML, read from the lines around a syntax error.

libyaml stops where the text stopped making sense, which is often a line after the
writer's mistake, and says it in parser terms (« could not find expected ':' »). The
mistakes behind are few and ordinary: a French « : » inside a text, an apostrophe inside
'…', a missing « - », a key two spaces off, a no-break space from Word, an unclosed
quote or bracket, a tab. Each detector here recognises one of them from the error and
the lines around it, and returns where the writer made it and the line as it should be.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

NO_BREAK_SPACES = "\u00a0\u202f\u2007"
"""What Word puts before « : » in French text, and what YAML does not read as a space."""
_SPACE_NAMES = {"\u00a0": "U+00A0", "\u202f": "U+202F (fine)", "\u2007": "U+2007"}

_PREFIX = re.compile(r" *(?:-(?: +|$))*")
"""Indentation and list dashes at the start of a line."""
_KEY = re.compile(rf"(?:[^\W\d][\w-]*|\d+|\"[^\"]*\"|'[^']*')[ {NO_BREAK_SPACES}]*:(?=[ \t]|$)")
"""A key as a writer types one (a field name, a year), and its colon."""
_WORD_KEY = re.compile(r"[a-z_][a-z0-9_]*")
_SMART_PAIRS = {"“": "”", "”": "”", "‘": "’", "’": "’"}


@dataclass(frozen=True)
class Mistake:
    """Where the writer made a mistake, what it is and the fix (in French)."""

    line: int
    column: int
    message: str
    hint: str
    code: str = "Y001"


@dataclass(frozen=True)
class SyntaxError_:
    """A syntax error as libyaml gives it (1-based positions), with the text it read."""

    problem: str
    line: int
    column: int
    context: str
    context_line: int
    context_column: int
    lines: list[str]

    def text(self, number: int) -> str:
        return self.lines[number - 1] if 0 < number <= len(self.lines) else ""

    def indent(self, number: int) -> int:
        return self.indent_of(self.text(number))

    @staticmethod
    def indent_of(text: str) -> int:
        return len(text) - len(text.lstrip(" "))

    def blank(self, number: int) -> bool:
        text = self.text(number).strip()
        return not text or text.startswith("#")

    def before(self, number: int) -> Iterator[int]:
        """The lines above ``number`` that hold something, nearest first."""
        return (n for n in range(min(number, len(self.lines) + 1) - 1, 0, -1) if not self.blank(n))

    def after(self, number: int) -> Iterator[int]:
        return (n for n in range(number + 1, len(self.lines) + 1) if not self.blank(n))


def explain(error: SyntaxError_) -> Mistake | None:
    """The writer's mistake behind a syntax error, when one of the usual ones explains it."""
    for detector in _DETECTORS:
        found = detector(error)
        if found is not None:
            return found
    return None


# --- How to show a line as it should be ----------------------------------------------------


def split_value(line: str) -> tuple[str, str]:
    """A line as its prefix (indentation, dashes, « key: ») and its value, as typed."""
    end = _PREFIX.match(line).end()  # type: ignore[union-attr]
    key = _KEY.match(line, end)
    if key is not None:
        end = key.end()
        end += len(line) - end - len(line[end:].lstrip(" \t"))
    return line[:end], line[end:].rstrip()


def quoted(text: str) -> str:
    """``text`` as a YAML quoted scalar a person can read: double quotes, or single ones
    when the text has double quotes itself. Curly quotes around it are taken as meant
    to be YAML's."""
    if len(text) >= 2 and _SMART_PAIRS.get(text[0]) == text[-1]:
        text = text[1:-1]
    if '"' in text:
        return "'" + text.replace("'", "''") + "'"
    return '"' + text.replace("\\", "\\\\") + '"'


def shown(line: str) -> str:
    """A line of the file as it should be, quoted in a hint (without its indentation: a
    hint that changes it says so in words)."""
    return f"« {line.strip()} »"


def _lines_of(first: int, last: int) -> str:
    return f"la ligne {first}" if first >= last else f"chacune des lignes {first} à {last}"


def _spaces(count: int) -> str:
    return f"{count} espace{'s' if count > 1 else ''}"


def _key_of(line: str) -> str | None:
    """The key a line starts (after indentation and dashes), if it is « key: … »."""
    start = _PREFIX.match(line).end()  # type: ignore[union-attr]
    found = _KEY.match(line, start)
    if found is None:
        return None
    return found.group().rstrip(":" + " " + NO_BREAK_SPACES)


def _named(line: str) -> str:
    """How a hint names a line: « etat: », or « cette ligne »."""
    key = _key_of(line)
    return f"la ligne « {key}: »" if key is not None else "cette ligne"


def _key_column(line: str) -> int:
    return _PREFIX.match(line).end()  # type: ignore[union-attr]


# --- Quotes ----------------------------------------------------------------------------------


def _closing(value: str, quote: str) -> int:
    """Index of the quote that closes ``value`` (which starts with it), or -1."""
    index = 1
    while index < len(value):
        char = value[index]
        if quote == '"' and char == "\\":
            index += 2
            continue
        if char == quote:
            if quote == "'" and value[index + 1 : index + 2] == "'":
                index += 2  # '' is an apostrophe inside '…'
                continue
            return index
        index += 1
    return -1


def _quote_trouble(error: SyntaxError_, number: int) -> Mistake | None:
    """Text after a closing quote or bracket: an apostrophe inside '…', quotes inside "…",
    a text that starts with a quoted or bracketed word."""
    line = error.text(number)
    prefix, value = split_value(line)
    if not value or value[0] not in "'\"[{":
        return None
    if value[0] in "[{":
        close = value.find("]" if value[0] == "[" else "}")
    else:
        close = _closing(value, value[0])
    if close < 0:
        return None
    rest = value[close + 1 :].lstrip()
    if not rest or rest[0] in "#,]}:":
        return None
    column = len(prefix) + close + 1
    whole = value
    if value[0] == "'" and value.endswith("'") and rest[0].isalpha():
        inner = value[1:-1]
        word = re.search(r"\w*'\w*", value[close - 1 :])
        return Mistake(
            number,
            column,
            f"l'apostrophe de « {word.group() if word else value} » ferme le texte "
            "ouvert par « ' »",
            "entourez le texte de guillemets droits au lieu d'apostrophes : "
            + shown(prefix + quoted(inner))
            + " (ou doublez l'apostrophe : « '' »)",
        )
    if value[0] == '"' and value.endswith('"') and rest[0] not in "\"'":
        inner = value[1:-1]
        return Mistake(
            number,
            column,
            "un guillemet « \" » à l'intérieur du texte ferme celui qui l'ouvre",
            "entourez le texte d'apostrophes : " + shown(prefix + quoted(inner)),
        )
    return Mistake(
        number,
        column,
        f"du texte suit le « {value[close]} » qui ferme le « {value[0]} » du début : YAML ne "
        "lit pas la ligne comme un seul texte",
        "un texte qui commence par un guillemet, un crochet ou une accolade se met tout entier "
        "entre guillemets : " + shown(prefix + quoted(whole)),
    )


def _quote_on_error_line(error: SyntaxError_) -> Mistake | None:
    if error.problem.startswith(("did not find expected", "could not find expected ':'")):
        return _quote_trouble(error, error.line)
    return None


def _unclosed_quote(error: SyntaxError_) -> Mistake | None:
    """A quote opened on a line and closed only by some later, unrelated quote (or never)."""
    if not (
        error.problem.startswith(("found unexpected end of stream", "did not find expected"))
        or error.context == "while scanning a quoted scalar"
    ):
        return None
    for number in range(1, min(error.line, len(error.lines)) + 1):
        prefix, value = split_value(error.text(number))
        if not value or value[0] not in "'\"" or _closing(value, value[0]) >= 0:
            continue
        if _closes_later(error, number, value[0]):
            continue  # a quoted text written on several lines, closed properly
        return Mistake(
            number,
            len(prefix) + 1,
            f"le guillemet « {value[0]} » ouvert ligne {number} n'est pas refermé",
            "ajoutez le guillemet fermant à la fin du texte : " + shown(prefix + value + value[0]),
        )
    return None


def _closes_later(error: SyntaxError_, number: int, quote: str) -> bool:
    """Whether a quoted text opened on line ``number`` ends, on a later line, with its
    quote at the end of that line (nothing after it but a comment)."""
    for later in range(number + 1, len(error.lines) + 1):
        text = error.text(later)
        probe = _closing(quote + text, quote)
        if probe < 0:
            continue
        rest = text[probe:].strip()
        return not rest or rest.startswith("#")
    return False


def _unclosed_bracket(error: SyntaxError_) -> Mistake | None:
    if error.context not in ("while parsing a flow sequence", "while parsing a flow mapping"):
        return None
    number = error.context_line
    line = error.text(number)
    opening, closing = ("[", "]") if "sequence" in error.context else ("{", "}")
    if line.count(closing) >= line.count(opening):
        return None
    name = "crochet" if opening == "[" else "accolade"
    return Mistake(
        number,
        error.context_column,
        f"{name} « {opening} » ouvert{'e' if name == 'accolade' else ''} ligne {number} "
        "sans être refermé" + ("e" if name == "accolade" else ""),
        f"ajoutez « {closing} » à la fin de la ligne : {shown(line.rstrip() + closing)}",
    )


# --- Spaces ----------------------------------------------------------------------------------


def _tab(error: SyntaxError_) -> Mistake | None:
    for number in (error.line, error.context_line):
        line = error.text(number)
        head = line[: len(line) - len(line.lstrip(" \t"))]
        at = error.column - 1 if number == error.line else -1
        if "\t" in head:
            return Mistake(
                number,
                head.index("\t") + 1,
                "tabulation dans l'indentation",
                "YAML n'accepte que des espaces pour indenter : remplacez "
                + ("la tabulation" if head == "\t" * len(head) else "les espaces et tabulations")
                + " du début de la ligne par "
                + _indent_guess(error, number),
                "Y009",
            )
        if number == error.line and 0 <= at < len(line) and line[at] == "\t":
            return Mistake(
                number,
                at + 1,
                "tabulation à la place d'une espace",
                "remplacez la tabulation par une espace : "
                + shown(line[:at] + " " + line[at:].lstrip("\t")),
                "Y009",
            )
    return None


def _indent_guess(error: SyntaxError_, number: int) -> str:
    """How many spaces a tab-indented line probably wants: as many as the line above,
    two more after a line that opens a block."""
    above = next(error.before(number), None)
    if above is None or "\t" in error.text(above)[: error.indent(above) + 1]:
        return "des espaces"
    width = error.indent(above)
    if error.text(above).rstrip().endswith(":"):
        width += 2
    return f"{_spaces(width)} (la ligne {above} au-dessus en a {error.indent(above)})"


def _no_break_space(error: SyntaxError_) -> Mistake | None:
    """A no-break space next to a key's colon: YAML reads « etat:\u00a0en-cours » as one
    word, and the error comes a line later."""
    candidates = [error.line, *list(error.before(error.line))[:2]]
    if error.context_line:
        candidates.insert(0, error.context_line)
    for number in candidates:
        line = error.text(number)
        found = re.search(rf"[{NO_BREAK_SPACES}]+:|:[{NO_BREAK_SPACES}]", line)
        if found is None:
            continue
        char = next(c for c in found.group() if c in NO_BREAK_SPACES)
        fixed = re.sub(rf"[{NO_BREAK_SPACES}]*:[{NO_BREAK_SPACES}]*", ": ", line, count=1)
        fixed = fixed.rstrip()
        return Mistake(
            number,
            found.start() + 1 + found.group().index(char),
            f"espace insécable ({_SPACE_NAMES[char]}) à côté de « : », souvent collée "
            "depuis un traitement de texte",
            f"remplacez-la par une espace ordinaire : {shown(fixed)}",
        )
    return None


def _missing_space_after_colon(error: SyntaxError_, number: int) -> Mistake | None:
    line = error.text(number)
    start = _key_column(line)
    found = re.compile(r"([a-z_][a-z0-9_]*):([^\s/:])").match(line, start)
    if found is None:
        return None
    fixed = line[: found.start(2)] + " " + line[found.start(2) :]
    return Mistake(
        number,
        found.end(1) + 1,
        f"espace manquante après « {found.group(1)}: »",
        f"mettez une espace après les deux-points : {shown(fixed)}",
    )


# --- Colons in texts -------------------------------------------------------------------------


def _colon_in_value(error: SyntaxError_) -> Mistake | None:
    """« titre: Objectif : mutualiser »: the second colon starts a mapping YAML refuses."""
    if not error.problem.startswith("mapping values are not allowed"):
        return None
    line = error.text(error.line)
    prefix, value = split_value(line)
    if not value or len(prefix) >= error.column or (_key_of(line) is None and "- " not in prefix):
        return None
    if not prefix.rstrip().endswith(":") and not prefix.strip().startswith("-"):
        return None
    key = _key_of(line)
    where = f"le texte de « {key} »" if key else "ce texte"
    return Mistake(
        error.line,
        error.column,
        f"{where} contient « : », que YAML lit comme le début d'un autre champ",
        "mettez le texte entre guillemets : " + shown(prefix + quoted(value)),
    )


def _in_block_text(error: SyntaxError_, number: int) -> bool:
    """Whether line ``number`` is inside a « | » or « >- » text (a Markdown list there is
    text, not YAML)."""
    indent = error.indent(number)
    for other in error.before(number):
        if error.indent(other) < indent:
            if _BLOCK_START.search(error.text(other)):
                return True
            indent = error.indent(other)
            if indent == 0:
                return False
    return False


def _lost_block_indicator(error: SyntaxError_) -> Mistake | None:
    """« - » alone on its line, and a text of several lines under it: the « | » after the
    dash was deleted, and YAML reads the lines (a Markdown list among them) as one text."""
    for number in range(error.line, max(error.line - 25, 0), -1):
        if error.text(number).strip() != "-":
            continue
        below = next(error.after(number), None)
        if below is None or error.indent(below) <= error.indent(number):
            return None
        if _key_of(error.text(below)) is not None or error.text(below).lstrip().startswith("-"):
            return None
        if any(
            error.indent(n) <= error.indent(number) for n in error.after(number) if n <= error.line
        ):
            return None
        return Mistake(
            number,
            error.indent(number) + 1,
            "« - » sans texte sur sa ligne, suivi d'un texte de plusieurs lignes : il manque « | »",
            f"écrivez « - | » ligne {number} pour garder les lignes du texte telles quelles "
            "(ou « - >- » pour un seul paragraphe)",
        )
    return None


def _first_item_without_dash(error: SyntaxError_) -> Mistake | None:
    """The first item of a list written without its dash: YAML reads it, and the items
    after it, as one text that goes on until a « : »."""
    if not error.problem.startswith(("mapping values are not allowed", "could not find expected")):
        return None
    for number in range(error.line, max(error.line - 15, 0), -1):
        text = error.text(number)
        if not text.lstrip().startswith("- ") or _in_block_text(error, number):
            continue
        previous = next(error.before(number), None)
        if previous is None:
            return None
        upper = error.text(previous)
        opener = next(error.before(previous), None)
        if (
            error.indent(previous) == error.indent(number) + 2
            and _key_of(upper) is None
            and not upper.lstrip().startswith("-")
            and opener is not None
            and error.text(opener).rstrip().endswith(":")
            and error.indent(opener) < error.indent(number)
        ):
            return Mistake(
                previous,
                error.indent(number) + 1,
                "tiret « - » manquant devant le premier élément de la liste",
                f"remplacez les 2 espaces avant le texte par « - », comme ligne {number} : "
                + shown("- " + upper.strip()),
            )
    return None


def _item_swallowed(error: SyntaxError_) -> Mistake | None:
    """A list item a space or two deeper than the one above it: YAML reads it as the rest
    of that item's text, and stumbles further down."""
    if not error.problem.startswith(("mapping values are not allowed", "could not find expected")):
        return None
    for number in range(error.line, max(error.line - 12, 0), -1):
        text = error.text(number)
        if not text.lstrip().startswith("- ") or _in_block_text(error, number):
            continue
        above = next(
            (n for n in error.before(number) if error.indent(n) <= error.indent(number)), None
        )
        if (
            above is None
            or not error.text(above).lstrip().startswith("- ")
            or error.indent(above) >= error.indent(number)
            or _key_of(error.text(above)) is not None
            or _BLOCK_START.search(error.text(above))
        ):
            continue
        following = next(
            (
                n
                for n in error.after(number)
                if error.text(n).lstrip().startswith("- ")
                and error.indent(n) <= error.indent(number)
            ),
            None,
        )
        if following is not None and error.indent(following) == error.indent(number):
            culprit, target = above, error.indent(number)  # the first one went back
        else:
            culprit, target = number, error.indent(above)
        change = error.indent(culprit) - target
        what = f"retirez {_spaces(change)}" if change > 0 else f"ajoutez {_spaces(-change)}"
        return Mistake(
            culprit,
            error.indent(culprit) + 1,
            f"les éléments de liste des lignes {above} et {number} ne sont pas alignés : "
            f"YAML lit celui de la ligne {number} comme la suite du texte de la ligne {above}",
            f"{what} au début de la ligne {culprit} : {shown(error.text(culprit))}",
        )
    return None


def _absorbed_key(error: SyntaxError_) -> Mistake | None:
    """A « key: » line read as the continuation of the line above: the mistake is there
    (no-break space, missing space or colon) or in this line's indentation."""
    if not error.problem.startswith("mapping values are not allowed"):
        return None
    line = error.text(error.line)
    above = next(error.before(error.line), None)
    if above is None:
        return None
    start = _key_column(line)
    head = line[start : error.column - 1]
    found = _missing_space_after_colon(error, above)
    if found is not None:
        return found
    upper = error.text(above)
    if " " in head.strip():  # a text line with a colon, continuing the text above
        first = above
        while error.indent(first) >= error.indent(error.line) and first > 1:
            previous = next(error.before(first), None)
            if previous is None or _key_of(error.text(first)) is not None:
                break
            first = previous
        return Mistake(
            error.line,
            error.column,
            f"le texte commencé ligne {first} contient « : » ligne {error.line}",
            'mettez tout le texte entre guillemets : un « " » au début du texte ligne '
            f"{first} et un autre à la fin de la ligne {error.line} ; ou écrivez-le en bloc, "
            "« >- » à la place du texte puis le texte sur les lignes suivantes, plus indenté",
        )
    upper_key = _key_of(upper)
    _, upper_value = split_value(upper)
    opener = next(error.before(above), None)
    if (
        upper_key is not None
        and opener is not None
        and error.text(opener).rstrip().endswith(":")
        and error.indent(above) <= error.indent(opener) < error.indent(error.line)
    ):
        # the first field of a block, not indented under the block's name
        missing = error.indent(error.line) - error.indent(above)
        return Mistake(
            above,
            error.indent(above) + 1,
            f"« {upper_key}: » n'est pas plus indenté que « {_key_of(error.text(opener))}: » "
            f"(ligne {opener}), le bloc qui le contient",
            f"ajoutez {_spaces(missing)} au début de la ligne {above}, pour l'aligner sur "
            f"la ligne {error.line} : {shown(upper)}",
        )
    if upper_key is not None and upper_value and error.indent(error.line) > error.indent(above):
        extra = error.indent(error.line) - error.indent(above)
        return Mistake(
            error.line,
            start + 1,
            f"« {head}: » est plus indenté que « {upper_key}: » (ligne {above}), qui a "
            "déjà une valeur",
            f"retirez {_spaces(extra)} au début de la ligne {error.line} : "
            + shown(" " * error.indent(above) + line.lstrip(" ")),
        )
    words = upper.strip().split(" ", 1)
    if (
        upper_key is None
        and error.indent(above) == error.indent(error.line)
        and len(words) == 2
        and _WORD_KEY.fullmatch(words[0])
    ):
        fixed = " " * error.indent(above) + words[0] + ": " + words[1]
        return Mistake(
            above,
            error.indent(above) + len(words[0]) + 1,
            f"« : » manquant après « {words[0]} »",
            f"écrivez {shown(fixed)}",
        )
    return None


# --- Lines that are neither « key: value » nor « - item » ---------------------------------


def _simple_key_without_colon(error: SyntaxError_) -> Mistake | None:
    if error.context != "while scanning a simple key" or not error.context_line:
        return None
    number = error.context_line
    line = error.text(number)
    indent = error.indent(number)
    body = line.strip()
    below = next(error.after(number), None)
    above = next(error.before(number), None)
    if _WORD_KEY.fullmatch(body) and below is not None and error.indent(below) > indent:
        return Mistake(
            number,
            indent + len(body) + 1,
            f"« : » manquant après « {body} »",
            f"écrivez {shown(line.rstrip() + ':')}",
        )
    siblings = [n for n in (above, below) if n is not None and error.indent(n) <= indent]
    nearest = _item_near(error, number)
    if nearest is not None:
        return _missing_dash(error, number, nearest)
    if above is not None and indent < error.indent(above) and _key_of(error.text(above)) is None:
        return Mistake(
            number,
            1,
            f"cette ligne est moins indentée que le texte qu'elle continue (ligne {above})",
            f"indentez-la comme la ligne {above} ({_spaces(error.indent(above))}) : "
            + shown(" " * error.indent(above) + body),
        )
    key, colon, value = body.partition(":")
    if colon and value[:1] not in ("", " ") and _WORD_KEY.fullmatch(key) and siblings:
        return Mistake(
            number,
            indent + len(key) + 1,
            f"espace manquante après « {key}: »",
            f"ajoutez une espace après « : » : {shown(' ' * indent + key + ': ' + value)}",
        )
    words = body.split(" ", 1)
    if len(words) == 2 and _WORD_KEY.fullmatch(words[0]) and siblings:
        return Mistake(
            number,
            indent + len(words[0]) + 1,
            f"« : » manquant après « {words[0]} »",
            f"écrivez {shown(' ' * indent + words[0] + ': ' + words[1])}",
        )
    return Mistake(
        number,
        indent + 1,
        "cette ligne n'est ni « clé: valeur » ni un élément de liste « - … »",
        "si c'est un élément de liste, commencez-la par « - » ; si elle continue le texte "
        "d'au-dessus, indentez-la comme lui ; si c'est un champ, écrivez « nom: valeur »",
    )


_BULLETS = "•–—*·●▪"
"""What a word processor or Markdown uses for a list, where YAML wants « - »."""


def _missing_dash(error: SyntaxError_, number: int, nearest: int) -> Mistake:
    """A list item written without YAML's « - »: none at all, one without its space, or
    a bullet (« • », « – », « * ») pasted from a word processor."""
    line = error.text(number)
    indent = error.indent(number)
    body = line.strip()
    if body[:1] in _BULLETS and body[1:2] == " ":
        return Mistake(
            number,
            indent + 1,
            f"« {body[0]} » n'est pas un tiret de liste YAML",
            f"remplacez « {body[0]} » par « - » : {shown('- ' + body[2:])}",
        )
    if body.startswith("-") and body[1:2] not in (" ", ""):
        return Mistake(
            number,
            indent + 2,
            "espace manquante après le tiret « - » de l'élément de liste",
            f"mettez une espace après le tiret : {shown('- ' + body[1:].lstrip('-'))}",
        )
    hint = (
        "commencez la ligne par « - », comme les autres éléments (ligne "
        f"{nearest}) : {shown('- ' + body)}"
    )
    above = next(error.before(number), None)
    if above == nearest and nearest < number and _key_of(error.text(above)) is None:
        hint += (
            f" ; si elle continue le texte de la ligne {above}, ajoutez plutôt 2 espaces "
            "au début de la ligne"
        )
    return Mistake(number, indent + 1, "tiret « - » manquant devant cet élément de liste", hint)


def _item_near(error: SyntaxError_, number: int) -> int | None:
    """A list item (« - … ») at the same indentation as line ``number``, just above or
    below it (the lines of a longer item in between are deeper)."""
    indent = error.indent(number)
    for lines in (error.before(number), error.after(number)):
        for other in lines:
            if error.indent(other) > indent:
                continue
            if error.indent(other) == indent and error.text(other).lstrip().startswith("- "):
                return other
            break
    return None


def _key_among_items(error: SyntaxError_) -> Mistake | None:
    """« did not find expected '-' indicator »: a key at the column of the items above,
    or an item without its dash."""
    if not error.problem.startswith("did not find expected '-' indicator"):
        return None
    number = error.line
    line = error.text(number)
    indent = error.indent(number)
    key = _key_of(line)
    if key is None or line.lstrip().startswith("-"):
        nearest = _item_near(error, number)
        if nearest is not None and not line.lstrip().startswith("- "):
            return _missing_dash(error, number, nearest)
        if not line.lstrip().startswith("-") and error.context_column == indent - 1:
            return Mistake(  # at the column of the items' text: only the dash is missing
                number,
                indent - 1,
                "tiret « - » manquant devant cet élément de liste",
                f"remplacez les 2 espaces avant le texte par « - », comme ligne "
                f"{error.context_line} : {shown('- ' + line.strip())}",
            )
        return None
    item_column = _item_key_column(error, number, key)
    if item_column is not None and item_column != indent:
        change = (
            f"ajoutez {_spaces(item_column - indent)}"
            if item_column > indent
            else f"retirez {_spaces(indent - item_column)}"
        )
        return Mistake(
            number,
            indent + 1,
            f"« {key}: » n'est pas aligné sur les champs de l'élément de liste au-dessus",
            f"{change} au début de la ligne {number}, pour l'aligner sur le texte qui suit « - » "
            f"({_spaces(item_column)}) : {shown(line)}",
        )
    owner = next(
        (
            n
            for n in error.before(error.context_line)
            if error.indent(n) < indent and _key_of(error.text(n)) is not None
        ),
        None,
    )
    if owner is None:
        return None
    target = error.indent(owner)
    return Mistake(
        number,
        indent + 1,
        f"« {key}: » est indenté comme les éléments de la liste au-dessus",
        f"alignez-le sur « {_key_of(error.text(owner))}: » (ligne {owner}) en retirant "
        f"{_spaces(indent - target)} : {shown(' ' * target + line.lstrip(' '))}",
    )


def _item_key_column(error: SyntaxError_, number: int, key: str) -> int | None:
    """The indentation of the keys of the list item above line ``number``, when ``key``
    is one of the keys that the items of the file have (« valeur » after « - libelle: »)."""
    item = next((n for n in error.before(number) if error.text(n).lstrip().startswith("- ")), None)
    if item is None or _key_of(error.text(item)) is None:
        return None
    column = _key_column(error.text(item))
    item_keys = {
        _key_of(text)
        for text in error.lines
        if text.lstrip().startswith("- ") or error.indent_of(text) == column
    }
    return column if key in item_keys else None


def _first_line_off(error: SyntaxError_) -> Mistake | None:
    """The first line of a block one or two spaces off: YAML takes its indentation for
    the block's, and stumbles on the next line, which is where it should be."""
    if not error.problem.startswith(("did not find expected key", "did not find expected '-'")):
        return None
    number = error.line
    indent = error.indent(number)
    if error.column != indent + 1:
        return None
    openers = [
        n
        for n in list(error.before(number))[:40]
        if error.indent(n) + 2 == indent and error.text(n).rstrip().endswith(":")
    ]
    for opener in openers[:3]:
        found = _first_child_off(error, opener, number)
        if found is not None:
            return found
    return None


def _first_child_off(error: SyntaxError_, opener: int, number: int) -> Mistake | None:
    indent = error.indent(number)
    first = next(error.after(opener), number)
    dash = error.text(number).lstrip().startswith("-")
    first_dash = error.text(first).lstrip().startswith("-")
    if first < number and dash and not first_dash and error.indent(first) == indent + 2:
        return Mistake(  # the first item of the list, without its dash
            first,
            indent + 1,
            "tiret « - » manquant devant le premier élément de la liste",
            f"remplacez les 2 espaces avant le texte par « - », comme ligne {number} : "
            + shown("- " + error.text(first).strip()),
        )
    if (
        first >= number
        or error.indent(first) == indent
        or first_dash != dash
        or any(
            error.indent(n) <= max(indent, error.indent(first))
            for n in error.after(first)
            if n < number
        )
    ):
        return None
    off = error.indent(first) - indent
    change = f"retirez {_spaces(off)}" if off > 0 else f"ajoutez {_spaces(-off)}"
    return Mistake(
        first,
        error.indent(first) + 1,
        f"{_named(error.text(first))} n'est pas alignée sur la suivante du même bloc (ligne "
        f"{number}, {_spaces(indent)})",
        f"{change} au début de la ligne {first} : {shown(error.text(first))}",
    )


def _misaligned_key(error: SyntaxError_) -> Mistake | None:
    """« did not find expected key »: a line whose indentation fits no block around it.
    Either a line above went back too far (the block it left goes on below it), or this
    line is off by a space or two from its neighbours."""
    if not error.problem.startswith(("did not find expected key", "did not find expected '-'")):
        return None
    number = error.line
    line = error.text(number)
    indent = error.indent(number)
    if error.column != indent + 1 or not line.strip():
        return None
    dedented = next((n for n in error.before(number) if error.indent(n) <= indent), None)
    if dedented is not None and error.indent(dedented) < indent:
        sibling = next((n for n in error.before(dedented) if error.indent(n) <= indent), None)
        if sibling is not None and error.indent(sibling) == indent:
            culprit = error.text(dedented)
            missing = indent - error.indent(dedented)
            return Mistake(
                dedented,
                error.indent(dedented) + 1,
                f"ligne moins indentée que ses voisines (lignes {sibling} et {number}, "
                f"{_spaces(indent)})",
                f"ajoutez {_spaces(missing)} au début de la ligne {dedented} : "
                + shown(" " * indent + culprit.lstrip(" ")),
            )
    is_item = line.lstrip().startswith("- ")
    year = (_key_of(line) or "").isdigit()
    best: tuple[bool, int, int] | None = None  # (other kind of key, distance, line)
    for other in error.before(number):
        other_text = error.text(other)
        if error.indent(other) < error.indent(error.context_line) and other < error.context_line:
            break
        if is_item != other_text.lstrip().startswith("- "):
            continue
        if not is_item and _key_of(other_text) is None:
            continue
        distance = abs(error.indent(other) - indent)
        rank = ((_key_of(other_text) or "").isdigit() != year, distance, -other)
        if distance and (best is None or rank < best):
            best = rank
    if best is None:
        return None
    other = -best[2]
    target = error.indent(other)
    what = "la ligne de cet élément de liste" if is_item else _named(line)
    change = (
        f"ajoutez {_spaces(target - indent)}"
        if target > indent
        else f"retirez {_spaces(indent - target)}"
    )
    return Mistake(
        number,
        indent + 1,
        f"{what} n'est pas alignée sur ses voisines ({_spaces(indent)} au lieu de {target})",
        f"{change} au début de la ligne {number}, comme ligne {other} : "
        + shown(" " * target + line.lstrip(" ")),
    )


# --- Characters that YAML reserves -----------------------------------------------------------


def _reserved_start(error: SyntaxError_) -> Mistake | None:
    """A text that starts with « @ », « ` », « % », « * », « & », « | » or « > »."""
    reserved = {
        "found character that cannot start any token": "@`%",
        "did not find expected alphabetic or numeric character": "*&",
        "did not find expected comment or line break": "|>",
    }
    chars = next((c for p, c in reserved.items() if error.problem.startswith(p)), None)
    if chars is None:
        return None
    number = error.context_line or error.line
    prefix, value = split_value(error.text(number))
    if not value or value[0] not in chars:
        return None
    return Mistake(
        number,
        len(prefix) + 1,
        f"un texte ne peut pas commencer par « {value[0]} » sans guillemets",
        "mettez le texte entre guillemets : " + shown(prefix + quoted(value)),
    )


_BLOCK_START = re.compile(r"(?:^|[ -]|: )[|>][-+]?[1-9]?\s*(?:#.*)?$")


def _dedented_in_block(error: SyntaxError_) -> Mistake | None:
    """A line of a « | » or « >- » text less indented than the text around it: YAML ends
    the text there, and stumbles on the lines after it."""
    for number in range(error.line, max(error.line - 60, 0), -1):
        line = error.text(number)
        if not _BLOCK_START.search(line) or line.lstrip().startswith("#"):
            continue
        content = next(error.after(number), None)
        if content is None or content > error.line:
            return None
        opened = error.indent(number) + (2 if line.lstrip().startswith("- ") else 0)
        if error.indent(content) <= error.indent(number):
            if _key_of(error.text(content)) is not None or error.text(content).lstrip()[:1] == "-":
                return None  # an empty text, then the next field
            return Mistake(
                content,
                error.indent(content) + 1,
                f"le texte de « {line.strip()} » (ligne {number}) n'est pas plus indenté que "
                "la ligne qui l'ouvre",
                f"ajoutez {_spaces(opened + 2 - error.indent(content))} au début de chaque "
                f"ligne du texte, à partir de la ligne {content}",
            )
        depth = error.indent(content)
        second = next(error.after(content), None)
        if (
            second is not None
            and second <= error.line
            and opened <= error.indent(second) < depth
            and _key_of(error.text(second)) is None
        ):
            return Mistake(  # the first line of the text went too deep: it sets the indentation
                content,
                depth + 1,
                f"la première ligne du texte ouvert ligne {number} est plus indentée que les "
                f"suivantes (ligne {second})",
                f"retirez {_spaces(depth - error.indent(second))} au début de la ligne {content}",
            )
        for later in error.after(content):
            if later > error.line:
                return None
            if error.indent(later) >= depth:
                continue
            resumed = next(error.after(later), None)
            text = error.text(later).rstrip()
            if (
                resumed is None
                or error.indent(resumed) < depth
                or error.line - later > 5
                or _BLOCK_START.search(text)
                or text.endswith(":")
            ):
                return None  # the text really ended there
            return Mistake(
                later,
                error.indent(later) + 1,
                f"cette ligne est moins indentée que le texte commencé ligne {number} "
                f"(« {line.strip()[-2:].strip()} »), qui continue après elle",
                f"ajoutez {_spaces(depth - error.indent(later))} au début de la ligne {later}, "
                f"comme les autres lignes de ce texte ({_spaces(depth)})",
            )
        return None
    return None


def _continuation_dedented(error: SyntaxError_) -> Mistake | None:
    """A line of a text less indented than the line it continues (often by one space):
    YAML takes it for something else, a list item without its dash for instance."""
    if not error.problem.startswith(("did not find expected '-'", "did not find expected key")):
        return None
    number = error.line
    line = error.text(number)
    if error.column != error.indent(number) + 1 or _key_of(line) is not None:
        return None
    if line.lstrip()[:1] in "-\"'[{":
        return None
    above = next(error.before(number), None)
    if above is None or error.indent(above) <= error.indent(number):
        return None
    upper = error.text(above)
    if _key_of(upper) is not None and not _BLOCK_START.search(upper):
        return None
    target = error.indent(above)
    if upper.lstrip().startswith("- "):
        target += 2  # the text of an item starts after its dash
        if _BLOCK_START.search(upper):
            return None
    return Mistake(
        number,
        error.indent(number) + 1,
        f"cette ligne est moins indentée que le texte qu'elle continue (ligne {above})",
        f"ajoutez {_spaces(target - error.indent(number))} au début de la ligne {number}, "
        f"pour l'aligner sur le texte de la ligne {above}",
    )


def _indented_first_line(error: SyntaxError_) -> Mistake | None:
    """The first field of the file indented: YAML reads the fields after it as a second
    document."""
    if not error.problem.startswith("did not find expected <document start>"):
        return None
    first = next((n for n in range(1, len(error.lines) + 1) if not error.blank(n)), None)
    if first is None or error.indent(first) == 0 or error.indent(error.line) != 0:
        return None
    return Mistake(
        first,
        1,
        "la première ligne de la fiche est indentée, alors que les champs du premier niveau "
        "commencent en colonne 1",
        f"retirez {_spaces(error.indent(first))} au début de la ligne {first} : "
        + shown(error.text(first)),
    )


def _stray_character(error: SyntaxError_) -> Mistake | None:
    """A character YAML reserves (« ` », « @ », « % ») typed inside a line, by mistake."""
    line = error.text(error.line)
    at = error.column - 1
    if not 0 <= at < len(line):
        return None
    if error.problem.startswith("found character that cannot start any token"):
        if line[at] not in "`@%":
            return None
    elif (
        not error.problem.startswith("did not find expected node content") or line[at] not in "]},"
    ):
        return None
    return Mistake(
        error.line,
        error.column,
        f"caractère « {line[at]} » inattendu à cet endroit",
        f"supprimez-le, ou mettez le texte entre guillemets : {shown(line[:at] + line[at + 1 :])}",
    )


def _dash_as_value(error: SyntaxError_) -> Mistake | None:
    """« valeur: - » : a lone dash after a key starts a list where YAML forbids one."""
    if not error.problem.startswith("block sequence entries are not allowed"):
        return None
    line = error.text(error.line)
    prefix, value = split_value(line)
    key = _key_of(line)
    if key is None or not value.startswith("-"):
        return None
    return Mistake(
        error.line,
        len(prefix) + 1,
        f"« - » après « {key}: » : YAML y lit le début d'une liste",
        f"pour laisser « {key} » vide, supprimez la ligne {error.line} ; pour un texte qui "
        f"commence par un tiret, mettez-le entre guillemets : {shown(prefix + quoted(value))}",
    )


def _empty_cell(error: SyntaxError_) -> Mistake | None:
    """« [, 1, 2] » : an empty place in a list between brackets."""
    line = error.text(error.line)
    found = re.search(r"\[\s*,|,\s*,|,\s*\]", line)
    if not error.problem.startswith("did not find expected node content") or found is None:
        return None
    fixed = line
    while re.search(r"\[\s*,|,\s*,|,\s*\]", fixed):
        fixed = re.sub(r"\[\s*,", "[null,", fixed)
        fixed = re.sub(r",\s*,", ", null,", fixed)
        fixed = re.sub(r",\s*\]", "]", fixed)
    return Mistake(
        error.line,
        found.start() + 1,
        "case vide dans une liste entre crochets",
        f"une case vide s'écrit null : {shown(fixed)}",
    )


_DETECTORS: tuple[Callable[[SyntaxError_], Mistake | None], ...] = (
    _tab,
    _no_break_space,
    _empty_cell,
    _unclosed_bracket,
    _dedented_in_block,
    _dash_as_value,
    _quote_on_error_line,
    _unclosed_quote,
    _lost_block_indicator,
    _first_item_without_dash,
    _colon_in_value,
    _item_swallowed,
    _absorbed_key,
    _simple_key_without_colon,
    _first_line_off,
    _key_among_items,
    _misaligned_key,
    _reserved_start,
    _continuation_dedented,
    _indented_first_line,
    _stray_character,
)
