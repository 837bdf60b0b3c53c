"""The TUI's screens, one per file: cases (home), case, new case, procedures, and the dialogs."""
