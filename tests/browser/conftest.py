"""Fixtures for the browser journeys (see harness.py)."""

from .harness import allow_async_unsafe, browser, new_page  # noqa: F401 (registered as this folder's fixtures)
