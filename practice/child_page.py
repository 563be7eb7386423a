"""The practice app's sections of a child's page: the contact log, and the
sessions planned for the child."""

from common.registry import CHILD_PAGE_SECTIONS
from practice.planning_views import planned_sessions_section
from practice.views import child_section

CHILD_PAGE_SECTIONS.register(child_section)
CHILD_PAGE_SECTIONS.register(planned_sessions_section)
