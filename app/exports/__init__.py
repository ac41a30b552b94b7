"""Accounting exports: reading the documents, checking, running and storing batches.

Database side of the export; the accounting itself (entries, lettering, file
formats) is pure Python in app.accounting.
"""
