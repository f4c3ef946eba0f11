"""Quarters ("2015-T4") as consecutive integers, so that calendars can be aligned."""

from __future__ import annotations


def quarter_index(quarter: str) -> int:
    """``"2015-T4"`` → a number that grows by one per quarter."""
    year, q = quarter.split("-T")
    return int(year) * 4 + int(q) - 1


def quarter_label(index: int) -> str:
    """Inverse of :func:`quarter_index`, in the report's French form: ``"T4 2015"``."""
    return f"T{index % 4 + 1} {index // 4}"


def quarter_id(index: int) -> str:
    """Inverse of :func:`quarter_index`, in the data's form: ``"2015-T4"``."""
    return f"{index // 4}-T{index % 4 + 1}"


def quarter_span(first: str, last: str) -> list[int]:
    """Every quarter from ``first`` to ``last`` included."""
    return list(range(quarter_index(first), quarter_index(last) + 1))
