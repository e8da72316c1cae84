"""In-memory repositories and units of work, one module per service, wired through each service's
bootstrap in unit tests; `network` signs and verifies with the session's keys."""
