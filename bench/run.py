"""The benchmark: the portal's pages at UNODC scale, against PostgreSQL and gunicorn with 2 workers.

    make bench                      # = .venv/bin/python bench/run.py
    .venv/bin/python bench/run.py --regenerate --requests 200 --duration 10

For each data set (a tenth, then the full set; each generated once into its own database by
`manage.py generate_scale_data`), it starts gunicorn (2 sync workers, bench.settings) on a
free port and measures every page: latency with one client (median and p95 of --requests
sequential requests on one keep-alive connection) and throughput with eight (wrk, or Python
threads where wrk is missing), each as a multiple of a floor view measured in the same run.
It times a registration submission (one new delegation posted and submitted per request), and
the export of every organization (time and memory growth, in a subprocess). It writes
docs/performance.md with the machine, the command and the tables.
"""

import argparse
import http.client
import json
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
SERVER = "postgres://postgres@127.0.0.1:5432"
# The databases' names can be changed, to work on a copy (CREATE DATABASE x TEMPLATE portal_scale).
DATASETS = {
    "tenth": (os.environ.get("BENCH_TENTH_DATABASE", "portal_scale_tenth"), 0.1),
    "full": (os.environ.get("BENCH_FULL_DATABASE", "portal_scale"), 1.0),
}
HOST = "127.0.0.1"

# Targets of issue 10 and of shared/BENCHMARKS.md.
READ_P95_MS = 100
READ_THROUGHPUT_SHARE = 0.25
SUBMISSION_P95_MS = 200
# Submissions made before the measured ones: each worker's first ones compile the e-mail templates, start
# Celery's producer and run each query the twice psycopg needs to prepare it and the five times PostgreSQL
# plans a prepared query before it keeps a plan; measured, the first ten after five were a quarter slower.
SUBMISSION_WARM_UP = 15
EXPORT_SECONDS = 5
EXPORT_MEMORY_MB = 50
# Paginated pages should not slow down with ten times the data; "flat" allows this much.
FLAT_GROWTH = 1.5
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


@dataclass
class Page:
    key: str
    label: str
    path: str
    who: str = "public"  # or "csu"
    paginated: bool = False
    times_floor: float | None = None  # shared/BENCHMARKS.md's target, median × floor


