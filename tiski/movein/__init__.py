"""Moving in: importing a whole history from Zendesk or Freshdesk export files."""
