"""Number formatting shared by the reports, so every rendering prints figures alike."""

from __future__ import annotations

from typing import Any

HEADLINE_LABELS: dict[str, str] = {
    "record_sensitive_precision": "Sensitive record precision",
    "record_sensitive_recall": "Sensitive record recall",
    "record_sensitive_f1": "Sensitive record F1",
    "span_strict_precision": "Span precision (strict)",
    "span_strict_recall": "Span recall (strict)",
    "span_strict_f1": "Span F1 (strict)",
    "span_sensitive_precision": "Sensitive span precision (strict)",
    "span_sensitive_recall": "Sensitive span recall (strict)",
    "span_sensitive_f1": "Sensitive span F1 (strict)",
    "span_identifier_precision": "Identifier span precision (strict)",
    "span_identifier_recall": "Identifier span recall (strict)",
    "span_identifier_f1": "Identifier span F1 (strict)",
    "leak_rate_sensitive": "Leak rate, sensitive",
    "leak_rate_identifier": "Leak rate, identifiers",
    "protection_identifier": "Records with every identifier masked",
    "protection_sensitive": "Records with every sensitive span masked",
    "linked_disclosure": "Linked disclosure (patient identifier + fact)",
    "char_leak_rate": "Character leak rate",
    "severity_leak": "Severity-weighted leak",
    "over_redaction": "Over-redaction",
}
"""Human names of the headline metrics, in report order."""


def pct(value: float | None, digits: int = 1) -> str:
    """0.1234 -> '12.3%'; None (not applicable) -> '–'."""
    return "–" if value is None else f"{value * 100:.{digits}f}%"


def ci(block: dict[str, Any] | None) -> str:
    """A headline block as 'value [low, high]'."""
    if not block or block.get("value") is None:
        return "–"
    if block.get("ci_low") is None:
        return pct(block["value"])
    return f"{pct(block['value'])} [{pct(block['ci_low'])}, {pct(block['ci_high'])}]"


def rate(value: float | None) -> str:
    """Comments per second, thousands separated."""
    return "–" if value is None else f"{value:,.0f}"


def megabytes(value: int | None) -> str:
    """Bytes as MB, or '–' where the platform cannot tell."""
    return "–" if value is None else f"{value / 1e6:,.0f} MB"


def millis(value: float | None) -> str:
    """Milliseconds with a precision that suits their size."""
    if value is None:
        return "–"
    return f"{value:.2f} ms" if value < 10 else f"{value:,.0f} ms"


def signed(value: float | None) -> str:
    """A difference of rates in percentage points, with its sign."""
    return "–" if value is None else f"{value * 100:+.1f} pp"
