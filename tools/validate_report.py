#!/usr/bin/python3
"""Validates rpcfit report.json files against reports/report.schema.json (JSON Schema 2020-12).

Usage: tools/validate_report.py REPORT.json [...] [--schema PATH]
Prints each problem as "file: json/path: message"; exits 0 when every file is valid, 1 when one
is not, 2 when a file cannot be read. Needs Debian's python3-jsonschema.
"""
import json
import os
import sys

from jsonschema import Draft202012Validator


def main(argv):
    schema_path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "reports",
                               "report.schema.json")
    files = []
    args = iter(argv)
    for arg in args:
        if arg == "--schema":
            schema_path = next(args, None)
            if schema_path is None:
                print("validate_report: --schema needs a path", file=sys.stderr)
                return 2
        else:
            files.append(arg)
    if not files:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    try:
        with open(schema_path, encoding="utf-8") as f:
            schema = json.load(f)
        Draft202012Validator.check_schema(schema)
    except (OSError, ValueError) as e:
        print(f"validate_report: {schema_path}: {e}", file=sys.stderr)
        return 2
    validator = Draft202012Validator(schema)
    status = 0
    for name in files:
        try:
            with open(name, encoding="utf-8") as f:
                document = json.load(f)
        except (OSError, ValueError) as e:
            print(f"{name}: {e}", file=sys.stderr)
            return 2
        for error in sorted(validator.iter_errors(document), key=lambda e: list(map(str, e.path))):
            print(f"{name}: {'/'.join(str(p) for p in error.path)}: {error.message}")
            status = 1
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
