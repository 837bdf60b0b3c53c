"""The TUI's own widgets: a step's form and its repeated-items field."""
