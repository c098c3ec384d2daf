"""Measuring a rulebook on labelled listings: the rulebook's own examples or any corpus.

Detection-rule repositories keep each rule's tests beside it and gate changes on them;
so does this one. A labelled corpus is JSON Lines in the format of DESIGN.md (only
``title`` and ``expect`` are required). Examples beside a rule file
(``<stem>.examples.jsonl``) add ``rule`` (the rule the example is about) and optionally
``fires`` (whether that rule must fire; default: it fires on ``flag`` examples).
``target_brand`` and ``note`` are ground truth and never reach the engine.

A corpus is often written by another tool, so one bad line (not UTF-8, not JSON, a field
of the wrong type, no label) must not cost the whole evaluation: :func:`read_corpus`
reports it as ``file:line: why`` to the caller's ``skipped`` list and reads on.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from patrol.errors import PatrolError
from patrol.items import Listing
from patrol.registry.records import (
    AuthorisedSeller,
    PatentRecord,
    RegistrySnapshot,
    TrademarkRecord,
)
from patrol.screening.engine import screen
from patrol.screening.rulebook import Rulebook
from patrol.screening.verdict import Verdict

__all__ = [
    "CorpusLine",
    "Evaluation",
    "LabelledListing",
    "evaluate",
    "example_files",
    "read_corpus",
    "registry_from_dict",
    "to_listing",
]

_EXPECT = ("flag", "clear")


@dataclass(frozen=True, slots=True)
class LabelledListing:
    record: dict[str, Any]
    source: str  # file:line
    expect: str
    rule: str | None = None
    fires: bool | None = None

    @property
    def id(self) -> str:
        return str(self.record.get("id") or self.source)

    @property
    def kind(self) -> str:
        """What the listing is an example of: its rule, else the ``note`` up to " — "."""
        if self.rule:
            return self.rule
        note = str(self.record.get("note") or "")
        return note.split(" — ", 1)[0].strip() or self.expect


def _price(value: Any) -> Decimal | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        price = Decimal(str(value))
    except InvalidOperation:
        return None
    return price if price.is_finite() else None


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def to_listing(record: dict[str, Any]) -> Listing:
    """The listing a corpus record describes (ground-truth fields are left out)."""
    patents = record.get("patent_numbers") or record.get("patents") or []
    return Listing(
        marketplace=_text(record.get("marketplace")) or "corpus",
        listing_id=str(record.get("id") or ""),
        url=_text(record.get("url")) or "",
        title=_text(record.get("title")),
        price=_price(record.get("price")),
        currency=_text(record.get("currency")),
        brand=_text(record.get("brand")),
        category=_text(record.get("category")),
        description=_text(record.get("description")),
        shop_id=_text(record.get("shop")) or _text(record.get("shop_id")),
        shop_name=_text(record.get("shop_name")),
        shop_official=record.get("shop_official")
        if isinstance(record.get("shop_official"), bool)
        else None,
        patent_numbers=[p for p in patents if isinstance(p, str)]
        if isinstance(patents, list)
        else [],
    )


#: fields that, when present and not null, must be text
_TEXT_FIELDS = (
    "title", "currency", "category", "description", "shop", "shop_id", "shop_name",
    "brand", "marketplace", "url", "note", "target_brand", "rule",
)  # fmt: skip
_BOOL_FIELDS = ("shop_official", "fires")
_LIST_FIELDS = ("patent_numbers", "patents")
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")


class CorpusLine(ValueError):
    """Why one line of a corpus is not a labelled listing."""


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "text"
    return "a list" if isinstance(value, list) else "an object"


def _check_record(record: Any) -> dict[str, Any]:
    """The record if it is a labelled listing; else :class:`CorpusLine` saying why."""
    if not isinstance(record, dict):
        raise CorpusLine(f"each line must be a JSON object, not {_kind(record)}")
    if record.get("expect") not in _EXPECT:
        raise CorpusLine('each line needs "expect": "flag" or "clear"')
    if "title" not in record:
        raise CorpusLine('each line needs a "title"')
    if not isinstance(record["title"], str):
        raise CorpusLine(f'"title" must be text, not {_kind(record["title"])}')
    for name in _TEXT_FIELDS:
        if record.get(name) is not None and not isinstance(record[name], str):
            raise CorpusLine(f'"{name}" must be text, not {_kind(record[name])}')
    for name in _BOOL_FIELDS:
        if record.get(name) is not None and not isinstance(record[name], bool):
            raise CorpusLine(f'"{name}" must be true or false, not {_kind(record[name])}')
    for name in _LIST_FIELDS:
        value = record.get(name)
        if value is not None and not (
            isinstance(value, list) and all(isinstance(v, str) for v in value)
        ):
            raise CorpusLine(f'"{name}" must be a list of texts')
    ident = record.get("id")
    if ident is not None and (isinstance(ident, bool) or not isinstance(ident, str | int)):
        raise CorpusLine(f'"id" must be text or a whole number, not {_kind(ident)}')
    price = record.get("price")
    if price is not None and (
        isinstance(price, bool) or not isinstance(price, str | int | float) or _price(price) is None
    ):
        raise CorpusLine(f'"price" must be a finite number, not {price!r}')
    inline = record.get("registry")
    if inline is not None:
        if not isinstance(inline, dict):
            raise CorpusLine(f'"registry" must be an object, not {_kind(inline)}')
        try:
            registry_from_dict(inline)
        except PatrolError as exc:
            raise CorpusLine(exc.message) from None
    return record


def _labelled(text: str, where: str) -> LabelledListing | None:
    """The labelled listing on one line (None for a blank line); :class:`CorpusLine` if bad."""
    if not text.strip():
        return None
    try:
        record = _check_record(json.loads(text))
    except json.JSONDecodeError as exc:
        raise CorpusLine(f"not JSON: {exc.msg}") from None
    except RecursionError:
        raise CorpusLine("not JSON: nested too deeply") from None
    try:
        json.dumps(record, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise CorpusLine("holds a \\u escape that is not a character (a lone surrogate)") from None
    return LabelledListing(
        record=record,
        source=where,
        expect=record["expect"],
        rule=record.get("rule"),
        fires=record.get("fires"),
    )


def read_corpus(path: Path, skipped: list[str] | None = None) -> Iterator[LabelledListing]:
    """Labelled listings from a JSON Lines file.

    A bad line is ``file:line: why``: appended to ``skipped`` (and the rest read on) when
    the caller gives that list, else raised as a :class:`PatrolError`. A file that cannot
    be read, or of which no line is UTF-8 (UTF-16, a binary file), is a PatrolError.
    """
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise PatrolError(f"{path}: cannot read corpus: {exc.strerror or exc}") from None
    decoded = undecodable = 0
    with handle:
        try:
            for number, line in enumerate(handle, 1):
                where = f"{path}:{number}"
                if number == 1 and line.startswith(_UTF16_BOMS):
                    raise PatrolError(f"{path}: not UTF-8 text (UTF-16? save it as UTF-8)")
                try:
                    text = line.decode("utf-8-sig" if number == 1 else "utf-8")
                except UnicodeDecodeError:
                    undecodable += 1
                    problem = "not UTF-8 text (save the corpus as UTF-8)"
                else:
                    decoded += 1
                    try:
                        item = _labelled(text, where)
                    except CorpusLine as exc:
                        problem = str(exc)
                    else:
                        if item is not None:
                            yield item
                        continue
                if skipped is None:
                    raise PatrolError(f"{where}: {problem}")
                skipped.append(f"{where}: {problem}")
        except OSError as exc:
            raise PatrolError(f"{path}: cannot read corpus: {exc.strerror or exc}") from None
    if undecodable and not decoded:
        raise PatrolError(f"{path}: not UTF-8 text: no line could be read (save it as UTF-8)")


def example_files(rulebook: Rulebook) -> list[Path]:
    """The ``<stem>.examples.jsonl`` files beside the rulebook's YAML files."""
    out = []
    for name in rulebook.files:
        path = Path(name)
        candidate = path.with_name(f"{path.stem}.examples.jsonl")
        if candidate.is_file():
            out.append(candidate)
    return out


