"""Deleting an app's logs on request: a time range, optionally narrowed by a query.

* :mod:`.scope` — what a request deletes: the log search's own query, the
  app's own daily indices, the days covered whole (pure);
* :mod:`.jobs` — the preview count, creating and reading jobs;
* :mod:`.audit_details` — how the audit log names a query without its text (pure);
* :mod:`.progress` — how far a job got, kept on its row so any replica resumes it;
* :mod:`.runner` — the background loop that claims and runs queued jobs.
"""
