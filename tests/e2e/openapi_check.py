"""Checks each answer the end-to-end suites receive against the OpenAPI document the server itself serves: the
operation (method and path template) must declare the status (or `default`) and the content type, and a JSON or
text body must be valid against the declared schema. An answer the document does not declare fails the test.

Answers for no operation are the platform's and are checked only for their shape (an error is problem+json
valid against the Problem schema): 404 for a path that matches no template, 405 for a method a documented path
does not take, 501 for a method HTTP does not define, OPTIONS (CORS preflight and Allow), and the /api/v1/debug/ routes the suites turn on
(debug.routes), which are test fixtures, not part of the API. An answer without X-Request-ID is not Keel's at all
(the nginx in front of scaled-mode instances answered by itself) and is not checked.

Uses python3-jsonschema (Draft 2020-12); `#/components/...` references resolve against the document."""
import gzip
import http.client
import json
import re
import zlib
from urllib.parse import urlsplit

import jsonschema

DOCUMENT_PATH = "/api/v1/openapi.json"
DOCUMENT_CLIENT = "127.0.0.2"
# Served when debug.routes is on, for the suites only; deliberately left out of the document.
UNDOCUMENTED_PREFIXES = ("/api/v1/debug/",)
PROBLEM_SCHEMA = {"$ref": "#/components/schemas/Problem"}
PROBLEM_MEDIA_TYPE = "application/problem+json"
# The methods HTTP defines (case-sensitive): any other is the platform's 501, whatever the path.
DEFINED_METHODS = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"}


