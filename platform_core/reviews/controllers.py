"""The reviews JSON API: a customer reviews their completed order; anyone reads a worker's
visible reviews and rating."""

from __future__ import annotations

from litestar import Controller, get, post
from litestar.di import NamedDependency
from litestar.params import FromPath, JSONBody

from platform_core.accounts.guards import BEARER_SECURITY, require_customer
from platform_core.accounts.services import active_customer, staff_status
from platform_core.accounts.sessions import Principal
from platform_core.errors import NotFound
from platform_core.web.bounds import Limit, PathId

from . import services
from .schemas import Review, ReviewCreate, WorkerReviews


class OrderReviewController(Controller):
    path = "/api/v1/orders/{number:str}/review"
    tags = ["Reviews"]
    guards = [require_customer]
    security = BEARER_SECURITY

    @post("", operation_id="reviewOrder", status_code=201, summary="Review a completed order (once)")
    async def create(
        self, principal: NamedDependency[Principal], number: FromPath[str], data: JSONBody[ReviewCreate]) -> Review:
        """Scores 1–5 for quality, attitude and skill, optional text and photo URLs (from the upload
        endpoint). 404 for an order that is not yours, 409 before completion or for a second review."""
        customer = await active_customer(principal)
        return await services.submit_review(customer.id, number, data)

    @get("", operation_id="getOrderReview", summary="Your review of an order")
    async def read(self, principal: NamedDependency[Principal], number: FromPath[str]) -> Review:
        customer = await active_customer(principal)
        review = await services.review_for_order(customer.id, number)
        if review is None:
            raise NotFound("review")
        return review


@get("/api/v1/workers/{staff_id:int}/reviews", operation_id="listWorkerReviews", tags=["Reviews"], summary="A worker's rating and reviews")
async def worker_reviews(staff_id: PathId, limit: Limit = 20) -> WorkerReviews:
    """Visible reviews only, newest first; hidden reviews neither show nor count."""
    # Public pages show active workers only (as the worker profile does).
    if await staff_status(staff_id) != "active":
        raise NotFound("worker")
    return WorkerReviews(
        rating=await services.rating_breakdown(staff_id), reviews=await services.reviews_for_staff(staff_id, max(1, min(limit, 50))),
    )


API_HANDLERS = [OrderReviewController, worker_reviews]
