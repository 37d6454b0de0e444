"""The detector harness: protocol, adapters, scoring, reports and baseline detectors."""
