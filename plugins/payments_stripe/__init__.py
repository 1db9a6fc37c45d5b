"""Cards through Stripe for a franchise: PaymentIntents created with an idempotency key, signed
webhooks checked for their age, refunds in part or in full."""
