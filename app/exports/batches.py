"""Running an export: check, generate, write, store, mark — all or nothing.

`run_export` does, in the caller's transaction:
1. refuses with `ExportBlocked` (the blockers, in French) when the check
   before export finds anything;
2. numbers a new batch, freezes the selection at this moment (`cutoff`), and
   streams the entries (app.exports.reading → app.accounting.entries) into the
   writer of the format, whose bytes go to `ChunkStore`: hashed (SHA-256),
   zlib-compressed and stored in 1 MiB pieces, so memory stays flat;
3. marks the documents and payments it read (their ids recorded while
   streaming, `Carried`); stores the auxiliary codes it derived;
4. fills the batch: counts, size, SHA-256, last entry number per journal.

Anything that goes wrong (an unbalanced entry, an account missing after all)
raises before the caller commits: the caller rolls back and nothing is
written — no batch, no file, no document marked.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
import zlib
from array import array
from dataclasses import dataclass
from typing import Callable, Iterator, Optional

from sqlalchemy import Integer, bindparam, func, insert, literal, select
from sqlalchemy.dialects import postgresql

from app.accounting.entries import EntryGenerator, Numbering, PaymentIn, UnbalancedEntry
from app.accounting.resolver import ResolutionError
from app.exports.checks import DOSSIER, JOURNALS, Blocker, export_blockers
from app.exports.reading import (
    Selection, account_labels, chronological, client_plan, count_selection, load_catalogue,
    settlement_graph, stream_documents, stream_payments,
)
from app.messages import N_, TranslatableError
from app.models import Client, Contact
from app.models.exports import (
    ExportBatch, ExportBatchDocument, ExportBatchPayment, ExportFileChunk,
)
from app.models.mixins import utcnow
from app.plans.resolution import plan_for_resolver

CHUNK_SIZE = 1 << 20
COMPRESSION_LEVEL = 1           # fast: a million-line FEC compresses ~5× in well under a second
PROGRESS_EVERY = 2000
MARK_CHUNK = 5000
MARK_ARRAY_CHUNK = 100_000
SEPARATORS = {"tab": "\t", "pipe": "|"}
ENCODINGS = {"utf-8": "utf-8", "iso-8859-15": "iso-8859-15"}
CONTENT_TYPES = {
    "fec": "text/plain; charset={encoding}",
    "isacompta": "text/plain; charset={encoding}",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}
BLOCKED = N_("Export refusé : %(count)d point(s) à corriger.")
NOTHING_TO_EXPORT = N_("Rien à exporter sur cette période : aucun document ni règlement "
                       "qui n'ait déjà été exporté.")
BAD_PERIOD = N_("La période est invalide : le début (%(start)s) est après la fin (%(end)s).")
BAD_FORMAT = N_("Format d'export inconnu : « %(format)s » (fec, isacompta ou xlsx).")
BAD_OPTION = N_("Option d'export inconnue : « %(value)s ».")
NO_SIREN = N_("Le FEC est nommé d'après le SIREN du client, qui n'est pas renseigné ou "
              "invalide : complétez la fiche client.")


class ExportBlocked(TranslatableError):
    """The export is refused; `blockers` says why and where to fix it."""

    def __init__(self, blockers: list, msgid: str = BLOCKED, **params):
        self.blockers = blockers
        params.setdefault("count", len(blockers))
        super().__init__(msgid, **params)


@dataclass(frozen=True)
class ExportRequest:
    client_id: int
    start: dt.date
    end: dt.date
    format: str = "fec"
    separator: str = "tab"
    encoding: str = "utf-8"
    include_exported: bool = False

    def check(self):
        if self.format not in CONTENT_TYPES:
            raise TranslatableError(BAD_FORMAT, format=self.format)
        if self.separator not in SEPARATORS:
            raise TranslatableError(BAD_OPTION, value=self.separator)
        if self.encoding not in ENCODINGS:
            raise TranslatableError(BAD_OPTION, value=self.encoding)
        if self.start > self.end:
            raise TranslatableError(BAD_PERIOD, start=self.start.strftime("%d/%m/%Y"),
                                    end=self.end.strftime("%d/%m/%Y"))


class ChunkStore:
    """A write-only binary file stored as compressed ExportFileChunk rows.

    Not an io.IOBase: those flush on garbage collection, and a store dropped
    by a failed export must never write its last piece afterwards (into
    whatever transaction is current then). `finish` stores the last piece."""

    def __init__(self, session, batch: ExportBatch, chunk_size: int = CHUNK_SIZE):
        self.session, self.batch, self.chunk_size = session, batch, chunk_size
        self.sha256 = hashlib.sha256()
        self.size = 0
        self._buffer = bytearray()
        self._position = 0

    def write(self, data) -> int:
        self.sha256.update(data)
        self.size += len(data)
        self._buffer += data
        if len(self._buffer) >= self.chunk_size:
            self._store()
        return len(data)

    def _store(self):
        if not self._buffer:
            return
        self.session.execute(insert(ExportFileChunk), [{
            "client_id": self.batch.client_id, "batch_id": self.batch.id,
            "position": self._position,
            "data": zlib.compress(bytes(self._buffer), COMPRESSION_LEVEL)}])
        self._position += 1
        self._buffer.clear()

    def finish(self):
        self._store()


def batch_file(session, batch: ExportBatch) -> Iterator[bytes]:
    """The stored file of a batch, piece by piece, exactly as it was written."""
    positions = session.scalars(select(ExportFileChunk.position)
                                .where(ExportFileChunk.client_id == batch.client_id,
                                       ExportFileChunk.batch_id == batch.id)
                                .order_by(ExportFileChunk.position)).all()
    for position in positions:
        data = session.scalar(select(ExportFileChunk.data).where(
            ExportFileChunk.client_id == batch.client_id, ExportFileChunk.batch_id == batch.id,
            ExportFileChunk.position == position))
        yield zlib.decompress(data)


def content_type(batch: ExportBatch) -> str:
    return CONTENT_TYPES[batch.format].format(
        encoding=(batch.options or {}).get("encoding", "utf-8"))


def _next_batch_number(session, client_id: int) -> int:
    return (session.scalar(select(func.max(ExportBatch.number))
                           .where(ExportBatch.client_id == client_id)) or 0) + 1


def _numbering_start(session, client_id: int) -> dict:
    """Per journal, the last entry number earlier batches used."""
    last: dict = {}
    for numbering in session.scalars(select(ExportBatch.numbering).where(
            ExportBatch.client_id == client_id, ExportBatch.status == "done")):
        for journal, number in (numbering or {}).items():
            last[journal] = max(last.get(journal, 0), int(number))
    return last


def _lock_client(session, client_id: int) -> Client:
    """The client row, locked until commit: two exports of one client run one
    after the other, so numbers and marks never collide (PostgreSQL; SQLite
    serialises writers anyway)."""
    return session.scalar(select(Client).where(Client.id == client_id).with_for_update())


class _Counting:
    """Counts entries and lines as they pass, and reports progress."""

    def __init__(self, entries, total: int, on_progress: Optional[Callable]):
        self.entries, self.total, self.on_progress = entries, total, on_progress
        self.entry_count = self.line_count = 0

    def __iter__(self):
        for entry in self.entries:
            self.entry_count += 1
            self.line_count += len(entry.lines)
            if self.on_progress is not None and self.entry_count % PROGRESS_EVERY == 0:
                self.on_progress(self.entry_count, self.total)
            yield entry


def file_name(client: Client, request: ExportRequest, batch_number: int) -> str:
    from app.accounting.fec import fec_filename
    from app.accounting.isacompta import isacompta_filename
    if request.format == "fec":
        return fec_filename(client.siren, request.end)
    if request.format == "isacompta":
        return isacompta_filename(client.dossier_code or "", request.start, request.end)
    code = "".join(ch for ch in (client.dossier_code or "") if ch.isalnum() or ch in "-_")
    return (f"{code or 'ecritures'}_ecritures_{request.start:%Y%m%d}_{request.end:%Y%m%d}"
            f"_lot{batch_number}.xlsx")


def _write(request: ExportRequest, entries, out, valid_date: dt.date, gettext) -> None:
    if request.format == "fec":
        from app.accounting.fec import write_fec
        write_fec(entries, out, valid_date=valid_date, separator=SEPARATORS[request.separator],
                  encoding=ENCODINGS[request.encoding])
    elif request.format == "isacompta":
        from app.accounting.isacompta import write_isacompta
        write_isacompta(entries, out)
    else:
        from app.accounting.spreadsheet import HEADERS, write_entries_xlsx
        # openpyxl writes a zip that needs seeking: spool to a temporary file first.
        with tempfile.SpooledTemporaryFile(max_size=8 * CHUNK_SIZE) as spool:
            write_entries_xlsx(entries, spool, headers=[gettext(header) for header in HEADERS])
            spool.seek(0)
            while data := spool.read(CHUNK_SIZE):
                out.write(data)


def generator_for(session, client: Client, *, gettext, numbering: Optional[Numbering] = None):
    """The entry generator of a client's plan, and its catalogue."""
    plan_row = client_plan(session, client.id)
    catalogue = load_catalogue(session, client.id)
    generator = EntryGenerator(plan_for_resolver(session, plan_row),
                               account_labels(session, plan_row), gettext=gettext,
                               numbering=numbering, taken_codes=catalogue.taken_codes)
    return generator, catalogue


