"""The audit trail's pages and the name lookups they need: above accounts, which the trail never imports."""
