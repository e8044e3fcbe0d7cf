"""Server-rendered pages shared by every role: home, dashboard shell, page helpers."""
