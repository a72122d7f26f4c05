"""Typed keys for what the application holds."""

from aiohttp import web

from .settings import Settings
from .thoughts import ThoughtStore

SETTINGS = web.AppKey("settings", Settings)
THOUGHTS = web.AppKey("thoughts", ThoughtStore)
