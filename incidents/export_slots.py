"""One export per user at a time, across every worker process."""

import fcntl
import gc
import hashlib
import os
import threading
import weakref

from django.conf import settings
from django.db import DatabaseError, connections
from django.http import HttpResponse


class ExportBusy(Exception):
    """The user already has an export streaming: 429, try again when it is done."""

    def response(self):
        return HttpResponse(
            str(self),
            status=429,
            content_type="text/plain; charset=utf-8",
            headers={"Retry-After": "10"},
        )


BUSY = (
    "You already have an export running: wait for its download to finish (or cancel it), "
    "then try again. One export per person runs at a time."
)
#: the advisory lock's first key on PostgreSQL: this lock's namespace ("EXPT")
ADVISORY_NAMESPACE = 0x45585054
_held = set()  # (database, user id) of the slots this process holds
_held_guard = threading.Lock()
# Slots whose stream was collected without being closed. The collector may run in the
# middle of a query, holding the driver's lock on the connection, so it only lists them
# here; the next ``take`` gives them back.
_abandoned = []


class ExportSlot:
    """At most one export per user at a time, across every worker process.

    On PostgreSQL, which may serve web workers on several machines, the slot is a session
    advisory lock; on SQLite, whose database is one machine's file, an ``flock`` on a file
    under ``VAR_DIR/locks``. Both go when their holder dies, a killed worker included. A
    session lock can be taken again by its own session, so the slots this process holds
    are also kept in ``_held``: two exports that meet on one connection are refused too.

    A stream that no server closed (a test's response left unread) gives its slot back once
    it is collected; a second export that finds the slot held in this process collects
    garbage once before it is refused, so an abandoned stream never locks its user out.
    """

    def __init__(self, user, using="default"):
        self.key = (using, user.pk)
        self.connection = connections[using]
        self.handle = None
        self.held = False

    @classmethod
    def take(cls, user):
        """The user's slot, or ``ExportBusy`` when it is taken."""
        slot = cls(user)
        give_back_abandoned()
        if not slot.claim():
            gc.collect()
            give_back_abandoned()
            if not slot.claim():
                raise ExportBusy(BUSY)
        try:
            slot.held = slot.lock()
        finally:
            if not slot.held:
                with _held_guard:
                    _held.discard(slot.key)
        if not slot.held:
            raise ExportBusy(BUSY)
        return slot

    def claim(self):
        """The slot marked as held by this process, unless it already was."""
        with _held_guard:
            if self.key in _held:
                return False
            _held.add(self.key)
            return True

    def lock(self):
        user_id = self.key[1]
        if self.connection.vendor == "postgresql":
            with self.connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_try_advisory_lock(CAST(%s AS integer), CAST(%s AS integer))",
                    [ADVISORY_NAMESPACE, user_id],
                )
                return cursor.fetchone()[0]
        folder = settings.VAR_DIR / "locks"
        folder.mkdir(mode=0o700, parents=True, exist_ok=True)
        if folder.stat().st_uid == os.getuid():
            folder.chmod(0o700)
        # one file per database and user: two databases beside each other (a test run's
        # workers, a bench copy) share VAR_DIR, and their user ids mean different people
        database = hashlib.sha256(str(self.connection.settings_dict["NAME"]).encode())
        name = f"export-{database.hexdigest()[:16]}-user-{user_id}"
        handle = os.open(folder / name, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(handle)
            return False
        self.handle = handle
        return True

    def release(self):
        """Give the slot back; a second call does nothing."""
        if not self.held:
            return
        self.held = False
        try:
            self.unlock()
        except DatabaseError:
            pass  # the session is gone, and its lock with it
        finally:
            with _held_guard:
                _held.discard(self.key)

    def unlock(self):
        if self.handle is not None:
            os.close(self.handle)  # closing the file drops its flock
            self.handle = None
        elif self.connection.vendor == "postgresql":
            with self.connection.cursor() as cursor:
                cursor.execute(
                    "SELECT pg_advisory_unlock(CAST(%s AS integer), CAST(%s AS integer))",
                    [ADVISORY_NAMESPACE, self.key[1]],
                )


def abandon(slot):
    """The collector's callback for a stream never closed: a file closed, no lock taken and
    no query (see ``_abandoned``)."""
    if slot.handle is not None:
        os.close(slot.handle)  # another worker may take the slot at once
        slot.handle = None
    _abandoned.append(slot)


def give_back_abandoned():
    while _abandoned:
        _abandoned.pop().release()


class HeldStream:
    """An export's chunks holding the user's slot until they end, fail or are closed.

    The WSGI server closes a response when it is sent or its client has gone; Django
    calls ``close`` then, even on a stream that never started."""

    def __init__(self, chunks, slot):
        self.chunks = iter(chunks)
        self.slot = slot
        self.collected = weakref.finalize(self, abandon, slot)

    def __iter__(self):
        return self

    def __next__(self):
        try:
            return next(self.chunks)
        except BaseException:
            self.close()
            raise

    def close(self):
        self.collected.detach()
        self.slot.release()
        close = getattr(self.chunks, "close", None)
        if close is not None:
            close()


def held_by(user, chunks):
    """``chunks`` streamed in ``user``'s export slot (``ExportBusy`` when it is taken)."""
    return HeldStream(chunks, ExportSlot.take(user))
