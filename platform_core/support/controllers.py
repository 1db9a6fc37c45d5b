"""The feedback JSON API for customers: send a problem or a suggestion, read the answers."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import JSONBody

from platform_core.accounts.guards import BEARER_SECURITY, require_customer
from platform_core.accounts.services import active_customer
from platform_core.accounts.sessions import Principal
from platform_core.web.bounds import PathId

from . import services
from .schemas import Feedback, FeedbackCreate


class FeedbackController(Controller):
    path = "/api/v1/me/feedback"
    tags = ["Feedback"]
    guards = [require_customer]
    security = BEARER_SECURITY

    @post("", operation_id="sendFeedback", status_code=201, summary="Report a problem or make a suggestion")
    async def create(self, principal: NamedDependency[Principal], data: JSONBody[FeedbackCreate]) -> Feedback:
        """`order_number` ties it to one of your orders (optional)."""
        customer = await active_customer(principal)
        return await services.send_feedback(customer.id, data)

    @get("", operation_id="listFeedback", summary="Your feedback and the franchise's answers, newest first")
    async def list_mine(self, principal: NamedDependency[Principal]) -> list[Feedback]:
        customer = await active_customer(principal)
        return await services.feedback_of_customer(customer.id)

    @get("/{feedback_id:int}", operation_id="getFeedback", summary="One of your feedback messages")
    async def read(self, principal: NamedDependency[Principal], feedback_id: PathId) -> Feedback:
        customer = await active_customer(principal)
        return await services.get_feedback(feedback_id, customer_id=customer.id)


API_HANDLERS = [FeedbackController]
