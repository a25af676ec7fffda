"""Fair share of the model between the app's visitors, enforced on the server.

The live canvas calls the model through Gradio's server functions, which bypass Gradio's queue,
so the page's own JavaScript was all that kept one client from crowding out the others. Here:
- a few translations run at once, of different clients: two on a CPU, each then on one core (a client
  alone gets both), four on a GPU;
- visitors (client addresses) take turns: the next turn goes to the waiting client served least
  recently (one that was not waiting at all comes first), so a client holding many connections
  waits for its turn like anyone else, and another visitor waits for at most the translation
  that is running;
- a page's newest request replaces its older waiting one (the newest drawing wins), and each
  client has at most `per_client` requests waiting. A page numbers its drawings (`order`), so a
  request that arrives after a newer one of its page is refused at once;
- a request that `preempts` (the drawing as the pen lifts) also stops its page's running one, of an
  older drawing, whose answer no one wants any more, through the `stop` (anything with request())
  that one was given; if its own drawing is running already, it is refused at once;
- a request that waits longer than `max_wait_s` gets a "busy" answer instead of a translation.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field


class Busy(Exception):
    """No turn within the wait allowed, or too many requests from this client already waiting."""


class Superseded(Exception):
    """A newer request of the same page took this one's place, or the same drawing is running already."""


@dataclass(eq=False)
class Ticket:
    session: str
    order: int = 0  # the page's number for its drawing: a higher one is newer
    stop: object = None  # request() ends the work early
    superseded: bool = False
    since: float = field(default_factory=time.monotonic)


class FairShare:
    def __init__(self, slots: int = 1, max_wait_s: float = 5.0, per_client: int = 4):
        self.slots, self.max_wait_s, self.per_client = slots, max_wait_s, per_client
        self.cond = threading.Condition()
        self.waiting: dict[str, deque[Ticket]] = {}  # by client, oldest first
        self.last_turn: dict[str, int] = {}  # of the clients waiting now: when each last had a turn
        self.turns_given = 0
        self.running = 0
        self.running_for: dict[str, int] = {}  # translations running now, by client
        self.running_tickets: list[Ticket] = []

    def run(self, client: str, session: str, fn, order: int = 0, stop=None, preempts: bool = False):
        """fn() when this visitor's turn comes; Busy or Superseded when it does not. order, stop,
        preempts: see the module's notes."""
        ticket = self._enter(client, Ticket(session, order, stop), preempts)
        try:
            self._wait_for_turn(client, ticket)
        except (Busy, Superseded):
            self._leave(client, ticket)
            raise
        try:
            return fn()
        finally:
            with self.cond:
                self.running -= 1
                self.running_for[client] -= 1
                self.running_tickets.remove(ticket)
                self._forget_if_idle(client)
                self.cond.notify_all()

    def _enter(self, client: str, ticket: Ticket, preempts: bool) -> Ticket:
        with self.cond:
            queue = self.waiting.setdefault(client, deque())
            waiting = [t for t in queue if t.session == ticket.session and not t.superseded]
            running = [t for t in self.running_tickets if t.session == ticket.session]
            stale = any(t.order > ticket.order for t in waiting + running)
            if stale or (preempts and any(t.order == ticket.order for t in running)):
                self._forget_if_idle(client)
                raise Superseded()
            live = sum(not t.superseded for t in queue) - len(waiting)
            if live >= self.per_client:
                self._forget_if_idle(client)
                raise Busy(f"{live} requests from this address are already waiting")
            for older in running if preempts else []:
                if older.stop is not None:
                    older.stop.request()
            for older in waiting:
                older.superseded = True
            queue.append(ticket)
            self.cond.notify_all()  # a superseded ticket's waiter must wake up and leave
            return ticket

    def _wait_for_turn(self, client: str, ticket: Ticket) -> None:
        deadline = ticket.since + self.max_wait_s
        with self.cond:
            while True:
                if ticket.superseded:
                    raise Superseded()
                if self.running < self.slots and self._next() is ticket:
                    self._take(client, ticket)
                    return
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise Busy(f"no turn within {self.max_wait_s:g} s")
                self.cond.wait(remaining)

    def _next(self) -> Ticket | None:
        """The ticket whose turn it is: the oldest live one of the client served least recently, among
        clients with nothing running (a client's translations run one at a time)."""
        idle = [c for c in self.waiting if not self.running_for.get(c)]
        live = {c: next((t for t in self.waiting[c] if not t.superseded), None) for c in idle}
        live = {c: t for c, t in live.items() if t is not None}
        if not live:
            return None
        client = min(live, key=lambda c: (self.last_turn.get(c, -1), live[c].since))
        return live[client]

    def _take(self, client: str, ticket: Ticket) -> None:
        """This client's oldest live ticket runs now."""
        queue = self.waiting[client]
        while queue and queue[0].superseded:
            queue.popleft()
        queue.popleft()
        self.turns_given += 1
        self.last_turn[client] = self.turns_given
        self.running += 1
        self.running_for[client] = self.running_for.get(client, 0) + 1
        self.running_tickets.append(ticket)

    def _leave(self, client: str, ticket: Ticket) -> None:
        with self.cond:
            queue = self.waiting.get(client)
            if queue is not None and ticket in queue:
                queue.remove(ticket)
                self._forget_if_idle(client)
            self.cond.notify_all()

    def _forget_if_idle(self, client: str) -> None:
        """A client with nothing waiting or running leaves the books: when it comes back, it comes first."""
        if not any(not t.superseded for t in self.waiting.get(client, ())):
            self.waiting.pop(client, None)
            if not self.running_for.get(client):
                self.running_for.pop(client, None)
                self.last_turn.pop(client, None)
