"""Reading and validating rulebook YAML, with errors that name file, line and rule id.

A rulebook is a folder of YAML files (safe-loaded) whose top-level keys are ``schema``,
``threshold``, ``categories``, ``brands`` and ``rules``; labelled examples sit beside each
file as ``<stem>.examples.jsonl``. The loader checks everything a person can get wrong —
unknown keys, duplicate ids, bad regular expressions, negative weights, empty aliases —
and reports each problem as ``file:line: rule-id: message``, so ``patrol rules lint`` can
list them all and every command that loads a rulebook can stop on the first.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import re2
import yaml

from patrol.errors import PatrolError
from patrol.screening.schema import (
    BRAND_KEYS,
    BRAND_SLOT,
    COMMON_RULE_KEYS,
    FIELDS,
    PATENT_PROBLEMS,
    RULE_KINDS,
    VARIANTS,
    BrandSpec,
    CategorySpec,
    MarkSpec,
    Origin,
    RuleSpec,
    ShopSpec,
)

__all__ = ["SCHEMA_VERSION", "LintProblem", "RulebookError", "RulebookSource", "read_rulebook"]

SCHEMA_VERSION = 1
_TOP_KEYS = frozenset({"schema", "threshold", "categories", "brands", "rules"})
_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_CLASS = re.compile(r"^\d{1,3}$")
_MAX_PATTERN = 500


class RulebookError(PatrolError):
    """A rulebook that cannot be used; the message names file, line and rule id."""


@dataclass(frozen=True, slots=True)
class LintProblem:
    origin: Origin
    rule_id: str | None
    message: str

    def __str__(self) -> str:
        rule = f" {self.rule_id}:" if self.rule_id else ""
        return f"{self.origin}:{rule} {self.message}"


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


class _Map(dict[str, Any]):
    """A YAML mapping that knows its line and the line of each key."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.line = 0
        self.key_lines: dict[str, int] = {}


class _List(list[Any]):
    """A YAML sequence that knows its line and the line of each item."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.line = 0
        self.item_lines: list[int] = []


class _MarkedLoader(yaml.SafeLoader):
    """A safe loader whose mappings and sequences remember the line they start on."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> _Map:  # type: ignore[override]
        mapping = _Map(super().construct_mapping(node, deep=True))
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {str(key.value): key.start_mark.line + 1 for key, _value in node.value}
        return mapping

    def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> _List:
        sequence = _List(super().construct_sequence(node, deep=True))
        sequence.line = node.start_mark.line + 1
        sequence.item_lines = [item.start_mark.line + 1 for item in node.value]
        return sequence


_MarkedLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _MarkedLoader.construct_mapping
)
_MarkedLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, _MarkedLoader.construct_sequence
)


