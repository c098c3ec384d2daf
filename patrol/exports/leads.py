"""Leads as rows with every field an investigator or a notice-and-takedown desk needs.

One record per lead: where the listing is (marketplace, URL, shop), what it shows (title,
price, brand), why it flagged (reasons, score, rule ids, the registry numbers the hits
rest on), the evidence (its sha256 — evidence files are named by it — and when the page
was fetched) and where the lead stands (status, assignee, deadline, case). JSON keeps lists
and raw text; CSV and XLSX join lists with ``; `` and neutralise formulas.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from patrol import config
from patrol.db.models import Lead, ListingSnapshot
from patrol.exports.tables import Column, Table, write_csv, write_json, write_xlsx
from patrol.leads.query import lead_source

__all__ = ["LEAD_COLUMNS", "export_leads", "lead_records"]

LEAD_COLUMNS: tuple[Column, ...] = (
    Column("lead_id", "Lead", "int"),
    Column("status", "Status"),
    Column("score", "Score", "number"),
    Column("marketplace", "Marketplace"),
    Column("listing_id", "Listing id"),
    Column("listing_url", "Listing URL"),
    Column("shop_id", "Shop id"),
    Column("shop_name", "Shop"),
    Column("shop_url", "Shop URL"),
    Column("title", "Title"),
    Column("price", "Price", "number"),
    Column("currency", "Currency"),
    Column("brand", "Brand (declared)"),
    Column("category", "Category"),
    Column("reasons", "Reasons"),
    Column("rule_ids", "Rule ids"),
    Column("brands", "Brands"),
    Column("registry_numbers", "Registry numbers"),
    Column("evidence_sha256", "Evidence sha256"),
    Column("evidence_path", "Evidence file"),
    Column("evidence_time", "Evidence fetched (UTC)", "datetime"),
    Column("listing_status", "Listing state"),
    Column("assignee", "Assignee"),
    Column("deadline", "Deadline (UTC)", "datetime"),
    Column("key_case", "Key case", "bool"),
    Column("case_id", "Case", "int"),
    Column("source", "Source"),
    Column("relisted", "Relisted", "bool"),
    Column("created_at", "Created (UTC)", "datetime"),
    Column("updated_at", "Updated (UTC)", "datetime"),
)


def _reason(hit: dict[str, Any]) -> str:
    text = f"{hit.get('rule_id')}: {hit.get('text')!r} in {hit.get('field')}"
    if hit.get("variant_path"):
        text += f" ({hit['variant_path']})"
    return text


def _registry_numbers(hits: Sequence[dict[str, Any]]) -> list[str]:
    numbers: list[str] = []
    for hit in hits:
        registry = hit.get("registry") or {}
        if registry.get("number"):
            office = registry.get("office")
            number = f"{office} {registry['number']}" if office else str(registry["number"])
            if number not in numbers:
                numbers.append(number)
    return numbers


def _evidence_times(session: Session, leads: Sequence[Lead]) -> dict[tuple[int, str], datetime]:
    """When each lead's evidence page was fetched: the snapshot that stored it."""
    wanted = {(lead.listing_pk, lead.evidence_path) for lead in leads if lead.evidence_path}
    times: dict[tuple[int, str], datetime] = {}
    pks = sorted({pk for pk, _ in wanted})
    for start in range(0, len(pks), 500):
        rows = session.execute(
            select(
                ListingSnapshot.listing_pk,
                ListingSnapshot.evidence_path,
                ListingSnapshot.captured_at,
            ).where(
                ListingSnapshot.listing_pk.in_(pks[start : start + 500]),
                ListingSnapshot.evidence_path.is_not(None),
            )
        )
        for pk, path, captured in rows:
            key = (pk, path)
            if key in wanted and (key not in times or captured > times[key]):
                times[key] = captured
    return times


def _sidecar_time(evidence_path: str) -> datetime | None:
    """The fetch time in the evidence file's JSON sidecar, if it is there."""
    body = config.evidence_dir() / evidence_path
    sidecar = body.with_name(body.name.removesuffix(".html.gz") + ".json")
    try:
        return datetime.fromisoformat(json.loads(sidecar.read_text("utf-8"))["fetched_at"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def lead_records(session: Session, leads: Sequence[Lead]) -> list[dict[str, Any]]:
    """One dict per lead, keys of :data:`LEAD_COLUMNS`, lists and raw text kept."""
    times = _evidence_times(session, leads)
    records = []
    for lead in leads:
        listing = lead.listing
        shop = listing.shop
        hits = list(lead.reasons or [])
        evidence = lead.evidence_path
        evidence_time = None
        if evidence:
            evidence_time = times.get((lead.listing_pk, evidence)) or _sidecar_time(evidence)
        records.append(
            {
                "lead_id": lead.id,
                "status": lead.status,
                "score": lead.score,
                "marketplace": listing.marketplace.code,
                "listing_id": listing.listing_id,
                "listing_url": listing.url,
                "shop_id": shop.shop_id if shop else None,
                "shop_name": shop.name if shop else None,
                "shop_url": shop.url if shop else None,
                "title": listing.title,
                "price": listing.price,
                "currency": listing.currency,
                "brand": listing.brand,
                "category": listing.category,
                "reasons": [_reason(hit) for hit in hits],
                "rule_ids": sorted({str(hit.get("rule_id")) for hit in hits}),
                "brands": sorted({str(hit["brand_id"]) for hit in hits if hit.get("brand_id")}),
                "registry_numbers": _registry_numbers(hits),
                "evidence_sha256": Path(evidence).name.split(".")[0] if evidence else None,
                "evidence_path": evidence,
                "evidence_time": evidence_time,
                "listing_status": listing.status,
                "assignee": lead.assignee,
                "deadline": lead.deadline,
                "key_case": lead.key_case,
                "case_id": lead.case_id,
                "source": lead_source(lead),
                "relisted": lead.relisted,
                "created_at": lead.created_at,
                "updated_at": lead.updated_at,
            }
        )
    return records


def _flat(value: Any) -> Any:
    return "; ".join(str(v) for v in value) if isinstance(value, list) else value


def export_leads(records: list[dict[str, Any]], path: Path, fmt: str, *, bom: bool = False) -> None:
    """Write ``records`` to ``path`` as ``csv``, ``json`` or ``xlsx`` (atomically)."""
    if fmt == "json":
        write_json(path, records)
        return
    rows = [[_flat(record[column.key]) for column in LEAD_COLUMNS] for record in records]
    table = Table(name="Leads", title="Leads", columns=LEAD_COLUMNS, rows=rows)
    if fmt == "csv":
        write_csv(path, [table], bom=bom)
    elif fmt == "xlsx":
        write_xlsx(path, [table])
    else:
        raise ValueError(f"unknown export format {fmt!r}")
