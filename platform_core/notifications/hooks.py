"""This domain's hook implementations (registered as a core plugin)."""

from __future__ import annotations

from platform_core.pluginsys import hookimpl
from platform_core.runtime import Runtime

from .channels import DevOutboxChannel

DEV_CHANNEL_PLUGIN = "core.dev_outbox"


@hookimpl
def register_routes():
    from .views import dev_outbox

    return [dev_outbox]


class DevChannelPlugin:
    """Offers the dev channel; exists only in processes running in dev mode (see channels.py)."""

    def __init__(self, rt: Runtime) -> None:
        self.channel = DevOutboxChannel(rt)

    @hookimpl
    def provide_notification_channels(self):
        return self.channel.channels()


def install_dev_channel(rt: Runtime) -> None:
    """Register the dev channel in dev mode (idempotent). Called wherever a process builds its
    Runtime: the app's lifespan and `hearth worker`. Its "core." name keeps it in every tenant's
    relay."""
    if rt.settings.dev_mode and rt.pm.get_plugin(DEV_CHANNEL_PLUGIN) is None:
        rt.pm.register(DevChannelPlugin(rt), name=DEV_CHANNEL_PLUGIN)
