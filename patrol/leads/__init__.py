"""Leads and cases: the workflow a flagged listing follows to an outcome.

:mod:`patrol.leads.workflow` (status transitions, assignment, the event log, overdue
leads), :mod:`patrol.leads.cases` (cases, key cases, repeat offenders) and
:mod:`patrol.leads.followup` (takedown verification). Leads are created and re-flagged by
the store (:mod:`patrol.db.store`).
"""
