#!/usr/bin/env python3
"""Validates OCSF events against ocsf-1.1.0-findings.schema.json (beside
this file) with the `jsonschema` package (Draft 2020-12).

    validate.py FILE.ndjson   one event per line (what `export ocsf` writes)
    validate.py --hec FILE    one Splunk HEC envelope per line; its `event`

Prints `valid N compliance M vulnerability` and exits 0, or prints each
invalid line's number and first error and exits 1.
"""
import json
import pathlib
import sys

import jsonschema


def main(argv):
    hec = "--hec" in argv
    paths = [a for a in argv if a != "--hec"]
    if len(paths) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    schema = json.loads(
        (pathlib.Path(__file__).parent / "ocsf-1.1.0-findings.schema.json").read_text()
    )
    jsonschema.Draft202012Validator.check_schema(schema)
    whole = jsonschema.Draft202012Validator(schema)
    # The class's own definition, for messages that name the attribute at
    # fault rather than "matched none of oneOf".
    by_class = {
        uid: jsonschema.Draft202012Validator({"$ref": f"#/$defs/{name}", "$defs": schema["$defs"]})
        for uid, name in ((2003, "compliance_finding"), (2002, "vulnerability_finding"))
    }
    counts = {2003: 0, 2002: 0}
    bad = 0
    with open(paths[0], encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                print(f"line {n}: empty line", file=sys.stderr)
                bad += 1
                continue
            doc = json.loads(line)
            event = doc["event"] if hec else doc
            validator = by_class.get(event.get("class_uid") if isinstance(event, dict) else None, whole)
            errors = list(validator.iter_errors(event))
            if errors or not whole.is_valid(event):
                bad += 1
                for e in errors[:3] or list(whole.iter_errors(event))[:3]:
                    print(f"line {n}: {list(e.absolute_path)}: {e.message[:300]}", file=sys.stderr)
                continue
            counts[event["class_uid"]] += 1
    if bad:
        print(f"{bad} invalid event(s)", file=sys.stderr)
        return 1
    print(f"valid {counts[2003]} compliance {counts[2002]} vulnerability")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