def load_document(port, timeout=10):
    """The document served on 127.0.0.1:port. Asked for from 127.0.0.2, another client address to the server
    (loopback all the same), so the request spends nothing of the test's own per-address rate limit."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout, source_address=(DOCUMENT_CLIENT, 0))
    try:
        conn.request("GET", DOCUMENT_PATH)
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    if response.status != 200:
        raise AssertionError(f"GET {DOCUMENT_PATH} answered {response.status}: {body[:300]!r}")
    return ApiDocument(json.loads(body))


def media_type(value):
    """("type/subtype", {parameter: value}) of a Content-Type or a media type key, lower-cased but for values."""
    essence, *parameters = (value or "").split(";")
    params = {}
    for parameter in parameters:
        name, _, val = parameter.strip().partition("=")
        if name:
            params[name.strip().lower()] = val.strip().strip('"')
    return essence.strip().lower(), params


def media_type_matches(declared, actual):
    """Whether the actual Content-Type is one the declared media type key (maybe a range like text/*, maybe with
    parameters, each of which the actual one must carry) covers."""
    declared_type, declared_params = media_type(declared)
    actual_type, actual_params = media_type(actual)
    if declared_type not in ("*/*", actual_type):
        if not (declared_type.endswith("/*") and actual_type.startswith(declared_type[:-1])):
            return False
    return all(actual_params.get(name, "").lower() == value.lower() for name, value in declared_params.items())


def decoded(body, content_encoding):
    """The body without its Content-Encoding (Keel compresses with gzip when the client accepts it)."""
    coding = content_encoding.strip().lower()
    if coding in ("gzip", "x-gzip"):
        return gzip.decompress(body)
    if coding == "deflate":
        return zlib.decompress(body)
    if coding not in ("", "identity"):
        raise AssertionError(f"cannot check a body with Content-Encoding {content_encoding}")
    return body


def is_json(essence):
    return essence == "application/json" or essence.endswith("+json")


class ApiDocument:
    """The served document, ready to match concrete paths to operations."""

    def __init__(self, document):
        self.document = document
        self.resolver = jsonschema.RefResolver(base_uri="", referrer=document)
        templates = []
        for template, item in document.get("paths", {}).items():
            segments = template.strip("/").split("/")
            pattern = "/".join("[^/]+" if re.fullmatch(r"\{[^/{}]+\}", s) else re.escape(s) for s in segments)
            literal = sum(1 for s in segments if not s.startswith("{"))
            templates.append((-literal, template, re.compile(f"^/{pattern}$"), item))
        # A literal segment wins over a parameter, as in the router.
        self.templates = [(template, regex, item) for _, template, regex, item in sorted(templates)]

    def resolve(self, node):
        while isinstance(node, dict) and "$ref" in node:
            node = self.resolver.resolve(node["$ref"])[1]
        return node

    def match(self, path):
        for template, regex, item in self.templates:
            if regex.match(path):
                return template, item
        return None, None

    def check(self, method, target, status, headers, body):
        """Raises AssertionError naming the request and the problem when the answer is not one the document
        declares. headers: lower-case names."""
        path = urlsplit(target).path
        try:
            self._check(method, path, status, headers, body)
        except AssertionError as e:
            raise AssertionError(f"OpenAPI: {method} {target} answered {status}: {e}\n"
                                 f"  body: {body[:500]!r}") from None

    def _check(self, method, path, status, headers, body):
        if "x-request-id" not in headers:
            # Keel stamps every answer; one without came from the nginx in front (a 502 while an instance is
            # down), not from Keel, and no operation of Keel's is to be held to it.
            return
        content_type = headers.get("content-type")
        body = decoded(body, headers.get("content-encoding", "identity"))
        if method not in DEFINED_METHODS:
            return self._check_platform_answer(status, content_type, body, expected=501)
        if method == "OPTIONS" or path.startswith(UNDOCUMENTED_PREFIXES):
            return self._check_platform_answer(status, content_type, body, expected=None)
        template, item = self.match(path)
        if template is None:
            return self._check_platform_answer(status, content_type, body, expected=404)
        # HEAD answers as GET does, unless the path documents a HEAD of its own (tus's offset).
        operation = item.get(method.lower()) or (item.get("get") if method == "HEAD" else None)
        if operation is None:
            return self._check_platform_answer(status, content_type, body, expected=405)
        where = f"operation {operation.get('operationId', '?')} ({method} {template})"
        responses = operation.get("responses", {})
        declared = responses.get(str(status)) or responses.get(f"{str(status)[0]}XX") or responses.get("default")
        if declared is None:
            raise AssertionError(f"{where} does not declare status {status} (declares {', '.join(responses)})")
        content = self.resolve(declared).get("content", {})
        if method == "HEAD":
            return
        if not body:
            if content:
                raise AssertionError(f"{where} declares a body ({', '.join(content)}) for {status}, but none came")
            return
        if not content:
            raise AssertionError(f"{where} declares no body for {status}, but one came ({content_type})")
        key = next((key for key in content if media_type_matches(key, content_type)), None)
        if key is None:
            raise AssertionError(f"{where} declares {', '.join(content)} for {status}, not {content_type}")
        schema = content[key].get("schema")
        if schema is not None:
            self._validate(schema, media_type(key)[0], body, f"{where}, {status} {key}")

    def _check_platform_answer(self, status, content_type, body, expected):
        """An answer for no operation: the expected status (any, when None) and, for an error, a Problem."""
        if expected is not None and status != expected:
            raise AssertionError(f"no operation matches, so only the platform's {expected} may answer")
        if status >= 400:
            if media_type(content_type)[0] != PROBLEM_MEDIA_TYPE:
                raise AssertionError(f"the platform's error is {content_type}, not {PROBLEM_MEDIA_TYPE}")
            self._validate(PROBLEM_SCHEMA, PROBLEM_MEDIA_TYPE, body, "the platform's error")

    def _validate(self, schema, essence, body, where):
        if self.resolve(schema).get("format") == "binary":
            return  # bytes (a model file, an image): the media type is what the document says of them
        if is_json(essence):
            try:
                value = json.loads(body)
            except ValueError as e:
                raise AssertionError(f"{where}: the body is not JSON ({e})") from None
        else:
            try:
                value = body.decode("utf-8")
            except UnicodeDecodeError:
                raise AssertionError(f"{where}: the body is not UTF-8 text") from None
        validator = jsonschema.Draft202012Validator(schema, resolver=self.resolver)
        error = jsonschema.exceptions.best_match(validator.iter_errors(value))
        if error is not None:
            at = "/" + "/".join(map(str, error.absolute_path))
            raise AssertionError(f"{where}: the body does not match the schema at {at}: {error.message[:300]}")
