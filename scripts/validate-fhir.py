#!/usr/bin/env python3
"""Validate FHIR R4 (4.0.1) JSON resources against the fhir.resources models.

Usage: validate-fhir.py FILE...   ("-" reads one resource from stdin)

Each resource, or each entry of a Bundle and then the Bundle itself, is
checked on its own so a failure names the exact resource. Prints
"ok Type/id" per valid resource and "FAIL Type/id (file): reason" per
invalid one. Exit status: 0 all valid, 1 some invalid, 2 unreadable input.

Runs in the venv made by scripts/fetch-test-data.sh (fhir.resources 6.4.0,
the last release whose top-level models are R4 4.0.1 rather than R4B/R5).
"""
import json
import re
import sys

try:
    import fhir.resources
    from fhir.resources import fhirtypes, get_fhir_model_class
    from fhir.resources.core.fhirabstractmodel import FHIRAbstractModel
except ImportError:
    sys.exit(
        "validate-fhir: fhir.resources is not importable; run it with the venv "
        "python made by scripts/fetch-test-data.sh"
    )

if fhir.resources.__fhir_version__ != "4.0.1":
    sys.exit(
        f"validate-fhir: fhir.resources {fhir.resources.__version__} models FHIR "
        f"{fhir.resources.__fhir_version__}, not R4 4.0.1"
    )

# FHIR R4's url type is any string without whitespace (regex \S*), and the
# official example Patient/f201 has photo.url "Binary/f006". fhir.resources
# 6.4.0 only lets relative URLs through when they start with "/", so accept
# them without it too. The library only prefix-matches this regex, hence the
# \Z; a colon in the first segment means a scheme, left to the URL check.
fhirtypes.Url.path_regex = re.compile(r"^/?(?P<resourceType>[^\s:/?#]+)([/?#]\S*)?\Z")


def code_errors(model, path):
    """Codes outside their required value set, which the library only records.

    fhir.resources keeps a required binding's codes as field metadata
    (enum_values) without enforcing them, so "gender": "robot" would pass.
    The list comes from the element's short title, which ends in "+" when
    FHIR truncated it: such lists are incomplete, so they are not checked,
    nor is CapabilityStatement.format, whose title is prose ("formats
    supported (xml | json | ttl | mime type)"). Over all 5,300 official R4
    examples no other list rejects a code.
    """
    errors = []
    for name, field in model.__fields__.items():
        value = getattr(model, name, None)
        allowed = field.field_info.extra.get("enum_values")
        if type(model).__name__ == "CapabilityStatement" and field.alias == "format":
            allowed = None
        items = value if isinstance(value, list) else [value]
        for i, item in enumerate(items):
            where = f"{path}.{field.alias}" + (f"[{i}]" if isinstance(value, list) else "")
            if allowed and "+" not in allowed and isinstance(item, str) and item not in allowed:
                errors.append(f"{where}: {item!r} is not one of {' | '.join(allowed)}")
            elif isinstance(item, FHIRAbstractModel):
                errors.extend(code_errors(item, where))
    return errors


def label(resource):
    if not isinstance(resource, dict):
        return "<not a JSON object>"
    return f"{resource.get('resourceType', '<no resourceType>')}/{resource.get('id', '<no id>')}"


def check(resource, source):
    """Validate one resource; return True when valid."""
    name = label(resource)
    try:
        if not isinstance(resource, dict) or "resourceType" not in resource:
            raise ValueError("not a FHIR resource (JSON object with resourceType)")
        try:
            model_class = get_fhir_model_class(resource["resourceType"])
        except KeyError:
            raise ValueError(f"unknown resourceType {resource['resourceType']!r}") from None
        errors = code_errors(model_class.parse_obj(resource), resource["resourceType"])
        if errors:
            raise ValueError(f"{len(errors)} code error(s)\n" + "\n".join(errors))
    except Exception as exc:  # pydantic.ValidationError, unknown type, ...
        reason = str(exc).strip().replace("\n", "\n    ")
        print(f"FAIL {name} ({source}): {reason}", flush=True)
        return False
    print(f"ok {name}", flush=True)
    return True


def check_document(doc, source):
    if isinstance(doc, dict) and doc.get("resourceType") == "Bundle":
        results = [
            check(entry["resource"], f"{source} entry[{i}]")
            for i, entry in enumerate(doc.get("entry") or [])
            if isinstance(entry, dict) and "resource" in entry
        ]
        # The Bundle's own structure is only worth checking once its entries
        # pass; otherwise its errors just repeat theirs.
        return all(results) and check(doc, source)
    return check(doc, source)


def main(paths):
    if not paths:
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    all_valid, unreadable = True, False
    for path in paths:
        try:
            if path == "-":
                doc = json.load(sys.stdin)
            else:
                with open(path, encoding="utf-8") as fh:
                    doc = json.load(fh)
        except (OSError, ValueError) as exc:
            print(f"FAIL {path}: cannot read JSON: {exc}", flush=True)
            unreadable = True
            continue
        all_valid = check_document(doc, path) and all_valid
    return 2 if unreadable else (0 if all_valid else 1)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
