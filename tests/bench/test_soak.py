"""The soak's bookkeeping (bench/section_soak.py): what counts as an error, lost or duplicated."""
import math

from bench.section_soak import classify, percentile_ms, request_table, run_books

OUTAGE = (100.0, 120.0)  # Redis down from 100 s to 120 s after the first request


def test_success_and_redirects_are_ok_whenever_they_come():
    for status in (200, 202, 302, 304):
        assert classify(status, 5.0, 0.1, None) == "ok"
        assert classify(status, 110.0, 0.1, OUTAGE) == "ok"


def test_429_and_503_are_documented_only_when_in_flight_during_the_outage_or_its_grace():
    assert classify(503, 110.0, 0.1, OUTAGE) == "documented"
    assert classify(429, 100.0, 0.1, OUTAGE) == "documented"
    assert classify(503, 129.0, 0.1, OUTAGE) == "documented"  # reconnect grace of 10 s
    assert classify(503, 99.5, 0.6, OUTAGE) == "documented"  # still waiting when Redis went
    assert classify(503, 131.0, 0.1, OUTAGE) == "error"
    assert classify(503, 99.0, 0.5, OUTAGE) == "error"  # answered before Redis went down
    assert classify(503, 110.0, 0.1, None) == "error"


def test_other_statuses_and_no_answer_are_errors_even_in_the_outage():
    for status in (400, 403, 404, 500, 502, 504, 0, None):
        assert classify(status, 110.0, 0.1, OUTAGE) == "error"


def test_nearest_rank_percentile():
    assert percentile_ms([0.001 * i for i in range(1, 101)], 95) == 95.0
    assert percentile_ms([0.2], 95) == 200.0
    assert math.isnan(percentile_ms([], 95))


def test_request_table_counts_per_endpoint_and_status():
    records = [
        ("health", 50.0, 0.01, 200),
        ("health", 110.0, 0.02, 503),
        ("health", 200.0, 0.03, 503),
        ("run creation", 110.0, 0.04, 202),
        ("run creation", 111.0, 30.0, None),
        ("run creation", 150.0, 0.05, 500),
    ]
    table = request_table(records, OUTAGE)
    assert table["health"]["requests"] == 3
    assert table["health"]["during_outage"] == 1
    assert table["run creation"]["during_outage"] == 2
    assert table["health"]["ok"] == 1
    assert table["health"]["documented"] == {503: 1}
    assert table["health"]["errors"] == {503: 1}
    assert table["run creation"]["errors"] == {"no answer": 1, 500: 1}
    assert table["run creation"]["p95_ms"] == 30_000.0


def event(run_id, old, new, claimed=False, result=False):
    return {"run_id": run_id, "old_status": old, "new_status": new, "claimed": claimed,
            "result_written": result}


def test_run_books_lost_duplicated_and_claimed_again():
    runs = [
        {"id": 1, "status": "succeeded"},
        {"id": 2, "status": "succeeded"},
        {"id": 3, "status": "queued"},
        {"id": 4, "status": "running"},
        {"id": 5, "status": "failed"},
        {"id": 6, "status": "succeeded"},
    ]
    events = [
        event(1, "queued", "running", claimed=True),
        event(1, "running", "succeeded", result=True),
        # Run 2: claimed, its worker killed, taken over (a second claim), one result: fine.
        event(2, "queued", "running", claimed=True),
        event(2, "running", "running", claimed=True),
        event(2, "running", "succeeded", result=True),
        event(4, "queued", "running", claimed=True),
        event(5, "queued", "running", claimed=True),
        event(5, "running", "failed"),
        # Run 6 completed twice: re-opened after success and completed again.
        event(6, "queued", "running", claimed=True),
        event(6, "running", "succeeded", result=True),
        event(6, "succeeded", "running", claimed=True),
        event(6, "running", "succeeded", result=True),
    ]
    books = run_books(runs, events)
    assert books["queued"] == 6
    assert books["finished"] == 4
    assert (books["succeeded"], books["failed"]) == (3, 1)
    assert books["lost"] == [3, 4]
    assert books["duplicated"] == [6]
    assert books["claimed_again"] == 2


def test_a_result_written_twice_is_a_duplicate_even_without_a_second_completion():
    events = [event(7, "running", "succeeded", result=True),
              event(7, "succeeded", "succeeded", result=True)]
    assert run_books([{"id": 7, "status": "succeeded"}], events)["duplicated"] == [7]


def test_cancelled_runs_are_finished_not_lost():
    books = run_books([{"id": 8, "status": "cancelled"}], [])
    assert (books["finished"], books["lost"], books["duplicated"]) == (1, [], [])


def test_log_summary_counts_what_the_processes_said_about_the_faults():
    from bench.section_soak import log_summary

    web_log = (
        "run 12 not sent (broker unavailable); the periodic check will retry\n"
        "sweep runs [13, 14, 15, 16] not sent (broker unavailable); the periodic check will\n"
        "catalog cache unavailable; reading the database\n"
        "Internal Server Error: /api/v1/runs/3\n"
    )
    worker_log = ("[..: WARNING/ForkPoolWorker-1] run 12 re-queued (attempt 2): never reached\n"
                  "[..: WARNING/ForkPoolWorker-2] run 13 re-queued (attempt 2): never reached\n")
    assert log_summary(web_log, worker_log) == {
        "server_errors": 1, "not_sent": 5, "requeued": 2, "cache_down": 1}
