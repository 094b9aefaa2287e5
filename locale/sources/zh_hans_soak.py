"""Chinese for the "soak" work (issue 14's soak run): no new msgids. The soak's output is a
bench's terminal report, and the outbox's stable Message-ID is a mail header, neither of
which is translated."""

ZH: dict[str, str] = {}
