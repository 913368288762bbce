"""`python -m tests.chaos.seeded_bug BUG ARGS...`: `hedgebot ARGS` with one bug seeded into a copy of one module.

Only the chaos harness's own test runs this, to show that the harness catches what it claims: the module is
loaded from its source with one line changed (the change must apply exactly once, or this refuses to run), then
the bot runs as `python -m bot` would. Nothing in the bot knows about it.

Bugs:
  blind_retry      after an ambiguous order creation (no answer in time), send the intent again at once instead
                   of freezing the symbol and looking the order up by its client id
  no_reduce_only   send every order without reduce-only, so a reduction could grow the other way
  half_hedge       the fixed-ratio policy hedges half of its configured ratio, so the hedge never reaches its band
"""

from __future__ import annotations

import importlib
import importlib.util
import runpy
import sys
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class Bug:
    module: str
    line: str  # exactly as in the module's source
    seeded: str


BUGS = {
    "blind_retry": Bug(
        "bot.execution.executor",
        "            return await self._unknown(intent, ticket, str(exc))\n        except DuplicateClientOrderId",
        "            return await self._send(intent, intent_id, market, recheck)\n        except DuplicateClientOrderId",
    ),
    "no_reduce_only": Bug(
        "bot.exchange.ccxt_adapter",
        '            params["reduceOnly"] = True\n',
        "            pass\n",
    ),
    "half_hedge": Bug(
        "policies.ratio",
        '        return self.default, "policy ratio"\n',
        '        return self.default / 2, "policy ratio"\n',
    ),
}


def seed(name: str) -> None:
    """Load ``BUGS[name]``'s module from its source with the bug in it, before anything imports the real one."""
    bug = BUGS[name]
    spec = importlib.util.find_spec(bug.module)
    if spec is None or spec.origin is None:
        raise SystemExit(f"seeded_bug: cannot find the source of {bug.module}")
    source = Path(spec.origin).read_text(encoding="utf-8")
    if source.count(bug.line) != 1:
        raise SystemExit(f"seeded_bug: {bug.module} no longer contains the line to change for {name!r}")
    module = importlib.util.module_from_spec(spec)
    sys.modules[bug.module] = module
    exec(compile(source.replace(bug.line, bug.seeded), spec.origin, "exec"), module.__dict__)
    parent, _, child = bug.module.rpartition(".")
    setattr(importlib.import_module(parent), child, module)


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in BUGS:
        raise SystemExit(f"usage: python -m tests.chaos.seeded_bug {{{','.join(BUGS)}}} HEDGEBOT_ARGS...")
    seed(sys.argv[1])
    sys.argv = ["hedgebot", *sys.argv[2:]]
    runpy.run_module("bot", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main()
