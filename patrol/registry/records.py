"""Registry records as plain data, independent of the database.

The database layer maps its rows to these; the screening engine receives them in a
:class:`RegistrySnapshot` and never touches the database itself.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

__all__ = ["AuthorisedSeller", "PatentRecord", "RegistrySnapshot", "TrademarkRecord"]


@dataclass(frozen=True, slots=True)
class TrademarkRecord:
    office: str  # "US", "CN", "EM", "WO", ...
    mark: str | None  # the word element; None for a pure design mark
    application_number: str | None = None
    registration_number: str | None = None
    application_date: date | None = None
    registration_date: date | None = None
    status: str | None = None  # "registered", "pending", "expired", ... as the office says
    nice_classes: tuple[str, ...] = ()  # zero-padded: "009", "025"
    goods: str | None = None
    holder: str | None = None


@dataclass(frozen=True, slots=True)
class PatentRecord:
    number: str  # canonical form, e.g. "CN201510123456.7", "US9876543", "EP1234567"
    kind: str | None = None  # "invention", "utility_model", "design"
    title: str | None = None
    holder: str | None = None
    filing_date: date | None = None
    status: str | None = None  # "in_force", "expired", "lapsed", "revoked"
    expiry: date | None = None


@dataclass(frozen=True, slots=True)
class AuthorisedSeller:
    marketplace: str
    shop_id: str
    brand_id: str
    kind: str = "authorised"  # "official" or "authorised"


@dataclass(frozen=True, slots=True)
class RegistrySnapshot:
    """Everything screening may know from the database, read once per patrol."""

    trademarks: tuple[TrademarkRecord, ...] = ()
    patents: tuple[PatentRecord, ...] = ()
    authorised_sellers: tuple[AuthorisedSeller, ...] = ()
    repeat_offenders: frozenset[tuple[str, str]] = field(default_factory=frozenset)
    # (marketplace, shop_id) of shops with confirmed leads