@dataclass(slots=True)
class _Counts:
    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def add(self, expect: str, flagged: bool) -> None:
        if expect == "flag":
            if flagged:
                self.tp += 1
            else:
                self.fn += 1
        elif flagged:
            self.fp += 1
        else:
            self.tn += 1

    @property
    def total(self) -> int:
        return self.tp + self.fp + self.fn + self.tn

    def as_dict(self) -> dict[str, Any]:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {
            "total": self.total,
            "tp": self.tp,
            "fp": self.fp,
            "fn": self.fn,
            "tn": self.tn,
            "precision": round(precision, 4),
            "recall": round(recall, 4),
            "f1": round(f1, 4),
        }


@dataclass(slots=True)
class Evaluation:
    """Overall and per-rule counts, and every mistake with its explanation."""

    overall: _Counts = field(default_factory=_Counts)
    rules: dict[str, _Counts] = field(default_factory=dict)
    kinds: dict[str, _Counts] = field(default_factory=dict)
    mistakes: list[dict[str, Any]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # "file:line: why" of each bad line

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.overall.as_dict(),
            "skipped": len(self.skipped),
            "skipped_lines": self.skipped,
            "rules": {rule: counts.as_dict() for rule, counts in sorted(self.rules.items())},
            "kinds": {kind: counts.as_dict() for kind, counts in sorted(self.kinds.items())},
            "mistakes": self.mistakes,
        }


