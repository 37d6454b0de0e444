"""The dataset contract every layer shares: the Arrow schema, the taxonomy and the version.

The harness, the generator and the Hypothesis strategies read labels through this one
package, so a category, a span field or the version string is defined once."""
