import logging, traceback
from unittest import mock
def test_explore(app, world, browser, api):
    a = api("owner_a")
    import flask_appbuilder.api as fapi
    with mock.patch.object(fapi.log, "exception", side_effect=lambda e: traceback.print_exception(e)):
        r = a.put(f"/api/v1/client/{world.a1}", json={"collaborators":[world.users["owner_b"]]})
        print("put foreign collab", r.status_code, r.json)
        r = a.put(f"/api/v1/client/{world.a1}", json={"collaborators":[world.users["collab_a"]]})
        print("put own collab", r.status_code, r.json)
        r = a.put(f"/api/v1/client/{world.a1}", json={"name":"Nouveau"})
        print("put name", r.status_code, r.json)
