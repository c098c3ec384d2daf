"""`patrol marketplaces`: The fixture marketplaces: serve them, write their ground truth."""

from __future__ import annotations

import errno
import json
import sys
from pathlib import Path

import click

from patrol.cli._common import Number
from patrol.errors import PatrolError

SITE_NAMES = ("taoji", "kuaigou", "bazaar")
DEFAULT_PORTS = {"taoji": 8401, "kuaigou": 8402, "bazaar": 8403}


def _check_site(site: str | None) -> None:
    if site is not None and site not in SITE_NAMES:
        raise PatrolError(f"unknown marketplace {site!r} (known: {', '.join(SITE_NAMES)})")


def _check_listings(listings: int) -> None:
    if listings < 0:
        raise PatrolError(f"--listings must be 0 or more, not {listings}")


def _check_hour(hour: float | None) -> None:
    if hour is not None and not 0 <= hour < 24:
        raise PatrolError(f"--hour must be in [0, 24), not {hour}")


@click.group(name="marketplaces")
def group() -> None:
    """The fixture marketplaces: serve them, write their ground truth."""


@group.command(name="serve")
@click.option("--site", help="Serve only this marketplace (taoji, kuaigou, bazaar).")
@click.option("--port", type=int, help="Port for --site (default 8401/8402/8403).")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option(
    "--listings", type=int, default=1000, show_default=True, help="Listings per marketplace."
)
@click.option(
    "--hour",
    type=Number(),
    default=12.0,
    show_default=True,
    help="Simulated hour of day the clock starts at.",
)
@click.option(
    "--speed",
    type=Number(),
    default=None,
    help="Simulated hours per real hour (default: the clock stands still).",
)
@click.option("--faults", help="A fault preset name or a YAML faults file.")
def serve_command(
    site: str | None,
    port: int | None,
    seed: int,
    listings: int,
    hour: float,
    speed: float | None,
    faults: str | None,
) -> None:
    """Serve the fixture marketplaces on 127.0.0.1 until interrupted."""
    _check_site(site)
    _check_listings(listings)
    _check_hour(hour)
    if port is not None and site is None:
        raise PatrolError("--port needs --site (all three sites use 8401, 8402, 8403)")
    if port is not None and not 0 <= port <= 65535:
        raise PatrolError(f"--port must be between 0 and 65535, not {port}")
    if speed is not None and speed < 0:
        raise PatrolError(f"--speed must be 0 or more, not {speed}")
    from patrol.marketplaces.faults import load_faults
    from patrol.marketplaces.server import FixtureServers, run_marketplaces

    fault_config = load_faults(faults)
    sites = (site,) if site else SITE_NAMES
    ports = {s: (port if port is not None else DEFAULT_PORTS[s]) for s in sites}

    def ready(servers: FixtureServers) -> None:
        for name in sites:
            click.echo(f"{name:8} {servers.base_url(name)}")
        click.echo(
            f"seed {seed}, {listings} listings per site, hour {hour:g}"
            + (f", speed {speed:g}x" if speed else "")
            + ". Ctrl-C stops."
        )

    try:
        run_marketplaces(sites, ports, seed, listings, hour, speed, fault_config, ready)
    except OSError as exc:
        if exc.errno in (errno.EADDRINUSE, errno.EACCES) or "address already in use" in str(exc):
            taken = ", ".join(f"{s} {ports[s]}" for s in sites)
            raise PatrolError(
                f"cannot listen on 127.0.0.1 ({taken}): port busy or not "
                f"allowed ({exc.strerror or exc})"
            ) from None
        raise


@group.command(name="truth")
@click.option("--site", required=True, help="taoji, kuaigou or bazaar.")
@click.option("--seed", type=int, default=1, show_default=True)
@click.option("--listings", type=int, default=1000, show_default=True)
@click.option(
    "--hour",
    type=Number(),
    default=None,
    help="Only listings live at this simulated hour (default: every listing).",
)
@click.option(
    "--out",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write JSON Lines here (default: standard output).",
)
def truth_command(
    site: str, seed: int, listings: int, hour: float | None, out: Path | None
) -> None:
    """Write a marketplace's labelled ground truth as JSON Lines."""
    _check_site(site)
    _check_listings(listings)
    _check_hour(hour)
    from patrol.marketplaces.population import ground_truth

    rows = ground_truth(site, seed, listings, hour)
    if out is None:
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    try:
        out.parent.mkdir(parents=True, exist_ok=True)
        with out.open("w", encoding="utf-8") as fh:
            count = 0
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
                count += 1
    except OSError as exc:
        raise PatrolError(f"cannot write {out}: {exc.strerror or exc}") from None
    click.echo(f"{count} listings written to {out}", err=True)


@group.command(name="registry")
@click.option(
    "--out",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for trademarks.csv, patents.csv and authorised_sellers.csv.",
)
@click.option("--seed", type=int, default=1, show_default=True)
def registry_command(out: Path, seed: int) -> None:
    """Write the fixture world's registries (FIXTURE DATA, not real registrations)."""
    from patrol.marketplaces.registry import write_registry_csv

    try:
        paths = write_registry_csv(out, seed)
    except OSError as exc:
        raise PatrolError(f"cannot write to {out}: {exc.strerror or exc}") from None
    for path in paths:
        click.echo(f"wrote {path}")
    click.echo("These are fixture records for the fixture marketplaces, not real registrations.")
