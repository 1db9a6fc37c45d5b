"""Booking: the customer's way from a service to a placed order: the item and worker pages, the
book page, quotes, photo uploads, placement, and the customer's order pages. The top floor of the
domains: it composes catalog, staff, scheduling, orders, dispatch and payments, and nothing below
imports it."""
