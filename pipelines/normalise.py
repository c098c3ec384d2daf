"""Put listing fields in one shape: Decimal prices, ISO 4217 currencies, tidy text.

Spiders hand over what the page shows; this makes it comparable across marketplaces
(``"¥1,299.00"`` → ``Decimal("1299.00")`` + ``CNY``) without touching what screening
must see: characters inside titles and descriptions (zero-width joiners, homoglyphs,
full-width letters) are kept, only surrounding whitespace, control characters and
whitespace runs in one-line fields are cleaned up.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from scrapy.exceptions import NotConfigured

from patrol.items import Listing

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from scrapy.settings import BaseSettings

__all__ = ["ISO_CODES", "NormaliseConfig", "NormalisePipeline", "normalise_listing", "parse_price"]

logger = logging.getLogger(__name__)

_SYMBOLS = {
    "¥": "CNY", "￥": "CNY", "元": "CNY", "RMB": "CNY", "$": "USD", "US$": "USD",
    "€": "EUR", "£": "GBP", "HK$": "HKD", "NT$": "TWD", "₩": "KRW", "円": "JPY",
}  # fmt: skip
#: Currencies a price text may name by code (upper case, as "12,50 EUR").
ISO_CODES = frozenset(
    [
        "AED",
        "AUD",
        "BRL",
        "CAD",
        "CHF",
        "CNY",
        "CZK",
        "DKK",
        "EUR",
        "GBP",
        "HKD",
        "IDR",
        "ILS",
        "INR",
        "JPY",
        "KRW",
        "MOP",
        "MXN",
        "MYR",
        "NOK",
        "NZD",
        "PHP",
        "PLN",
        "RUB",
        "SAR",
        "SEK",
        "SGD",
        "THB",
        "TRY",
        "TWD",
        "USD",
        "VND",
        "ZAR",
    ]
)
# longest first, so "HK$" is read before "$"
_SYMBOLS_LONGEST_FIRST = tuple(sorted(_SYMBOLS, key=len, reverse=True))
_ISO_CODE = re.compile(r"[A-Z]{3}")
_CODE_IN_TEXT = re.compile(r"\b([A-Z]{3})\b")
# C0 controls but tab and line ends, DEL, and the C1 controls (U+0080..U+009F: U+009B is a
# terminal's CSI, which would reach `patrol leads show` as an escape sequence)
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_SPACES = re.compile(r"\s+")
_NUMBER = re.compile(r"\d[\d.,' \u00a0]*")
_ONE_LINE = ("title", "brand", "category", "shop_name")


@dataclass(frozen=True)
class NormaliseConfig:
    default_currency: str | None = None  # for a bare "¥" or "$" the site leaves open
    enabled: bool = True

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> NormaliseConfig:
        currency = settings.get("PATROL_DEFAULT_CURRENCY") or None
        if currency is not None and not re.fullmatch(r"[A-Z]{3}", str(currency)):
            raise ValueError(f"PATROL_DEFAULT_CURRENCY must be an ISO 4217 code, not {currency!r}")
        return cls(
            default_currency=currency, enabled=settings.getbool("PATROL_NORMALISE_ENABLED", True)
        )


def _amount(text: str) -> Decimal | None:
    match = _NUMBER.search(text)
    if match is None:
        return None
    number = match.group().strip().replace("'", "").replace(" ", "").replace("\u00a0", "")
    if "," in number and "." in number:  # the later one is the decimal mark
        if number.rfind(",") > number.rfind("."):
            number = number.replace(".", "").replace(",", ".")
        else:
            number = number.replace(",", "")
    elif "," in number:  # "1,299" thousands; "12,50" decimal
        head, _, tail = number.rpartition(",")
        number = f"{head.replace(',', '')}.{tail}" if len(tail) != 3 else number.replace(",", "")
    try:
        value = Decimal(number.rstrip("."))
    except InvalidOperation:
        return None
    return value if value.is_finite() and value >= 0 else None


def parse_price(value: Any) -> tuple[Decimal | None, str | None]:
    """``"¥1,299.00"`` → ``(Decimal("1299.00"), "CNY")``; unreadable → ``(None, None)``."""
    if isinstance(value, Decimal):
        return (value if value.is_finite() else None), None
    if isinstance(value, int | float):
        return _amount(repr(value)), None
    if not isinstance(value, str):
        return None, None
    currency = None
    upper = value.upper()
    for symbol in _SYMBOLS_LONGEST_FIRST:
        if symbol in upper:
            currency = _SYMBOLS[symbol]
            break
    if currency is None and (code := _CODE_IN_TEXT.search(value)):
        currency = code.group(1) if code.group(1) in ISO_CODES else None
    return _amount(value), currency


def _clean(value: Any, *, one_line: bool) -> str | None:
    if not isinstance(value, str):
        return None if value is None else str(value)
    text = _CONTROL.sub("", value)
    text = _SPACES.sub(" ", text) if one_line else text.replace("\r\n", "\n")
    return text.strip() or None


def normalise_listing(listing: Listing, config: NormaliseConfig = NormaliseConfig()) -> list[str]:
    """Normalise ``listing`` in place; returns warnings (fields that could not be read)."""
    warnings: list[str] = []
    listing.listing_id = listing.listing_id.strip()
    listing.url = listing.url.strip()
    for name in _ONE_LINE:
        setattr(listing, name, _clean(getattr(listing, name), one_line=True))
    listing.description = _clean(listing.description, one_line=False)
    raw_price: Any = listing.price
    price, currency = parse_price(raw_price)
    if raw_price is not None and price is None:
        warnings.append(f"price {raw_price!r} is not a number")
    listing.price = price
    declared = listing.currency.strip().upper() if isinstance(listing.currency, str) else None
    declared = _SYMBOLS.get(declared, declared) if declared else None
    listing.currency = declared or currency or (config.default_currency if price else None)
    if listing.currency is not None and not _ISO_CODE.fullmatch(listing.currency):
        warnings.append(f"currency {listing.currency!r} is not an ISO 4217 code")
        listing.currency = None
    listing.image_urls = list(dict.fromkeys(u.strip() for u in listing.image_urls if u.strip()))
    listing.patent_numbers = [p.strip() for p in listing.patent_numbers if p and p.strip()]
    return warnings


class NormalisePipeline:
    def __init__(self, crawler: Crawler, config: NormaliseConfig) -> None:
        self.crawler = crawler
        self.config = config

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> NormalisePipeline:
        config = NormaliseConfig.from_settings(crawler.settings)
        if not config.enabled:
            raise NotConfigured("PATROL_NORMALISE_ENABLED is off")
        return cls(crawler, config)

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Listing):
            for warning in normalise_listing(item, self.config):
                assert self.crawler.stats is not None
                self.crawler.stats.inc_value("patrol/validation_warnings")
                logger.warning("%s: %s", item.url, warning)
        return item
