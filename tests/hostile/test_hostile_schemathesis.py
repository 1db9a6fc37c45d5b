"""schemathesis against the app's own OpenAPI document, on the real server: every operation with
generated input (valid and invalid), as a signed-in customer of one franchise and with the same
token on another. No answer may be a 5xx."""

from __future__ import annotations

import asyncio

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings

from platform_core.testing.factories import bearer_for, make_customer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EXAMPLES = {"own": 8, "other": 3}  # per operation: bounded, the whole run stays near a minute


def _server_errors(schema, base_url: str, hosts: dict[str, str], token: dict[str, str]) -> tuple[list[str], set[int]]:
    failures: list[str] = []
    seen: set[int] = set()
    for result in schema.get_all_operations():
        operation = result.ok()
        for who, host in hosts.items():

            @given(case=operation.as_strategy())
            @settings(max_examples=EXAMPLES[who], deadline=None, derandomize=True, phases=[Phase.explicit, Phase.generate],
                      suppress_health_check=list(HealthCheck), database=None)
            def call(case) -> None:
                response = case.call(base_url=base_url, headers={**token, "host": host}, timeout=30)
                seen.add(response.status_code)
                if response.status_code >= 500:
                    failures.append(f"{response.status_code} {case.method} {case.formatted_path} on {who}: "
                                    f"path={case.path_parameters} query={case.query} body={str(case.body)[:200]}")

            call()
    return failures, seen


async def test_schemathesis_finds_no_server_error(live_server, make_tenant):
    own = await make_tenant(prefix="st")
    other = await make_tenant(prefix="so")
    token = await bearer_for(own, "customer", await make_customer(own))
    base_url = live_server.url("127.0.0.1")
    schema = schemathesis.openapi.from_url(f"{base_url}/schema/openapi.json")
    hosts = {"own": f"{own.slug}.localhost", "other": f"{other.slug}.localhost"}
    # schemathesis calls synchronously; the server is another process.
    failures, seen = await asyncio.to_thread(_server_errors, schema, base_url, hosts, token)
    # The run reached the handlers: answers, refusals of bad input, and the token refused elsewhere.
    assert {200, 400, 401} <= seen
    assert not failures, f"{len(failures)} server errors:\n" + "\n".join(failures[:40])
    assert "Traceback" not in live_server.log()
