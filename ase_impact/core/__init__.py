"""What every layer shares: settings, submission keys, the référentiel and its vocabularies."""
