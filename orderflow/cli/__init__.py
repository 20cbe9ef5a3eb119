"""`flask --app orderflow ...` commands and the demo."""
