"""The egg ``scrapyd-deploy`` uploads: only the project's settings entry point.

Scrapyd runs eggs as zip files on ``sys.path``, and Listing Patrol reads its site profiles,
rules and migrations from files beside its code, which a zip cannot serve. So the Scrapyd
host runs the code of an installed Listing Patrol (``pip install listing-patrol`` or a
checkout installed with ``pip install -e .``) and this egg only tells Scrapyd which settings
module is the project's. Deploy with ``cd deploy/scrapyd && scrapyd-deploy``.
"""

from setuptools import setup

setup(
    name="listing-patrol-scrapyd",
    version="0.1.0",
    packages=[],
    entry_points={"scrapy": ["settings = patrol.settings"]},
)
