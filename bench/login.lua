-- wrk script for bench/run.sh: POST /auth/login with the benchmark user's correct password as JSON.
-- Credentials come from the environment (BENCH_USER, BENCH_PASSWORD) so nothing secret lives in the repo.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.body = string.format('{"username":"%s","password":"%s"}', os.getenv("BENCH_USER"), os.getenv("BENCH_PASSWORD"))
