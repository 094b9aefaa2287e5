"""A task for tests that run a real worker: it leaves a file behind, so a test sees that a
task ran without a result backend or a database. Loaded into the worker with --include."""

from pathlib import Path

from celery import shared_task


@shared_task(name="tests.probe.touch")
def touch(path: str) -> None:
    Path(path).write_text("ran")