class Carried:
    """The ids of the documents and payments an export has read, in compact
    arrays (8 bytes each): they are marked exported afterwards, exactly those."""

    def __init__(self):
        self.documents = array("q")
        self.payments = array("q")

    def record(self, items):
        for item in items:
            (self.payments if isinstance(item, PaymentIn) else self.documents).append(item.id)
            yield item


def client_entries(session, client: Client, selection: Selection, *, gettext,
                   numbering: Optional[Numbering] = None, lettering: bool = True,
                   carried: Optional[Carried] = None):
    """(generator, entries iterator) of a selection, in chronological order;
    `carried`, when given, records the ids read."""
    generator, catalogue = generator_for(session, client, gettext=gettext, numbering=numbering)
    graph = settlement_graph(session, client.id) if lettering else None
    documents = stream_documents(session, selection, catalogue, graph)
    payments = stream_payments(session, selection, catalogue, graph)

    def entries():
        items = chronological(documents, payments)
        if carried is not None:
            items = carried.record(items)
        try:
            yield from generator.entries(items)
        finally:
            documents.close()
            payments.close()
    return generator, entries()


def _mark_exported(session, batch: ExportBatch, carried: Carried) -> None:
    """One row per document and payment carried. Not an INSERT … SELECT … WHERE
    NOT EXISTS on the same table: PostgreSQL, seeing an empty table in its
    statistics, scans it once per row inserted (minutes at 200,000 documents).
    On PostgreSQL the ids go as one array per chunk (`unnest`): a statement
    with 15,000 placeholders costs more to bind and parse than to insert."""
    postgres = session.get_bind().dialect.name == "postgresql"
    chunk = MARK_ARRAY_CHUNK if postgres else MARK_CHUNK
    for model, column, ids in ((ExportBatchDocument, "invoice_id", carried.documents),
                               (ExportBatchPayment, "payment_id", carried.payments)):
        for start in range(0, len(ids), chunk):
            part = ids[start:start + chunk]
            if postgres:
                session.execute(_marks_from_array(model, column, batch), {"ids": list(part)})
            else:
                session.execute(insert(model), [
                    {"client_id": batch.client_id, "batch_id": batch.id, column: id_}
                    for id_ in part])


