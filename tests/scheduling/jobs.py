"""Scheduled jobs for the scheduler tests: they count their runs in ``RUNS``."""

RUNS = []


def tick():
    RUNS.append("tick")
    return {"ran": 1}


def idle():
    RUNS.append("idle")
    return {"ran": 0}


def broken():
    RUNS.append("broken")
    raise ValueError("the job broke")
