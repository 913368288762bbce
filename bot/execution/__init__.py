"""Execution: one run on one venue (one per venue a hedge trades on), wired the same way by the CLI and the tests.

    run = Run(settings, port, journal, clock, run_id=..., planner=plan_cycle,   # run.py: state and shared actions
              alerts=notifier, alert_settings=alerting)                     # alerting.py: what it alerts on
    pipeline = CyclePipeline(run, approver)                                     # cycle.py: one cycle, step by step
    async def work() -> int:
        await start_run(run, options)                                           # startup.py: fail closed
        return await run_cycles(pipeline, options)                              # loop.py: until done or stopped
    end = await supervise(run, work)                                            # supervisor.py: the error policy

Hedges on several venues: a run per venue (a desk, ``desks_for``), sharing the journal and the ``Interrupts``, each
supervised on its own, side by side (desks.py: ``supervise_desks``, ``exit_code``).

Also here: client order ids, approval (approval.py: approvers; approving.py: the step that asks, re-validates
and gates again), the executor, reconciliation, leverage kept, the guards against data that
cannot be trusted (guards.py), what to read (reading.py) and a cycle's outcome as values (summary.py).
"""
