"""Fixtures of the browser tests (see ``cxroi_browser.py``)."""

from .cxroi_browser import browser, dashboard, requests_seen, voila_server

__all__ = ["browser", "dashboard", "requests_seen", "voila_server"]
