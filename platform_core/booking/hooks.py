"""This domain's hook implementations (registered as a core plugin)."""

from platform_core.pluginsys import hookimpl

from . import controllers, rearrange, services, storefront, views


@hookimpl
def register_routes():
    return [*controllers.API_HANDLERS, *views.CUSTOMER_HANDLERS, *storefront.HANDLERS, *rearrange.HANDLERS]


@hookimpl
def register_job_handlers():
    return services.JOB_HANDLERS
