"""Output files are all or nothing, and formula-looking text is neutralised (numbers are not)."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

import pytest

from patrol.errors import PatrolError
from patrol.exports.cells import neutralise
from patrol.exports.files import atomic_output
from patrol.exports.tables import Column, Table, write_csv


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "leads.csv"
    target.write_text("previous export\n", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_output(target) as temporary:
        temporary.write_text("half of a new exp", encoding="utf-8")
        raise RuntimeError("interrupted")
    assert target.read_text(encoding="utf-8") == "previous export\n"
    assert [p.name for p in tmp_path.iterdir()] == ["leads.csv"]


def test_a_missing_folder_is_refused_before_writing(tmp_path: Path) -> None:
    with pytest.raises(PatrolError, match="does not exist"), atomic_output(tmp_path / "no" / "x"):
        pass


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Nike -50%", "Nike -50%"),
        ("", ""),
        (-5, -5),
    ],
)
def test_neutralise(value: object, expected: object) -> None:
    assert neutralise(value) == expected


def test_csv_keeps_negative_numbers_numeric(tmp_path: Path) -> None:
    table = Table("t", "t", [Column("title", "Title"), Column("delta", "Delta", "number")])
    table.rows = [["-2+3", Decimal("-4.50")]]
    write_csv(tmp_path / "t.csv", [table])
    rows = list(csv.reader((tmp_path / "t.csv").open(encoding="utf-8", newline="")))
    assert rows == [["Title", "Delta"], ["'-2+3", "-4.50"]]
