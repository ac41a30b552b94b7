"""Every route that takes a record id, present and future, hides other tenants' records.

The matrix of test_isolation.py names its routes; this test walks the URL map, so a
route added later is covered the day it is added: with the id of a client the user
may not see, a GET or POST answers as for an id that does not exist (never 200, never
500), and nothing in the database changes.
"""
import difflib
import re

import pytest
from sqlalchemy import text

from app.extensions import db

MISSING_ID = 987654321
# Answers that reveal nothing: not found, refused, the method/CSRF refused first, or
# FAB's refusal of a GET action (a redirect to the previous page, for either id).
SAFE = {302, 400, 401, 403, 404, 405}


def id_routes(app):
    for rule in app.url_map.iter_rules():
        if re.search(r"<(?:int:|string:)?pk>", rule.rule) and not rule.rule.startswith("/static"):
            yield rule


def fill(rule, pk):
    return re.sub(r"<(?:int:|string:)?pk>", str(pk), re.sub(r"<string:name>", "x", rule.rule))


def page_text(response):
    """The body without its per-request CSRF token nor the flashed messages (left by an
    earlier request of the walk, shown by whichever page renders next)."""
    body = re.sub(r'<div class="alert[^"]*">.*?</div>', "", response.get_data(as_text=True),
                  flags=re.S)
    body = re.sub(r'((?:name="csrf[_-]token"[^>]*(?:value|content)=")|(?:value="))[^"]{40,}"',
                  r'\1"', body)
    return re.sub(r"\s+", " ", body).strip()


def table_counts(app):
    with app.app_context():
        counts = {table.name: db.session.execute(text(f"SELECT COUNT(*) FROM {table.name}")).scalar()
                  for table in db.metadata.sorted_tables}
        db.session.remove()
    return counts


@pytest.mark.parametrize("login, hidden", [("owner_b", "a1"), ("collab_b", "a2"),
                                           ("restricted_a", "a2"), ("client_a1", "a2")])
def test_every_id_route_answers_a_hidden_id_like_a_missing_one(app, world, browser, login, hidden):
    user = browser(login)
    token = user.csrf("/users/userinfo/") if login != "client_a1" else user.csrf("/espace/")
    before = table_counts(app)
    hidden_id = getattr(world, hidden)
    checked = 0
    for rule in id_routes(app):
        for method in sorted(rule.methods & {"GET", "POST", "PUT", "DELETE"}):
            call = getattr(user.client, method.lower())
            kwargs = {"data": {"csrf_token": token}} if method == "POST" else {}
            hidden_answer = call(fill(rule, hidden_id), **kwargs)
            missing_answer = call(fill(rule, MISSING_ID), **kwargs)
            assert hidden_answer.status_code in SAFE, (rule.rule, method, hidden_answer.status_code)
            assert hidden_answer.status_code == missing_answer.status_code, (rule.rule, method)
            if hidden_answer.status_code != 302:  # FAB's redirect follows the page history
                hidden_text, missing_text = page_text(hidden_answer), page_text(missing_answer)
                assert hidden_text == missing_text, (rule.rule, method, "".join(
                    difflib.unified_diff(hidden_text.splitlines(True), missing_text.splitlines(True),
                                         n=0))[:800])
            checked += 1
    assert checked > 20
    assert table_counts(app) == before
