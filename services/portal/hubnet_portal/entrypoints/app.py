"""`hubnet-portal`: the staff portal of the partner HUBNET_PORTAL_PARTNER."""

import uvicorn

from hubnet_common.service.logging import configure_logging
from hubnet_portal import bootstrap
from hubnet_portal.settings import PortalSettings


def main() -> None:
    settings = PortalSettings()
    configure_logging(f"portal-{settings.portal_partner}", settings.log_level)
    uvicorn.run(
        bootstrap.app(settings),
        host=settings.http_host,
        port=settings.http_port,
        log_level="warning",
        log_config=None,
        access_log=False,  # the callback's query holds the login code; pages are logged by the portal
    )
