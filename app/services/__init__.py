"""Use cases: what routes and tasks call. Services hold the rules and commit."""
