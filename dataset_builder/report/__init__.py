"""report.html: a self-contained page about one release (page), its charts and template."""
