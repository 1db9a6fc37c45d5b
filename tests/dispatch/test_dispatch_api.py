"""The staff app's job API: list, read, accept and decline offers with a bearer token."""

from __future__ import annotations

from platform_core.testing.factories import bearer_for, order_state
from tests.dispatch.test_dispatch_pages import _offered


async def test_worker_lists_and_accepts_an_offer_through_the_api(runtime, tenant_a, client_a):
    (worker,), order, assignment = await _offered(tenant_a)
    auth = await bearer_for(tenant_a, "staff", worker)
    jobs = (await client_a.get("/api/v1/staff/jobs", headers=auth)).json()
    assert [(j["id"], j["status"], j["district"], j["item_title"], j["address"]) for j in jobs] == [
        (assignment.id, "offered", "Pudong", "Deep cleaning", "")]
    assert jobs[0]["expires_at"] and jobs[0]["total"] == 30000
    accepted = await client_a.post(f"/api/v1/staff/jobs/{assignment.id}/accept", headers=auth)
    assert accepted.status_code == 200, accepted.text
    assert accepted.json()["status"] == "accepted" and "1 Century Avenue" in accepted.json()["address"]
    assert await order_state(tenant_a, order) == "accepted"
    again = await client_a.post(f"/api/v1/staff/jobs/{assignment.id}/accept", headers=auth)
    assert again.status_code == 409


async def test_worker_declines_through_the_api(runtime, tenant_a, client_a):
    (worker,), order, assignment = await _offered(tenant_a)
    auth = await bearer_for(tenant_a, "staff", worker)
    response = await client_a.post(f"/api/v1/staff/jobs/{assignment.id}/decline", json={"reason": "ill"}, headers=auth)
    assert response.status_code == 204, response.text
    assert await order_state(tenant_a, order) == "paid"


async def test_the_job_api_refuses_strangers_and_other_workers(runtime, tenant_a, tenant_b, client_a, client_b):
    (_, other), _, assignment = await _offered(tenant_a, workers=2)
    assert (await client_a.get("/api/v1/staff/jobs")).status_code == 401
    auth = await bearer_for(tenant_a, "staff", other)
    assert (await client_a.get(f"/api/v1/staff/jobs/{assignment.id}", headers=auth)).status_code == 404
    assert (await client_a.post(f"/api/v1/staff/jobs/{assignment.id}/accept", headers=auth)).status_code == 404
    # A token of franchise A means nothing on franchise B's host.
    assert (await client_b.get("/api/v1/staff/jobs", headers=auth)).status_code == 401
