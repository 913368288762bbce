"""Dry run: the bot trades a real venue's market on paper, and nothing it does reaches the venue.

    PaperPort (an ExchangePort)
    ├── VenueReader ......... the real venue's read half (``bot.exchange.factory.build_reader``): markets, prices,
    │                         books, public trades, the spot wallet; its ccxt instances refuse anything but a GET
    └── PaperVenue .......... the paper venue: the simulator's own Exchange (``hedgesim``) over a LiveMarket fed
                              with what the reader observes; its account, orders and fills saved to its own file

The paper venue fills orders by the simulator's rules against the live book and trades: a post-only order that
would cross is cancelled, a resting order fills only from trades strictly through its price (at most the
participation share of their volume, so partly when they are few), with the venue's maker and taker fees, and
funding settles at the venue's announced times and rates. ``store`` names the dry run's journal and venue files.
"""
