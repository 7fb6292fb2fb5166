"""Memory and time of the grading service while it refuses large uploads (issue 12, item 7).

Starts the service (fake grader, fake hub) under uvicorn in a child process and streams uploads
to it over real HTTP: unauthenticated, authenticated but over ``max_upload_mb``, and three at once.
Prints the service's peak RSS (VmHWM) and how long each refusal took.

    PYTHONPATH=$PWD python benchmarks/service_upload_memory.py [MB]
"""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SERVICE_TESTS = ROOT / "tests" / "service"
CHILD = r"""
import sys, time
sys.path.insert(0, {tests!r})
from pathlib import Path
from svc_fakehub import make_fake_hub
from svc_fakes import FakeGrader
from svc_support import API_TOKEN, LiveServer, hub_environment, make_config
from autograder.service.app import create_app
hub = LiveServer(make_fake_hub(API_TOKEN)).__enter__()
config = make_config(Path({root!r}), max_upload_mb=40)
app = create_app(config, FakeGrader, environment=hub_environment(hub.url))
server = LiveServer(app, port={port}).__enter__()
print("ready", flush=True)
time.sleep(3600)
"""


def rss_peak_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def upload(port: int, size_mb: int, token: str | None) -> tuple[int, float]:
    boundary = "bench"
    head = (f'--{boundary}\r\nContent-Disposition: form-data; name="sheet"\r\n\r\nsheet_3_2\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.ipynb"\r\n\r\n').encode()
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
    headers = {"Content-Type": f"multipart/form-data; boundary={boundary}", "Transfer-Encoding": "chunked"}
    if token:
        headers["Authorization"] = f"token {token}"
    start = time.monotonic()
    connection.putrequest("POST", "/services/autograder/api/submissions")
    for key, value in headers.items():
        connection.putheader(key, value)
    connection.endheaders()
    chunk = b"x" * (1024 * 1024)
    try:
        for piece in [head] + [chunk] * size_mb:
            connection.send(b"%x\r\n%s\r\n" % (len(piece), piece))
        connection.send(b"0\r\n\r\n")
    except OSError:
        pass  # the service answered and closed the connection: what we want
    status = connection.getresponse().status
    return status, time.monotonic() - start


def main() -> None:
    size = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    port = 18000 + os.getpid() % 1000
    with tempfile.TemporaryDirectory() as root:
        child = subprocess.Popen(
            [sys.executable, "-c", CHILD.format(tests=str(SERVICE_TESTS), root=root, port=port)],
            stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
        try:
            assert child.stdout is not None and child.stdout.readline().strip() == "ready"
            print(f"service idle: {rss_mb(child.pid):.0f} MB")
            for label, token in (("unauthenticated", None), ("over the 40 MB cap", "tok-alice")):
                status, seconds = upload(port, size, token)
                print(f"{size} MB {label}: HTTP {status} after {seconds:.2f} s; "
                      f"service peak {rss_peak_mb(child.pid):.0f} MB")
            threads = [threading.Thread(target=upload, args=(port, size, "tok-bob")) for _ in range(3)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            print(f"3 x {size} MB at once: service peak {rss_peak_mb(child.pid):.0f} MB")
            print(f"left under submissions/: {sum(1 for _ in (Path(root) / 'service' / 'submissions').rglob('*'))}")
        finally:
            child.kill()


if __name__ == "__main__":
    main()
