"""The policies app's section of a child's page: their acceptable-use agreement."""

from common.registry import CHILD_PAGE_SECTIONS
from policies.agreement_views import child_section

CHILD_PAGE_SECTIONS.register(child_section)
