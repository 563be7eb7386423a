"""The incidents app's section of a child's page."""

from common.registry import CHILD_PAGE_SECTIONS
from incidents.views.chronology import child_section

CHILD_PAGE_SECTIONS.register(child_section)
