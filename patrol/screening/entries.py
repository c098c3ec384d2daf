"""Reading one YAML entry (a brand, a rule, a category) into a spec, collecting problems.

The YAML is safe-loaded with :class:`MarkedLoader`, whose mappings and sequences remember
the line they start on, so every problem can name the file, the line and the rule id.
An :class:`EntryReader` reads one file's entries and keeps going after a problem, so
``patrol rules lint`` can list them all at once.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

import re2
import yaml

from patrol.screening.matchers.keywords import compile_pattern
from patrol.screening.schema import (
    BRAND_KEYS,
    BRAND_SLOT,
    COMMON_RULE_KEYS,
    FIELDS,
    PATENT_PROBLEMS,
    RULE_KINDS,
    VARIANTS,
    BrandSpec,
    MarkSpec,
    Origin,
    RuleSpec,
    ShopSpec,
)

__all__ = [
    "EntryReader",
    "LintProblem",
    "MarkedLoader",
    "YamlList",
    "YamlMap",
    "entries",
    "finite_number",
    "read_brand",
    "read_rule",
]

_ID = re.compile(r"^[a-z0-9][a-z0-9._-]*$")
_CLASS = re.compile(r"^\d{1,3}$")
_MAX_PATTERN = 500


@dataclass(frozen=True, slots=True)
class LintProblem:
    """One thing wrong with a rulebook, where it is written."""

    origin: Origin
    rule_id: str | None
    message: str

    def __str__(self) -> str:
        rule = f" {self.rule_id}:" if self.rule_id else ""
        return f"{self.origin}:{rule} {self.message}"


class YamlMap(dict[str, Any]):
    """A YAML mapping that knows its line, the line of each key and any key written twice.

    ``duplicates`` holds ``(key, line, first_line)`` for each repeated key; the loader
    keeps going (the last value wins, as in PyYAML) so lint can report them all with the
    id of the entry they sit in.
    """

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.line = 0
        self.key_lines: dict[str, int] = {}
        self.duplicates: list[tuple[str, int, int]] = []


class YamlList(list[Any]):
    """A YAML sequence that knows its line and the line of each item."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.line = 0
        self.item_lines: list[int] = []


class MarkedLoader(yaml.SafeLoader):
    """A safe loader whose mappings and sequences remember the line they start on."""

    def __init__(self, stream: str) -> None:
        super().__init__(stream)
        self._duplicates: dict[int, list[tuple[str, int, int]]] = {}  # by id() of the node

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> YamlMap:  # type: ignore[override]
        mapping = YamlMap(super().construct_mapping(node, deep=True))
        mapping.line = node.start_mark.line + 1
        mapping.key_lines = {str(key.value): key.start_mark.line + 1 for key, _value in node.value}
        mapping.duplicates = self._duplicates.get(id(node), [])
        return mapping

    def flatten_mapping(self, node: yaml.MappingNode) -> None:
        """Note keys written twice before merge keys (``<<``) are flattened into ``node``.

        Flattening puts merged pairs beside the node's own, where a key may rightly
        override a merged one; it runs first (and only once) for every mapping constructed.
        """
        if id(node) not in self._duplicates:
            self._duplicates[id(node)] = _duplicate_keys(node)
        super().flatten_mapping(node)

    def construct_sequence(self, node: yaml.SequenceNode, deep: bool = False) -> YamlList:
        sequence = YamlList(super().construct_sequence(node, deep=True))
        sequence.line = node.start_mark.line + 1
        sequence.item_lines = [item.start_mark.line + 1 for item in node.value]
        return sequence


def _duplicate_keys(node: yaml.MappingNode) -> list[tuple[str, int, int]]:
    """Scalar keys written twice in ``node`` itself; a key may override one merged in."""
    first: dict[tuple[str, str], int] = {}
    found: list[tuple[str, int, int]] = []
    for key_node, _value in node.value:
        if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == "tag:yaml.org,2002:merge":
            continue
        line = key_node.start_mark.line + 1
        key = (key_node.tag, key_node.value)
        if key in first:
            found.append((key_node.value, line, first[key]))
        else:
            first[key] = line
    return found


MarkedLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, MarkedLoader.construct_mapping
)
MarkedLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_SEQUENCE_TAG, MarkedLoader.construct_sequence
)


def finite_number(value: Any) -> float | None:
    """``value`` as a float if it is a real, finite number, else None.

    YAML reads ``.nan`` and ``.inf`` as floats, and NaN fails every comparison, so a
    plain ``value < 0`` check lets it through to silently break scoring.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer too large for a float
        return None
    return number if math.isfinite(number) else None


class EntryReader:
    """Collects problems while turning one file's data into specs."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.problems: list[LintProblem] = []

    def origin(self, line: int) -> Origin:
        return Origin(str(self.path), line)

    def problem(self, line: int, rule_id: str | None, message: str) -> None:
        self.problems.append(LintProblem(self.origin(line), rule_id, message))

    def strings(
        self, entry: YamlMap, key: str, rule_id: str, *, allow_empty: bool = True
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
            item_line = value.item_lines[index] if isinstance(value, YamlList) else line
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

    def weight(self, entry: YamlMap, rule_id: str) -> float:
        value = entry.get("weight")
        line = entry.key_lines.get("weight", entry.line)
        number = finite_number(value)
        if number is None:
            self.problem(line, rule_id, f"weight must be a finite number, not {value!r}")
            return 0.0
        if number < 0:
            self.problem(line, rule_id, f"weight {value} is negative")
            return 0.0
        return number

    def flag(self, entry: YamlMap, key: str, rule_id: str, default: bool) -> bool:
        """A true/false setting; ``'no'`` in quotes is text, and text would read as true."""
        value = entry.get(key, default)
        if not isinstance(value, bool):
            line = entry.key_lines.get(key, entry.line)
            self.problem(line, rule_id, f"{key} must be true or false, not {value!r}")
            return default
        return value

    def unknown_keys(self, entry: YamlMap, allowed: frozenset[str], rule_id: str | None) -> None:
        for key in entry:
            if key not in allowed:
                line = entry.key_lines.get(str(key), entry.line)
                self.problem(line, rule_id, f"unknown key {key!r}")

    def entry_id(self, entry: Any, line: int, what: str) -> tuple[YamlMap, str] | None:
        if not isinstance(entry, YamlMap):
            self.problem(line, None, f"each {what} must be a mapping")
            return None
        rule_id = entry.get("id")
        if not isinstance(rule_id, str) or not _ID.match(rule_id):
            self.problem(entry.line, None, f"{what} id {rule_id!r} must be a lowercase slug")
            return None
        return entry, rule_id

    def classes(self, entry: YamlMap, key: str, rule_id: str) -> tuple[str, ...]:
        out = []
        for value in self.strings(entry, key, rule_id):
            if not _CLASS.match(value.strip()) or not 1 <= int(value) <= 45:
                self.problem(
                    entry.key_lines.get(key, entry.line), rule_id, f"bad Nice class {value!r}"
                )
            else:
                out.append(f"{int(value):03d}")
        return tuple(out)


def check_pattern(reader: EntryReader, line: int, rule_id: str, pattern: str) -> None:
    if len(pattern) > _MAX_PATTERN:
        reader.problem(line, rule_id, f"pattern longer than {_MAX_PATTERN} characters")
        return
    try:
        compile_pattern(pattern)
    except re2.error as exc:
        detail = exc.args[0] if exc.args else exc
        if isinstance(detail, bytes):
            detail = detail.decode("utf-8", "replace")
        reader.problem(line, rule_id, f"bad regular expression {pattern!r}: {detail}")


def read_rule(reader: EntryReader, entry: YamlMap, rule_id: str) -> RuleSpec | None:
    kind = entry.get("kind")
    if not isinstance(kind, str) or kind not in RULE_KINDS:
        line = entry.key_lines.get("kind", entry.line)
        reader.problem(line, rule_id, f"unknown kind {kind!r} (one of {', '.join(RULE_KINDS)})")
        return None
    reader.unknown_keys(entry, COMMON_RULE_KEYS | RULE_KINDS[kind], rule_id)
    weight = reader.weight(entry, rule_id)
    phrases = reader.strings(entry, "phrases", rule_id, allow_empty=False)
    patterns = reader.strings(entry, "patterns", rule_id, allow_empty=False)
    for pattern in patterns:
        check_pattern(reader, entry.key_lines.get("patterns", entry.line), rule_id, pattern)
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
        reader.problem(
            entry.key_lines.get("variant", entry.line),
            rule_id,
            f"variant must be one of {', '.join(VARIANTS)}",
        )
    problem = entry.get("problem")
    if kind == "patent" and problem not in PATENT_PROBLEMS:
        reader.problem(
            entry.key_lines.get("problem", entry.line),
            rule_id,
            f"problem must be one of {', '.join(PATENT_PROBLEMS)}",
        )
    numbers = {
        key: _rule_number(reader, entry, rule_id, key, default, whole=whole)
        for key, default, whole in (
            ("min_length", 5, True),
            ("max_distance", 2, True),
            ("below", 1.0, False),
        )
    }
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
        requires_brand=reader.flag(entry, "requires_brand", rule_id, True),
        variant=variant if isinstance(variant, str) else None,
        min_length=int(numbers["min_length"]),
        max_distance=int(numbers["max_distance"]),
        below=float(numbers["below"]),
        problem=problem if isinstance(problem, str) else None,
    )


