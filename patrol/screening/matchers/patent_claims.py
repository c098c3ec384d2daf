"""Patent marks on a listing checked against the patent registry.

A listing that prints a patent number wants to look genuine. The number may be made up
(a Chinese number whose check digit or type digit is wrong), unknown to the registry,
expired, or held by someone other than the brand being sold. Each of those is one rule
kind ``patent`` with its ``problem``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from patrol.registry.records import PatentRecord
from patrol.screening.normalise import normalise_text
from patrol.screening.patents import PatentNumber, parse_patent_numbers
from patrol.screening.verdict import RegistryRef

__all__ = ["PatentFinding", "check_patents", "owner_tokens", "patent_claims"]

_DEAD = frozenset({"expired", "lapsed", "revoked", "invalid", "withdrawn"})
_NOT_NAMES = frozenset(
    {
        "co",
        "ltd",
        "inc",
        "llc",
        "corp",
        "corporation",
        "company",
        "limited",
        "group",
        "holdings",
        "gmbh",
        "ag",
        "sa",
        "spa",
        "srl",
        "bv",
        "cv",
        "international",
        "technology",
        "technologies",
        "electronics",
        "electric",
        "electrical",
        "industries",
        "industry",
        "products",
        "manufacturing",
        "the",
        "and",
        "of",
        "有限公司",
        "股份有限公司",
        "公司",
        "集团",
    }
)
_TOKEN = re.compile(r"[a-z0-9]{3,}|[\u4e00-\u9fff]{2,}")


def owner_tokens(*texts: str | None) -> frozenset[str]:
    """The distinctive words of names ("Dongguan Soundwave Acoustics Co., Ltd." → soundwave…)."""
    tokens: set[str] = set()
    for text in texts:
        for token in _TOKEN.findall(normalise_text(text)):
            if token not in _NOT_NAMES:
                tokens.add(token)
    return frozenset(tokens)


@dataclass(frozen=True, slots=True)
class PatentFinding:
    problem: str  # "invalid", "unknown", "expired", "other_holder"
    number: PatentNumber
    field: str
    explanation: str
    registry: RegistryRef | None = None


def patent_claims(
    listed: Sequence[str], title: str | None, description: str | None
) -> Iterator[tuple[str, PatentNumber]]:
    """Every patent number the listing prints, with the field it is printed in."""
    seen: set[str] = set()
    sources: list[tuple[str, str | None, bool]] = [("patent", value, True) for value in listed]
    sources += [("title", title, False), ("description", description, False)]
    for field, text, is_listed in sources:
        for number in parse_patent_numbers(text, listed=is_listed):
            if number.canonical not in seen:
                seen.add(number.canonical)
                yield field, number


def _ref(record: PatentRecord) -> RegistryRef:
    return RegistryRef(
        kind="patent",
        number=record.number,
        office=record.number[:2],
        text=record.title,
        status=record.status,
        holder=record.holder,
    )


def check_patents(
    claims: Sequence[tuple[str, PatentNumber]],
    registry: Mapping[str, PatentRecord],
    owners: frozenset[str],
    seen_on: date | None,
) -> Iterator[PatentFinding]:
    """What is wrong with each claimed number (nothing is yielded for a sound claim).

    ``owners`` are the distinctive words of whoever the listing says makes the goods
    (the rights holders of the brands it names, the declared brand, the shop): a
    registered patent whose holder shares none of them is "held by someone else".
    """
    for field, number in claims:
        if number.problem:
            yield PatentFinding("invalid", number, field, f"{number.text}: {number.problem}")
            continue
        if not registry:
            continue  # without a patent registry only the number itself can be checked
        record = registry.get(number.canonical)
        if record is None:
            yield PatentFinding(
                "unknown", number, field, f"{number.canonical} is not in the registry"
            )
            continue
        status = (record.status or "").lower()
        ran_out = record.expiry is not None and seen_on is not None and record.expiry < seen_on
        if status in _DEAD or ran_out:
            if ran_out and record.expiry is not None:
                why = f"{number.canonical} expired on {record.expiry.isoformat()}"
            else:
                why = f"{number.canonical} is {status}"
            yield PatentFinding("expired", number, field, why, _ref(record))
            continue
        holder = owner_tokens(record.holder)
        if holder and owners and not holder & owners:
            yield PatentFinding(
                "other_holder",
                number,
                field,
                f"{number.canonical} is held by {record.holder}",
                _ref(record),
            )
