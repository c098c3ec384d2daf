"""Exports: leads as CSV, JSON or XLSX for investigators and notice-and-takedown desks.

:mod:`patrol.exports.leads` turns leads into rows with every field a desk needs;
:mod:`patrol.exports.tables` writes tables in each format; :mod:`patrol.exports.cells`
neutralises spreadsheet formulas; :mod:`patrol.exports.files` writes atomically.
"""
