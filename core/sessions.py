"""Sessions read from the cache (Redis) and kept in the database: Django's cached_db store
with every cache call going through core.cache_guard.

A shopper with a cart carries a session, so every page they open loads it: from Redis
this costs a round trip instead of a database query. The database stays the record (a
Redis flush or outage loses nothing); when Redis cannot be reached the store reads and
writes the database alone and leaves Redis untouched for a few seconds (cache_guard), so
an outage slows sessions down instead of failing requests (Django's own cached_db lets
some cache errors through and pays a connection timeout on each request).

A session key that names no session (expired, deleted, made up) is remembered as absent
for a short while, so a client sending one does not cost a database query per request;
saving a session under a key overwrites that note.
"""

from django.contrib.sessions.backends.base import VALID_KEY_CHARS, CreateError, UpdateError
from django.contrib.sessions.backends.db import SessionStore as DatabaseStore
from django.db import IntegrityError, connections, router
from django.utils.crypto import get_random_string

from core import cache_guard

KEY_PREFIX = "session:"
ABSENT = "absent"
ABSENT_SECONDS = 60


_INSERT_SQL = "INSERT INTO {table} (session_data, expire_date, session_key) VALUES (%s, %s, %s)"
_UPDATE_SQL = "UPDATE {table} SET session_data = %s, expire_date = %s WHERE session_key = %s"


class SessionStore(DatabaseStore):
    cache_key_prefix = KEY_PREFIX

    @property
    def cache_key(self) -> str:
        return self.cache_key_prefix + self._get_or_create_session_key()

    def _get_new_session_key(self) -> str:
        # Django asks the database whether a new random key is taken before using it: a
        # query on every first add to cart for a clash of 32 characters out of 36 that never
        # comes. The insert refuses a taken key anyway (CreateError), and create() draws
        # another.
        return get_random_string(32, VALID_KEY_CHARS)

    def load(self) -> dict:
        if self.session_key is None:
            return {}
        cache_key = self.cache_key_prefix + self.session_key
        data = cache_guard.get(cache_key)
        if data == ABSENT:
            self._session_key = None
            return {}
        if isinstance(data, dict):
            return data
        stored = self._get_session_from_db()
        if stored is None:
            if data is None:  # the cache answered: remember the miss
                cache_guard.set(cache_key, ABSENT, ABSENT_SECONDS)
            return {}
        data = self.decode(stored.session_data)
        if data is not None:
            cache_guard.set(cache_key, data, self.get_expiry_age(expiry=stored.expire_date))
        return data

    def save(self, must_create: bool = False) -> None:
        connection = connections[router.db_for_write(self.model)]
        if self.session_key is None or connection.in_atomic_block:
            super().save(must_create)  # creates a key, or inside a transaction: Django's way
        else:
            # One fixed statement, not the ORM's BEGIN/UPDATE/COMMIT: in autocommit a refused
            # INSERT or an UPDATE of no row leaves nothing to roll back, and every cart change
            # saves (compiling the ORM's write cost more than the database's work).
            data = self._get_session(no_load=must_create)
            values = [self.encode(data), self.get_expiry_date(), self.session_key]
            table = connection.ops.quote_name(self.model._meta.db_table)
            with connection.cursor() as cursor:
                if must_create:
                    try:
                        cursor.execute(_INSERT_SQL.format(table=table), values)
                    except IntegrityError:
                        raise CreateError from None
                else:
                    cursor.execute(_UPDATE_SQL.format(table=table), values)
                    if cursor.rowcount != 1:
                        raise UpdateError
        cache_guard.set(self.cache_key, self._session, self.get_expiry_age())

    def delete(self, session_key=None) -> None:
        super().delete(session_key)
        if session_key is None:
            if self.session_key is None:
                return
            session_key = self.session_key
        cache_guard.delete(self.cache_key_prefix + session_key)

    def flush(self) -> None:
        self.clear()
        self.delete(self.session_key)
        self._session_key = None
