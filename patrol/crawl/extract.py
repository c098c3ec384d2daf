"""Reading a :class:`~patrol.items.Listing` out of a detail page with a profile's rules.

Extraction never invents: a field whose selector matches nothing is ``None`` (or an empty
list), and the caller learns which required fields were missing so a truncated or malformed
page still yields what it holds, with a validation warning instead of silence.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

from lxml import etree

from patrol.items import Listing

if TYPE_CHECKING:
    from parsel import Selector

    from patrol.crawl.profile import FieldRule, SiteProfile

__all__ = ["extract_listing", "parse_price"]

_NUMBER = re.compile(r"\d[\d,\s]*(?:\.\d+)?")
_URL_FIELDS = {"shop_url", "image_urls"}
# a path from the site's root that ``urljoin`` would take as it is: no "//" (a host), no
# dot segment, no parameters, query or fragment, nothing it would strip or re-quote
_PLAIN_PATH = re.compile(r"/(?!/)[A-Za-z0-9_\-~!$&'()*+,=:@%/.]*")


def parse_price(text: str | None) -> Decimal | None:
    """The first number in ``text`` ("¥1,299.00" → 1299.00); None if there is none."""
    if not text:
        return None
    match = _NUMBER.search(text)
    if match is None:
        return None
    try:
        return Decimal(re.sub(r"[,\s]", "", match.group(0)))
    except InvalidOperation:
        return None


def extract_listing(
    selector: Selector, profile: SiteProfile, url: str, listing_id: str
) -> tuple[Listing, list[str]]:
    """The listing on this page, and the required fields it lacks."""
    listing = Listing(marketplace=profile.name, listing_id=listing_id, url=url)
    root = selector.root
    matched: dict[str, list[Any]] = {}  # by query: fields often share one (a link, its id)
    origin: str | None = None
    for rule in profile.fields:
        nodes = matched.get(rule.query)
        if nodes is None:
            nodes = matched[rule.query] = _nodes(root, rule.query)
        value = _value(nodes, rule)
        if rule.name in _URL_FIELDS and value:
            if origin is None:
                origin = _origin(url)
            if rule.many:
                value = [_absolute(url, v, origin) for v in value]
            else:
                value = _absolute(url, value, origin)
        _assign(listing, rule.name, value)
    if listing.currency is None:
        listing.currency = profile.currency
    missing = [name for name in profile.required if _is_empty(_value_of(listing, name))]
    return listing, missing


@cache
def _compiled(query: str) -> etree.XPath:
    """The XPath compiled once per process (a profile has a dozen), not once per page.

    ``_Element.xpath(text)`` parses the expression again on every call, which cost as
    much as evaluating it. Plain ``str`` results (``smart_strings=False``) are enough:
    nothing here asks a string for its parent, and they are cheaper to make. Without a
    namespace for them no expression here can call the EXSLT regular expressions, so they
    are not registered for every evaluation either (``regexp=False``).
    """
    return etree.XPath(query, smart_strings=False, regexp=False)


def _nodes(root: Any, query: str) -> list[Any]:
    # lxml directly (parsel's wrapping of every match was the largest cost of a patrol's
    # own work per listing), with the same expressions and namespaces as root.xpath()
    nodes = _compiled(query)(root)
    if not isinstance(nodes, list):  # an XPath that computes a value (string(), count())
        return [nodes]
    return nodes


def _value(nodes: list[Any], rule: FieldRule) -> Any:
    """What the rule makes of the nodes its query matched (never changing the list)."""
    if rule.exists and rule.regex is None:
        return any(node is not False and node != "" for node in nodes)
    texts = [_clean(_text(node)) for node in nodes]
    if rule.regex is not None:
        texts = [m for m in (_match(rule.regex, t) for t in texts) if m is not None]
        if rule.exists:
            return bool(texts)
    texts = [t for t in texts if t]
    if rule.many:
        return list(dict.fromkeys(texts))  # de-duplicated, page order kept
    if rule.join is not None:
        return rule.join.join(texts) or None
    return texts[0] if texts else None


def _text(node: Any) -> str:
    """A match as text: strings as they are, an element as all the text inside it."""
    if isinstance(node, str):
        return node
    if hasattr(node, "itertext"):
        return "".join(node.itertext())
    return str(node)


def _match(pattern: re.Pattern[str], text: str) -> str | None:
    match = pattern.search(text)
    if match is None:
        return None
    return _clean(match.group(1) if match.groups() else match.group(0))


def _clean(text: str) -> str:
    """Whitespace runs as one space, none at the ends (``str.split`` knows the same
    whitespace as ``\\s`` in a pattern, at a third of the cost of a substitution)."""
    return " ".join(text.split())


def _origin(base: str) -> str:
    """``scheme://host[:port]`` of an http(s) ``base``, as ``urljoin`` writes it; else ""."""
    parts = urlsplit(base)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    return f"{parts.scheme}://{parts.netloc}"


def _absolute(base: str, url: str, origin: str = "") -> str:
    """``urljoin(base, url)``; a plain path from the root joins the origin without it
    (four image links a listing, and ``urljoin`` parses the page's URL for each)."""
    if origin and _PLAIN_PATH.fullmatch(url) and "/." not in url:
        return origin + url
    return urljoin(base, url)


def _assign(listing: Listing, name: str, value: Any) -> None:
    if name.startswith("attributes."):
        if value not in (None, "", []):
            listing.attributes[name.split(".", 1)[1]] = (
                ", ".join(value) if isinstance(value, list) else str(value)
            )
    elif name == "price":
        listing.price = parse_price(value)
    else:
        setattr(listing, name, value)


def _value_of(listing: Listing, name: str) -> Any:
    if name.startswith("attributes."):
        return listing.attributes.get(name.split(".", 1)[1])
    return getattr(listing, name)


def _is_empty(value: Any) -> bool:
    return value is None or value == "" or value == []
