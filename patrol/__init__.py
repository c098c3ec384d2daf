"""Listing Patrol: automated online patrols of e-commerce marketplaces.

Spiders patrol marketplaces, a pure screening engine checks every listing against the
rulebook and the trademark and patent registries, and flagged listings become case leads.
"""

__version__ = "0.1.0"
