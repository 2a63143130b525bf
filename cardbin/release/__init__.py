"""A release: one month's reference tables, validated, stored in DuckDB and served as a whole."""
