"""SettlementGraph (app/accounting/lettering.py) against a plain reference: the
groups found by walking the links, for random documents, payments, links,
dates and open marks — including payments shared by several documents,
groups of payments only, nodes without a date, and questions asked halfway
through the building (a later link must change the answer)."""
from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from app.accounting.entries import Lettering
from app.accounting.lettering import SettlementGraph, lettering_code

KINDS = ("document", "payment")
FIRST_DAY = dt.date(2026, 1, 1)

nodes = st.tuples(st.sampled_from(KINDS), st.integers(1, 12))
operations = st.lists(st.one_of(
    st.tuples(st.just("link"), nodes, nodes),
    st.tuples(st.just("touch"), nodes, st.one_of(st.none(), st.integers(0, 400))),
    st.tuples(st.just("open"), nodes),
), max_size=40)


def apply(graph: SettlementGraph, operation) -> None:
    if operation[0] == "link":
        graph.link(*operation[1], *operation[2])
    elif operation[0] == "touch":
        day = operation[2]
        graph.touch(*operation[1], FIRST_DAY + dt.timedelta(days=day) if day is not None
                    else None)
    else:
        graph.mark_open(*operation[1])


def reference(operations) -> dict:
    """(kind, id) → Lettering or None, by walking the links of each group."""
    known, neighbours, dates, opened = set(), {}, {}, set()
    for operation in operations:
        if operation[0] == "link":
            one, other = operation[1], operation[2]
            known |= {one, other}
            neighbours.setdefault(one, set()).add(other)
            neighbours.setdefault(other, set()).add(one)
        elif operation[0] == "touch":
            known.add(operation[1])
            if operation[2] is not None:
                day = FIRST_DAY + dt.timedelta(days=operation[2])
                dates[operation[1]] = max(dates.get(operation[1], day), day)
        else:
            known.add(operation[1])
            opened.add(operation[1])
    answers, seen = {}, set()
    for start in known:
        if start in seen:
            continue
        group, waiting = {start}, [start]
        while waiting:
            for other in neighbours.get(waiting.pop(), ()):
                if other not in group:
                    group.add(other)
                    waiting.append(other)
        seen |= group
        documents = [id_ for kind, id_ in group if kind == "document"]
        days = [dates[node] for node in group if node in dates]
        lettering = None
        if len(group) >= 2 and documents and days and not group & opened:
            lettering = Lettering(code=lettering_code(min(documents)), date=max(days))
        answers.update(dict.fromkeys(group, lettering))
    return answers


def answers_of(graph: SettlementGraph) -> dict:
    return {(kind, id_): graph.lettering(kind, id_) for kind in KINDS for id_ in range(1, 14)}


@settings(max_examples=300, deadline=None)
@given(operations, st.integers(0, 40))
def test_graph_letters_what_walking_the_groups_letters(operations, halfway):
    graph = SettlementGraph()
    for position, operation in enumerate(operations):
        if position == halfway:
            # Asked before the graph is complete: the answer of that moment…
            expected = reference(operations[:position])
            assert answers_of(graph) == {key: expected.get(key) for key in answers_of(graph)}
        apply(graph, operation)
    # … and every later link, date and open mark still counts.
    expected = reference(operations)
    assert answers_of(graph) == {key: expected.get(key) for key in answers_of(graph)}
    assert set(graph.nodes()) == set(expected)


def test_a_shared_payment_letters_both_invoices_on_the_last_date():
    graph = SettlementGraph()
    graph.touch("payment", 7, dt.date(2026, 3, 2))
    graph.link("payment", 7, "document", 40)
    graph.link("payment", 7, "document", 12)
    graph.touch("payment", 8, dt.date(2026, 3, 20))
    graph.link("payment", 8, "document", 40)
    lettering = Lettering(code=lettering_code(12), date=dt.date(2026, 3, 20))
    assert [graph.lettering("document", 12), graph.lettering("document", 40),
            graph.lettering("payment", 7), graph.lettering("payment", 8)] == [lettering] * 4
    assert graph.lettering("document", 7) is None     # a document 7 is not payment 7
    graph.mark_open("document", 40)                   # it still owes something after all
    assert graph.lettering("payment", 8) is None
    assert graph.lettering("document", 12) is None


def test_ids_beyond_32_bits():
    graph = SettlementGraph()
    big = 2 ** 40 + 3
    graph.touch("payment", big, dt.date(2026, 5, 1))
    graph.link("payment", big, "document", big + 1)
    assert graph.lettering("document", big + 1) == Lettering(
        code=lettering_code(big + 1), date=dt.date(2026, 5, 1))
