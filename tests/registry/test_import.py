"""Registry import: the seven real ST.66 records, CSV formats, bad input, re-import."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import func, select, text

from patrol.cli import cli
from patrol.db import Database, registry_snapshot
from patrol.db.models import AuthorisedSellerRow, PatentRow, TrademarkRow
from patrol.registry.importer import import_files
from patrol.registry.st66 import ST66_NAMESPACE

ST66 = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "st66"
TRADEMARK_HEADER = (
    "office,mark,application_number,application_date,registration_number,"
    "registration_date,status,nice_classes,goods,holder\n"
)


def _count(db: Database, model: type) -> int:
    with db.sessions() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_seven_st66_files_import_then_search(db: Database) -> None:
    files = sorted(ST66.glob("*.xml"))
    assert len(files) == 7
    results = import_files(db, files)
    assert [r.problems for r in results] == [[]] * 7
    assert sum(r.inserted for r in results) == 7

    again = import_files(db, files)
    assert sum(r.unchanged for r in again) == 7
    assert _count(db, TrademarkRow) == 7

    with db.sessions() as session:
        marks = {tm.mark: tm for tm in registry_snapshot(session).trademarks}
    python = marks["PYTHON"]
    assert (python.registration_number, python.application_number) == ("2824281", "76044902")
    assert python.nice_classes == ("009", "042")
    assert python.registration_date == date(2004, 3, 23)
    assert python.holder == "PYTHON SOFTWARE FOUNDATION"
    assert marks["JAVA"].holder == "Oracle America, Inc."  # the owner after registration
    assert marks["BURGER ADDICT"].status == "pending"
    assert marks["BURGER ADDICT"].registration_number is None
    assert marks[None].nice_classes == ("014", "025", "030")  # the design mark

    runner = CliRunner()
    result = runner.invoke(cli, ["registry", "search", "python"])
    assert result.exit_code == 0, result.output
    first = result.output.splitlines()[0]
    assert "PYTHON" in first and "2824281" in first and "009, 042" in first
    result = runner.invoke(cli, ["registry", "search", "ultra book"])
    assert "ULTRABOOK" in result.output.splitlines()[0]
    assert "4281391" in result.output
    result = runner.invoke(cli, ["registry", "search", "ｐｙｔｈｏｎ", "--class", "42"])
    assert "PYTHON" in result.output
    result = runner.invoke(cli, ["registry", "search", "python", "--class", "25"])
    assert "nothing found" in result.output


def test_truncated_and_foreign_namespace_xml(db: Database, tmp_path: Path) -> None:
    text = (ST66 / "sn76044902-ST66.xml").read_text(encoding="utf-8")
    truncated = tmp_path / "truncated.xml"
    truncated.write_text(text[: len(text) // 2], encoding="utf-8")
    foreign = tmp_path / "foreign.xml"
    foreign.write_text(text.replace("http://www.wipo.int/standards/XMLSchema/trademarks", "urn:x"))
    no_number = tmp_path / "nonumber.xml"
    no_number.write_text(
        text.replace("<ApplicationNumber>76044902</ApplicationNumber>", "").replace(
            "<RegistrationNumber>2824281</RegistrationNumber>", ""
        )
    )
    good = ST66 / "sn85334015-ST66.xml"
    results = import_files(db, [truncated, foreign, no_number, good])
    messages = [str(p) for r in results for p in r.problems]
    assert any("truncated.xml:line 1: XML error" in m for m in messages), messages
    assert any("foreign.xml" in m and "namespace urn:x" in m for m in messages), messages
    assert any("nonumber.xml:line 1 /" in m and "missing ApplicationNumber" in m for m in messages)
    assert _count(db, TrademarkRow) == 1  # the good file still imported


def test_trademark_csv_bad_rows_are_reported_and_the_rest_imported(
    db: Database, tmp_path: Path
) -> None:
    path = tmp_path / "marks.csv"
    path.write_text(
        "\ufeff"
        + TRADEMARK_HEADER
        + "CN,耐克,A1,2001-02-03,R1,2002-03-04,registered,25;28,shoes,Nike Inc\n"
        + "CN,ADIDAS,A2,03/04/2001,,,registered,25,,\n"
        + "CN,PUMA,A3,,,,registered,99,,\n"
        + "CN,耐克 again,A1,,,,registered,25,,\n"
        + ",NOOFFICE,A9,,,,,,,\n",
        encoding="utf-8",
    )
    (result,) = import_files(db, [path])
    problems = [str(p) for p in result.problems]
    assert problems == [
        f"{path}:line 3: '03/04/2001' is not a date (YYYY-MM-DD)",
        f"{path}:line 4: Nice class '99' is not a number from 1 to 45",
        f"{path}:line 5: duplicate of line 2 (same key CN/A1)",
        f"{path}:line 6: empty required field(s): office",
    ]
    assert result.inserted == 1
    with db.sessions() as session:
        row = session.scalars(select(TrademarkRow)).one()
        assert (row.mark, row.nice_classes, row.mark_normalised) == ("耐克", "025;028", "耐克")

    strict = CliRunner().invoke(cli, ["registry", "import", "--strict", str(path)])
    assert strict.exit_code == 2
    assert "NOT imported" in strict.output


def test_gbk_and_missing_columns(db: Database, tmp_path: Path) -> None:
    gbk = tmp_path / "gbk.csv"
    gbk.write_bytes(
        (TRADEMARK_HEADER + "CN,ASCII MARK,B1,,,,,25,,\nCN,耐克,B2,,,,,25,,\n").encode("gbk")
    )
    (result,) = import_files(db, [gbk])
    assert [p.where for p in result.problems] == ["line 3"]
    assert "not UTF-8" in result.problems[0].message
    assert result.inserted == 1

    missing = tmp_path / "patents.csv"
    missing.write_text("number,kind,title\nCN201510123456.7,invention,x\n", encoding="utf-8")
    (result,) = import_files(db, [missing], kind="patents")
    assert "missing column(s) holder, filing_date, status, expiry" in str(result.problems[0])
    assert _count(db, PatentRow) == 0


def test_patents_and_sellers_csv_reimport_updates(db: Database, tmp_path: Path) -> None:
    patents = tmp_path / "patents.csv"
    header = "number,kind,title,holder,filing_date,status,expiry\n"
    patents.write_text(
        header + "ZL 2015 1 0123456.7,invention,Hinge,ACME,2015-03-01,in_force,2035-03-01\n"
        '"US 9,876,543 B2",design,Cup,ACME,2014-01-01,expired,2020-01-01\n',
        encoding="utf-8",
    )
    sellers = tmp_path / "sellers.csv"
    sellers.write_text(
        "marketplace,shop_id,brand_id,kind\nshopmall,nike-store,nike,official\n",
        encoding="utf-8",
    )
    results = import_files(db, [patents, sellers])
    assert [r.kind for r in results] == ["patents", "sellers"]
    assert [r.inserted for r in results] == [2, 1]
    patents.write_text(
        header + "CN201510123456.7,invention,Hinge,ACME,2015-03-01,lapsed,2035-03-01\n",
        encoding="utf-8",
    )
    (result,) = import_files(db, [patents])
    assert result.updated == 1
    assert _count(db, PatentRow) == 2
    assert _count(db, AuthorisedSellerRow) == 1
    with db.sessions() as session:
        snapshot = registry_snapshot(session)
    assert {p.number: p.status for p in snapshot.patents} == {
        "CN201510123456.7": "lapsed",
        "US9876543": "expired",
    }
    assert snapshot.authorised_sellers[0].kind == "official"

    result = CliRunner().invoke(cli, ["registry", "search", "ZL201510123456.7", "--json"])
    assert '"number": "CN201510123456.7"' in result.output


@pytest.mark.parametrize("argument", ["0", "x"])
def test_search_rejects_a_bad_class(db: Database, argument: str) -> None:
    result = CliRunner().invoke(cli, ["registry", "search", "nike", "--class", argument])
    assert result.exit_code == 2
    assert "Nice class" in result.output


PATENT_HEADER = "number,kind,title,holder,filing_date,status,expiry\n"


def _import(*args: str | Path) -> Result:
    return CliRunner().invoke(cli, ["registry", "import", *map(str, args)])


def test_a_failing_file_is_named_and_the_files_after_it_are_imported(
    db: Database, tmp_path: Path
) -> None:
    unreadable = Path("/proc/self/mem")  # a regular file whose read fails (EIO), even as root
    wrong_header = tmp_path / "wrong.csv"
    wrong_header.write_text("foo,bar\n1,2\n", encoding="utf-8")
    broken = tmp_path / "broken.xml"
    broken.write_text(f'<Transaction xmlns="{ST66_NAMESPACE}"><TradeMark', encoding="utf-8")
    folder = tmp_path / "folder.csv"
    folder.mkdir()
    marks = tmp_path / "marks.csv"
    marks.write_text(TRADEMARK_HEADER + "CN,耐克,A1,,,,registered,25,,\n", encoding="utf-8")
    patents = tmp_path / "patents.csv"
    patents.write_text(PATENT_HEADER + "ZL201510123456.7,invention,Hinge,,,,\n")
    good_xml = ST66 / "sn85334015-ST66.xml"
    files = [unreadable, marks, wrong_header, broken, folder, tmp_path / "gone.csv"]
    result = _import(*files, patents, good_xml)
    assert result.exit_code == 2, result.output
    for line in (
        f"problem: {unreadable}: cannot read: Input/output error",
        f"problem: {wrong_header}: cannot tell what this file holds",
        f"problem: {broken}:line 1: XML error",
        f"problem: {folder}: not a regular file",
        f"problem: {tmp_path / 'gone.csv'}: no such file",
        f"{unreadable}: NOT imported (1 problem(s))",
        f"{marks}: trademarks: 1 new",
        f"{patents}: patents: 1 new",
        f"{good_xml}: st66: 1 new",
    ):
        assert line in result.output, line
    assert "Traceback" not in result.output
    assert result.output.splitlines()[-1] == (
        "Error: 5 of 8 file(s) could not be imported (see the problems above)"
    )
    assert (_count(db, TrademarkRow), _count(db, PatentRow)) == (2, 1)


def test_strict_is_per_file_among_many(db: Database, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text(TRADEMARK_HEADER + "CN,A,A1,,,,,25,,\nCN,B,A2,,,,,99,,\n", encoding="utf-8")
    good = tmp_path / "good.csv"
    good.write_text(TRADEMARK_HEADER + "CN,C,A3,,,,,25,,\n", encoding="utf-8")
    result = _import("--strict", bad, good)
    assert result.exit_code == 2, result.output
    assert f"{bad}: NOT imported (--strict: 1 problem(s))" in result.output
    assert f"{good}: trademarks: 1 new" in result.output
    assert "Error: 1 of 2 file(s) could not be imported" in result.output
    with db.sessions() as session:
        assert session.scalars(select(TrademarkRow.mark)).all() == ["C"]

    result = _import(bad, good)  # without --strict: A and C, and one record left out
    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[-1] == (
        "Error: 1 record(s) could not be imported (see the problems above)"
    )
    assert _count(db, TrademarkRow) == 2


def test_a_record_the_database_cannot_store_is_a_problem(db: Database, tmp_path: Path) -> None:
    marks = tmp_path / "marks.csv"
    marks.write_text(
        TRADEMARK_HEADER
        + "CN,GOOD,A1,,,,,25,,\n"
        + "VERYLONGOFFICE,LONG,A2,,,,,25,,\n"
        + "CN,N\0UL,A3,,,,,25,,\n"
        + f"CN,NUMBER,{'9' * 101},,,,,25,,\n",
        encoding="utf-8",
    )
    sellers = tmp_path / "sellers.csv"
    sellers.write_text(f"marketplace,shop_id,brand_id,kind\ntaoji,{'s' * 201},nike,\n")
    patents = tmp_path / "patents.csv"
    patents.write_text(PATENT_HEADER + "ZL201510123456.7,invention,Hinge,,,,\n")
    result = _import(marks, sellers, patents)
    assert result.exit_code == 2, result.output
    for line in (
        f"{marks}:line 3: not imported: office is 14 characters long, at most 10 fit",
        f"{marks}:line 4: not imported: mark holds a NUL character",
        f"{marks}:line 5: not imported: application_number is 101 characters long",
        f"{sellers}:line 2: not imported: shop_id is 201 characters long, at most 200 fit",
        f"{marks}: trademarks: 1 new, 0 updated, 0 unchanged, 3 problem(s)",
        f"{sellers}: NOT imported (1 problem(s))",
        f"{patents}: patents: 1 new",
        "Error: 1 of 3 file(s) could not be imported, and 3 record(s) in the other files "
        "could not be imported",
    ):
        assert line in result.output, line
    with db.sessions() as session:
        assert session.scalars(select(TrademarkRow.mark)).all() == ["GOOD"]
    assert _count(db, PatentRow) == 1


def test_a_file_the_database_refuses_is_reported_and_the_next_imported(
    db: Database, tmp_path: Path
) -> None:
    """The database itself refuses a row (here a trigger or check constraint does)."""
    postgres = db.url.startswith("postgresql")
    with db.engine.begin() as connection:
        if postgres:
            connection.execute(
                text("ALTER TABLE patents ADD CONSTRAINT no_refuse CHECK (title <> 'refuse')")
            )
        else:
            connection.execute(
                text(
                    "CREATE TRIGGER no_refuse BEFORE INSERT ON patents WHEN NEW.title = 'refuse' "
                    "BEGIN SELECT RAISE(ABORT, 'refused by a trigger'); END"
                )
            )
    refused = tmp_path / "refused.csv"
    refused.write_text(
        PATENT_HEADER + "ZL201510123456.7,invention,fine,,,,\nUS9876543,design,refuse,,,,\n"
    )
    sellers = tmp_path / "sellers.csv"
    sellers.write_text("marketplace,shop_id,brand_id,kind\ntaoji,nike-store,nike,official\n")
    try:
        result = _import(refused, sellers)
    finally:
        with db.engine.begin() as connection:
            if postgres:
                connection.execute(text("ALTER TABLE patents DROP CONSTRAINT no_refuse"))
            else:
                connection.execute(text("DROP TRIGGER no_refuse"))
    assert result.exit_code == 2, result.output
    assert f"problem: {refused}: NOT imported: the database refused it: " in result.output
    assert f"{refused}: NOT imported (1 problem(s))" in result.output
    assert f"{sellers}: sellers: 1 new" in result.output
    assert "Error: 1 of 2 file(s) could not be imported" in result.output
    assert "Traceback" not in result.output
    assert (_count(db, PatentRow), _count(db, AuthorisedSellerRow)) == (0, 1)  # all or nothing
