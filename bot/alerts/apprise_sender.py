"""The optional ``apprise`` destination: one apprise URL reaches any of the services apprise supports.

Installed with ``pip install 'hedgebot[apprise]'``. apprise sends synchronously, so each attempt runs in a worker
thread and is abandoned (not awaited further) after the timeout; apprise's own request timeouts end the thread.
apprise reports only success or failure, so every failure counts as retryable.
"""

from __future__ import annotations

import asyncio
import importlib.util

from bot.alerts.events import AlertEvent, Severity
from bot.alerts.formats import headline, plain_text
from bot.alerts.settings import Destination
from bot.errors import AlertDeliveryFailed

INSTALL_HINT = "the apprise destination needs the optional extra: pip install 'hedgebot[apprise]'"


def apprise_installed() -> bool:
    return importlib.util.find_spec("apprise") is not None


def apprise_understands(url: str) -> bool:
    """Whether apprise knows the service this URL names (checked without sending anything)."""
    import apprise

    return bool(apprise.Apprise().add(url))


class AppriseSender:
    def __init__(self, destination: Destination, timeout: float) -> None:
        import apprise

        self._destination = destination
        self._timeout = timeout
        self._apprise = apprise.Apprise()
        if not self._apprise.add(destination.url.get_secret_value()):
            raise ValueError(f"destination {destination.name!r}: apprise does not understand its URL")
        self._types = {
            Severity.INFO: apprise.NotifyType.INFO,
            Severity.WARNING: apprise.NotifyType.WARNING,
            Severity.CRITICAL: apprise.NotifyType.FAILURE,
        }

    @property
    def destination(self) -> Destination:
        return self._destination

    async def send(self, event: AlertEvent) -> None:
        body = plain_text(event).partition("\n")[2]
        call = asyncio.to_thread(
            self._apprise.notify, body=body, title=headline(event), notify_type=self._types[event.severity]
        )
        try:
            delivered = bool(await asyncio.wait_for(call, self._timeout))
        except TimeoutError:
            raise AlertDeliveryFailed(f"no answer within {self._timeout:g}s", retryable=True) from None
        if not delivered:
            raise AlertDeliveryFailed("apprise could not deliver it (its log says why)", retryable=True)
