"""Hard limits of the software: no configuration, environment variable or command-line flag can lift them."""

from decimal import Decimal

# A hedge is a margined position in its own right: above 2x a violent squeeze can liquidate it while the
# spot it protects has barely moved. 1x is the default; 2x is the most the bot will ever set or accept.
MAX_LEVERAGE = Decimal(2)
MIN_LEVERAGE = Decimal(1)

# A hedge ratio above 1 over-hedges a holding believed more volatile than its hedge instrument; above 1.5
# it stops being insurance and becomes a directional short.
MAX_HEDGE_RATIO = Decimal("1.5")

# Every order the bot sends is a post-only (maker) limit order: the exchange port's OrderRequest can express no
# other kind, and the risk gate denies any intent that is not post-only (risk.checks.check_well_formed).
