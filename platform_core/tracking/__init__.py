"""Live tracking of a visit: the worker's position while on the way, shown to the customer."""
