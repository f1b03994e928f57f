"""Small writes gathered in the process and handed on together (qa_site/batching.py)."""

import subprocess
import sys
import threading
from pathlib import Path

from qa_site.batching import Batch

ROOT = Path(__file__).resolve().parents[2]


def test_items_are_handed_on_together_a_moment_after_the_first():
    delivered, done = [], threading.Event()

    def deliver(items):
        delivered.append(items)
        done.set()

    batch = Batch(deliver, seconds=0.2)
    for n in range(5):
        batch.add(n)
    assert delivered == []  # nothing on the request's path
    assert done.wait(10), "the timer handed nothing on"
    assert delivered == [[0, 1, 2, 3, 4]]
    batch.add(5)
    assert batch.flush() == 1  # at shutdown, or in a test: at once
    assert delivered == [[0, 1, 2, 3, 4], [5]]
    assert batch.flush() == 0


def test_a_failing_delivery_is_logged_and_the_batch_carries_on(caplog):
    def deliver(items):
        raise ConnectionError("Redis went away")

    batch = Batch(deliver, seconds=60, name="widget counts")
    batch.add("x")
    assert batch.flush() == 1
    assert "widget counts" in caplog.text
    batch.add("y")
    assert batch.flush() == 1


def test_a_process_that_stops_normally_hands_on_what_it_holds(tmp_path):
    out = tmp_path / "delivered.txt"
    script = (
        "from qa_site.batching import Batch\n"
        f"batch = Batch(lambda items: open({str(out)!r}, 'w').write(repr(items)), seconds=60)\n"
        "batch.add('a view'); batch.add('a search')\n"
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60, cwd=ROOT)
    assert out.read_text() == "['a view', 'a search']"
