"""Interview flows shipped with Candor, as YAML data files."""
