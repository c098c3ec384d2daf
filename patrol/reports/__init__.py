"""Reports: the weekly and monthly tables a campaign sends, from the leads database.

(a) violating shops handled per platform in the period, and (b) case progress, each with
totals, headers in Chinese or English, written as XLSX, CSV or HTML; the monthly report
adds a short written summary. :mod:`patrol.reports.periods` parses ``2026-W48`` /
``2026-11``, :mod:`patrol.reports.tables` reads the database, :mod:`patrol.reports.summary`
writes the monthly text and :mod:`patrol.reports.render` the files.
"""
