"""Alerts: typed events, their formats per destination, senders, the background notifier and the summary schedule.

events.py    what happened: ``AlertEvent`` values, one constructor per kind, the severity order
settings.py  plain frozen settings the notifier runs on (built from ``[alerts]`` by ``factory.py``)
formats.py   the message body each destination kind expects (JSON webhook, Telegram, Discord, Slack)
senders.py   one delivery attempt over HTTP, its failure a retryable or final ``AlertDeliveryFailed``
notifier.py  ``notify()`` enqueues and returns; per-destination workers deliver with retries and backoff
schedule.py  when the next daily summary is due
"""
