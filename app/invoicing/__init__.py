"""The client's invoicing space: documents, their totals and their numbering.

`totals` is pure Python (Decimal only); `numbering` assigns the continuous
numbers per client, kind and year when a document is issued.
"""
