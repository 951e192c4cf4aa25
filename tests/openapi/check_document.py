#!/usr/bin/python3
"""Checks the OpenAPI document Keel serves: the official OAS 3.1 JSON Schema accepts it, every Schema Object in
it is a valid JSON Schema (2020-12), Keel's own conventions hold, and Redocly CLI's lint (redocly.yaml beside
this file) reports no problem.

Run it with /usr/bin/python3 from anywhere. It starts `keel serve` (KEEL_BINARY, else build/release/keel) on a
free loopback port with a temporary SQLite configuration, as the end-to-end suites do, and reads
GET /api/v1/openapi.json, once with the property model listed and once without (see CONFIGURATIONS);
`--document FILE` checks a file instead. It needs python3-jsonschema and the Node.js tools of node_modules/
beside it, which scripts/install-deps.sh installs from package-lock.json: nothing is downloaded here. It prints
one line per check and exits non-zero if any failed.
"""

import argparse
import json
import os
import pathlib
import re
import subprocess
import sys
import tempfile

import jsonschema

HERE = pathlib.Path(__file__).resolve().parent
ROOT = HERE.parents[1]
NODE_MODULES = HERE / "node_modules"
REDOCLY = NODE_MODULES / "@redocly" / "cli" / "bin" / "cli.js"
# The official OAS 3.1 schema (without Schema Object validation, which check_schema_objects does), as
# @seriousme/openapi-schema-validator ships it: the OpenAPI Initiative's with $dynamicRef written as $ref.
OAS_SCHEMA = NODE_MODULES / "@seriousme" / "openapi-schema-validator" / "schemas" / "v3.1" / "schema.json"
METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
PROBLEM_MEDIA_TYPE = "application/problem+json"
PROBLEM_SCHEMA = "#/components/schemas/Problem"
OPERATION_ID = re.compile(r"^[a-z][a-zA-Z0-9]*$")
MAX_REPORTED = 30


class Checks:
    def __init__(self):
        self.passed = 0
        self.failed = []

    def check(self, problems, what):
        """Passes when `problems` (a list of strings) is empty; prints each otherwise."""
        if not problems:
            self.passed += 1
            print(f"ok    {what}")
            return
        self.failed.append(what)
        print(f"FAIL  {what}: {len(problems)} problem(s)")
        for problem in problems[:MAX_REPORTED]:
            print(f"      {problem}")
        if len(problems) > MAX_REPORTED:
            print(f"      ... and {len(problems) - MAX_REPORTED} more")


# The document is checked as two configurations serve it: the default (the property model listed in ml.models,
# with no version trained in the fresh data directory, so its routes exist and answer 503) and the end-to-end
# suites' (no model listed, so PropertyAI registers no routes).
CONFIGURATIONS = {
    "default ml.models": {"ml.models": ["property"]},
    "ml.models = []": {"ml.models": []},
}


def served_document(config):
    """The document a freshly started `keel serve` answers with."""
    sys.path.insert(0, str(ROOT / "tests" / "e2e"))
    from keel import Keel  # the e2e harness: binary, free port, temporary config and data

    with Keel(config, instances=1) as keel:  # reads the document as it starts
        return keel.api.document


def pointer(path):
    return "/" + "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in path)


def resolve(document, node):
    """node, or what its local $ref names (followed until it is no reference)."""
    seen = set()
    while isinstance(node, dict) and isinstance(node.get("$ref"), str) and node["$ref"].startswith("#/"):
        ref = node["$ref"]
        if ref in seen:
            return None
        seen.add(ref)
        node = document
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(node, dict) or part not in node:
                return None
            node = node[part]
    return node


def operations(document):
    for path, item in document.get("paths", {}).items():
        for method in METHODS:
            if method in item:
                yield path, method, item[method]


def check_oas_schema(document):
    schema = json.loads(OAS_SCHEMA.read_text())
    validator = jsonschema.Draft202012Validator(schema)
    errors = []
    for error in validator.iter_errors(document):
        # The deepest cause says most.
        while error.context:
            error = max(error.context, key=lambda e: len(e.absolute_path))
        errors.append(error)
    # An invalid member also makes each object above it fail unevaluatedProperties: those only repeat it.
    causes = [e for e in errors if e.validator != "unevaluatedProperties"] or errors
    causes.sort(key=lambda e: [str(p) for p in e.absolute_path])
    return [f"{pointer(e.absolute_path)}: {e.message[:300]}" for e in causes]


