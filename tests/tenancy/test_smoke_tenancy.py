"""Host → tenant resolution and the request's tenant transaction."""

from platform_core.testing.pytest_plugin import client_for


async def test_health_live_answers_on_any_host(app):
    async with client_for(app, "nowhere.example") as client:
        response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_health_ready_checks_the_database(app):
    async with client_for(app, "nowhere.example") as client:
        response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json()["checks"]["database"] == "ok"


async def test_unknown_host_is_404(app):
    async with client_for(app, "no-such-franchise.localhost") as client:
        response = await client.get("/api/v1/me", headers={"accept": "application/json"})
    assert response.status_code == 404
