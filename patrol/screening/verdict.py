"""What screening returns: a :class:`Verdict` made of explainable :class:`Hit` objects.

These are the data contract between the screening engine and everything downstream (the
store pipeline, leads, exports, the console), so they are plain frozen dataclasses that
round-trip through JSON with :meth:`Verdict.to_dict` / :meth:`Verdict.from_dict`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["Hit", "RegistryRef", "Verdict"]


@dataclass(frozen=True, slots=True)
class RegistryRef:
    """The registry record a hit rests on: a trademark registration or a patent."""

    kind: Literal["trademark", "patent"]
    number: str  # registration (or application) number, or the canonical patent number
    office: str | None = None  # "US", "CN", "EP", "WO", ...
    text: str | None = None  # the mark's words, or the patent's title
    nice_classes: tuple[str, ...] = ()
    status: str | None = None
    holder: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "number": self.number,
            "office": self.office,
            "text": self.text,
            "nice_classes": list(self.nice_classes),
            "status": self.status,
            "holder": self.holder,
        }


@dataclass(frozen=True, slots=True)
class Hit:
    """One rule that fired on one listing, with everything needed to explain it."""

    rule_id: str
    weight: float
    field: str  # "title", "description", "brand", "price", "shop", "patent", ...
    text: str  # the matched text as the listing shows it
    normalised: str  # the normalised form that matched
    variant_path: str  # how the brand became this text, e.g. "pinyin: 耐客→naike→耐克"
    span: tuple[int, int] | None = None  # [start, end) in the original field text
    brand_id: str | None = None
    registry: RegistryRef | None = None
    explanation: str = ""

    def to_dict(self) -> dict[str, Any]:
        # spelled out, not dataclasses.asdict(): its recursive deep copy was most of the
        # store's Python time (a flagged listing's hits are written three times)
        registry = self.registry
        return {
            "rule_id": self.rule_id,
            "weight": self.weight,
            "field": self.field,
            "text": self.text,
            "normalised": self.normalised,
            "variant_path": self.variant_path,
            "span": list(self.span) if self.span is not None else None,
            "brand_id": self.brand_id,
            "registry": registry.to_dict() if registry is not None else None,
            "explanation": self.explanation,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Hit:
        registry = data.get("registry")
        span = data.get("span")
        return cls(
            rule_id=data["rule_id"],
            weight=float(data["weight"]),
            field=data["field"],
            text=data["text"],
            normalised=data["normalised"],
            variant_path=data["variant_path"],
            span=(int(span[0]), int(span[1])) if span else None,
            brand_id=data.get("brand_id"),
            registry=(
                RegistryRef(**{**registry, "nice_classes": tuple(registry["nice_classes"])})
                if registry
                else None
            ),
            explanation=data.get("explanation", ""),
        )


@dataclass(frozen=True, slots=True)
class Verdict:
    """The score of a listing, whether it flags (score ≥ threshold), and why."""

    score: float
    flagged: bool
    threshold: float
    hits: tuple[Hit, ...] = field(default_factory=tuple)

    @property
    def rule_ids(self) -> list[str]:
        return sorted({hit.rule_id for hit in self.hits})

    @property
    def brand_ids(self) -> list[str]:
        return sorted({hit.brand_id for hit in self.hits if hit.brand_id})

    def to_dict(self) -> dict[str, Any]:
        return {
            "score": self.score,
            "flagged": self.flagged,
            "threshold": self.threshold,
            "hits": [hit.to_dict() for hit in self.hits],
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Verdict:
        return cls(
            score=float(data["score"]),
            flagged=bool(data["flagged"]),
            threshold=float(data["threshold"]),
            hits=tuple(Hit.from_dict(hit) for hit in data.get("hits", [])),
        )