def schema_objects(document):
    """(where, schema) for every Schema Object: components.schemas and each schema of a parameter, header or
    media type."""
    for name, schema in document.get("components", {}).get("schemas", {}).items():
        yield f"/components/schemas/{name}", schema

    def walk(node, path):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == "schema" and isinstance(value, dict) and path[:2] != ["components", "schemas"]:
                    yield pointer(path + [key]), value
                elif not (path == ["components"] and key == "schemas"):
                    yield from walk(value, path + [key])
        elif isinstance(node, list):
            for i, value in enumerate(node):
                yield from walk(value, path + [i])

    yield from walk(document, [])


def check_schema_objects(document):
    problems = []
    for where, schema in schema_objects(document):
        try:
            jsonschema.Draft202012Validator.check_schema(schema)
        except jsonschema.SchemaError as e:
            problems.append(f"{where}{pointer(e.absolute_path) if e.absolute_path else ''}: {e.message[:300]}")
    return problems


def check_conventions(document):
    """Keel's rules beyond the linter's: camelCase operationIds, security on every operation, and every error
    (4xx and 5xx) is problem+json with the Problem schema (or one built on it)."""
    problems = []
    for path, method, operation in operations(document):
        where = f"{method.upper()} {path}"
        operation_id = operation.get("operationId")
        if not isinstance(operation_id, str) or not OPERATION_ID.match(operation_id):
            problems.append(f"{where}: operationId {operation_id!r} is not camelCase")
        if "security" not in operation:
            problems.append(f"{where}: declares no security (bearer, or [] for a public operation)")
        for status, response in operation.get("responses", {}).items():
            if status[0] not in "45":
                continue
            content = (resolve(document, response) or {}).get("content", {})
            schema = content.get(PROBLEM_MEDIA_TYPE, {}).get("schema")
            if set(content) != {PROBLEM_MEDIA_TYPE} or schema is None:
                problems.append(f"{where} {status}: not only {PROBLEM_MEDIA_TYPE} with a schema")
            elif not is_problem_schema(document, schema):
                problems.append(f"{where} {status}: the schema is not {PROBLEM_SCHEMA} nor built on it")
    return problems


def is_problem_schema(document, schema):
    if schema.get("$ref") == PROBLEM_SCHEMA:
        return True
    target = resolve(document, schema)
    return isinstance(target, dict) and any(
        isinstance(part, dict) and part.get("$ref") == PROBLEM_SCHEMA for part in target.get("allOf", []))


def lint(document):
    """Redocly CLI's problems, one line each: severity, rule, where (a JSON pointer) and what."""
    if not REDOCLY.exists():
        return [f"{REDOCLY.relative_to(ROOT)} is missing: run scripts/install-deps.sh"]
    with tempfile.TemporaryDirectory(prefix="keel-openapi-") as directory:
        path = pathlib.Path(directory) / "openapi.json"
        path.write_text(json.dumps(document, indent=2))
        env = dict(os.environ, REDOCLY_TELEMETRY="off", REDOCLY_SUPPRESS_UPDATE_NOTICE="true", NO_COLOR="1")
        linted = subprocess.run(["node", str(REDOCLY), "lint", "--config", str(HERE / "redocly.yaml"),
                                 "--format", "json", "--max-problems", "1000", str(path)],
                                capture_output=True, text=True, env=env, timeout=120)
    try:
        report = json.loads(linted.stdout)
    except json.JSONDecodeError:
        return [f"redocly lint exited with {linted.returncode} and no report:"] + \
            (linted.stdout + linted.stderr).strip().splitlines()[-20:]
    problems = []
    for problem in report.get("problems", []):
        where = ", ".join(location.get("pointer", "?") for location in problem.get("location", []))
        problems.append(f"{problem.get('severity')} {problem.get('ruleId')} at {where}: {problem.get('message')}")
    if linted.returncode != 0 and not problems:
        problems = [f"redocly lint exited with {linted.returncode}:"] + linted.stderr.strip().splitlines()[-20:]
    return problems


def check_all(document, checks, label):
    suffix = f" [{label}]" if label else ""
    checks.check(check_oas_schema(document), "valid against the OAS 3.1 JSON Schema" + suffix)
    checks.check(check_schema_objects(document), "every Schema Object is a valid JSON Schema 2020-12 schema" + suffix)
    checks.check(check_conventions(document), "operationIds, security and problem+json errors throughout" + suffix)
    checks.check(lint(document), "redocly lint (tests/openapi/redocly.yaml) finds no problem" + suffix)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--document", help="check this file instead of the documents keel serves")
    args = parser.parse_args()
    checks = Checks()
    if args.document:
        check_all(json.loads(pathlib.Path(args.document).read_text()), checks, "")
    else:
        for label, config in CONFIGURATIONS.items():
            check_all(served_document(config), checks, label)
    print(f"{checks.passed} passed, {len(checks.failed)} failed")
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
