"""Review pages: the customer's form under their order (/orders/{number}/review) and the
franchise's moderation list (/console/reviews: reply, hide with a reason, show again)."""

from __future__ import annotations

from typing import Any

from litestar import Request, Response, get, post
from litestar.datastructures import UploadFile
from litestar.di import NamedDependency
from litestar.params import FromPath
from litestar.response import Redirect

from platform_core.accounts.guards import require_console, require_customer
from platform_core.accounts.services import active_customer
from platform_core.accounts.sessions import Principal
from platform_core.errors import HearthError, ValidationFailed
from platform_core.tenancy.context import current_tenant
from platform_core.web import uploads as media
from platform_core.web.bounds import PathId
from platform_core.web.forms import error_context
from platform_core.web.i18n import gettext as _
from platform_core.web.i18n import lazy_gettext as N_
from platform_core.web.pages import page

from . import services
from .schemas import ReviewCreate

SCORES = (("quality", N_("Quality of the work")), ("attitude", N_("Attitude")), ("skill", N_("Skill")))
MAX_PHOTOS = 9


async def _review_data(form: Any) -> tuple[ReviewCreate | None, dict[str, Any], dict[str, str]]:
    """The posted form → ReviewCreate; chosen photo files are stored first (their URLs are kept in
    the form if something else is wrong). Returns (data or None, values, field errors)."""
    values: dict[str, Any] = {k: str(form.get(k) or "") for k in ("quality", "attitude", "skill", "text")}
    errors: dict[str, str] = {}
    photos = [str(u) for u in form.getall("photos")] if "photos" in form else []
    for upload in form.getall("photo_files") if "photo_files" in form else []:
        if isinstance(upload, UploadFile) and upload.filename:
            try:
                photos.append(media.save_image(current_tenant(), await upload.read(media.MAX_BYTES + 1)))
            except ValidationFailed as exc:
                errors["photos"] = exc.fields["file"]
    values["photos"] = photos[:MAX_PHOTOS]
    if len(photos) > MAX_PHOTOS:
        errors["photos"] = N_("At most 9 photos.")
    scores: dict[str, int] = {}
    for name, _label in SCORES:
        if values[name] not in ("1", "2", "3", "4", "5"):
            errors[name] = N_("Choose from 1 to 5 stars.")
        else:
            scores[name] = int(values[name])
    if len(values["text"].strip()) > 2000:
        errors["text"] = N_("Please keep it under 2000 characters.")
    if errors:
        return None, values, errors
    return ReviewCreate(**scores, text=values["text"].strip(), photos=values["photos"]), values, {}  # type: ignore[arg-type]


@get("/orders/{number:str}/review", guards=[require_customer], include_in_schema=False, name="order-review")
async def review_page(request: Request, principal: NamedDependency[Principal], number: FromPath[str]) -> Response:
    customer = await active_customer(principal)
    existing = await services.review_for_order(customer.id, number)
    allowed = existing is None and await services.can_review(customer.id, number)
    return page(request, "reviews/review_form.html", number=number, review=existing, allowed=allowed, scores=SCORES,
                values={}, errors={}, max_photos=MAX_PHOTOS, flash=[("success", _("Thank you for your review."))] if request.query_params.get("done") else [])


@post("/orders/{number:str}/review", guards=[require_customer], include_in_schema=False, name="order-review-submit")
async def review_submit(request: Request, principal: NamedDependency[Principal], number: FromPath[str]) -> Response:
    customer = await active_customer(principal)
    data, values, errors = await _review_data(await request.form())
    try:
        if data is None:
            raise ValidationFailed(errors)
        await services.submit_review(customer.id, number, data)
    except HearthError as exc:
        existing = await services.review_for_order(customer.id, number)
        return page(request, "reviews/review_form.html", status_code=exc.status_code, number=number, review=existing,
                    allowed=existing is None, scores=SCORES, values=values, max_photos=MAX_PHOTOS, **error_context(exc))
    return Redirect(f"/orders/{number}/review?done=1", status_code=303)


# --------------------------------------------------------------------------- the console

CONSOLE_NOTICES = {
    "replied": N_("Your reply is published under the review."),
    "hidden": N_("The review is hidden and no longer counts in the rating."),
    "shown": N_("The review is visible again."),
}
FILTERS = (("all", N_("All")), ("visible", N_("Visible")), ("hidden", N_("Hidden")), ("low", N_("3 stars or less")))


async def _console_page(request: Request, *, status_code: int = 200, **context: Any) -> Response:
    show = request.query_params.get("show", "all")
    show = show if show in ("all", "visible", "hidden", "low") else "all"
    notice = CONSOLE_NOTICES.get(request.query_params.get("done", ""))
    context.setdefault("errors", {})
    return page(request, "reviews/console_reviews.html", console=True, status_code=status_code, reviews=await services.console_reviews(show),
                show=show, filters=FILTERS, flash=[("success", _(notice))] if notice else [], **context)


@get("/console/reviews", guards=[require_console("support.manage")], include_in_schema=False, name="console-reviews")
async def console_reviews(request: Request) -> Response:
    return await _console_page(request)


async def _moderate(request: Request, review_id: int, action: str) -> Response:
    form = await request.form()
    user = request.scope["state"]["console_user"]
    show = form.get("show", "all")
    try:
        if action == "reply":
            text = str(form.get("reply", "")).strip()
            if not text or len(text) > 2000:
                raise ValidationFailed({"reply": "Write a reply of up to 2000 characters."})
            await services.reply_to_review(review_id, user.id, text)
        elif action == "hide":
            reason = str(form.get("reason", "")).strip()
            if not reason or len(reason) > 500:
                raise ValidationFailed({"reason": "Say why the review is hidden (up to 500 characters)."})
            await services.hide_review(review_id, user.id, reason)
        else:
            await services.show_review(review_id)
    except HearthError as exc:
        ctx = error_context(exc)
        return await _console_page(request, status_code=exc.status_code, failed_id=review_id, form_error=ctx["form_error"],
                                   errors=ctx["errors"], values={k: v for k, v in form.items() if k != "csrf_token"})
    done = {"reply": "replied", "hide": "hidden", "show": "shown"}[action]
    return Redirect(f"/console/reviews?show={show}&done={done}#review-{review_id}", status_code=303)


@post("/console/reviews/{review_id:int}/reply", guards=[require_console("support.manage")], include_in_schema=False,
      name="console-review-reply")
async def console_review_reply(request: Request, review_id: PathId) -> Response:
    return await _moderate(request, review_id, "reply")


@post("/console/reviews/{review_id:int}/hide", guards=[require_console("support.manage")], include_in_schema=False,
      name="console-review-hide")
async def console_review_hide(request: Request, review_id: PathId) -> Response:
    return await _moderate(request, review_id, "hide")


@post("/console/reviews/{review_id:int}/show", guards=[require_console("support.manage")], include_in_schema=False,
      name="console-review-show")
async def console_review_show(request: Request, review_id: PathId) -> Response:
    return await _moderate(request, review_id, "show")


PAGE_HANDLERS = [review_page, review_submit, console_reviews, console_review_reply, console_review_hide, console_review_show]
