"""Reading and validating rulebook YAML, with errors that name file, line and rule id.

A rulebook is a folder of YAML files (safe-loaded) whose top-level keys are ``schema``,
``threshold``, ``categories``, ``brands`` and ``rules``; labelled examples sit beside each
file as ``<stem>.examples.jsonl``. The loader checks everything a person can get wrong —
unknown keys, duplicate ids, bad regular expressions, negative weights, empty aliases —
and reports each problem as ``file:line: rule-id: message``, so ``patrol rules lint`` can
list them all and every command that loads a rulebook can stop on the first.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from patrol.errors import PatrolError
from patrol.screening.entries import (
    EntryReader,
    LintProblem,
    MarkedLoader,
    YamlList,
    YamlMap,
    entries,
    finite_number,
    read_brand,
    read_rule,
)
from patrol.screening.schema import BrandSpec, CategorySpec, Origin, RuleSpec
from patrol.textfiles import NotUtf8Error, decode_utf8

__all__ = ["SCHEMA_VERSION", "LintProblem", "RulebookError", "RulebookSource", "read_rulebook"]

SCHEMA_VERSION = 1
_TOP_KEYS = frozenset({"schema", "threshold", "categories", "brands", "rules"})
_ENTRY_KEYS = ("brands", "rules", "categories")


class RulebookError(PatrolError):
    """A rulebook that cannot be used; the message names file, line and rule id."""


@dataclass(frozen=True, slots=True)
class RulebookSource:
    """Everything read from a rulebook folder, before compilation."""

    root: Path
    files: tuple[Path, ...]
    threshold: float
    brands: tuple[BrandSpec, ...]
    rules: tuple[RuleSpec, ...]
    categories: tuple[CategorySpec, ...]
    problems: tuple[LintProblem, ...]
    content: bytes  # every file's bytes in order, for the version hash


def _rule_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    if not root.is_dir():
        raise RulebookError(f"{root}: no such rulebook folder or file")
    return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


def read_rulebook(root: Path) -> RulebookSource:
    """Read and validate every YAML file of the rulebook at ``root`` (a folder or file)."""
    files = _rule_files(root)
    brands: list[BrandSpec] = []
    rules: list[RuleSpec] = []
    categories: list[CategorySpec] = []
    problems: list[LintProblem] = []
    thresholds: list[tuple[float, Origin]] = []
    content = bytearray()
    seen: dict[tuple[str, str], Origin] = {}
    for path in files:
        reader = EntryReader(path)
        try:
            raw = path.read_bytes()
        except OSError as exc:
            problems.append(LintProblem(Origin(str(path), 1), None, f"cannot read: {exc}"))
            continue
        content += path.relative_to(root).as_posix().encode() if root.is_dir() else b""
        content += b"\0" + raw + b"\0"
        try:
            data = yaml.load(decode_utf8(raw), Loader=MarkedLoader)
        except NotUtf8Error as exc:
            problems.append(LintProblem(Origin(str(path), exc.line), None, str(exc)))
            continue
        except RecursionError:
            problems.append(
                LintProblem(Origin(str(path), 1), None, "YAML nested too deeply to read")
            )
            continue
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            line = mark.line + 1 if mark is not None else 1
            detail = getattr(exc, "problem", None) or str(exc)
            problems.append(
                LintProblem(Origin(str(path), line), None, f"YAML syntax error: {detail}")
            )
            continue
        if data is None:
            continue
        if not isinstance(data, YamlMap):
            problems.append(LintProblem(Origin(str(path), 1), None, "top level must be a mapping"))
            continue
        _duplicate_key_problems(reader, data)
        reader.unknown_keys(data, _TOP_KEYS, None)
        schema = data.get("schema", SCHEMA_VERSION)
        if isinstance(schema, bool) or schema != SCHEMA_VERSION:
            reader.problem(
                data.key_lines.get("schema", 1),
                None,
                f"unsupported schema {schema!r} (this is {SCHEMA_VERSION})",
            )
        if "threshold" in data:
            value = data["threshold"]
            line = data.key_lines["threshold"]
            number = finite_number(value)
            if number is None or number <= 0:
                reader.problem(line, None, f"threshold must be a finite number > 0, not {value!r}")
            else:
                thresholds.append((number, reader.origin(line)))
        for entry, brand_id in entries(reader, data, "brands"):
            brand = read_brand(reader, entry, brand_id)
            brands.append(brand)
            _check_duplicate(reader, seen, ("brand", brand_id), brand.origin)
        for entry, rule_id in entries(reader, data, "rules"):
            rule = read_rule(reader, entry, rule_id)
            if rule is not None:
                rules.append(rule)
                _check_duplicate(reader, seen, ("rule", rule_id), rule.origin)
        for entry, category_id in entries(reader, data, "categories"):
            reader.unknown_keys(entry, frozenset({"id", "nice_classes", "words"}), category_id)
            spec = CategorySpec(
                id=category_id,
                origin=reader.origin(entry.line),
                nice_classes=reader.classes(entry, "nice_classes", category_id),
                words=reader.strings(entry, "words", category_id, allow_empty=False),
            )
            categories.append(spec)
            _check_duplicate(reader, seen, ("category", category_id), spec.origin)
        problems.extend(reader.problems)
    if not thresholds and not problems:
        problems.append(LintProblem(Origin(str(root), 1), None, "no file sets the threshold"))
    for _value, origin in thresholds[1:]:
        problems.append(
            LintProblem(origin, None, f"threshold set again (first at {thresholds[0][1]})")
        )
    return RulebookSource(
        root=root,
        files=tuple(files),
        threshold=thresholds[0][0] if thresholds else 1.0,
        brands=tuple(brands),
        rules=tuple(rules),
        categories=tuple(categories),
        problems=tuple(sorted(problems, key=lambda p: (p.origin.path, p.origin.line))),
        content=bytes(content),
    )


def _check_duplicate(
    reader: EntryReader, seen: dict[tuple[str, str], Origin], key: tuple[str, str], origin: Origin
) -> None:
    first = seen.get(key)
    if first is not None:
        reader.problem(origin.line, key[1], f"duplicate {key[0]} id (first at {first})")
    else:
        seen[key] = origin


def _duplicate_key_problems(reader: EntryReader, data: YamlMap) -> None:
    """Report every key written twice, with the id of the brand, rule or category it sits in.

    The walk remembers what it has visited, so aliases (one node used many times) are
    looked at once and cannot multiply the work.
    """
    seen: set[int] = set()
    for key, line, first in data.duplicates:
        reader.problem(line, None, f"duplicate key {key!r} (first at line {first})")
    for key, value in data.items():
        if key in _ENTRY_KEYS and isinstance(value, YamlList):
            for entry in value:
                entry_id = entry.get("id") if isinstance(entry, YamlMap) else None
                _walk_duplicates(
                    reader, entry, entry_id if isinstance(entry_id, str) else None, seen
                )
        else:
            _walk_duplicates(reader, value, None, seen)


def _walk_duplicates(reader: EntryReader, value: Any, rule_id: str | None, seen: set[int]) -> None:
    stack = [value]
    while stack:
        item = stack.pop()
        if not isinstance(item, YamlMap | YamlList) or id(item) in seen:
            continue
        seen.add(id(item))
        if isinstance(item, YamlMap):
            for key, line, first in item.duplicates:
                reader.problem(line, rule_id, f"duplicate key {key!r} (first at line {first})")
            stack.extend(item.values())
        else:
            stack.extend(item)
