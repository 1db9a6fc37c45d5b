"""Plugin administration: the franchise console's Plugins page, the platform's plugin catalog and
`hearth plugins`. Above accounts (its pages are guarded), while the machinery it drives,
`platform_core.pluginsys`, sits near the bottom."""
