"""The Celery app. Tasks are tenant-aware: a task sent from a tenant request carries the
schema name in its headers (tenant-schemas-celery) and runs in that schema.

Sending a task never fails its caller when the broker is down: every task sent from a
request path is a wake-up or a deadline whose row a beat sweep recovers (settlement of a
checkout, team expiry, the outbox), so a Redis outage must not turn a committed checkout
into a 500. The lost send is logged (once a minute, with a count).

A worker survives a Redis restart (tests/test_worker_redis_restart.py). With Celery 5.7 and
kombu 5.7 it did not: after a lost broker connection Celery takes the connection apart
(`collect()` detaches the transport from its Connection) and then closes it; closing the
channel tries to put back the messages the worker holds unacknowledged (every card
checkout's settlement task waits 15.5 minutes in the worker), kombu builds a Redis client
from the detached Connection and raises `AttributeError: 'NoneType' object has no attribute
'hostname'`, which Celery does not expect there and the worker exits for good (the class of
celery/kombu#970 and #582, and of the reconnection failures in celery/celery#10205). The
transport below skips that hopeless restore: the messages stay in Redis's unacked set and
kombu's own visibility-timeout restore puts them back; if Redis lost them, the deadline
rows' beat sweeps recover the work.
"""

import logging
import os
import threading
import time

from kombu.exceptions import OperationalError
from kombu.transport import redis as kombu_redis
from tenant_schemas_celery.app import CeleryApp
from tenant_schemas_celery.task import TenantTask

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

logger = logging.getLogger(__name__)

SEND_FAILURE_LOG_EVERY_SECONDS = 60.0


class _SendFailureLog:
    """One warning per interval, with the number of sends lost since the last one."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._last_logged = float("-inf")
        self._lost_since_log = 0

    def record(self, task_name: str, error: BaseException) -> None:
        now = time.monotonic()
        with self._lock:
            self._lost_since_log += 1
            if now - self._last_logged < SEND_FAILURE_LOG_EVERY_SECONDS:
                return
            lost, self._lost_since_log = self._lost_since_log, 0
            self._last_logged = now
        logger.warning(
            "broker unavailable, task %s not sent (%s: %s); the beat sweeps recover "
            "deadlines (%d send(s) lost since the last warning)",
            task_name,
            error.__class__.__name__,
            error,
            lost,
        )


send_failures = _SendFailureLog()


class SoftSendTask(TenantTask):
    abstract = True

    def apply_async(self, *args, **kwargs):
        try:
            return super().apply_async(*args, **kwargs)
        except OperationalError as error:  # kombu's wrapper of every broker connection error
            send_failures.record(self.name, error)
            return None


class _QoSSurvivingADetachedConnection(kombu_redis.QoS):
    def restore_unacked(self, client=None):
        transport = self.channel.connection
        if client is None and (transport is None or transport.client is None):
            logger.warning(
                "broker connection lost: %d unacknowledged message(s) left in Redis for the "
                "visibility-timeout restore",
                len(self._delivered),
            )
            self._delivered.clear()
            return
        super().restore_unacked(client)


class _RedisChannel(kombu_redis.Channel):
    QoS = _QoSSurvivingADetachedConnection


class RedisTransport(kombu_redis.Transport):
    """kombu's Redis transport, minus the crash on a lost connection (module docstring)."""

    Channel = _RedisChannel


app = CeleryApp("merchant_platform", task_cls=SoftSendTask)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
