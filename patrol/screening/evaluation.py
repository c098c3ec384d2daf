"""Measuring a rulebook on labelled listings: the rulebook's own examples or any corpus.

Detection-rule repositories keep each rule's tests beside it and gate changes on them;
so does this one. A labelled corpus is JSON Lines in the format of DESIGN.md (only
``title`` and ``expect`` are required). Examples beside a rule file
(``<stem>.examples.jsonl``) add ``rule`` (the rule the example is about) and optionally
``fires`` (whether that rule must fire; default: it fires on ``flag`` examples).
``target_brand`` and ``note`` are ground truth and never reach the engine.
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


def read_corpus(path: Path) -> Iterator[LabelledListing]:
    """Labelled listings from a JSON Lines file; a bad line is an error naming file:line."""
    try:
        handle = path.open(encoding="utf-8-sig")
    except OSError as exc:
        raise PatrolError(f"{path}: cannot read corpus: {exc.strerror}") from None
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                raise PatrolError(f"{where}: not JSON: {exc.msg}") from None
            if not isinstance(record, dict) or record.get("expect") not in _EXPECT:
                raise PatrolError(f'{where}: each line needs "expect": "flag" or "clear"')
            if "title" not in record:
                raise PatrolError(f'{where}: each line needs a "title"')
            fires = record.get("fires")
            yield LabelledListing(
                record=record,
                source=where,
                expect=record["expect"],
                rule=record.get("rule") if isinstance(record.get("rule"), str) else None,
                fires=fires if isinstance(fires, bool) else None,
            )


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

    def as_dict(self) -> dict[str, Any]:
        precision = self.tp / (self.tp + self.fp) if self.tp + self.fp else 1.0
        recall = self.tp / (self.tp + self.fn) if self.tp + self.fn else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        return {
            "total": self.tp + self.fp + self.fn + self.tn,
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

    def as_dict(self) -> dict[str, Any]:
        return {
            **self.overall.as_dict(),
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


def registry_from_dict(data: dict[str, Any]) -> RegistrySnapshot:
    """A registry written inline in an example (``"registry": {"patents": [...], ...}``)."""
    try:
        return RegistrySnapshot(
            trademarks=tuple(
                TrademarkRecord(**{**r, "nice_classes": tuple(r.get("nice_classes", ()))})
                for r in data.get("trademarks", ())
            ),
            patents=tuple(
                PatentRecord(
                    **{
                        **r,
                        "expiry": date.fromisoformat(r["expiry"]) if r.get("expiry") else None,
                        "filing_date": None,
                    }
                )
                for r in data.get("patents", ())
            ),
            authorised_sellers=tuple(
                AuthorisedSeller(**r) for r in data.get("authorised_sellers", ())
            ),
            repeat_offenders=frozenset(
                (str(m), str(s)) for m, s in data.get("repeat_offenders", ())
            ),
        )
    except (TypeError, ValueError, KeyError) as exc:
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
