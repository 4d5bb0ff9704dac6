"""Use cases. Each is a function ``fn(session, *, actor, host, ...)`` that checks permissions, writes the
audit event and leaves the commit to the caller's unit of work."""
