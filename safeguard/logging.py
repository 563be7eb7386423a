"""Keep secrets out of logs: parents' link tokens appear in request paths."""

import logging
import re

# /c/<token>/ (consent request) and /m/<token>/ (manage link).
TOKEN_PATH = re.compile(r"/(c|m)/[A-Za-z0-9_-]{8,}/")


class MaskLinkTokens(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = TOKEN_PATH.sub(r"/\1/[token]/", message)
        if masked != message:
            record.msg, record.args = masked, ()
        return True
