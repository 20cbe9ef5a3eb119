"""The job queue (RQ, or in-process), the outbox that feeds it, and the clock that keeps it moving."""
