"""Names this distribution is known by: the pluggy project and the plugins' entry-point group.
Kept below every layer because the database's migration list reads the entry points too."""

PROJECT = "hearth"
ENTRY_POINT_GROUP = "hearth.plugins"