def _marks_from_array(model, column: str, batch: ExportBatch):
    ids = func.unnest(bindparam("ids", type_=postgresql.ARRAY(Integer)))
    table = model.__table__
    return insert(table).from_select(
        [table.c.client_id, table.c.batch_id, table.c[column]],
        select(literal(batch.client_id, Integer), literal(batch.id, Integer), ids))


def run_export(session, client: Client, request: ExportRequest, *, user_id: Optional[int],
               user_name: str, gettext: Callable, on_progress: Optional[Callable] = None,
               now: Optional[dt.datetime] = None) -> ExportBatch:
    """Exports one client's entries; see the module's docstring. The caller commits."""
    request.check()
    now = now or utcnow()
    _lock_client(session, client.id)
    selection = Selection(client_id=client.id, start=request.start, end=request.end,
                          include_exported=request.include_exported, cutoff=now)
    blockers = export_blockers(session, client, gettext, selection)
    if request.format == "fec" and not _valid_siren(client.siren):
        blockers.append(Blocker(message=gettext(NO_SIREN), section=DOSSIER))
    if blockers:
        raise ExportBlocked(blockers)
    documents, payments = count_selection(session, selection)
    if not documents and not payments:
        raise ExportBlocked([], NOTHING_TO_EXPORT)

    batch = ExportBatch(
        client_id=client.id, number=_next_batch_number(session, client.id),
        format=request.format, status="running", period_start=request.start,
        period_end=request.end, include_exported=request.include_exported,
        options={"separator": request.separator, "encoding": request.encoding},
        created_at=now, user_id=user_id, user_name=user_name,
        progress_total=documents + payments, document_count=documents,
        payment_count=payments, numbering={})
    session.add(batch)
    session.flush()

    numbering = Numbering(_numbering_start(session, client.id))
    carried = Carried()
    generator, entries = client_entries(session, client, selection, gettext=gettext,
                                        numbering=numbering, carried=carried)
    counted = _Counting(entries, documents + payments, on_progress)
    store = ChunkStore(session, batch)
    try:
        _write(request, counted, store, now.date(), gettext)
    except (ResolutionError, UnbalancedEntry) as error:
        raise ExportBlocked([Blocker(message=error.translate(gettext), section=JOURNALS)]) \
            from None
    finally:
        entries.close()
    store.finish()

    _mark_exported(session, batch, carried)
    _keep_derived_codes(session, client.id, generator.derived_codes)

    batch.status = "done"
    batch.finished_at = utcnow()
    batch.entry_count = counted.entry_count
    batch.line_count = counted.line_count
    # What the batch carries, not what was counted before: a draft issued by another
    # user between the count and the reading (dated before the cutoff) is carried too.
    batch.document_count = len(carried.documents)
    batch.payment_count = len(carried.payments)
    batch.progress_done = batch.progress_total = len(carried.documents) + len(carried.payments)
    batch.numbering = dict(numbering.last)
    batch.file_name = file_name(client, request, batch.number)
    batch.file_size = store.size
    batch.sha256 = store.sha256.hexdigest()
    session.flush()
    if on_progress is not None:
        on_progress(batch.progress_done, batch.progress_total)
    return batch


def _valid_siren(siren) -> bool:
    from stdnum.fr import siren as stdnum_siren
    return bool(siren) and stdnum_siren.is_valid(siren)


def _keep_derived_codes(session, client_id: int, codes: dict) -> None:
    """Stores the auxiliary codes derived for contacts that had none, so that
    they are kept (and versioned with the accounting settings' history)."""
    if not codes:
        return
    contacts = session.scalars(select(Contact).where(
        Contact.client_id == client_id, Contact.id.in_(list(codes)))).all()
    # One flush at the end, not one per contact (each get() would flush the last change).
    with session.no_autoflush:
        for contact in contacts:
            if not contact.auxiliary_account:
                contact.auxiliary_account = codes[contact.id]


def last_exports(session, client_ids) -> dict:
    """client id → datetime of its last finished export."""
    if not client_ids:
        return {}
    return dict(session.execute(
        select(ExportBatch.client_id, func.max(ExportBatch.created_at))
        .where(ExportBatch.client_id.in_(list(client_ids)), ExportBatch.status == "done")
        .group_by(ExportBatch.client_id)).all())
