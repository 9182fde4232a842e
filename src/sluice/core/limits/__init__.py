"""Per-caller limits kept in the server's memory: model time, request rates, failed logins."""
