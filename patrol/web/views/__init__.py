"""The console's pages, one module per area; each exports its ``ROUTES``."""

import patrol.web.ids  # noqa: F401  (registers the ``id`` path convertor the routes use)
