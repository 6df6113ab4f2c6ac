"""What the server process gets before its first delivery: a thread pool for the blocking
GitHub calls, its threads started, and its start-up heap kept out of the collector's way.

All of it matters under a burst of deliveries, when one event loop carries every review:

- PyGithub is blocking, so every GitHub call goes through the loop's default thread pool,
  which is min(32, CPUs + 4) threads (6 on two cores) and would queue a burst. The pool made
  here has ``IO_THREADS``, all started now: a pool starts a thread when work arrives and none
  is idle, and the loop waits until the new thread runs, 5 to 10 ms each with the GIL
  contended; 30 reviews grew the pool by some 35 threads, a third of a second with every
  review stopped.
- The server holds some 270,000 objects once LangGraph's API, the graph and its libraries are
  loaded. Python's full collections walk all of them: two in a 30-review burst, 0.36 s with
  every review stopped (``gc.callbacks``, measured under ``bench.webhook``). ``gc.freeze``
  after start-up moves them to a generation the collector never walks; garbage made later is
  collected as before. And the burst's reviews allocate some 120,000 short-lived objects:
  with a young collection every 700 allocations (Python's default) it ran 170 young and 16
  middle collections (0.11 s); every ``YOUNG_OBJECTS``, 10 and none (0.04 s), most objects
  dying before a collection ever sees them.

``prepare`` runs from the app's lifespan (``web/app.py``), which LangGraph's server enters
after its own start-up, so the graph is loaded and no delivery has arrived yet.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import threading
from concurrent.futures import ThreadPoolExecutor

IO_THREADS = 64
YOUNG_OBJECTS = 10_000  # allocations between young collections (Python's default: 700)


def prepare() -> ThreadPoolExecutor:
    """Give the running loop the I/O pool and freeze the heap as it is now; returns the pool,
    for the lifespan to shut down."""
    loop = asyncio.get_running_loop()
    pool = ThreadPoolExecutor(max_workers=IO_THREADS, thread_name_prefix="review-panel-io")
    _start_threads(pool, IO_THREADS)
    loop.set_default_executor(pool)
    gc.collect()  # what start-up left as garbage is freed, not frozen
    gc.freeze()
    gc.set_threshold(YOUNG_OBJECTS, *gc.get_threshold()[1:])
    return pool


def _start_threads(pool: ThreadPoolExecutor, count: int) -> None:
    """Start ``count`` threads of ``pool`` now. Each task waits until all ``count`` have
    started, so no thread is idle (and reused) before the last one is started."""
    everyone = threading.Barrier(count)

    def wait_for_the_others() -> None:
        with contextlib.suppress(threading.BrokenBarrierError):
            everyone.wait(timeout=10)

    for _ in range(count):
        pool.submit(wait_for_the_others)
