"""fair_share.FairShare: turns between clients, the newest request wins, a bounded wait."""

import threading
import time

import pytest

from fair_share import Busy, FairShare, Superseded


def start(share, client, session, log, hold=0.05, results=None):
    """Call share.run from a thread; results[(client, session)] gets the outcomes, in order."""
    def work():
        log.append((client, session))
        time.sleep(hold)
        return session

    def call():
        try:
            outcome = share.run(client, session, work)
        except (Busy, Superseded) as e:
            outcome = type(e).__name__
        if results is not None:
            results.setdefault((client, session), []).append(outcome)

    thread = threading.Thread(target=call)
    thread.start()
    time.sleep(0.01)  # arrival order
    return thread


def test_clients_take_turns_so_a_crowd_from_one_address_waits_like_anyone():
    share, log, results = FairShare(slots=1, max_wait_s=5, per_client=8), [], {}
    threads = [start(share, "hostile", "h0", log, hold=0.3, results=results)]  # all the rest arrive while it runs
    threads += [start(share, "hostile", f"h{i}", log, results=results) for i in range(1, 5)]
    threads.append(start(share, "polite", "p", log, results=results))
    for t in threads:
        t.join()
    order = [client for client, _ in log]
    assert order.index("polite") == 1  # right after the one running when it came
    assert not [v for outcomes in results.values() for v in outcomes if v in ("Busy", "Superseded")]


def test_the_newest_request_of_a_visitor_replaces_its_waiting_one():
    share, log, results = FairShare(slots=1, max_wait_s=5), [], {}
    threads = [start(share, "a", "runner", log, hold=0.2, results=results)]
    threads += [start(share, "b", "page", log, results=results) for _ in range(3)]  # one page, three drawings
    for t in threads:
        t.join()
    assert [s for _, s in log] == ["runner", "page"] and results[("b", "page")].count("Superseded") == 2


def test_a_request_that_waits_too_long_is_told_busy():
    share, log, results = FairShare(slots=1, max_wait_s=0.1), [], {}
    threads = [start(share, "a", "slow", log, hold=0.5, results=results), start(share, "b", "late", log, results=results)]
    for t in threads:
        t.join()
    assert results[("b", "late")] == ["Busy"] and log == [("a", "slow")]


def test_too_many_waiting_requests_from_one_address_are_refused_at_once():
    share, log, results = FairShare(slots=1, max_wait_s=5, per_client=2), [], {}
    threads = [start(share, "a", f"s{i}", log, hold=0.1, results=results) for i in range(4)]
    for t in threads:
        t.join()
    assert sum(outcomes == ["Busy"] for outcomes in results.values()) == 1  # one running, two waiting, the fourth refused
    assert share.waiting == share.last_turn == share.running_for == {} and share.running == 0


def test_an_error_in_the_work_frees_the_slot():
    share = FairShare(slots=1, max_wait_s=1)
    with pytest.raises(ZeroDivisionError):
        share.run("a", "s", lambda: 1 / 0)
    assert share.run("b", "s", lambda: "ok") == "ok"


def test_with_two_slots_two_clients_run_at_once_but_one_client_never_runs_two():
    share, log, results = FairShare(slots=2, max_wait_s=5, per_client=8), [], {}
    overlaps = []

    def watch():  # how many ran at once, sampled while the others work
        for _ in range(40):
            overlaps.append((share.running, dict(share.running_for)))
            time.sleep(0.01)

    watcher = threading.Thread(target=watch)
    watcher.start()
    threads = [start(share, "hostile", f"h{i}", log, hold=0.1, results=results) for i in range(3)]
    threads.append(start(share, "polite", "p", log, hold=0.1, results=results))
    for t in threads + [watcher]:
        t.join()
    assert max(running for running, _ in overlaps) == 2  # the polite client ran beside a hostile one
    assert all(n <= 1 for _, per_client in overlaps for n in per_client.values())  # never two of one client
    assert [c for c, _ in log].index("polite") == 1  # it did not wait for the hostile client's queue


class Flag:
    """A stop: work that holds it ends as soon as request() is called."""

    def __init__(self):
        self.requested = threading.Event()

    def request(self):
        self.requested.set()


def test_a_preempting_request_stops_its_own_pages_running_work_and_no_one_elses():
    share, results = FairShare(slots=2, max_wait_s=5), {}
    stops = {"page": Flag(), "other visitor": Flag()}

    def call(client, session, name, order, preempts=False):
        def work():
            return f"{name} stopped" if stops.get(name) and stops[name].requested.wait(5) else f"{name} ran"

        try:
            results[name] = share.run(client, session, work, order, stop=stops.get(name), preempts=preempts)
        except Superseded:
            results[name] = f"{name} superseded"

    def begin(*args, **kwargs):
        thread = threading.Thread(target=call, args=args, kwargs=kwargs)
        thread.start()
        time.sleep(0.05)  # arrival order
        return thread

    threads = [begin("a", "p", "page", 1), begin("b", "q", "other visitor", 1)]
    threads.append(begin("a", "p", "newer drawing", 2))  # waits: it does not stop the running one
    assert share.running == 2 and not stops["page"].requested.is_set()
    threads.append(begin("a", "p", "finished drawing", 3, preempts=True))
    threads[0].join()
    assert not stops["other visitor"].requested.is_set()
    stops["other visitor"].request()  # to end the test
    for t in threads:
        t.join()
    assert results == {"page": "page stopped", "other visitor": "other visitor stopped",
                       "newer drawing": "newer drawing superseded",
                       "finished drawing": "finished drawing ran"}  # fmt: skip
    assert share.waiting == share.running_for == {} and share.running_tickets == [] and share.running == 0


def test_a_drawing_older_than_one_of_its_page_already_there_is_refused_at_once():
    share, started, release = FairShare(slots=1, max_wait_s=5), threading.Event(), threading.Event()
    stop = Flag()

    def running():
        started.set()
        release.wait(5)
        return "ran"

    worker = threading.Thread(target=share.run, args=("a", "p", running, 5), kwargs={"stop": stop})
    worker.start()
    started.wait(5)
    with pytest.raises(Superseded):  # overtaken on the way: drawing 4 arrived after drawing 5
        share.run("a", "p", lambda: "ran", 4)
    with pytest.raises(Superseded):  # the finished drawing is the one running: its answer is on its way
        share.run("a", "p", lambda: "ran", 5, preempts=True)
    assert not stop.requested.is_set()
    release.set()
    worker.join()
    assert share.run("a", "p", lambda: "ran", 4) == "ran"  # nothing newer is there any more
    assert share.waiting == share.running_for == {} and share.running_tickets == []


def test_a_drawing_older_than_one_of_its_page_waiting_is_refused_and_the_newer_one_keeps_its_place():
    share, log, results = FairShare(slots=1, max_wait_s=5), [], {}
    threads = [start(share, "b", "runner", log, hold=0.2, results=results)]  # another visitor keeps the slot
    for number in (7, 6):  # drawing 6 overtaken on the way by drawing 7
        thread = threading.Thread(target=lambda n=number: results.setdefault(n, []).append(run_or_refusal(share, n)))
        thread.start()
        threads.append(thread)
        time.sleep(0.02)
    for t in threads:
        t.join()
    assert results[6] == ["Superseded"] and results[7] == [7]


def run_or_refusal(share, number):
    try:
        return share.run("a", "p", lambda: number, number)
    except (Busy, Superseded) as e:
        return type(e).__name__
