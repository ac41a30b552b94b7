"""Imports of a client's contacts and articles from template spreadsheets (issue 8).

The pure engine — no Flask, no database: `columns` (the two templates' columns),
`reading` (an uploaded XLSX or CSV → text rows, or a French refusal), `validation`
(rows → what to create and update, or every problem with its line and column),
`spreadsheets` (the templates and the rejected-rows report). The database side and
the screens call it with their `gettext`.
"""
