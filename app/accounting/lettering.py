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
from array import array
from bisect import bisect_left
from dataclasses import dataclass
from decimal import Decimal
from typing import Iterable, Iterator, NamedTuple, Optional

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
    link. A node is an int: a document id, or minus a payment id (ids are
    positive, as the database's are).

    `link` joins two nodes, `touch` makes a node known with its date;
    `mark_open` poisons the group of a node that is not settled (an invoice
    still owing, a payment not fully allocated, a node the caller cannot see).
    `lettering(kind, id)` is the group's Lettering, or None when the node is
    alone or its group open.

    What is recorded is kept in flat arrays of machine integers and resolved
    once (`resolve`, at the latest on the first `lettering`) into three arrays
    sorted by node — the node, its group's smallest document, its group's
    date —, looked up by bisection. An export keeps the graph of the client's
    whole history to its end: for 200,000 invoices and as many payments that
    is 17 MB, against 74 MB when each node had its dict entries and each group
    its list.
    """

    def __init__(self):
        self._links = array("q")      # pairs of nodes
        self._dated = array("q")      # pairs: node, date as an ordinal (0 when none)
        self._open = array("q")       # nodes whose group is not settled
        self._resolved: Optional[_Resolved] = None

    @staticmethod
    def node(kind: str, id_: int) -> int:
        return id_ if kind == "document" else -id_

    def touch(self, kind: str, id_: int, date: Optional[dt.date] = None) -> None:
        """Makes the node known, with its date."""
        self._dated.extend((self.node(kind, id_), date.toordinal() if date else 0))
        self._resolved = None

    def mark_open(self, kind: str, id_: int) -> None:
        self._open.append(self.node(kind, id_))
        self._resolved = None

    def link(self, kind: str, id_: int, other_kind: str, other_id: int) -> None:
        self._links.extend((self.node(kind, id_), self.node(other_kind, other_id)))
        self._resolved = None

    def nodes(self) -> Iterator[tuple]:
        """(kind, id) of every node known."""
        for node in self.resolve().nodes:
            yield ("document", node) if node > 0 else ("payment", -node)

    def lettering(self, kind: str, id_: int) -> Optional[Lettering]:
        resolved = self._resolved or self.resolve()
        node = self.node(kind, id_)
        nodes = resolved.nodes
        position = bisect_left(nodes, node)
        if position == len(nodes) or nodes[position] != node:
            return None
        smallest = resolved.smallest[position]
        if not smallest:
            return None
        return Lettering(code=lettering_code(smallest),
                         date=dt.date.fromordinal(resolved.day[position]))

    def resolve(self) -> "_Resolved":
        """Each node's group, and the lettering of the settled ones."""
        if self._resolved is None:
            nodes = array("q", sorted(self._known()))
            self._resolved = self._letterings(nodes, self._groups(nodes))
        return self._resolved

    def _known(self) -> set:
        known = set(self._links)
        known.update(self._dated[::2])
        known.update(self._open)
        return known

    def _groups(self, nodes: array) -> array:
        """Per position in `nodes`, the position of its group's root: union-find
        with path halving over the links."""
        parent = array("q", range(len(nodes)))

        def root(position: int) -> int:
            while parent[position] != position:
                parent[position] = parent[parent[position]]
                position = parent[position]
            return position

        links = self._links
        for start in range(0, len(links), 2):
            one = root(bisect_left(nodes, links[start]))
            other = root(bisect_left(nodes, links[start + 1]))
            if one != other:
                parent[other] = one
        return array("q", (root(position) for position in range(len(nodes))))

    def _letterings(self, nodes: array, groups: array) -> "_Resolved":
        count = len(nodes)
        size, smallest, latest = (array("q", bytes(8 * count)) for _ in range(3))
        settled = bytearray(b"\x01") * count
        for position, group in enumerate(groups):
            size[group] += 1
            node = nodes[position]
            if node > 0 and not smallest[group]:   # nodes ascend: the first is the smallest
                smallest[group] = node
        dated = self._dated
        for start in range(0, len(dated), 2):
            group = groups[bisect_left(nodes, dated[start])]
            latest[group] = max(latest[group], dated[start + 1])
        for node in self._open:
            settled[groups[bisect_left(nodes, node)]] = 0
        lettered, day = array("q", bytes(8 * count)), array("q", bytes(8 * count))
        for position, group in enumerate(groups):
            if settled[group] and size[group] >= 2 and smallest[group] and latest[group]:
                lettered[position], day[position] = smallest[group], latest[group]
        return _Resolved(nodes=nodes, smallest=lettered, day=day)


class _Resolved(NamedTuple):
    """Per node, sorted: the smallest document id of its group when the group
    is lettered (0 when not), and the group's date as an ordinal."""
    nodes: array
    smallest: array
    day: array


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
    for key in list(graph.nodes()):
        if key not in known:
            graph.mark_open(*key)
    return {key: lettering for key in known
            if (lettering := graph.lettering(*key)) is not None}
