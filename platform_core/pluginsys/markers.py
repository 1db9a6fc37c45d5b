import pluggy

PROJECT = "hearth"
ENTRY_POINT_GROUP = "hearth.plugins"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)
