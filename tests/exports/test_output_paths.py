"""``--out`` writes a file, and only a file: a symlink's target is replaced (the link kept),
a named pipe or device is refused untouched, and the file keeps its permission bits."""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from patrol.db import Database
from tests.cli.invoke import Invoke
from tests.cli.seed import seed_world


@pytest.fixture
def umask_022() -> Iterator[None]:
    previous = os.umask(0o022)
    yield
    os.umask(previous)


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.mark.parametrize(
    "command",
    [
        ["export", "leads"],
        ["export", "leads", "--format", "json"],
        ["export", "leads", "--format", "xlsx"],
        ["report", "weekly", "--format", "csv"],
        ["report", "monthly", "--format", "html"],
        ["report", "weekly"],
    ],
)
def test_a_named_pipe_is_refused_and_left_in_place(
    db: Database, patrol: Invoke, tmp_path: Path, command: list[str]
) -> None:
    seed_world(db)
    fifo = tmp_path / "out.pipe"
    os.mkfifo(fifo)
    result = patrol(*command, "--out", str(fifo))
    assert result.exit_code == 2, result.output
    assert f"cannot write {fifo}: it is not a regular file" in result.output
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


@pytest.fixture
def device(tmp_path: Path) -> Path:
    """A character device node of our own in tmp (as /dev/null), so a test that went wrong
    could only ever replace this node, never a real device."""
    node = tmp_path / "null"
    try:
        os.mknod(node, stat.S_IFCHR | 0o666, os.makedev(1, 3))
    except PermissionError:
        pytest.skip("making a device node needs root")
    return node


@pytest.mark.parametrize("via_link", [False, True])
def test_a_device_is_refused_and_nothing_replaced(
    db: Database, patrol: Invoke, tmp_path: Path, device: Path, via_link: bool
) -> None:
    seed_world(db)
    before = device.lstat()
    out = device
    if via_link:
        out = tmp_path / "null.csv"
        out.symlink_to(device)
    result = patrol("export", "leads", "--out", str(out))
    assert result.exit_code == 2, result.output
    assert f"cannot write {device}: it is not a regular file" in result.output
    after = device.lstat()
    assert stat.S_ISCHR(after.st_mode) and after.st_ino == before.st_ino
    if via_link:
        assert os.readlink(out) == str(device)


@pytest.mark.parametrize("command", [["export", "leads"], ["report", "weekly", "--format", "csv"]])
def test_a_symlink_is_followed_and_its_target_replaced(
    db: Database, patrol: Invoke, tmp_path: Path, command: list[str]
) -> None:
    seed_world(db)
    elsewhere = tmp_path / "shared"
    elsewhere.mkdir()
    target = elsewhere / "latest.csv"
    target.write_text("old export\n", encoding="utf-8")
    link = tmp_path / "link.csv"
    link.symlink_to(target)
    result = patrol(*command, "--out", str(link))
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and link.resolve() == target
    assert target.read_text(encoding="utf-8") != "old export\n"
    assert str(target) in result.output
    assert sorted(p.name for p in elsewhere.iterdir()) == ["latest.csv"]


def test_a_dangling_symlink_gets_its_target_created(
    db: Database, patrol: Invoke, tmp_path: Path, umask_022: None
) -> None:
    seed_world(db)
    link = tmp_path / "link.csv"
    link.symlink_to(tmp_path / "new.csv")
    result = patrol("export", "leads", "--out", str(link))
    assert result.exit_code == 0, result.output
    assert link.is_symlink() and (tmp_path / "new.csv").is_file()


@pytest.mark.parametrize("mode", [0o644, 0o640, 0o664])
@pytest.mark.parametrize("command", [["export", "leads"], ["report", "monthly", "--format", "csv"]])
def test_a_replaced_file_keeps_its_permission_bits(
    db: Database, patrol: Invoke, tmp_path: Path, mode: int, command: list[str]
) -> None:
    seed_world(db)
    out = tmp_path / "leads.csv"
    out.write_text("old\n", encoding="utf-8")
    out.chmod(mode)
    result = patrol(*command, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_text(encoding="utf-8") != "old\n"
    assert _mode(out) == mode


@pytest.mark.parametrize("fmt", ["csv", "json", "xlsx"])
def test_a_new_file_gets_the_umask_mode_not_0600(
    db: Database, patrol: Invoke, tmp_path: Path, umask_022: None, fmt: str
) -> None:
    seed_world(db)
    out = tmp_path / f"leads.{fmt}"
    result = patrol("export", "leads", "--format", fmt, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert _mode(out) == 0o644
    os.umask(0o027)
    again = tmp_path / f"again.{fmt}"
    assert patrol("export", "leads", "--format", fmt, "--out", str(again)).exit_code == 0
    assert _mode(again) == 0o640
