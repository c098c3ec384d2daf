"""The trademark and patent query system: records, importers and search."""
