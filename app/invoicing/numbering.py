"""Continuous numbering of a client's documents, per kind and per year:
F-2026-00001 (facture), AV-2026-00001 (avoir), AC-2026-00001 (acompte).

A number is taken when a document is issued, in the same transaction; it is
never reused: the sequence row is only ever incremented, and a rolled back
transaction gives its number back with it (nothing was issued).

Concurrency: the increment is a single `UPDATE … SET last_number =
last_number + 1`. On PostgreSQL the row is first locked with
`SELECT … FOR UPDATE` (`with_for_update()`): a second transaction numbering
for the same client, kind and year waits until the first commits, then reads
the incremented value. On SQLite the UPDATE takes the database write lock
before the number is read back, so writers are serialised there too (a
read-then-write would let two connections read the same last number).
"""
from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from app.models.invoicing import DocumentSequence

PREFIXES = {"invoice": "F", "credit_note": "AV", "deposit": "AC"}


def format_number(kind: str, year: int, number: int) -> str:
    return f"{PREFIXES[kind]}-{year}-{number:05d}"


def next_number(session, client_id: int, kind: str, year: int) -> str:
    """Take the next number of this client, kind and year; the caller commits
    (with the document it issues)."""
    if kind not in PREFIXES:
        raise ValueError(f"Type de document inconnu : « {kind} ».")
    if not 2000 <= int(year) <= 9999:
        raise ValueError(f"Année de numérotation invalide : {year}.")
    where = (DocumentSequence.client_id == client_id, DocumentSequence.kind == kind,
             DocumentSequence.year == year)

    if _increment(session, where) == 0:
        # First document of this kind this year: create the sequence. Two
        # transactions may try at once; the unique constraint lets one win and
        # the other increments the winner's row.
        try:
            with session.begin_nested():
                session.add(DocumentSequence(client_id=client_id, kind=kind, year=year,
                                             last_number=1))
        except IntegrityError:
            if _increment(session, where) != 1:
                raise
    number = session.execute(
        select(DocumentSequence.last_number).where(*where)
    ).scalar_one()
    return format_number(kind, year, number)


def _increment(session, where) -> int:
    if session.get_bind().dialect.name == "postgresql":
        locked = session.execute(
            select(DocumentSequence.id).where(*where).with_for_update()
        ).scalar_one_or_none()
        if locked is None:
            return 0
    result = session.execute(
        update(DocumentSequence).where(*where)
        .values(last_number=DocumentSequence.last_number + 1)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount
