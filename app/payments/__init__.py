"""Payments blueprint: Stripe Checkout per render and the Stripe webhook."""
