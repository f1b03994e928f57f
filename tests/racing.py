"""Running calls at the same moment in separate threads, for the tests of races on real row locks."""

import threading

from django.db import close_old_connections, connection


def race(*calls):
    """Run the calls at the same moment in separate threads; return what each returned or raised (a refusal
    is a result too). Each thread closes its own database connection."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:
            results[i] = exc
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results
