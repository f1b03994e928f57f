"""Outbound webhooks: network admins' HTTPS endpoints told of events, signed as the Standard Webhooks
specification describes. See docs/webhooks.md."""
