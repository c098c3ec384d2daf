"""Jinja2 for the console: autoescaping everywhere, and the few filters pages share.

Listing text is written by strangers, so every template is autoescaped (``.html`` or
not) and no filter here returns ``Markup`` built from its input without escaping it
first (:func:`highlight` escapes each piece it joins).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup, escape

__all__ = ["highlight", "make_environment"]


def make_environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("patrol.web", "templates"),
        autoescape=True,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        auto_reload=False,
    )
    environment.filters["when"] = _when
    environment.filters["day"] = _day
    environment.filters["score"] = lambda value: "" if value is None else f"{value:.2f}"
    environment.filters["highlight"] = highlight
    environment.filters["price"] = _price
    return environment


def _price(value: Decimal) -> str:
    """A stored price (four decimal places in the database) as a shop shows it: 5099.00."""
    return f"{value:.2f}" if value == value.quantize(Decimal("0.01")) else f"{value.normalize():f}"


# isoformat, not strftime: a queue page formats a hundred of these, and it is 3x faster
def _when(value: datetime | None) -> str:
    """``2026-12-02 14:05`` in UTC."""
    return value.astimezone(UTC).isoformat(" ", "minutes")[:16] if value else ""


def _day(value: datetime | None) -> str:
    """``2026-12-02`` in UTC."""
    return value.astimezone(UTC).date().isoformat() if value else ""


def highlight(text: str | None, spans: Iterable[Any]) -> Markup:
    """``text`` with each ``[start, end)`` span wrapped in ``<mark>``, everything escaped.

    Overlapping or out-of-range spans are merged and clipped, never trusted.
    """
    text = text or ""
    cleaned: list[tuple[int, int]] = []
    for span in spans:
        try:
            start, end = max(0, int(span[0])), min(len(text), int(span[1]))
        except (TypeError, ValueError, IndexError):
            continue
        if start < end:
            cleaned.append((start, end))
    cleaned.sort()
    merged: list[tuple[int, int]] = []
    for start, end in cleaned:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    parts: list[str] = []
    position = 0
    for start, end in merged:
        parts.append(str(escape(text[position:start])))
        parts.append(f"<mark>{escape(text[start:end])}</mark>")
        position = end
    parts.append(str(escape(text[position:])))
    return Markup("".join(parts))
