"""Summarise checkov's JSON report: every failed check is a failure, and so is every skip that
carries no written justification. Prints one line per finding and a count line; exit 1 on any."""
import json
import sys


def reports(text):
    decoder, pos, out = json.JSONDecoder(), 0, []
    while True:
        while pos < len(text) and text[pos].isspace():
            pos += 1
        if pos >= len(text):
            return out
        doc, pos = decoder.raw_decode(text, pos)
        out.extend(doc if isinstance(doc, list) else [doc])


def main(path):
    passed = failed = skipped = 0
    for report in reports(open(path, encoding="utf-8").read()):
        results = report.get("results") or {}
        passed += len(results.get("passed_checks", []))
        for check in results.get("failed_checks", []):
            failed += 1
            print(f"FAIL {check['check_id']} {check['check_name']}: {check['resource']} ({check.get('file_path')})")
        for check in results.get("skipped_checks", []):
            why = ((check.get("check_result") or {}).get("suppress_comment") or "").strip()
            if not why or why == "No comment provided":
                failed += 1
                print(f"FAIL {check['check_id']} skipped without justification: {check['resource']}")
            else:
                skipped += 1
    print(f"checkov: {passed} passed, {failed} failed, {skipped} skipped with justification")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
