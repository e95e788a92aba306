"""The harness's output: each invariant with its examples (stderr), then ONE JSON line (stdout, last)."""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Sequence
from typing import Any

from bench.system.faults import Fault
from bench.system.invariants import Finding
from bench.system.traders import Trader


def print_findings(findings: Sequence[Finding]) -> None:
    for f in findings:
        mark = "ok  " if f.violations == 0 else "FAIL"
        kinds = {k: n for k, n in f.kinds.items() if k}
        detail = json.dumps({**({"by_kind": kinds} if kinds else {}), **f.details}, default=str)
        print(f"{mark} {f.name}: {f.violations} violation(s) {detail}", file=sys.stderr)
        for example in f.examples:
            print(f"       e.g. {example}", file=sys.stderr)


def client_summary(traders: Sequence[Trader]) -> dict[str, Any]:
    requests: Counter[str] = Counter()
    errors: Counter[str] = Counter()
    for t in traders:
        requests.update(t.stats.requests)
        errors.update(t.stats.errors)
    return {
        "requests": sum(requests.values()),
        "connection_errors": sum(t.stats.conn_errors for t in traders),
        "errors_top": dict(errors.most_common(12)),
    }


def summary(
    findings: Sequence[Finding],
    faults: Sequence[Fault],
    throughput: dict[str, Any],
    extra: dict[str, Any],
) -> dict[str, Any]:
    violations = {f.name: f.violations for f in findings}
    return {
        "violations": violations,
        "violations_total": sum(violations.values()),
        "faults": [f.to_json() for f in faults],
        "throughput": throughput,
        **extra,
    }
