"""Hedge policies: pure objects that turn a snapshot into hedge targets, registered by name.

A policy is composed (``policies.registry.build_policy``) of:
- a base ratio policy: ``fixed_ratio`` (one ratio, or the holding's own) or ``event_window`` (ratios on a
  schedule, ramping in and out);
- the ``proxy`` layer (``policies.proxy``): which perpetual hedges each holding, its own or a liquid proxy
  scaled by beta (configured, or estimated from price history by ``policies.beta``);
- modifiers applied in order to each instrument's target: ``funding_guard`` and ``take_profit``;
- per-holding overrides (``bot.settings.HoldingOverride``: ratio, instrument, proxy, beta, enabled).
Policies import only the domain, the settings (``bot.settings``) and each other; state is explicit (``PolicyState``
in, out). Their configuration schema is ``bot.config_policy``; ``bot.settings.from_config`` turns it into settings.
"""