def _mistake(item: LabelledListing, verdict: Verdict, why: str) -> dict[str, Any]:
    record = item.record
    return {
        "id": item.id,
        "source": item.source,
        "expect": item.expect,
        "why": why,
        "score": verdict.score,
        "title": record.get("title"),
        "price": record.get("price"),
        "category": record.get("category"),
        "note": record.get("note"),
        "target_brand": record.get("target_brand"),
        "hits": [
            {
                "rule_id": hit.rule_id,
                "weight": hit.weight,
                "text": hit.text,
                "variant_path": hit.variant_path,
                "brand_id": hit.brand_id,
                "explanation": hit.explanation,
            }
            for hit in verdict.hits
        ],
    }


def _inline_record(data: Any, required: tuple[str, ...], lists: tuple[str, ...] = ()) -> Any:
    """``data`` if it is an object whose values are texts (lists of texts for ``lists``)."""
    if not isinstance(data, dict):
        raise TypeError(f"a record must be an object, not {data!r}")
    for name, value in data.items():
        if name in lists:
            ok = isinstance(value, list) and all(isinstance(v, str) for v in value)
        else:
            ok = isinstance(value, str) or (value is None and name not in required)
        if not ok:
            raise TypeError(
                f"{name} {value!r} must be {'a list of texts' if name in lists else 'text'}"
            )
    return data


def registry_from_dict(data: dict[str, Any]) -> RegistrySnapshot:
    """A registry written inline in an example (``"registry": {"patents": [...], ...}``)."""
    try:
        marks = [
            _inline_record(r, ("office",), ("nice_classes",)) for r in data.get("trademarks", ())
        ]
        patents = [_inline_record(r, ("number",)) for r in data.get("patents", ())]
        sellers = [
            _inline_record(r, ("marketplace", "shop_id", "brand_id"))
            for r in data.get("authorised_sellers", ())
        ]
        return RegistrySnapshot(
            trademarks=tuple(
                TrademarkRecord(**{**r, "nice_classes": tuple(r.get("nice_classes", ()))})
                for r in marks
            ),
            patents=tuple(
                PatentRecord(
                    **{
                        **r,
                        "expiry": date.fromisoformat(r["expiry"]) if r.get("expiry") else None,
                        "filing_date": None,
                    }
                )
                for r in patents
            ),
            authorised_sellers=tuple(AuthorisedSeller(**r) for r in sellers),
            repeat_offenders=frozenset(
                (str(m), str(s)) for m, s in data.get("repeat_offenders", ())
            ),
        )
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        raise PatrolError(f"bad inline registry {data!r}: {exc}") from None


def evaluate(
    items: Iterable[LabelledListing],
    rulebook: Rulebook,
    with_registry: Callable[[RegistrySnapshot], Rulebook] | None = None,
) -> Evaluation:
    """Screen every labelled listing and count how the rulebook did.

    Per rule, ``tp`` counts the flag-labelled listings a rule fired on and ``fp`` the
    clear-labelled ones (``fn``/``tn``: where it stayed quiet), so a rule's precision says
    how often it speaks for the right side. An example about one rule is also a mistake
    when that rule fires (or stays quiet) against its ``fires`` expectation. An example
    may carry its own ``registry``; ``with_registry`` compiles the rulebook with it.
    """
    result = Evaluation()
    compiled: dict[str, Rulebook] = {}
    for item in items:
        inline = item.record.get("registry")
        book = rulebook
        if isinstance(inline, dict) and with_registry is not None:
            key = json.dumps(inline, sort_keys=True)
            if key not in compiled:
                compiled[key] = with_registry(registry_from_dict(inline))
            book = compiled[key]
        verdict = screen(to_listing(item.record), book)
        result.overall.add(item.expect, verdict.flagged)
        result.kinds.setdefault(item.kind, _Counts()).add(item.expect, verdict.flagged)
        fired = {hit.rule_id for hit in verdict.hits}
        for rule_id in fired:
            result.rules.setdefault(rule_id, _Counts()).add(item.expect, True)
        why = None
        if verdict.flagged != (item.expect == "flag"):
            why = "false positive" if verdict.flagged else "false negative"
        elif item.rule is not None:
            must_fire = item.fires if item.fires is not None else item.expect == "flag"
            if (item.rule in fired) != must_fire:
                state = "did not fire" if must_fire else "fired"
                why = f"rule {item.rule} {state}"
        if why is not None:
            result.mistakes.append(_mistake(item, verdict, why))
    return result
