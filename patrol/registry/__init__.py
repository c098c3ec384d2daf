"""The trademark and patent query system: records, importers and search.

:mod:`~patrol.registry.records` (plain records, the contract with screening),
:mod:`~patrol.registry.st66` and :mod:`~patrol.registry.csvfiles` (reading files; formats in
``README.md`` beside this module), :mod:`~patrol.registry.importer` (upserting them) and
:mod:`~patrol.registry.search` (``patrol registry search``).
"""
