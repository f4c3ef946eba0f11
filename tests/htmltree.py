"""A small element tree over the standard html.parser, enough for tests to look inside pages.

The report is HTML5, not XML (void elements, no namespaces), so xml.etree cannot read it.
Badly nested or unclosed tags are recorded in ``Document.problems`` instead of being repaired
silently, so that a test can insist on clean markup.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser

VOID = frozenset(
    {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}
)


@dataclass(eq=False)
class Element:
    """One element: tag, attributes, children (elements and text)."""

    tag: str
    attrs: dict[str, str]
    children: list[Element | str] = field(default_factory=list)

    def iter(self) -> Iterator[Element]:
        """This element and all its descendants, in document order."""
        yield self
        for child in self.children:
            if isinstance(child, Element):
                yield from child.iter()

    def find_all(
        self, tag: str | None = None, class_: str | None = None, **attrs: str
    ) -> list[Element]:
        """Descendants (and self) by tag, by one class token, and by exact attribute values."""
        return [
            element
            for element in self.iter()
            if (tag is None or element.tag == tag)
            and (class_ is None or class_ in element.classes)
            and all(element.attrs.get(name) == value for name, value in attrs.items())
        ]

    def find(self, tag: str | None = None, class_: str | None = None, **attrs: str) -> Element:
        """The first match; fails the test if there is none."""
        found = self.find_all(tag, class_, **attrs)
        assert found, f"aucun élément {tag or '*'} class={class_} {attrs} dans <{self.tag}>"
        return found[0]

    def by_id(self, ident: str) -> Element:
        return self.find(id=ident)

    @property
    def classes(self) -> set[str]:
        return set(self.attrs.get("class", "").split())

    def text(self) -> str:
        """The text content, whitespace collapsed."""
        return re.sub(r"\s+", " ", "".join(self._texts())).strip()

    def _texts(self) -> Iterator[str]:
        for child in self.children:
            if isinstance(child, str):
                yield child
            else:
                yield from child._texts()


@dataclass(eq=False)
class Document(Element):
    """The root of a parsed page, with the nesting problems met while parsing."""

    problems: list[str] = field(default_factory=list)


class _Builder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Document("#document", {})
        self.stack: list[Element] = [self.root]

    def _element(self, tag: str, attrs: list[tuple[str, str | None]]) -> Element:
        element = Element(tag, {name: value or "" for name, value in attrs})
        self.stack[-1].children.append(element)
        return element

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        element = self._element(tag, attrs)
        if tag not in VOID:
            self.stack.append(element)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._element(tag, attrs)

    def handle_endtag(self, tag: str) -> None:
        for index in range(len(self.stack) - 1, 0, -1):
            if self.stack[index].tag == tag:
                for unclosed in self.stack[index + 1 :]:
                    self.root.problems.append(f"<{unclosed.tag}> non fermé avant </{tag}>")
                del self.stack[index:]
                return
        self.root.problems.append(f"</{tag}> sans ouverture")

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(html: str) -> Document:
    builder = _Builder()
    builder.feed(html)
    builder.close()
    for unclosed in builder.stack[1:]:
        builder.root.problems.append(f"<{unclosed.tag}> jamais fermé")
    return builder.root