def _rule_number(
    reader: EntryReader, entry: YamlMap, rule_id: str, key: str, default: float, *, whole: bool
) -> float:
    """A finite number ≥ 0 (a whole one for lengths and distances), else ``default``."""
    value = entry.get(key, default)
    number = finite_number(value)
    if number is None or number < 0 or (whole and not number.is_integer()):
        what = "a whole number" if whole else "a finite number"
        reader.problem(
            entry.key_lines.get(key, entry.line),
            rule_id,
            f"{key} must be {what} ≥ 0, not {value!r}",
        )
        return default
    return number


def _listed(reader: EntryReader, entry: YamlMap, key: str, brand_id: str, what: str) -> list[Any]:
    """The list under ``key`` (a lone string counts as one item); anything else is a problem."""
    value = entry.get(key) or []
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        line = entry.key_lines.get(key, entry.line)
        reader.problem(line, brand_id, f"{key} must be a list of {what}, not {value!r}")
        return []
    return value


def read_floors(reader: EntryReader, entry: YamlMap, key: str, brand_id: str) -> dict[str, Decimal]:
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


def read_brand(reader: EntryReader, entry: YamlMap, brand_id: str) -> BrandSpec:
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
    for index, mark in enumerate(_listed(reader, entry, "trademarks", brand_id, "marks")):
        line = mark.line if isinstance(mark, YamlMap) else entry.line
        if not isinstance(mark, YamlMap) or not isinstance(mark.get("mark"), str | int):
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
    floors = read_floors(reader, entry, "price_floor", brand_id)
    class_floors: dict[str, dict[str, Decimal]] = {}
    by_class = entry.get("class_floors") or YamlMap()
    if not isinstance(by_class, YamlMap):
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
            class_floors[f"{int(nice):03d}"] = read_floors(reader, by_class, str(nice), brand_id)
    shops: list[ShopSpec] = []
    for index, shop in enumerate(_listed(reader, entry, "official_shops", brand_id, "shops")):
        if isinstance(shop, str) and shop.strip():
            shops.append(ShopSpec(None, shop))
        elif (
            isinstance(shop, YamlMap)
            and isinstance(shop.get("shop"), str)
            and isinstance(shop.get("marketplace"), str | None)
            and isinstance(shop.get("kind", "official"), str)
        ):
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
    homonyms = entry.get("homonyms") or YamlMap()
    homonym_categories: tuple[str, ...] = ()
    homonym_phrases: tuple[str, ...] = ()
    if not isinstance(homonyms, YamlMap):
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


def entries(reader: EntryReader, data: YamlMap, key: str) -> Iterator[tuple[YamlMap, str]]:
    value = data.get(key)
    if value is None:
        return
    if not isinstance(value, YamlList):
        reader.problem(data.key_lines.get(key, data.line), None, f"{key} must be a list")
        return
    for index, entry in enumerate(value):
        found = reader.entry_id(entry, value.item_lines[index], key.rstrip("s"))
        if found is not None:
            yield found