@dataclass
class Result:
    page: Page
    latencies: list[float] = field(default_factory=list)  # seconds
    throughput: float = 0.0
    floor_throughput: float = 0.0  # the floor's, measured in turns with this page's (see measure_throughput_in_turns)
    status: int = 0
    size: int = 0

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) * 1000

    @property
    def p95(self) -> float:
        return percentile(self.latencies, 95) * 1000


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = (len(ordered) - 1) * q / 100
    low, high = int(index), min(int(index) + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (index - low)


def pages(data: dict) -> list[Page]:
    session = f"/sessions/{data['session']['commission']}/{data['session']['number']}"
    listed = [
        Page("floor", "Floor: minimal view, 2 KB template", "/bench/floor/"),
        Page("directory", "Public directory, search “harm reduction”", "/organizations/?" + urlencode({"q": "harm reduction"}), paginated=True),
        Page(
            "csu_directory", "CSU directory, three filters",
            "/organizations/?" + urlencode({"regional_group": "african", "ecosoc_status": "special", "thematic_area": "drug-policy"}),
            who="csu", paginated=True,
        ),
        Page("organization", "Organization page", f"/organizations/{data['organization']}/"),
        Page("review_queue", "CSU review queue of the session", f"{session}/registrations/", who="csu", paginated=True, times_floor=40),
        Page("programme", "Public programme of the session", f"{session}/programme/", times_floor=10),
        Page("feed", "Programme calendar feed (.ics)", f"{session}/programme.ics", times_floor=30),
    ]
    if data.get("event"):
        listed.append(Page("event", "One side event's page", f"/events/{data['event']}/", times_floor=15))
    if (ROOT / "sessions" / "views" / "statistics.py").exists():
        listed.append(Page("statistics", "Statistics of the session", f"{session}/statistics/", who="csu"))
    return listed


# --- Processes --------------------------------------------------------------------------------------------


def run(command: list[str], *, env: dict | None = None, capture: bool = False) -> str:
    result = subprocess.run(command, cwd=ROOT, env={**os.environ, **(env or {})}, check=True, text=True, stdout=subprocess.PIPE if capture else None)
    return result.stdout if capture else ""


def psql(sql: str, database: str = "postgres") -> str:
    import psycopg

    with psycopg.connect(f"{SERVER}/{database}", autocommit=True) as connection:
        cursor = connection.execute(sql)
        return cursor.fetchone()[0] if cursor.description else ""


def database_ready(name: str) -> bool:
    import psycopg

    try:
        with psycopg.connect(f"{SERVER}/{name}") as connection:
            return connection.execute("SELECT count(*) FROM organizations_organization").fetchone()[0] > 0
    except psycopg.Error:
        return False


def ensure_dataset(name: str, scale: float, *, regenerate: bool) -> None:
    if database_ready(name) and not regenerate:
        # Generated by an earlier run: bring it up to the code's migrations (indexes, functions), keeping the data.
        run([PYTHON, "manage.py", "migrate", "--no-input", "-v0"], env={"DATABASE_URL": f"{SERVER}/{name}"})
        return
    print(f"Generating {name} (scale {scale}) ...", flush=True)
    psql(f"DROP DATABASE IF EXISTS {name}")
    # A natural collation, as the README asks of production.
    psql(f"CREATE DATABASE {name} TEMPLATE template0 LOCALE_PROVIDER icu ICU_LOCALE 'und' LOCALE 'C.UTF-8'")
    env = {"DATABASE_URL": f"{SERVER}/{name}"}
    run([PYTHON, "manage.py", "migrate", "--no-input", "-v0"], env=env)
    started = time.monotonic()
    run([PYTHON, "manage.py", "generate_scale_data", "--scale", str(scale)], env=env)
    print(f"Generated {name} in {time.monotonic() - started:.0f} s", flush=True)


def bench_env(database: str) -> dict:
    return {"DJANGO_SETTINGS_MODULE": "bench.settings", "BENCH_DATABASE_URL": f"{SERVER}/{database}"}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


class Gunicorn:
    def __init__(self, database: str):
        self.port = free_port()
        self.process = subprocess.Popen(
            [str(Path(PYTHON).parent / "gunicorn"), "portal.wsgi:application", "--workers", "2", "--worker-class", "sync",
             "--bind", f"{HOST}:{self.port}", "--log-level", "warning"],
            cwd=ROOT, env={**os.environ, **bench_env(database)},
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                status, _body, _seconds = Client(self.port).get("/bench/floor/")
                if status == 200:
                    return
            except OSError:
                time.sleep(0.3)
        self.stop()
        raise SystemExit("gunicorn did not answer within 60 seconds")

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()


# --- Load -------------------------------------------------------------------------------------------------


class Client:
    """One keep-alive HTTP/1.1 connection."""

    def __init__(self, port: int, cookies: dict[str, str] | None = None):
        self.connection = http.client.HTTPConnection(HOST, port, timeout=60)
        self.headers = {"Cookie": "; ".join(f"{name}={value}" for name, value in (cookies or {}).items())} if cookies else {}

    def request(self, method: str, path: str, body: bytes | None = None, headers: dict | None = None) -> tuple[int, bytes, float]:
        started = time.perf_counter()
        self.connection.request(method, path, body=body, headers={**self.headers, **(headers or {})})
        response = self.connection.getresponse()
        content = response.read()
        return response.status, content, time.perf_counter() - started

    def get(self, path: str) -> tuple[int, bytes, float]:
        return self.request("GET", path)


def cookies_for(page: Page, data: dict) -> dict[str, str]:
    """A signed-in browser has its session and, since the sign-in form, its CSRF cookie; the public's pages are
    asked as by a first visit, with no cookie at all (each answer then makes a new CSRF secret)."""
    return {"sessionid": data["csu_session"], "csrftoken": data["csrf"]} if page.who == "csu" else {}


def measure_latency(port: int, page: Page, data: dict, requests: int) -> Result:
    client = Client(port, cookies_for(page, data))
    result = Result(page)
    for _ in range(max(5, requests // 10)):  # warm-up: caches, the workers' first imports
        result.status, body, _seconds = client.get(page.path)
    result.size = len(body)
    if result.status != 200:
        raise SystemExit(f"{page.path} answered {result.status}")
    for _ in range(requests):
        status, _body, seconds = client.get(page.path)
        if status != 200:
            raise SystemExit(f"{page.path} answered {status}")
        result.latencies.append(seconds)
    return result


def measure_throughput(port: int, page: Page, data: dict, duration: float, clients: int = 8) -> float:
    cookies = cookies_for(page, data)
    if shutil.which("wrk"):
        header = ["-H", "Cookie: " + "; ".join(f"{k}={v}" for k, v in cookies.items())] if cookies else []
        output = subprocess.run(
            ["wrk", "-t2", f"-c{clients}", f"-d{duration:.0f}s", *header, f"http://{HOST}:{port}{page.path}"],
            check=True, text=True, capture_output=True,
        ).stdout
        if "Non-2xx" in output:
            raise SystemExit(f"wrk saw errors on {page.path}:\n{output}")
        return float(next(line for line in output.splitlines() if line.startswith("Requests/sec:")).split()[1])
    # Without wrk: threads, each with its own keep-alive connection.
    counts = [0] * clients
    stop_at = time.monotonic() + duration

    def worker(index: int) -> None:
        client = Client(port, cookies)
        while time.monotonic() < stop_at:
            status, _body, _seconds = client.get(page.path)
            if status != 200:
                raise SystemExit(f"{page.path} answered {status}")
            counts[index] += 1

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(clients)]
    started = time.monotonic()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - started)


def measure_throughput_in_turns(port: int, page: Page, floor: Page, data: dict, duration: float) -> tuple[float, float]:
    """(page's req/s, floor's req/s), measured in turns of at least two seconds each, `duration` seconds for each.

    The machine's speed drifts by a third within minutes (its cores are shared): a floor measured once,
    minutes before the page, would compare the page with another machine. Taking turns, both see the same.
    """
    turns = max(1, int(duration // 2))
    page_rates, floor_rates = [], []
    for _ in range(turns):
        floor_rates.append(measure_throughput(port, floor, data, duration / turns))
        page_rates.append(measure_throughput(port, page, data, duration / turns))
    return statistics.fmean(page_rates), statistics.fmean(floor_rates)


def delegation_form(data: dict, number: int) -> tuple[bytes, str]:
    """A delegation of three people with a letter, as the form posts it on "Save and submit"."""
    end = datetime.fromisoformat(data["session"]["end_date"]).date()
    fields = [("csrfmiddlewaretoken", data["csrf"]), ("participant-TOTAL_FORMS", "3"), ("participant-INITIAL_FORMS", "0"),
              ("participant-MIN_NUM_FORMS", "0"), ("participant-MAX_NUM_FORMS", "10"), ("submit", "1")]
    people = [("BENCHMARK", "Ana María", "female", "MX"), ("SUBMISSION", "Peter John", "male", "KE"), ("TESTPERSON", "Sam", "other", "AT")]
    for index, (family, given, gender, country) in enumerate(people):
        prefix = f"participant-{index}-"
        # Born on different days, spread over 1950-2002 as the generator spreads people: delegations of the
        # same three birthdays would each find every earlier one in the duplicate check, as no real ones do.
        born = date(1950 + (number * 3 + index) % 53, 1 + (number + index * 5) % 12, 1 + (number * 7 + index * 11) % 28)
        fields += [
            (prefix + "participant_id", ""), (prefix + "family_name", f"{family} {number}"), (prefix + "given_names", given),
            (prefix + "gender", gender), (prefix + "nationality", country), (prefix + "date_of_birth", born.isoformat()),
            (prefix + "passport_number", f"B{number:05d}{index}"), (prefix + "passport_expiry", (end + timedelta(days=900)).isoformat()),
            (prefix + "email", f"person{index}.{number}@example.org"), (prefix + "role", "head" if index == 0 else "representative"),
            (prefix + "attendance", "in_person"),
        ]
    boundary = uuid.uuid4().hex
    parts = [f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode() for name, value in fields]
    parts.append(
        f'--{boundary}\r\nContent-Disposition: form-data; name="accreditation_letter"; filename="letter.pdf"\r\n'
        "Content-Type: application/pdf\r\n\r\n".encode() + PDF + b"\r\n"
    )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def measure_submissions(port: int, data: dict) -> Result:
    result = Result(Page("submission", "Registration submission (POST, 3 people and a letter)", "", times_floor=20))
    for number, draft in enumerate(data["drafts"]):
        client = Client(port, {"sessionid": draft["session"], "csrftoken": data["csrf"]})
        body, content_type = delegation_form(data, number)
        path = f"/sessions/registrations/{draft['registration']}/edit/"
        status, content, seconds = client.request(
            "POST", path, body, {"Content-Type": content_type, "X-CSRFToken": data["csrf"], "Referer": f"http://{HOST}:{port}{path}"}
        )
        if status != 302:
            raise SystemExit(f"The submission to {path} answered {status}:\n{content[:3000].decode(errors='replace')}")
        if number >= SUBMISSION_WARM_UP:
            result.latencies.append(seconds)
    result.status = 302
    return result


# --- The report -------------------------------------------------------------------------------------------


@dataclass
class DatasetRun:
    name: str
    database: str
    data: dict
    results: dict[str, Result]
    export: dict
    submission: Result


def machine() -> dict:
    cpu = next((line.split(":", 1)[1].strip() for line in Path("/proc/cpuinfo").read_text().splitlines() if line.startswith("model name")), platform.processor())
    memory_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines() if line.startswith("MemTotal"))
    versions = run([PYTHON, "-c", "import django, gunicorn; print(django.get_version(), gunicorn.__version__)"], capture=True).split()
    wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("\n")[0].split(" [")[0] if shutil.which("wrk") else "none (Python threads)"
    return {
        "cpu": cpu, "cores": os.cpu_count(), "memory": f"{memory_kb / 2**20:.0f} GiB",
        "postgresql": psql("SHOW server_version"), "python": platform.python_version(), "django": versions[0],
        "gunicorn": versions[1], "wrk": wrk, "os": platform.platform(),
    }


def verdict(ok: bool) -> str:
    return "yes" if ok else "**no**"


def write_report(path: Path, runs: list[DatasetRun], command: str, settings: dict) -> bool:
    info = machine()
    all_met = True
    lines = [
        "# Performance at UNODC scale",
        "",
        "Generated by `bench/run.py`; do not edit by hand. Run it again with the command below.",
        "",
        f"- Command: `{command}`",
        f"- Date: {datetime.now(UTC):%Y-%m-%d %H:%M} UTC",
        f"- Machine: {info['cpu']}, {info['cores']} cores, {info['memory']} RAM; {info['os']}",
        f"- Software: PostgreSQL {info['postgresql']}, Python {info['python']}, Django {info['django']}, gunicorn {info['gunicorn']} "
        f"(2 sync workers), load from {info['wrk']}; cache and broker: Redis",
        f"- Latency: {settings['requests']} sequential requests on one keep-alive connection (one client) after a warm-up; "
        f"throughput: {settings['duration']:.0f} s with eight connections, in turns of about two seconds with the floor, "
        "each page's share taken against the floor measured in the same turns (the floor's row: its own run).",
        "- The machine's 2 cores are shared with the load generator, PostgreSQL and other jobs: absolute times vary "
        "between runs and machines. **Figures are also given as multiples of the floor measured in the same run** "
        "(a minimal Django view rendering a 2 KB template through the same middleware), which hold far better.",
        "",
    ]
    for dataset in runs:
        counts = dataset.data["counts"]
        floor = dataset.results["floor"]
        lines += [
            f"## {'Full data set' if dataset.name == 'full' else 'A tenth of the data'} (`{dataset.database}`)",
            "",
            f"{counts['organizations']:,} organizations, {counts['sessions']} sessions, {counts['registrations']:,} registrations "
            f"({counts['registrations_in_session']:,} in {dataset.data['session']['title']}), {counts['participants']:,} participants, "
            f"{counts['side_events']:,} side events ({counts['programme']} on the session's programme).",
            "",
            "| page | p50 ms | p95 ms | req/s (8 clients) | p50 × floor | throughput vs floor | targets | met |",
            "|---|---:|---:|---:|---:|---:|---|---|",
        ]
        for key, result in dataset.results.items():
            ratio = result.p50 / floor.p50
            share = result.throughput / result.floor_throughput
            if key == "floor":
                lines.append(f"| {result.page.label} | {result.p50:.2f} | {result.p95:.2f} | {result.throughput:,.0f} | 1 | 100% | – | – |")
                continue
            checks = [(f"p95 ≤ {READ_P95_MS} ms", result.p95 <= READ_P95_MS), (f"throughput ≥ {READ_THROUGHPUT_SHARE:.0%} of floor", share >= READ_THROUGHPUT_SHARE)]
            if result.page.times_floor:
                checks.append((f"p50 ≤ {result.page.times_floor:g}× floor", ratio <= result.page.times_floor))
            met = all(ok for _text, ok in checks)
            all_met &= met
            lines.append(
                f"| {result.page.label} | {result.p50:.1f} | {result.p95:.1f} | {result.throughput:,.0f} | {ratio:.1f}× | {share:.0%} | "
                f"{'; '.join(text for text, _ok in checks)} | {verdict(met)}{'' if met else ' (' + ', '.join(text for text, ok in checks if not ok) + ')'} |"
            )
        submission = dataset.submission
        ratio = submission.p50 / floor.p50
        met = submission.p95 <= SUBMISSION_P95_MS and ratio <= 20
        all_met &= met
        lines.append(
            f"| {submission.page.label} | {submission.p50:.1f} | {submission.p95:.1f} | – | {ratio:.1f}× | – | "
            f"p95 ≤ {SUBMISSION_P95_MS} ms; p50 ≤ 20× floor | {verdict(met)} |"
        )
        lines += ["", f"Submissions: {len(submission.latencies)} delegations, each a new draft saved with three people and a letter, then submitted (answer: 302 to its page), "
            f"after {SUBMISSION_WARM_UP} not measured that warm the workers up; measured right after the floor's latency, before any load at eight connections.", ""]
        export = dataset.export
        lines += [
            f"Export of all {export['organizations']:,} organizations (CSU's directory export, in a separate process):",
            "",
            "| format | seconds | size | peak traced memory | max RSS growth | targets | met |",
            "|---|---:|---:|---:|---:|---|---|",
        ]
        for name in ("csv", "xlsx"):
            figures = export[name]
            growth = max(figures["peak_mb"], figures["rss_growth_mb"])
            met = figures["seconds"] <= EXPORT_SECONDS and growth < EXPORT_MEMORY_MB
            all_met &= met
            lines.append(
                f"| {name.upper()} | {figures['seconds']:.2f} | {figures['bytes'] / 2**20:.1f} MB | {figures['peak_mb']:.1f} MB | "
                f"{figures['rss_growth_mb']:.1f} MB | ≤ {EXPORT_SECONDS} s; growth < {EXPORT_MEMORY_MB} MB | {verdict(met)} |"
            )
        lines.append("")
    if len(runs) == 2:
        tenth, full = runs
        lines += [
            "## Growth from a tenth of the data to the full set",
            "",
            "Median latency and median as a multiple of its run's floor, full set against a tenth. Paginated pages should "
            f"stay flat (at most {FLAT_GROWTH}× here); the others grow with what they show, not with the database.",
            "",
            "| page | p50 tenth ms | p50 full ms | growth | × floor, tenth | × floor, full | growth × floor | paginated | flat |",
            "|---|---:|---:|---:|---:|---:|---:|---|---|",
        ]
        for key, result in full.results.items():
            if key == "floor" or key not in tenth.results:
                continue
            small = tenth.results[key]
            growth = result.p50 / small.p50
            small_ratio, full_ratio = small.p50 / tenth.results["floor"].p50, result.p50 / full.results["floor"].p50
            flat = full_ratio / small_ratio <= FLAT_GROWTH
            if result.page.paginated:
                all_met &= flat
            lines.append(
                f"| {result.page.label} | {small.p50:.1f} | {result.p50:.1f} | {growth:.2f}× | {small_ratio:.1f}× | {full_ratio:.1f}× | "
                f"{full_ratio / small_ratio:.2f}× | {'yes' if result.page.paginated else 'no'} | {verdict(flat) if result.page.paginated else ('yes' if flat else 'no')} |"
            )
        small, big = tenth.submission, full.submission
        lines.append(f"| {big.page.label} | {small.p50:.1f} | {big.p50:.1f} | {big.p50 / small.p50:.2f}× | – | – | – | no | – |")
        lines.append("")
    lines += [
        "## Set beside shared/BENCHMARKS.md",
        "",
        "| page | our p50 × floor (full set) | our target | pretalx / Indico × floor |",
        "|---|---:|---:|---|",
    ]
    peers = {"programme": "85×", "feed": "1,591×; 2,413×", "event": "144×", "review_queue": "7,445×; 704×", "submission": "37×"}
    full = runs[-1]
    floor = full.results["floor"].p50
    for key, peer in peers.items():
        result = full.submission if key == "submission" else full.results.get(key)
        if result is not None:
            lines.append(f"| {result.page.label} | {result.p50 / floor:.1f}× | ≤ {result.page.times_floor:g}× | {peer} |")
    lines += ["", f"All targets met: {'yes' if all_met else '**no**'}.", ""]
    path.write_text("\n".join(lines))
    return all_met


# --- Main -----------------------------------------------------------------------------------------------------


def bench_dataset(name: str, database: str, args) -> DatasetRun:
    env = bench_env(database)
    data = json.loads(run([PYTHON, "-m", "bench.fixtures", "prepare", str(args.submissions + SUBMISSION_WARM_UP)], env=env, capture=True))
    run(["redis-cli", "-u", args.redis, "FLUSHDB"], capture=True)
    server = Gunicorn(database)
    results: dict[str, Result] = {}
    try:
        listed = pages(data)
        floor_page = listed[0]
        submission = None
        for page in listed:
            if args.pages and page.key not in args.pages and page.key != "floor":
                continue
            result = measure_latency(server.port, page, data, args.requests)
            if page.key == "floor":
                # The submissions right after the floor's latency, before minutes of load at eight connections
                # change the machine's speed: their multiple is taken against this floor.
                if not args.pages or "submission" in args.pages:
                    submission = measure_submissions(server.port, data)
                    print(f"  {name:5} {'submission':14} p50 {submission.p50:7.2f} ms  p95 {submission.p95:7.2f} ms", flush=True)
                result.throughput = result.floor_throughput = measure_throughput(server.port, page, data, args.duration)
            else:
                result.throughput, result.floor_throughput = measure_throughput_in_turns(server.port, page, floor_page, data, args.duration)
            results[page.key] = result
            print(
                f"  {name:5} {page.key:14} p50 {result.p50:7.2f} ms  p95 {result.p95:7.2f} ms  {result.throughput:8.0f} req/s"
                f"  ({result.throughput / result.floor_throughput:.0%} of the floor's {result.floor_throughput:.0f})",
                flush=True,
            )
    finally:
        server.stop()
        run(["redis-cli", "-u", args.redis, "FLUSHDB"], capture=True)
    export = None
    if not args.pages or "export" in args.pages:
        export = json.loads(run([PYTHON, "-m", "bench.fixtures", "export"], env=env, capture=True))
        print(f"  {name:5} export         csv {export['csv']['seconds']:.2f} s, xlsx {export['xlsx']['seconds']:.2f} s", flush=True)
    run([PYTHON, "-m", "bench.fixtures", "cleanup"], env=env, capture=True)
    return DatasetRun(name, database, data, results, export, submission)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--datasets", default="tenth,full", help="comma-separated: tenth, full (default both)")
    parser.add_argument("--regenerate", action="store_true", help="drop and generate the data sets again")
    parser.add_argument("--requests", type=int, default=200, help="sequential requests per page for latency")
    parser.add_argument("--duration", type=float, default=10, help="seconds of throughput per page (eight clients)")
    parser.add_argument("--submissions", type=int, default=100, help="registrations submitted, one per request")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/3", help="Redis database for the cache and broker (emptied)")
    parser.add_argument("--output", default=str(ROOT / "docs" / "performance.md"))
    parser.add_argument(
        "--pages", default="",
        help="only these (comma-separated keys: directory, csu_directory, organization, review_queue, programme, feed, "
        "event, statistics, submission, export), printed and not written to the report: for working on one page",
    )  # fmt: skip
    args = parser.parse_args()
    args.pages = {key.strip() for key in args.pages.split(",") if key.strip()}
    os.environ["BENCH_REDIS_URL"] = args.redis
    names = [name.strip() for name in args.datasets.split(",") if name.strip()]
    run([PYTHON, "manage.py", "collectstatic", "--no-input", "-v0"], env=bench_env(DATASETS[names[0]][0]))
    runs = []
    for name in names:
        database, scale = DATASETS[name]
        ensure_dataset(database, scale, regenerate=args.regenerate)
        runs.append(bench_dataset(name, database, args))
    if args.pages:
        print("Only some pages were measured (--pages): the report is left as it was.")
        return
    command = "make bench" if sys.argv[1:] == [] else "python bench/run.py " + " ".join(sys.argv[1:])
    met = write_report(Path(args.output), runs, command, {"requests": args.requests, "duration": args.duration})
    print(f"Wrote {args.output}; all targets met: {met}")


if __name__ == "__main__":
    main()
