"""Placeholder until the leads queue lands: an empty page behind the officer role."""

from __future__ import annotations

from starlette.responses import Response
from starlette.routing import Route

from patrol.web.console import Visit, view

__all__ = ["ROUTES"]


@view("officer")
def lead_queue(visit: Visit) -> Response:
    return visit.render("error.html", nav="leads", message="The leads queue is coming.")


ROUTES = [Route("/leads", lead_queue)]
