"""Writes the fuzz targets' seed corpora into a directory, one folder per target: the HTTP conformance cases
(tests/e2e/http_cases.py) whole and cut into small reads, JSON bodies the API takes and refuses, query strings,
cron expressions and config files. Usage: seed_corpora.py OUT_DIR"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "tests", "e2e"))
from http_cases import CASES  # noqa: E402

JSON_BODIES = [
    b'{"title": "write the report", "done": false}', b'{"title": "  x  ", "meta": {"a": [1, 2, {"b": null}]}}',
    b'{"title": 5}', b'{"title": "a", "title": "b"}', b'[1, 2, 3]', b'{"done": 1e400}', b'{"title": "\\ud800"}',
    b'{', b'', b'{"title": "\xff\xfe"}', b'{"a": ' * 50 + b'1' + b'}' * 50,
]
PREDICTIONS = [
    b'{"features": {"area": 120, "rooms": 3, "year": 1999}}',
    b'{"instances": [{"area": 120, "rooms": 3, "year": 1999}, {"area": 80, "rooms": 2, "year": 2010}]}',
    b'{"features": {"area": NaN, "rooms": Infinity, "year": -1}}', b'{"features": {"area": "120"}}',
    b'{"instances": []}', b'{"features": {"area": 120, "rooms": 3, "year": 1999, "pool": 1}}',
]
QUERIES = [
    b"/api/v1/tasks\npage=2&per_page=50", b"/api/v1/tasks/abc%2Fdef\nstatus=done&page=0",
    b"/api/v1/models/property/predict\nper_page=1000", b"/health\npage=-1&per_page=%41", b"//x/../y\n%zz&&=",
    b"/api/v1/apps/a/rules/versions/3\npage=99999999999999999999",
]
EVENTS = [
    b'{"event": "signup", "properties": {"plan": "pro", "email": "a@b.co", "seats": 3, "tags": ["x"]}}',
    b'{"events": [{"event": "purchase", "timestamp": "2026-12-02T10:00:00Z", "properties": {"amount": 5,'
    b' "at": "2026-12-02T10:00:00.5+01:00", "id": "123e4567-e89b-12d3-a456-426614174000", "ip": "10.0.0.1",'
    b' "items": [1, null]}}, {"event": "pageview", "user_id": "u1"}]}',
    b'{"event": "signup", "properties": {"plan": "gold", "x": 1, "seats": 0.5, "tags": ["Bad", 1]}}',
    b'{"events": []}', b'{"event": "", "extra": 1}', b'{"events": [7, {"properties": []}]}',
]
MULTIPART_TYPE = b"multipart/form-data; boundary=XyZ\n"
MULTIPARTS = [
    b'--XyZ\r\nContent-Disposition: form-data; name="files"; filename="a.jpg"\r\nContent-Type: image/jpeg\r\n\r\n'
    b'\xff\xd8\xff\xe0\r\n--Xy\r\n\r\n--XyZ\r\nContent-Disposition: form-data; name=format\r\n\r\nglb\r\n--XyZ--\r\n',
    b'preamble\r\n--XyZ  \r\nContent-Disposition: form-data; name="f"; filename*=UTF-8\'\'%C3%A9.png\r\n\r\n'
    b'\r\n--XyZ--epilogue',
    b'--XyZ\r\nContent-Disposition: form-data; name="a\\"b"\r\n\r\nx\r\n--XyZ', b'--XyZ\r\n\r\n\r\n--XyZ--',
]
CRONS = [b"* * * * *", b"0 3 * * *", b"*/15 9-17 * * MON-FRI", b"0 0 29 2 *", b"30 0 0 1 1 *", b"@hourly",
         b"0 0 31 2 *", b"61 * * * *", b"0 0 1-31/7 JAN,JUL SUN"]
CONFIGS = [
    b'[server]\nport = 8080\nhost = "127.0.0.1"\n[database]\nurl = "sqlite://var/keel.db"\n',
    b'[server]\nport = 70000\n', b'[cors]\nallowed_origins = ["https://a.example", 5]\n',
    b'[ratelimit]\nenabled = true\napi_burst = 100\n[log]\nlevel = "debug"\n', b'[server\nport = 1\n',
    b'[kv]\nurl = "redis://:secret@127.0.0.1:6379/0"\n',
]


def write(folder, name, data):
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def main(out):
    for case in CASES:
        # The first byte is how many bytes each read delivers (0: all at once), as http_connection_fuzz reads it.
        for piece in (0, 1, 7):
            write(os.path.join(out, "http_connection_fuzz"), f"{case.name}-{piece}", bytes([piece]) + case.wire)
    for i, body in enumerate(JSON_BODIES):
        write(os.path.join(out, "json_input_fuzz"), f"body-{i}", body)
    for i, body in enumerate(PREDICTIONS + JSON_BODIES):
        write(os.path.join(out, "prediction_input_fuzz"), f"body-{i}", body)
    for i, body in enumerate(EVENTS + JSON_BODIES):
        write(os.path.join(out, "event_batch_fuzz"), f"body-{i}", body)
    for i, query in enumerate(QUERIES):
        write(os.path.join(out, "query_fuzz"), f"query-{i}", query)
    for i, body in enumerate(MULTIPARTS):
        for piece in (0, 1, 5):
            write(os.path.join(out, "multipart_fuzz"), f"body-{i}-{piece}", bytes([piece]) + MULTIPART_TYPE + body)
    for i, cron in enumerate(CRONS):
        write(os.path.join(out, "cron_fuzz"), f"cron-{i}", cron)
    for i, config in enumerate(CONFIGS):
        write(os.path.join(out, "config_fuzz"), f"config-{i}", config)


if __name__ == "__main__":
    main(sys.argv[1])
