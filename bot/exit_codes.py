"""The exit codes of `hedgebot`, one table for the command line, the error policy and a supervisor (README, deploy/).

0    done, or stopped by a signal                                     do not restart
1    failed, and may pass by itself: the venue unreachable or          restart after a delay
     throttled, a malformed reply, this machine's clock refused by
     the venue, an unexpected error (which halts
     first: the restarted run stays HALTED and exits 3)
2    invalid configuration, or a usage error on the command line       never restart: fix the keys it lists,
     (argparse's own code; ``UsageError`` for what it cannot check)   or what was typed
3    HALTED (kill switch, failed reconciliation, a crash)              never restart: look, then --resume
4    refused until a person acts: the API key refused, able to         never restart: the message says what
     withdraw or of unknown permissions, an instrument not listed,     to do
     too little margin, a position the journal cannot explain
130  interrupted at a terminal
"""

from __future__ import annotations

from bot.errors import needs_operator

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_CONFIG = 2
EXIT_HALTED = 3
EXIT_NEEDS_OPERATOR = 4
EXIT_INTERRUPTED = 130


def refusal_code(error: BaseException) -> int:
    """The exit code of a refusal to start or an error of ours: 4 when a person must act, else 1."""
    return EXIT_NEEDS_OPERATOR if needs_operator(error) else EXIT_FAILED
