"""Reading WIPO ST.66 trademark XML (as the USPTO TSDR service and other offices return it).

Kept from each ``TradeMark`` element: office, application and registration numbers and
dates, the word element, the status, Nice classes with their goods and services, and the
holder. Elements are matched in the ST.66 namespace only: a document in another namespace
is not ST.66 and is reported, not guessed at.

The file is read incrementally (``iterparse``), so every record completed before a
truncation or syntax error is kept and the error is reported with its line. External
entities and network access are disabled.

Status: ST.66 ``MarkCurrentStatusCode`` is a word for most offices ("Registered",
"Expired", …) and a numeric code for the USPTO; numeric codes are mapped to ``registered``
(700–709, 730–899), ``cancelled`` (710–729), ``expired`` (900+), ``abandoned`` (600–619) or
``pending`` (other 6xx); ``status_detail`` keeps the code and the office's own wording.
The holder is the applicant of the latest party type (USPTO ``PartyTypeCode``: the owner
after registration beats the original applicant); co-owners are joined with ``"; "``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from patrol.registry.problems import FileResult, ParsedRecord, parse_iso_date
from patrol.registry.records import TrademarkRecord

__all__ = ["ST66_NAMESPACE", "parse_st66", "status_from_code"]

ST66_NAMESPACE = "http://www.wipo.int/standards/XMLSchema/trademarks"
_NS = {"t": ST66_NAMESPACE}
_TRADEMARK = f"{{{ST66_NAMESPACE}}}TradeMark"


@dataclass(frozen=True, slots=True)
class _Status:
    status: str | None
    detail: str | None


def status_from_code(code: str | None) -> str | None:
    """A comparable status word for an ST.66 status code (see the module docstring)."""
    if not code:
        return None
    text = code.strip()
    if not text.isdigit():
        return text.lower().replace(" ", "_")
    number = int(text)
    if 600 <= number <= 619:
        return "abandoned"
    if 600 <= number <= 699:
        return "pending"
    if 710 <= number <= 729:
        return "cancelled"
    if 700 <= number <= 899:
        return "registered"
    if number >= 900:
        return "expired"
    return None


def _text(element: etree._Element, path: str) -> str | None:
    found = element.find(path, _NS)
    if found is None or found.text is None:
        return None
    return " ".join(found.text.split()) or None


def _status(trademark: etree._Element) -> _Status:
    code = _text(trademark, "t:MarkCurrentStatusCode")
    wording = next(
        (
            " ".join(el.text.split())
            for el in trademark.iter()
            if isinstance(el.tag, str)
            and etree.QName(el).localname == "MarkCurrentStatusExternalDescriptionText"
            and el.text
        ),
        None,
    )
    detail = " — ".join(part for part in (code, wording) if part) or None
    return _Status(status_from_code(code), detail)


def _classes(trademark: etree._Element) -> tuple[tuple[str, ...], str | None]:
    classes: list[str] = []
    goods: list[str] = []
    for description in trademark.iterfind(".//t:GoodsServicesDetails//t:ClassDescription", _NS):
        number = _text(description, "t:ClassNumber")
        if number is None or not number.isdigit():
            continue
        padded = f"{int(number):03d}"
        if padded not in classes:
            classes.append(padded)
        text = _text(description, "t:GoodsServicesDescription")
        if text:
            goods.append(f"{padded}: {text}")
    order = sorted(classes)
    goods.sort()
    return tuple(order), "; ".join(goods) or None


def _party_rank(applicant: etree._Element) -> int:
    for element in applicant.iter():
        if isinstance(element.tag, str) and etree.QName(element).localname == "PartyTypeCode":
            text = (element.text or "").strip()
            return int(text) if text.isdigit() else 0
    return 0


def _applicant_name(applicant: etree._Element) -> str | None:
    for path in (
        ".//t:FreeFormatNameLine",
        ".//t:OrganizationStandardName",
        ".//t:FormattedName/t:LastName",
    ):
        lines = [" ".join(el.text.split()) for el in applicant.iterfind(path, _NS) if el.text]
        if lines:
            return " ".join(lines)
    return None


def _holder(trademark: etree._Element) -> str | None:
    scopes = [trademark]
    parent = trademark.getparent()
    while parent is not None:  # TSDR puts ApplicantDetails beside TradeMarkDetails
        scopes.append(parent)
        parent = parent.getparent()
    for scope in scopes:
        applicants = [
            *scope.findall("t:HolderDetails/t:Holder", _NS),
            *scope.findall("t:ApplicantDetails/t:Applicant", _NS),
        ]
        if applicants:
            top = max(_party_rank(a) for a in applicants)
            names = [_applicant_name(a) for a in applicants if _party_rank(a) == top]
            unique = list(dict.fromkeys(name for name in names if name))
            return "; ".join(unique) or None
    return None


def _record(trademark: etree._Element) -> TrademarkRecord:
    office = _text(trademark, "t:RegistrationOfficeCode")
    application = _text(trademark, "t:ApplicationNumber/t:ApplicationNumberText") or _text(
        trademark, "t:ApplicationNumber"
    )
    registration = _text(trademark, "t:RegistrationNumber")
    missing = [
        name
        for name, value in (("RegistrationOfficeCode", office), ("ApplicationNumber", application))
        if not value
    ]
    if missing and not (office and registration):
        raise ValueError(f"missing {', '.join(missing)}")
    status = _status(trademark)
    classes, goods = _classes(trademark)
    record = TrademarkRecord(
        office=(office or "").upper(),
        mark=_text(trademark, "t:WordMarkSpecification/t:MarkVerbalElementText"),
        application_number=application,
        registration_number=registration,
        application_date=parse_iso_date(_text(trademark, "t:ApplicationDate")),
        registration_date=parse_iso_date(_text(trademark, "t:RegistrationDate")),
        status=status.status,
        nice_classes=classes,
        goods=goods,
        holder=_holder(trademark),
    )
    return record


def status_detail(trademark: etree._Element) -> str | None:
    return _status(trademark).detail


def _elements(path: Path, result: FileResult) -> Iterator[etree._Element]:
    context = etree.iterparse(
        str(path),
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
    )
    root_checked = False
    try:
        for event, element in context:
            if not root_checked and event == "start":
                root_checked = True
                namespace = etree.QName(element).namespace
                if namespace != ST66_NAMESPACE:
                    result.problem(
                        f"line {element.sourceline}",
                        f"not a WIPO ST.66 document: root <{etree.QName(element).localname}> "
                        f"is in namespace {namespace or '(none)'}, expected {ST66_NAMESPACE}",
                    )
                    return
            if event == "end" and element.tag == _TRADEMARK:
                yield element
    except etree.XMLSyntaxError as exc:
        line = exc.lineno if exc.lineno else "?"
        result.problem(f"line {line}", f"XML error: {exc.msg} (records after it not read)")
    except OSError as exc:
        result.problem("", f"cannot read: {exc}")


def parse_st66(path: Path) -> FileResult:
    """Every trademark record in an ST.66 file, and a problem for each one unreadable."""
    result = FileResult(path=path, kind="st66")
    count = 0
    for element in _elements(path, result):
        count += 1
        where = f"line {element.sourceline} {element.getroottree().getpath(element)}"
        try:
            record = _record(element)
        except ValueError as exc:
            result.problem(where, f"TradeMark record not imported: {exc}")
            continue
        result.records.append(ParsedRecord(record, where, status_detail(element)))
    if count == 0 and not result.problems:
        result.problem("", "no ST.66 TradeMark record in this file")
    return result
