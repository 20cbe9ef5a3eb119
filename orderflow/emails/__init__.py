"""Customer shipping emails and merchant alerts: rendering (`render`), sending (`send`) and the
unsubscribe link (`unsubscribe`, `views`). The job that decides when to send lives in `jobs/`."""
