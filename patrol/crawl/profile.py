"""Site profiles: everything the generic spider knows about one marketplace, in YAML.

A marketplace with an ordinary layout is added by writing ``spiders/sites/NAME.yaml``,
not Python. The profile names where a patrol starts, which links lead to more result pages
and which to listings, how to read each listing field, which answers mean "gone" or
"blocked", how polite to be, and whether pages need a browser. It is validated when loaded
and every mistake is reported as ``file:line: what is wrong`` (see ``spiders/sites/README.md``
for the format).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

from patrol.config import PROJECT_ROOT
from patrol.crawl.yamlmarks import MarkedYaml, YamlSyntaxError, load_marked_yaml
from patrol.errors import PatrolError
from patrol.items import Listing
from patrol.textfiles import NotUtf8Error, read_utf8

__all__ = [
    "BrowserRule",
    "FieldRule",
    "ProfileError",
    "SiteProfile",
    "available_sites",
    "check_base_url",
    "load_profile",
    "profile_path",
    "sites_dir",
]

_LISTING_FIELDS = {f.name for f in fields(Listing)} - {
    "marketplace",
    "url",
    "attributes",
    "fetched_at",
    "body_sha256",
    "evidence_path",
    "missing_fields",
    "capture",
}
_LIST_FIELDS = {"image_urls", "patent_numbers"}
_SITE_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
_TOP_KEYS = {
    "name",
    "title",
    "base_url",
    "encoding",
    "currency",
    "concurrency",
    "delay",
    "start_urls",
    "follow",
    "listing_url",
    "fields",
    "required",
    "gone",
    "block",
    "error",
    "browser",
}


class ProfileError(PatrolError):
    """A site profile that cannot be used; the message names the file and line."""


@dataclass(frozen=True)
class FieldRule:
    """How to read one listing field from a detail page."""

    name: str  # a Listing field, or "attributes.KEY"
    css: str | None = None
    xpath: str | None = None
    regex: re.Pattern[str] | None = None  # applied to each text; group 1 if any, else whole
    many: bool = False  # a list of values (image_urls, patent_numbers)
    exists: bool = False  # True/False: does the selector match anything?
    join: str | None = None  # join all matched texts with this separator
    query: str = ""  # the XPath evaluated (css is translated once, when the profile loads)


@dataclass(frozen=True)
class BrowserRule:
    """What a browser-rendered page needs before its HTML is read."""

    wait_for_listing: str | None = None  # CSS selector present once a detail page rendered
    wait_for_index: str | None = None  # ... once a result page rendered
    load_more: str | None = None  # button clicked until it disappears ("load more")
    max_load_more: int = 200
    scroll: bool = False  # scroll to the bottom until the page stops growing
    screenshot: bool = True  # full-page PNG of each rendered detail page, for evidence
    timeout_ms: int = 30_000


@dataclass(frozen=True)
class SiteProfile:
    """One validated site profile."""

    name: str
    source: Path
    base_url: str
    start_urls: tuple[str, ...]
    follow: tuple[re.Pattern[str], ...]
    listing_url: re.Pattern[str]  # group "id" (or group 1) is the listing id
    fields: tuple[FieldRule, ...]
    title: str = ""
    encoding: str | None = None  # fallback when the server declares none
    currency: str | None = None  # ISO 4217, when pages do not say
    concurrency: int = 4
    delay: float = 0.0
    required: tuple[str, ...] = ("title",)
    gone_status: tuple[int, ...] = (404, 410)
    gone_markers: tuple[str, ...] = ()  # text on a 200 page that says "gone"
    gone_css: str | None = None  # ... or an element that does
    block_markers: tuple[str, ...] = ()
    block_css: str | None = None
    error_markers: tuple[str, ...] = ()  # a page that failed to load its data: retried
    error_css: str | None = None
    block_retries: int = 2
    block_give_up_after: int = 20
    browser: BrowserRule | None = None

    @property
    def needs_browser(self) -> bool:
        return self.browser is not None

    @property
    def origin(self) -> tuple[str, int]:
        """(host, port) of the base URL: the only origin a patrol of this site fetches."""
        return _origin(self.base_url)

    def with_base_url(self, base_url: str) -> SiteProfile:
        """The same profile serving from another address (``--base-url``)."""
        return replace(self, base_url=check_base_url(base_url))

    def absolute(self, url: str) -> str:
        return urljoin(self.base_url, url)

    def listing_id(self, url: str) -> str | None:
        """The marketplace's own id, read from a listing URL; None if not a listing URL."""
        match = self.listing_url.search(url)
        if match is None:
            return None
        if "id" in match.groupdict():
            return match.group("id")
        return match.group(1) if match.groups() else match.group(0)


