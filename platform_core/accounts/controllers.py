"""The customer JSON API under /api/v1: sign in with a code for a bearer token, the profile and
the address book. Pick the franchise by Host or X-Tenant."""

from __future__ import annotations

from litestar import Controller, Request, Response, delete, get, patch, post
from litestar.di import NamedDependency
from litestar.params import FromPath, FromQuery, JSONBody

from platform_core.geo import PlaceTip
from platform_core.tenancy.context import current_tenant
from platform_core.web.acquisition import attribution
from platform_core.web.bounds import PathId
from platform_core.web.forms import client_address
from platform_core.web.maps import suggest

from . import legal, second_factor, services
from .guards import BEARER_SECURITY, require_customer
from .schemas import (
    Address,
    AddressCreate,
    AddressUpdate,
    CodeRequest,
    CodeSent,
    Customer,
    CustomerUpdate,
    LegalDocument,
    SignedOut,
    TokenRequest,
    TokenResponse,
)
from .second_factor_controllers import (
    SECOND_FACTOR_RESPONSE,
    SecondFactorChallenge,
    challenge_response,
)
from .sessions import (
    BEARER_TTL,
    Principal,
    create_session,
    end_all_sessions,
    end_session,
)


class AuthController(Controller):
    path = "/api/v1/auth"
    tags = ["Sign-in"]

    @post("/code", operation_id="sendSignInCode", status_code=202, summary="Text a sign-in code to a phone")
    async def send_code(self, request: Request, data: JSONBody[CodeRequest]) -> CodeSent:
        """Limits: one code a minute, 5 an hour and 10 a day per phone; 20 an hour per client. 429 with
        Retry-After beyond them."""
        return await services.send_customer_code(current_tenant(), phone=data.phone, client=client_address(request))

    @post("/token", operation_id="exchangeCodeForToken", status_code=200, summary="Sign in (or sign up) with the code",
          responses={401: SECOND_FACTOR_RESPONSE})
    async def token(self, request: Request, data: JSONBody[TokenRequest]) -> TokenResponse | Response[SecondFactorChallenge]:
        """A phone seen for the first time creates the customer. Send the token as
        `Authorization: Bearer <token>`. When the franchise has a user agreement or privacy
        policy, a new customer (and one who has not accepted the versions in force) must send
        `accept_terms: true`; without it the answer is 400 on `accept_terms`.

        A customer with two-step verification on, signing in without a remembered `device_token`,
        gets 401 with `error.code` `second_factor_required` and a `challenge`: send it with a code
        from their authenticator app (or a recovery code) to `POST /api/v1/auth/second-factor`
        within `expires_in` seconds for the token."""
        tenant = current_tenant()
        accepted = await legal.current_versions() if data.accept_terms else None
        customer = await services.sign_in_customer(
            tenant, phone=data.phone, code=data.code, client=client_address(request), attribution=attribution(request, data.invite),
            accepted=accepted)
        if await second_factor.second_step_due(customer.id, data.device_token):
            return await challenge_response(customer.id, data.code)
        await services.record_sign_in(tenant, customer.id, method="phone_code", ip=client_address(request),
                                      device=request.headers.get("user-agent", ""))
        token = await create_session(kind="customer", user_id=customer.id, tenant_id=tenant.id, via="bearer")
        return TokenResponse(token=token, token_type="bearer", expires_in=BEARER_TTL, customer=customer)

    @post("/sign-out", operation_id="signOut", status_code=204, guards=[require_customer], security=BEARER_SECURITY, summary="End this token")
    async def sign_out(self, principal: NamedDependency[Principal]) -> None:
        await end_session(principal)

    @post(
        "/sign-out-everywhere", operation_id="signOutEverywhere", status_code=200, guards=[require_customer],
        security=BEARER_SECURITY,
        summary="End every session and token of this customer",
    )
    async def sign_out_everywhere(self, principal: NamedDependency[Principal]) -> SignedOut:
        ended = await end_all_sessions(kind="customer", tenant_id=principal.tenant_id, user_id=principal.user_id)
        return SignedOut(sessions_ended=ended)


class LegalController(Controller):
    path = "/api/v1/legal"
    tags = ["Sign-in"]

    @get("/{kind:str}", operation_id="getLegalDocument", summary="The user agreement (terms) or privacy policy in force")
    async def document(self, kind: FromPath[str]) -> LegalDocument:
        """`kind` is `terms` or `privacy`; 404 when the franchise has published none."""
        return await legal.current_document(kind)


class MeController(Controller):
    path = "/api/v1/me"
    tags = ["Account"]
    guards = [require_customer]
    security = BEARER_SECURITY

    @get("", operation_id="getMe", summary="The signed-in customer")
    async def get_me(self, principal: NamedDependency[Principal]) -> Customer:
        return await services.active_customer(principal)

    @patch("", operation_id="updateMe", summary="Change the profile and service preferences")
    async def update_me(
        self, principal: NamedDependency[Principal], data: JSONBody[CustomerUpdate]
    ) -> Customer:
        customer = await services.active_customer(principal)
        return await services.update_customer(customer.id, data)

    @get("/addresses", operation_id="listAddresses", summary="The address book, default first")
    async def list_addresses(self, principal: NamedDependency[Principal]) -> list[Address]:
        customer = await services.active_customer(principal)
        return await services.list_addresses(customer.id)

    @post("/addresses", operation_id="createAddress", status_code=201, summary="Add an address")
    async def create_address(
        self, principal: NamedDependency[Principal], data: JSONBody[AddressCreate]
    ) -> Address:
        customer = await services.active_customer(principal)
        return await services.create_address(current_tenant(), customer.id, data)

    @get("/addresses/tips", operation_id="suggestPlaces",
         summary="Places for what has been typed of a street (the franchise's map provider; none without one)")
    async def suggest_places(
        self, principal: NamedDependency[Principal], q: FromQuery[str] = "", city: FromQuery[str] = ""
    ) -> list[PlaceTip]:
        await services.active_customer(principal)
        return await suggest(current_tenant(), q, city)

    @get("/addresses/{address_id:int}", operation_id="getAddress", summary="One address")
    async def get_address(
        self, principal: NamedDependency[Principal], address_id: PathId
    ) -> Address:
        customer = await services.active_customer(principal)
        return await services.get_address(customer.id, address_id)

    @patch("/addresses/{address_id:int}", operation_id="updateAddress", summary="Change an address (or make it the default)")
    async def update_address(
        self, principal: NamedDependency[Principal], address_id: PathId,
        data: JSONBody[AddressUpdate]) -> Address:
        customer = await services.active_customer(principal)
        return await services.update_address(current_tenant(), customer.id, address_id, data)

    @delete("/addresses/{address_id:int}", operation_id="deleteAddress", summary="Remove an address")
    async def delete_address(
        self, principal: NamedDependency[Principal], address_id: PathId
    ) -> None:
        customer = await services.active_customer(principal)
        await services.delete_address(customer.id, address_id)


API_HANDLERS = [AuthController, LegalController, MeController]
