"""The rq worker the ``worker`` processes run (``manage.py run_worker``).

rq's own worker registers itself in Redis when it starts, and nowhere else; a Redis restarted without persistence
forgets it, so monitoring (and ``/readyz``) would count no workers although they are working again. This one
registers itself again whenever its heartbeat finds its record gone, and beats at least every 45 seconds.
"""

from rq import Worker, worker_registration

WORKER_TTL = 60  # seconds: rq waits on the queue for 45 s at a time, then beats


class OutboxWorker(Worker):
    def heartbeat(self, timeout=None, pipeline=None):
        forgotten = pipeline is None and not self.connection.exists(self.key)
        super().heartbeat(timeout, pipeline)
        if forgotten:
            with self.connection.pipeline() as again:
                again.hset(self.key, mapping=self.serialize())
                worker_registration.register(self, again)
                again.expire(self.key, timeout or self.worker_ttl + 60)
                again.execute()
            self.log.warning("Worker %s: Redis had forgotten this worker; registered again", self.name)
