"""Announcements: a franchise posts a notice (a holiday closure, a price change) shown as a
banner on its customer site and/or staff app while its dates hold."""
