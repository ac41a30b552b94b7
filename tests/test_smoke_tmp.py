def test_world(world, browser, api):
    b = browser("restricted_a")
    r = b.get("/clientview/list/")
    assert r.status_code == 200
    assert "Alpha Un" in r.text and "Alpha Deux" not in r.text
    a = api("restricted_a")
    r = a.get("/api/v1/client/")
    assert r.json["count"] == 1
