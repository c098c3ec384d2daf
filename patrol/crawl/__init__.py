"""Crawling: site profiles, the browser set-up, fault handling, the resume journal and the
runner behind ``patrol crawl`` (the spider itself is ``spiders/marketplace.py``).

Modules are imported where they are used, so importing this package stays cheap.
"""
