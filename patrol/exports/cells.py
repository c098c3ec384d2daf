"""Neutralising spreadsheet formulas in listing text (CSV/formula injection).

A listing title is written by whoever sells on the marketplace; opened in Excel or
LibreOffice, a cell that starts with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return
(even after leading spaces) may be run as a formula. Following the OWASP CSV-injection
guidance, such text cells are prefixed with a single quote, in CSV and XLSX alike; JSON
keeps the raw text. Numbers and dates are real numbers and dates, never text, so they need
no escaping.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FORMULA_TRIGGERS", "neutralise", "neutralise_row"]

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """``value`` with a leading ``'`` if it is text a spreadsheet could run as a formula.

    Also when spaces or line breaks come first (" =1+1", "\u3000=1+1", "\n=1+1"): some
    spreadsheets skip them before they look for a formula. Text that went through the
    normalise pipeline has none at its ends, but not every row in the database did.
    """
    if isinstance(value, str) and (
        value.startswith(FORMULA_TRIGGERS) or value.lstrip().startswith(FORMULA_TRIGGERS)
    ):
        return "'" + value
    return value


def neutralise_row(row: list[Any]) -> list[Any]:
    return [neutralise(value) for value in row]
