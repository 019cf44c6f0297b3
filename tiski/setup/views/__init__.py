"""Settings pages; one module per section."""
