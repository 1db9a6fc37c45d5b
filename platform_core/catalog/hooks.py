"""This domain's hook implementations (registered as a core plugin)."""
