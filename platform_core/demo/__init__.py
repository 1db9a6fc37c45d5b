"""Demo provisioning: `hearth tenants apply` and the demo franchises from tenants/*.toml. Above
every domain, because it fills them all through their services."""