class _Reader:
    """Collects problems while turning one file's data into specs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[LintProblem] = []

    def origin(self, line: int) -> Origin:
        return Origin(str(self.path), line)

    def problem(self, line: int, rule_id: str | None, message: str) -> None:
        self.problems.append(LintProblem(self.origin(line), rule_id, message))

    def strings(
        self, entry: _Map, key: str, rule_id: str, *, allow_empty: bool = True
    ) -> tuple[str, ...]:
        value = entry.get(key, [])
        line = entry.key_lines.get(key, entry.line)
        if value is None:
            value = []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            self.problem(line, rule_id, f"{key} must be a list of strings")
            return ()
        out: list[str] = []
        for index, item in enumerate(value):
            item_line = value.item_lines[index] if isinstance(value, _List) else line
            if isinstance(item, int | float) and not isinstance(item, bool):
                item = str(item)
            if not isinstance(item, str):
                self.problem(item_line, rule_id, f"{key}[{index}] must be a string")
            elif not item.strip():
                if not allow_empty:
                    self.problem(item_line, rule_id, f"{key}[{index}] is empty")
            else:
                out.append(item)
        return tuple(out)

    def weight(self, entry: _Map, rule_id: str) -> float:
        value = entry.get("weight")
        line = entry.key_lines.get("weight", entry.line)
        if isinstance(value, bool) or not isinstance(value, int | float):
            self.problem(line, rule_id, "weight must be a number")
            return 0.0
        if value < 0:
            self.problem(line, rule_id, f"weight {value} is negative")
            return 0.0
        return float(value)

    def unknown_keys(self, entry: _Map, allowed: frozenset[str], rule_id: str | None) -> None:
        for key in entry:
            if key not in allowed:
                line = entry.key_lines.get(str(key), entry.line)
                self.problem(line, rule_id, f"unknown key {key!r}")

    def entry_id(self, entry: Any, line: int, what: str) -> tuple[_Map, str] | None:
        if not isinstance(entry, _Map):
            self.problem(line, None, f"each {what} must be a mapping")
            return None
        rule_id = entry.get("id")
        if not isinstance(rule_id, str) or not _ID.match(rule_id):
            self.problem(entry.line, None, f"{what} id {rule_id!r} must be a lowercase slug")
            return None
        return entry, rule_id

    def classes(self, entry: _Map, key: str, rule_id: str) -> tuple[str, ...]:
        out = []
        for value in self.strings(entry, key, rule_id):
            if not _CLASS.match(value.strip()) or not 1 <= int(value) <= 45:
                self.problem(
                    entry.key_lines.get(key, entry.line), rule_id, f"bad Nice class {value!r}"
                )
            else:
                out.append(f"{int(value):03d}")
        return tuple(out)


def _check_pattern(reader: _Reader, line: int, rule_id: str, pattern: str) -> None:
    if len(pattern) > _MAX_PATTERN:
        reader.problem(line, rule_id, f"pattern longer than {_MAX_PATTERN} characters")
        return
    try:
        re2.compile(pattern)
    except re2.error as exc:
        reader.problem(line, rule_id, f"bad regular expression {pattern!r}: {exc}")


def _read_rule(reader: _Reader, entry: _Map, rule_id: str) -> RuleSpec | None:
    kind = entry.get("kind")
    if kind not in RULE_KINDS:
        line = entry.key_lines.get("kind", entry.line)
        reader.problem(line, rule_id, f"unknown kind {kind!r} (one of {', '.join(RULE_KINDS)})")
        return None
    reader.unknown_keys(entry, COMMON_RULE_KEYS | RULE_KINDS[kind], rule_id)
    weight = reader.weight(entry, rule_id)
    phrases = reader.strings(entry, "phrases", rule_id, allow_empty=False)
    patterns = reader.strings(entry, "patterns", rule_id, allow_empty=False)
    for pattern in patterns:
        _check_pattern(reader, entry.key_lines.get("patterns", entry.line), rule_id, pattern)
    fields = reader.strings(entry, "fields", rule_id) or ("title", "description")
    for name in fields:
        if name not in FIELDS:
            reader.problem(
                entry.key_lines.get("fields", entry.line), rule_id, f"unknown field {name!r}"
            )
    for phrase in phrases:
        if phrase.count(BRAND_SLOT) > 1 or (BRAND_SLOT in phrase and kind != "phrases"):
            reader.problem(
                entry.key_lines.get("phrases", entry.line),
                rule_id,
                f"phrase {phrase!r}: {BRAND_SLOT} may appear once, in phrases rules",
            )
        elif phrase.strip() == BRAND_SLOT:
            reader.problem(
                entry.key_lines.get("phrases", entry.line),
                rule_id,
                f"phrase {phrase!r} needs words beside {BRAND_SLOT}",
            )
    if kind in ("phrases", "official_claim", "declared_brand") and not (phrases or patterns):
        reader.problem(entry.line, rule_id, "needs phrases or patterns")
    variant = entry.get("variant")
    if kind == "brand_variant" and variant not in VARIANTS:
        reader.problem(entry.line, rule_id, f"variant must be one of {', '.join(VARIANTS)}")
    problem = entry.get("problem")
    if kind == "patent" and problem not in PATENT_PROBLEMS:
        reader.problem(entry.line, rule_id, f"problem must be one of {', '.join(PATENT_PROBLEMS)}")
    numbers = {}
    for key, default in (("min_length", 5), ("max_distance", 2), ("below", 1.0)):
        value = entry.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float) or value < 0:
            reader.problem(entry.key_lines.get(key, entry.line), rule_id, f"{key} must be ≥ 0")
            value = default
        numbers[key] = value
    return RuleSpec(
        id=rule_id,
        kind=kind,
        origin=reader.origin(entry.line),
        weight=weight,
        description=str(entry.get("description") or ""),
        false_positives=reader.strings(entry, "false_positives", rule_id),
        phrases=phrases,
        patterns=patterns,
        fields=fields,
        categories=reader.strings(entry, "categories", rule_id, allow_empty=False),
        unless=reader.strings(entry, "unless", rule_id),
        requires_brand=bool(entry.get("requires_brand", True)),
        variant=variant if isinstance(variant, str) else None,
        min_length=int(numbers["min_length"]),
        max_distance=int(numbers["max_distance"]),
        below=float(numbers["below"]),
        problem=problem if isinstance(problem, str) else None,
    )


def _floors(reader: _Reader, entry: _Map, key: str, brand_id: str) -> dict[str, Decimal]:
    """``{CNY: 350, USD: 49}``: amounts per ISO currency, none negative."""
    floors: dict[str, Decimal] = {}
    value = entry.get(key) or {}
    line = entry.key_lines.get(key, entry.line)
    if not isinstance(value, dict):
        reader.problem(line, brand_id, f"{key} must map currencies to amounts")
        return floors
    for currency, amount in value.items():
        try:
            number = Decimal(str(amount))
        except InvalidOperation:
            number = Decimal(-1)
        if not re.fullmatch(r"[A-Z]{3}", str(currency)) or not number.is_finite() or number < 0:
            reader.problem(line, brand_id, f"bad price floor {currency}: {amount!r}")
        else:
            floors[str(currency)] = number
    return floors


def _read_brand(reader: _Reader, entry: _Map, brand_id: str) -> BrandSpec:
    reader.unknown_keys(entry, BRAND_KEYS, brand_id)
    names_value = entry.get("names")
    names: dict[str, str] = {}
    if not isinstance(names_value, dict) or not names_value:
        reader.problem(entry.line, brand_id, "names must map languages to names (en, zh)")
    else:
        for lang, name in names_value.items():
            if not isinstance(name, str) or not name.strip():
                reader.problem(
                    entry.key_lines.get("names", entry.line), brand_id, f"names.{lang} is empty"
                )
            else:
                names[str(lang)] = name
    aliases = reader.strings(entry, "aliases", brand_id, allow_empty=False)
    marks: list[MarkSpec] = []
    for index, mark in enumerate(entry.get("trademarks") or []):
        line = mark.line if isinstance(mark, _Map) else entry.line
        if not isinstance(mark, _Map) or not isinstance(mark.get("mark"), str | int):
            reader.problem(line, brand_id, f"trademarks[{index}] needs a mark")
            continue
        reader.unknown_keys(mark, frozenset({"mark", "office", "number", "nice_classes"}), brand_id)
        marks.append(
            MarkSpec(
                mark=str(mark["mark"]),
                office=str(mark["office"]) if mark.get("office") else None,
                number=str(mark["number"]) if mark.get("number") else None,
                nice_classes=reader.classes(mark, "nice_classes", brand_id),
            )
        )
    floors = _floors(reader, entry, "price_floor", brand_id)
    class_floors: dict[str, dict[str, Decimal]] = {}
    by_class = entry.get("class_floors") or _Map()
    if not isinstance(by_class, _Map):
        reader.problem(
            entry.key_lines.get("class_floors", entry.line),
            brand_id,
            "class_floors must map Nice classes to floors",
        )
    else:
        for nice in by_class:
            if not _CLASS.match(str(nice).strip()) or not 1 <= int(nice) <= 45:
                reader.problem(
                    by_class.key_lines.get(str(nice), by_class.line),
                    brand_id,
                    f"bad Nice class {nice!r}",
                )
                continue
            class_floors[f"{int(nice):03d}"] = _floors(reader, by_class, str(nice), brand_id)
    shops: list[ShopSpec] = []
    for index, shop in enumerate(entry.get("official_shops") or []):
        if isinstance(shop, str) and shop.strip():
            shops.append(ShopSpec(None, shop))
        elif isinstance(shop, _Map) and isinstance(shop.get("shop"), str):
            reader.unknown_keys(shop, frozenset({"marketplace", "shop", "kind"}), brand_id)
            shops.append(
                ShopSpec(shop.get("marketplace"), shop["shop"], shop.get("kind", "official"))
            )
        else:
            reader.problem(
                entry.key_lines.get("official_shops", entry.line),
                brand_id,
                f"official_shops[{index}] is not a shop",
            )
    homonyms = entry.get("homonyms") or _Map()
    homonym_categories: tuple[str, ...] = ()
    homonym_phrases: tuple[str, ...] = ()
    if not isinstance(homonyms, _Map):
        reader.problem(
            entry.key_lines.get("homonyms", entry.line), brand_id, "homonyms must be a mapping"
        )
    else:
        reader.unknown_keys(homonyms, frozenset({"categories", "phrases"}), brand_id)
        homonym_categories = reader.strings(homonyms, "categories", brand_id, allow_empty=False)
        homonym_phrases = reader.strings(homonyms, "phrases", brand_id, allow_empty=False)
    return BrandSpec(
        id=brand_id,
        origin=reader.origin(entry.line),
        names=names,
        aliases=aliases,
        holder=str(entry["holder"]) if entry.get("holder") else None,
        trademarks=tuple(marks),
        nice_classes=reader.classes(entry, "nice_classes", brand_id),
        price_floor=floors,
        class_floors=class_floors,
        official_shops=tuple(shops),
        homonym_categories=homonym_categories,
        homonym_phrases=homonym_phrases,
        not_fuzzy=reader.strings(entry, "not_fuzzy", brand_id, allow_empty=False),
        description=str(entry.get("description") or ""),
        false_positives=reader.strings(entry, "false_positives", brand_id),
    )


def _entries(reader: _Reader, data: _Map, key: str) -> Iterator[tuple[_Map, str]]:
    value = data.get(key)
    if value is None:
        return
    if not isinstance(value, _List):
        reader.problem(data.key_lines.get(key, data.line), None, f"{key} must be a list")
        return
    for index, entry in enumerate(value):
        found = reader.entry_id(entry, value.item_lines[index], key.rstrip("s"))
        if found is not None:
            yield found


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
        reader = _Reader(path)
        raw = path.read_bytes()
        content += path.relative_to(root).as_posix().encode() if root.is_dir() else b""
        content += b"\0" + raw + b"\0"
        try:
            data = yaml.load(raw.decode("utf-8-sig"), Loader=_MarkedLoader)
        except UnicodeDecodeError as exc:
            problems.append(LintProblem(Origin(str(path), 1), None, f"not UTF-8: {exc}"))
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
        if not isinstance(data, _Map):
            problems.append(LintProblem(Origin(str(path), 1), None, "top level must be a mapping"))
            continue
        reader.unknown_keys(data, _TOP_KEYS, None)
        schema = data.get("schema", SCHEMA_VERSION)
        if schema != SCHEMA_VERSION:
            reader.problem(
                data.key_lines.get("schema", 1),
                None,
                f"unsupported schema {schema!r} (this is {SCHEMA_VERSION})",
            )
        if "threshold" in data:
            value = data["threshold"]
            line = data.key_lines["threshold"]
            if isinstance(value, bool) or not isinstance(value, int | float) or value <= 0:
                reader.problem(line, None, "threshold must be a positive number")
            else:
                thresholds.append((float(value), reader.origin(line)))
        for entry, brand_id in _entries(reader, data, "brands"):
            brand = _read_brand(reader, entry, brand_id)
            brands.append(brand)
            _check_duplicate(reader, seen, ("brand", brand_id), brand.origin)
        for entry, rule_id in _entries(reader, data, "rules"):
            rule = _read_rule(reader, entry, rule_id)
            if rule is not None:
                rules.append(rule)
                _check_duplicate(reader, seen, ("rule", rule_id), rule.origin)
        for entry, category_id in _entries(reader, data, "categories"):
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
        problems=tuple(problems),
        content=bytes(content),
    )


def _check_duplicate(
    reader: _Reader, seen: dict[tuple[str, str], Origin], key: tuple[str, str], origin: Origin
) -> None:
    first = seen.get(key)
    if first is not None:
        reader.problem(origin.line, key[1], f"duplicate {key[0]} id (first at {first})")
    else:
        seen[key] = origin
