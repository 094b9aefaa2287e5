"""Chinese for the "redis" work (issue 14 items 1, 2, 6): no new msgids. Its messages are
log lines, /healthz's machine-read JSON and `make demo`'s terminal output, none of which
is translated."""

ZH: dict[str, str] = {}