def sites_dir() -> Path:
    """Where bundled profiles live (``spiders/sites``)."""
    return PROJECT_ROOT / "spiders" / "sites"


def available_sites(directory: Path | None = None) -> list[str]:
    return sorted(p.stem for p in (directory or sites_dir()).glob("*.yaml"))


def profile_path(site: str, directory: Path | None = None) -> Path:
    """The profile file for ``site`` (a name, or a path to a ``.yaml`` file)."""
    if site.endswith((".yaml", ".yml")):
        return Path(site)
    if not _SITE_NAME.match(site):
        raise ProfileError(f"unknown site {site!r}: a site name is lowercase letters and digits")
    path = (directory or sites_dir()) / f"{site}.yaml"
    if not path.is_file():
        known = ", ".join(available_sites(directory)) or "none"
        raise ProfileError(f"unknown site {site!r} (known sites: {known})")
    return path


def load_profile(
    site: str, base_url: str | None = None, directory: Path | None = None
) -> SiteProfile:
    """Load and validate the profile for ``site``; raise :class:`ProfileError` on any problem."""
    path = profile_path(site, directory)
    try:
        text = read_utf8(path)
    except NotUtf8Error as exc:
        raise ProfileError(f"{path}:{exc.line}: cannot read site profile: {exc}") from exc
    except OSError as exc:
        raise ProfileError(f"{path}: cannot read site profile: {exc}") from exc
    try:
        doc = load_marked_yaml(text, path)
    except YamlSyntaxError as exc:
        raise ProfileError(f"{path}:{exc.line}: not valid YAML: {exc}") from exc
    profile = _Parser(path, doc).profile()
    return profile.with_base_url(base_url) if base_url else profile


