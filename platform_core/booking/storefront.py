"""The pages where a customer chooses: one service with the workers who do it and its reviews
(/services/{slug}), and a worker's public profile (/workers/{id}, and its JSON). Here, above
catalog, staff and reviews, because each page composes all three."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from litestar import Controller, Request, Response, get
from litestar.params import FromPath

from platform_core.catalog import services as catalog
from platform_core.reviews.schemas import Review
from platform_core.reviews.services import (
    rating_breakdown,
    reviews_for_item,
    reviews_for_staff,
)
from platform_core.staff import services as staff
from platform_core.staff.schemas import WorkerCard
from platform_core.staff.views import SKILL_LABELS
from platform_core.tenancy.context import current_tenant
from platform_core.tenancy.stamped import Stamped
from platform_core.web.bounds import PathId
from platform_core.web.pages import page

from .availability import eligible_workers
from .schemas import WorkerPage

WORKERS_SHOWN = 6
REVIEWS_SHOWN = 5

# An item's workers and latest reviews, by tenant stamp: what the page shows of them renews the
# stamp (staff_0003, reviews_0004), so a busy item page reads no worker or review row until one changes.
_social: Stamped[tuple[list[WorkerCard], list[Review]]] = Stamped("storefront", limit=2_000)


async def worker_page(staff_id: int, *, reviews: int = 10) -> WorkerPage:
    """Only active workers are shown, and only visible reviews."""
    profile = await staff.public_profile(staff_id)
    return WorkerPage(
        worker=profile.worker, bio=profile.bio, ratings=await rating_breakdown(staff_id),
        reviews=await reviews_for_staff(staff_id, limit=reviews),
    )


@get("/services/{slug:str}", include_in_schema=False, name="service-item", read_only=True)
async def item_page(request: Request, slug: FromPath[str]) -> Response:
    tenant = current_tenant()
    item, category = await catalog.get_item_with_category(slug, for_customer=tenant)

    async def load() -> tuple[list[WorkerCard], list[Review]]:
        return (await staff.workers_for_skills(item.required_skills, limit=WORKERS_SHOWN),
                await reviews_for_item(item.id, REVIEWS_SHOWN))

    workers, reviews = await _social.get(tenant, ("item", item.id, tuple(item.required_skills)), load)
    # Checked after the cache: a credential lapses or is revoked without touching the cache's stamp.
    workers = await eligible_workers(item, workers)
    return page(request, "booking/item.html", same_for_visitors=True, varies_on=tuple(w.id for w in workers),
                item=item, category=category, workers=workers, reviews=reviews)


@get("/workers/{staff_id:int}", include_in_schema=False, name="worker-profile", read_only=True)
async def public_worker(request: Request, staff_id: PathId) -> Response:
    tenant = current_tenant()
    profile = await worker_page(staff_id)
    # The services this worker can do: those whose required skills they all have.
    skills = set(profile.worker.skills)
    items = [i for i in await catalog.list_items(for_customer=tenant) if set(i.required_skills) <= skills]
    return page(request, "booking/worker.html", profile=profile, skill_labels=SKILL_LABELS, items=items,
                tenant_tz=ZoneInfo(tenant.timezone))


class WorkerProfileController(Controller):
    path = "/api/v1/workers"
    tags = ["Workers"]

    @get("/{staff_id:int}", operation_id="getWorker", summary="A worker's public profile, ratings and recent reviews", read_only=True)
    async def get_worker(self, staff_id: PathId) -> WorkerPage:
        return await worker_page(staff_id)


HANDLERS = [item_page, public_worker, WorkerProfileController]
