"""Who may do what: organisations' API keys, scopes, and the append-only audit log."""
