"""`patrol demo`: the fixture marketplaces, full patrols, and the leads they found."""

from __future__ import annotations

import click

__all__ = ["demo_command"]


@click.command(name="demo")
@click.option("--listings", default=200, show_default=True, help="Listings per fixture site.")
@click.option("--seed", default=2026, show_default=True, help="Seed of the fixture world.")
@click.option(
    "--site",
    "sites",
    multiple=True,
    type=click.Choice(["taoji", "kuaigou", "bazaar"]),
    help="Patrol only these sites (repeatable; default: all three).",
)
def demo_command(listings: int, seed: int, sites: tuple[str, ...]) -> None:
    """Serve the fixture marketplaces, patrol them at two simulated hours, show the leads.

    Uses the embedded SQLite database under var/ (or PATROL_DATABASE_URL). Running it again
    stores no duplicate listings or leads.
    """
    from rich.console import Console
    from rich.table import Table
    from rich.text import Text

    from patrol.demo import DemoConfig, run_demo, top_leads

    console = Console()
    config = DemoConfig(sites=sites or DemoConfig.sites, seed=seed, listings=listings)
    result = run_demo(config, echo=console.print)

    table = Table(title="Top leads", title_justify="left")
    for column in ("lead", "score", "status", "site", "shop", "title", "rules"):
        table.add_column(column, overflow="fold")
    for row in top_leads():
        # Listing text is written by strangers: Text() shows it verbatim, never as markup.
        table.add_row(
            str(row.lead_id),
            f"{row.score:.2f}",
            row.status,
            row.marketplace,
            Text(row.shop),
            Text(row.title),
            ", ".join(row.rule_ids),
        )
    console.print(table)
    console.print(
        f"demo: {len(result.patrols)} patrols, {result.total('pages')} pages,"
        f" {result.total('listings')} listings, {result.total('flagged')} flagged,"
        f" {result.total('leads_new')} new leads, {result.seconds:.1f}s"
    )
    for path in result.reports:
        console.print(f"weekly report: {path}")
    console.print(
        "web console: .venv/bin/patrol users add YOU --role supervisor"
        " && .venv/bin/patrol web  (then http://127.0.0.1:8000/)",
        markup=False,
        highlight=False,
    )
