"""The Python cost of an entry line, without a database: generation and FEC.

    .venv/bin/python benchmarks/entries_python.py [--invoices 20000] [--runs 5]

Builds in memory `--invoices` invoices of the golden dataset's bakery
(tests/test_entries_golden.py: its plan, accounts, articles and customers): two
lines each (a pastry at 5.5 %, a workshop at 20 %), a delivery fee on one in ten,
every invoice lettered with its payment, which is also generated. Then, `--runs`
times, times `EntryGenerator.entries` over them (the entries, as a list) and
`write_fec` of those entries into memory, and prints the best run of each in
microseconds per entry line, with the SHA-256 of the FEC (the same across code
changes that keep the output).

What `export_scale.py` cannot separate: its `_write` is also the reading of the
documents, their conversion, the compression and the storage. 100,000 lines per
second is 10 µs a line for all of it.
"""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import io
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

import test_entries_golden as golden  # noqa: E402
from app.accounting.entries import (  # noqa: E402
    INVOICE, DocumentIn, EntryGenerator, Lettering, PaymentIn, SaleLine,
)
from app.accounting.fec import write_fec  # noqa: E402
from app.invoicing.totals import vat_of_base  # noqa: E402

DAY = dt.date(2024, 1, 15)


def documents(count: int) -> list:
    """Invoices and their payments, in the order an export feeds them."""
    items = []
    pastry, workshop, fee = Decimal("12.50"), Decimal("80.00"), Decimal("5.00")
    for number in range(count):
        party = golden.BAKERY if number % 2 else golden.DUPONT
        lines = [SaleLine(golden.CROISSANT, pastry), SaleLine(golden.WORKSHOP, workshop)]
        base_20 = workshop
        if number % 10 == 0:
            lines.append(SaleLine(golden.DELIVERY, fee))
            base_20 += fee
        ttc = pastry + vat_of_base(pastry, Decimal("5.5")) + base_20 \
            + vat_of_base(base_20, Decimal("20"))
        lettering = Lettering(f"A{number}", DAY)
        items.append(DocumentIn(id=number, kind=INVOICE, number=f"F{number:06d}", date=DAY,
                                party=party, lines=tuple(lines), total_ttc=ttc,
                                lettering=lettering))
        items.append(PaymentIn(id=number, date=DAY, amount=ttc, mode=None, party=party,
                               lettering=lettering))
    return items


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--invoices", type=int, default=20000)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    items = documents(args.invoices)
    generation, formatting = [], []
    for _ in range(args.runs):
        generator = EntryGenerator(golden.PLAN, golden.ACCOUNT_LABELS)
        started = time.perf_counter()
        entries = list(generator.entries(items))
        generation.append(time.perf_counter() - started)
        out = io.BytesIO()
        started = time.perf_counter()
        lines = write_fec(entries, out, valid_date=DAY)
        formatting.append(time.perf_counter() - started)
    best_generation, best_formatting = min(generation), min(formatting)
    print(f"{args.invoices} factures et leurs règlements : {len(entries)} écritures, "
          f"{lines} lignes ; meilleur de {args.runs} runs")
    print(f"  génération (EntryGenerator.entries) : {best_generation:.3f} s, "
          f"{best_generation / lines * 1e6:.2f} µs par ligne")
    print(f"  FEC (write_fec, en mémoire)          : {best_formatting:.3f} s, "
          f"{best_formatting / lines * 1e6:.2f} µs par ligne")
    per_second = f"{lines / (best_generation + best_formatting):,.0f}".replace(",", " ")
    print(f"  total                                : "
          f"{(best_generation + best_formatting) / lines * 1e6:.2f} µs par ligne, soit "
          f"{per_second} lignes/s ; sha256 du FEC "
          f"{hashlib.sha256(out.getvalue()).hexdigest()[:16]}…")


if __name__ == "__main__":
    main()
