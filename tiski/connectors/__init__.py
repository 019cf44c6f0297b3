"""Channel configuration, durable intake receipts and the channel adapters."""
