"""The local APM: Datadog's service, resource and trace views over the local trace store."""

from .app import APM_PORT, create_apm_app

__all__ = ["APM_PORT", "create_apm_app"]
