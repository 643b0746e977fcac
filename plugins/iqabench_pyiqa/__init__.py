"""Built-in pyiqa plugin (needs the optional ``pyiqa`` extra, PolyForm Noncommercial licence)."""
