"""Reading Locust's stats CSV, including the N/A it writes for names with no request."""

from bench.scenarios import parse_locust_stats

STATS = (
    "Type,Name,Request Count,Failure Count,Median Response Time,Average Response Time,"
    "Min Response Time,Max Response Time,Average Content Size,Requests/s,Failures/s,"
    "50%,66%,75%,80%,90%,95%,98%,99%,99.9%,99.99%,100%\n"
    "GET,/,120,0,12,14.5,3,80,5000,11.96,0.0,12,14,15,16,20,30,40,60,80,80,80\n"
    "POST,/accounts/login/ [rate-limited],0,0,0,0,0,0,0,0.0,0.0,N/A,N/A,N/A,N/A,N/A,N/A,"
    "N/A,N/A,N/A,N/A,N/A\n"
    ",Aggregated,130,2,12,14.5,3,80,5000,12.96,0.2,12,14,15,16,20,30,40,61,80,80,80\n"
)


def test_parse_locust_stats(tmp_path):
    path = tmp_path / "locust_stats.csv"
    path.write_text(STATS)

    rows = parse_locust_stats(path)

    assert [row.name for row in rows] == ["/", "/accounts/login/ [rate-limited]", "Aggregated"]
    assert (rows[0].requests, rows[0].failures, rows[0].rps, rows[0].p99_ms) == (120, 0, 12.0, 60.0)
    assert rows[1].p50_ms == 0.0
    assert rows[2].failures == 2