def check_base_url(url: str) -> str:
    """``url`` if it is an absolute http(s) URL with a host; raise :class:`ProfileError`."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError as exc:
        raise ProfileError(f"bad base URL {url!r}: {exc}") from exc
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ProfileError(f"bad base URL {url!r}: expected http://HOST[:PORT]/")
    return url if url.endswith("/") else url + "/"


def _origin(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    default = 443 if parts.scheme == "https" else 80
    return (parts.hostname or "", parts.port or default)


class _Parser:
    """Turns a marked YAML document into a :class:`SiteProfile`, or a ProfileError."""

    def __init__(self, path: Path, doc: MarkedYaml) -> None:
        self.path = path
        self.doc = doc

    def fail(self, where: tuple[str | int, ...], message: str) -> ProfileError:
        dotted = ".".join(str(p) for p in where)
        prefix = f"{dotted}: " if dotted else ""
        return ProfileError(f"{self.path}:{self.doc.line_of(where)}: {prefix}{message}")

    def profile(self) -> SiteProfile:
        data = self.doc.data
        if not isinstance(data, dict):
            raise self.fail((), "a site profile is a mapping of keys (name, base_url, ...)")
        self._no_unknown_keys(data, _TOP_KEYS, ())
        name = self._text(data, ("name",))
        if not _SITE_NAME.match(name):
            raise self.fail(("name",), f"{name!r} is not a site name (lowercase letters, digits)")
        try:
            base_url = check_base_url(self._text(data, ("base_url",)))
        except ProfileError as exc:
            raise self.fail(("base_url",), exc.message) from exc
        listing_fields = self._fields(data)
        names = {rule.name for rule in listing_fields}
        required = tuple(self._text_list(data, ("required",), default=["title"]))
        for i, field_name in enumerate(required):
            if field_name not in names:
                raise self.fail(("required", i), f"{field_name!r} has no rule under fields")
        gone = self._mapping(data, ("gone",))
        block = self._mapping(data, ("block",))
        error = self._mapping(data, ("error",))
        self._no_unknown_keys(error, {"markers", "css"}, ("error",))
        self._no_unknown_keys(gone, {"status", "markers", "css"}, ("gone",))
        self._no_unknown_keys(block, {"markers", "css", "retries", "give_up_after"}, ("block",))
        return SiteProfile(
            name=name,
            source=self.path,
            title=self._text(data, ("title",), default=name),
            base_url=base_url,
            encoding=self._encoding(data),
            currency=self._currency(data),
            concurrency=self._number(data, ("concurrency",), int, 4, 1, 64),
            delay=self._number(data, ("delay",), float, 0.0, 0.0, 600.0),
            start_urls=tuple(self._text_list(data, ("start_urls",))) or ("/",),
            follow=tuple(
                self._regex(p, ("follow", i))
                for i, p in enumerate(self._text_list(data, ("follow",), default=[]))
            ),
            listing_url=self._regex(self._text(data, ("listing_url",)), ("listing_url",)),
            fields=listing_fields,
            required=required,
            gone_status=tuple(self._int_list(gone, ("gone", "status"), [404, 410])),
            gone_markers=tuple(self._text_list(gone, ("gone", "markers"), default=[])),
            gone_css=self._css(gone, ("gone", "css")),
            block_markers=tuple(self._text_list(block, ("block", "markers"), default=[])),
            block_css=self._css(block, ("block", "css")),
            error_markers=tuple(self._text_list(error, ("error", "markers"), default=[])),
            error_css=self._css(error, ("error", "css")),
            block_retries=self._number(block, ("block", "retries"), int, 2, 0, 20),
            block_give_up_after=self._number(block, ("block", "give_up_after"), int, 20, 1, 10**6),
            browser=self._browser(data),
        )

    # -- pieces ------------------------------------------------------------------------

    def _fields(self, data: dict[str, Any]) -> tuple[FieldRule, ...]:
        raw = self._mapping(data, ("fields",))
        if not raw:
            raise self.fail(("fields",), "at least one field rule is needed (title: CSS)")
        rules = []
        for name, spec in raw.items():
            where = ("fields", name)
            if name not in _LISTING_FIELDS and not str(name).startswith("attributes."):
                known = ", ".join(sorted(_LISTING_FIELDS))
                raise self.fail(where, f"unknown field {name!r} (known: {known}, attributes.KEY)")
            if isinstance(spec, str):
                spec = {"css": spec}
            if not isinstance(spec, dict):
                raise self.fail(where, "expected a CSS selector or a mapping (css/xpath/re/...)")
            self._no_unknown_keys(spec, {"css", "xpath", "re", "many", "exists", "join"}, where)
            css, xpath = spec.get("css"), spec.get("xpath")
            if (css is None) == (xpath is None):
                raise self.fail(where, "give exactly one of css or xpath")
            selector = css if css is not None else xpath
            if not isinstance(selector, str) or not selector.strip():
                raise self.fail(where, "the selector must be non-empty text")
            query = self._check_selector(css, xpath, where)
            regex = spec.get("re")
            rule = FieldRule(
                name=str(name),
                css=css,
                xpath=xpath,
                query=query,
                regex=self._regex(regex, (*where, "re")) if regex is not None else None,
                many=self._bool(spec, (*where, "many"), name in _LIST_FIELDS),
                exists=self._bool(spec, (*where, "exists"), False),
                join=self._separator(spec, (*where, "join")),
            )
            if name in _LIST_FIELDS and not rule.many:
                raise self.fail(where, f"{name} is a list: many must be true")
            if name == "shop_official" and not rule.exists and rule.regex is None:
                raise self.fail(where, "shop_official is true/false: set exists: true")
            rules.append(rule)
        return tuple(rules)

    def _check_selector(self, css: str | None, xpath: str | None, where: tuple[str, ...]) -> str:
        """The XPath for a rule's selector; a ProfileError if either does not compile."""
        from parsel import Selector  # parsel ships with Scrapy
        from parsel.csstranslator import HTMLTranslator

        try:
            query = HTMLTranslator().css_to_xpath(css) if css is not None else (xpath or "")
            Selector(text="<html></html>").xpath(query)
        except Exception as exc:  # cssselect and lxml raise several types for a bad one
            raise self.fail(where, f"bad selector: {exc}") from exc
        return query

    def _separator(self, data: dict[str, Any], where: tuple) -> str | None:
        value = data.get(where[-1])
        if value is not None and not isinstance(value, str):
            raise self.fail(where, "expected text (the separator, e.g. ' ')")
        return value

    def _css(self, data: dict[str, Any], where: tuple[str, ...]) -> str | None:
        css = self._optional_text(data, where)
        if css is not None:
            self._check_selector(css, None, where)
        return css

    def _browser(self, data: dict[str, Any]) -> BrowserRule | None:
        raw = data.get("browser", False)
        where = ("browser",)
        if raw is False or raw is None:
            return None
        if raw is True:
            return BrowserRule()
        if not isinstance(raw, dict):
            raise self.fail(where, "expected true/false or a mapping (wait_for_listing, ...)")
        allowed = {
            "wait_for_listing",
            "wait_for_index",
            "load_more",
            "max_load_more",
            "scroll",
            "screenshot",
            "timeout_ms",
        }
        self._no_unknown_keys(raw, allowed, where)
        return BrowserRule(
            wait_for_listing=self._optional_text(raw, (*where, "wait_for_listing")),
            wait_for_index=self._optional_text(raw, (*where, "wait_for_index")),
            load_more=self._optional_text(raw, (*where, "load_more")),
            max_load_more=self._number(raw, (*where, "max_load_more"), int, 200, 0, 100_000),
            scroll=self._bool(raw, (*where, "scroll"), False),
            screenshot=self._bool(raw, (*where, "screenshot"), True),
            timeout_ms=self._number(raw, (*where, "timeout_ms"), int, 30_000, 100, 600_000),
        )

    def _encoding(self, data: dict[str, Any]) -> str | None:
        name = self._optional_text(data, ("encoding",))
        if name is None:
            return None
        import codecs

        try:
            return codecs.lookup(name).name
        except LookupError as exc:
            raise self.fail(("encoding",), f"unknown encoding {name!r}") from exc

    def _currency(self, data: dict[str, Any]) -> str | None:
        code = self._optional_text(data, ("currency",))
        if code is not None and not re.fullmatch(r"[A-Z]{3}", code):
            raise self.fail(("currency",), f"{code!r} is not an ISO 4217 code like CNY or USD")
        return code

    # -- typed accessors -----------------------------------------------------------------

    def _no_unknown_keys(self, data: dict[str, Any], allowed: set[str], where: tuple) -> None:
        for key in data:
            if key not in allowed:
                raise self.fail(
                    (*where, key), f"unknown key {key!r} (allowed: {', '.join(sorted(allowed))})"
                )

    def _mapping(self, data: dict[str, Any], where: tuple) -> dict[str, Any]:
        value = data.get(where[-1], {})
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(where, "expected a mapping")
        return value

    def _text(self, data: dict[str, Any], where: tuple, default: str | None = None) -> str:
        value = data.get(where[-1], default)
        if value is None:
            raise self.fail(where[:-1], f"missing required key {where[-1]!r}")
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, "expected non-empty text")
        return value.strip()

    def _optional_text(self, data: dict[str, Any], where: tuple) -> str | None:
        if data.get(where[-1]) is None:
            return None
        return self._text(data, where)

    def _text_list(self, data: dict[str, Any], where: tuple, default: list | None = None) -> list:
        value = data.get(where[-1], default)
        if value is None:
            raise self.fail(where[:-1], f"missing required key {where[-1]!r}")
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            raise self.fail(where, "expected a list of text")
        for i, item in enumerate(value):
            if not isinstance(item, str) or not item:
                raise self.fail((*where, i), "expected non-empty text")
        return value

    def _int_list(self, data: dict[str, Any], where: tuple, default: list[int]) -> list[int]:
        value = data.get(where[-1], default)
        if not isinstance(value, list) or not all(
            isinstance(v, int) and 100 <= v <= 599 for v in value
        ):
            raise self.fail(where, "expected a list of HTTP status codes")
        return value

    def _number(self, data: dict, where: tuple, kind: type, default: Any, lo: Any, hi: Any) -> Any:
        value = data.get(where[-1], default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(where, f"expected a number from {lo} to {hi}")
        if kind is int and not isinstance(value, int):
            raise self.fail(where, "expected a whole number")
        if not lo <= value <= hi:
            raise self.fail(where, f"{value} is out of range ({lo}..{hi})")
        return kind(value)

    def _bool(self, data: dict[str, Any], where: tuple, default: bool) -> bool:
        value = data.get(where[-1], default)
        if not isinstance(value, bool):
            raise self.fail(where, "expected true or false")
        return value

    def _regex(self, pattern: Any, where: tuple) -> re.Pattern[str]:
        if not isinstance(pattern, str) or not pattern:
            raise self.fail(where, "expected a regular expression")
        try:
            return re.compile(pattern)
        except re.error as exc:
            raise self.fail(where, f"bad regular expression: {exc}") from exc
