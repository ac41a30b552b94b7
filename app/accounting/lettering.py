"""Lettering (« lettrage ») of settled customer lines: EcritureLet and DateLet
of the FEC, in pure Python.

A group is what settles together: invoices (and deposit invoices), the credit
notes that correct them and the payments allocated to them, joined through
allocations and corrections (so a payment shared by two invoices puts both in
one group). A group is lettered when it is settled: every invoice in it owes
nothing and every payment in it is fully allocated. Its code is derived from
the smallest document id of the group (`lettering_code`), so it is the same
in every export and unique within a client; its date is the latest date of
the group (the day it was settled).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable, Optional

from app.accounting.entries import Lettering

LETTERS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
CODE_MIN_LENGTH = 3


def lettering_code(number: int) -> str:
    """A code of upper-case letters, at least three: 0 → AAA, 1 → AAB, 26 → ABA."""
    if number < 0:
        raise ValueError("lettering number must be positive")
    letters = []
    while number or len(letters) < CODE_MIN_LENGTH:
        number, rest = divmod(number, len(LETTERS))
        letters.append(LETTERS[rest])
    return "".join(reversed(letters))


@dataclass(frozen=True, slots=True)
class SettlementNode:
    """A document or a payment as lettering sees it. `open_amount` is what an
    invoice still owes or what a payment has not allocated (0 when settled);
    `corrects` is the invoice a credit note corrects."""
    kind: str                         # "document" | "payment"
    id: int
    date: dt.date
    open_amount: Decimal = Decimal("0")
    corrects: Optional[int] = None


class SettlementGraph:
    """Groups of documents and payments that settle together, built link by
    link (memory grows with the number of linked rows only; nodes are ints:
    a document id, or minus a payment id).

    `link` joins two nodes and remembers their dates; `mark_open` poisons the
    group of a node that is not settled (an invoice still owing, a payment not
    fully allocated, a node the caller cannot see). `lettering(kind, id)` is
    the group's Lettering, or None when the node is alone or its group open.
    """

    def __init__(self):
        self._parent: dict = {}
        # root → [smallest document id or None, latest date, open, size]
        self._groups: dict = {}

    @staticmethod
    def node(kind: str, id_: int) -> int:
        return id_ if kind == "document" else -id_

    def _root(self, node: int) -> int:
        parent = self._parent.get(node)
        if parent is None:
            self._parent[node] = node
            self._groups[node] = [node if node > 0 else None, None, False, 1]
            return node
        root = node
        while self._parent[root] != root:
            root = self._parent[root]
        while self._parent[node] != root:
            self._parent[node], node = root, self._parent[node]
        return root

    def touch(self, kind: str, id_: int, date: Optional[dt.date] = None) -> None:
        """Makes the node known, with its date."""
        group = self._groups[self._root(self.node(kind, id_))]
        if date is not None and (group[1] is None or date > group[1]):
            group[1] = date

    def mark_open(self, kind: str, id_: int) -> None:
        self._groups[self._root(self.node(kind, id_))][2] = True

    def link(self, kind: str, id_: int, other_kind: str, other_id: int) -> None:
        one = self._root(self.node(kind, id_))
        other = self._root(self.node(other_kind, other_id))
        if one == other:
            return
        first, second = self._groups[one], self._groups.pop(other)
        self._parent[other] = one
        if second[0] is not None and (first[0] is None or second[0] < first[0]):
            first[0] = second[0]
        if second[1] is not None and (first[1] is None or second[1] > first[1]):
            first[1] = second[1]
        first[2] = first[2] or second[2]
        first[3] += second[3]

    def lettering(self, kind: str, id_: int) -> Optional[Lettering]:
        node = self.node(kind, id_)
        if node not in self._parent:
            return None
        smallest, date, is_open, size = self._groups[self._root(node)]
        if is_open or size < 2 or smallest is None or date is None:
            return None
        return Lettering(code=lettering_code(smallest), date=date)


def settled_letterings(nodes: Iterable[SettlementNode],
                       allocations: Iterable[tuple]) -> dict:
    """{(kind, id): Lettering} for the nodes of settled groups of two or more.
    `allocations` are (payment id, document id) pairs. Nodes named by an
    allocation or a correction but not given are unknown: their group is not
    lettered (it cannot be shown settled)."""
    graph = SettlementGraph()
    known = set()
    for node in nodes:
        known.add((node.kind, node.id))
        graph.touch(node.kind, node.id, node.date)
        if node.open_amount:
            graph.mark_open(node.kind, node.id)
        if node.corrects is not None:
            graph.link("document", node.corrects, node.kind, node.id)
    for payment_id, document_id in allocations:
        graph.link("payment", payment_id, "document", document_id)
    for key in [("document", node) if node > 0 else ("payment", -node)
                for node in list(graph._parent)]:
        if key not in known:
            graph.mark_open(*key)
    return {key: lettering for key in known
            if (lettering := graph.lettering(*key)) is not None}
