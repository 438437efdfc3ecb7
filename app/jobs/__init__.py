"""The job queue: work done after the request, in-process or on Celery workers."""
