"""The practice app's section of a child's page: the contact log."""

from common.registry import CHILD_PAGE_SECTIONS
from practice.views import child_section

CHILD_PAGE_SECTIONS.register(child_section)
