#!/usr/bin/env python3
"""Validates OCSF events against the official OCSF 1.1.0 schema.

The schema is OCSF's own export of 1.1.0 as the PyPI package
`ocsf-json-schema` ships it (ocsf_json_schema/ocsf/1.1.0.json, Apache-2.0,
from schema.ocsf.io), turned by that package into a JSON Schema per class
with the `host` profile applied (it adds `device`). On top of what a JSON
Schema can say, two rules of OCSF are checked here: `type_uid` equals
`class_uid * 100 + activity_id`, and `metadata.version` is 1.1.0, the
version the events claim.

    validate.py FILE.ndjson   one event per line (what `export ocsf` writes)
    validate.py --hec FILE    one Splunk HEC envelope per line; its `event`

Prints `valid N compliance M vulnerability` and exits 0, or prints each
invalid line's number and first errors and exits 1.
"""
import json
import sys

import jsonschema
from ocsf_json_schema import OcsfJsonSchemaEmbedded, get_ocsf_schema

VERSION = "1.1.0"
CLASSES = {2003: "compliance", 2002: "vulnerability"}


def validators():
    ocsf = OcsfJsonSchemaEmbedded(get_ocsf_schema(version=VERSION))
    out = {}
    for uid in CLASSES:
        schema = ocsf.get_class_schema(ocsf.lookup_class_name_from_uid(class_uid=uid), profiles=["host"])
        jsonschema.Draft202012Validator.check_schema(schema)
        out[uid] = jsonschema.Draft202012Validator(schema)
    return out


def problems(event, by_class):
    if not isinstance(event, dict):
        return ["not a JSON object"]
    uid = event.get("class_uid")
    if uid not in by_class:
        return [f"class_uid {uid!r} is not 2002 or 2003"]
    found = [f"{list(e.absolute_path)}: {e.message[:300]}" for e in by_class[uid].iter_errors(event)]
    activity = event.get("activity_id")
    if isinstance(activity, int) and event.get("type_uid") != uid * 100 + activity:
        found.append(f"type_uid {event.get('type_uid')!r} is not class_uid * 100 + activity_id")
    version = (event.get("metadata") or {}).get("version")
    if version != VERSION:
        found.append(f"metadata.version {version!r} is not {VERSION}")
    return found


def main(argv):
    hec = "--hec" in argv
    paths = [a for a in argv if a != "--hec"]
    if len(paths) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    by_class = validators()
    counts = {uid: 0 for uid in CLASSES}
    bad = 0
    with open(paths[0], encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                print(f"line {n}: empty line", file=sys.stderr)
                bad += 1
                continue
            doc = json.loads(line)
            event = doc.get("event") if hec and isinstance(doc, dict) else doc
            found = problems(event, by_class)
            if found:
                bad += 1
                for p in found[:3]:
                    print(f"line {n}: {p}", file=sys.stderr)
                continue
            counts[event["class_uid"]] += 1
    if bad:
        print(f"{bad} invalid event(s)", file=sys.stderr)
        return 1
    print(f"valid {counts[2003]} compliance {counts[2002]} vulnerability")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
