"""Files saved as GBK (or Latin-1) are refused with their line and column, not a byte offset."""

from __future__ import annotations

from pathlib import Path

import pytest

from patrol.crawl.profile import ProfileError, load_profile
from patrol.errors import PatrolError
from patrol.marketplaces.faults import load_faults
from patrol.schedule.config import ScheduleError, load_schedule
from patrol.screening.loader import read_rulebook
from patrol.textfiles import NotUtf8Error, decode_utf8

GBK = "# 你好\n".encode("gbk")


@pytest.mark.parametrize(
    ("data", "line", "column", "byte"),
    [
        (b"name: x\n" + GBK, 2, 3, 0xC4),
        (b"\xef\xbb\xbf" + "价格: ".encode() + "￥".encode("gbk"), 1, 5, 0xA3),
        (b"a\r\nb: \xff\n", 2, 4, 0xFF),
    ],
)
def test_the_first_bad_byte_is_named_by_line_and_column(
    data: bytes, line: int, column: int, byte: int
) -> None:
    with pytest.raises(NotUtf8Error) as caught:
        decode_utf8(data)
    assert (caught.value.line, caught.value.column, caught.value.byte) == (line, column, byte)
    assert f"0x{byte:02x} at column {column}" in str(caught.value)


def test_utf8_with_a_byte_order_mark_reads_without_it() -> None:
    assert decode_utf8("\ufeff品牌: 耐克\n".encode()) == "品牌: 耐克\n"


def test_a_gbk_site_profile_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "gbk.yaml"
    path.write_bytes(b"name: gbk\nbase_url: http://127.0.0.1:1/\n" + GBK)
    with pytest.raises(ProfileError) as caught:
        load_profile(str(path))
    assert str(caught.value).startswith(f"{path}:3: cannot read site profile: byte 0xc4")


def test_a_gbk_rulebook_is_a_problem_on_its_line(tmp_path: Path) -> None:
    (tmp_path / "rules.yaml").write_bytes(b"rules:\n  - id: r1\n" + GBK)
    problems = read_rulebook(tmp_path).problems
    lines = [(p.origin.line, p.message) for p in problems if "UTF-8" in p.message]
    assert lines == [
        (3, "byte 0xc4 at column 3 is not UTF-8 (a GBK or Latin-1 file? save it as UTF-8)")
    ]


def test_a_gbk_faults_file_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "faults.yaml"
    path.write_bytes(b"error_rate: 0.1\n" + GBK)
    with pytest.raises(PatrolError) as caught:
        load_faults(str(path))
    assert f"{path}:2: cannot read faults file: byte 0xc4 at column 3" in str(caught.value)


def test_a_gbk_schedule_names_its_line(tmp_path: Path) -> None:
    path = tmp_path / "schedule.yaml"
    path.write_bytes(b"jobs:\n" + GBK)
    with pytest.raises(ScheduleError) as caught:
        load_schedule(path)
    assert str(caught.value).startswith(f"{path}:2: cannot read schedule: byte 0xc4 at column 3")
