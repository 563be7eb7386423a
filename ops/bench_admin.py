"""The Django admin's list of children, for the bench's peer row only.

Children are not in Safeguard's own admin: a child's record is opened through
the permission helpers and the audit trail, and the admin would be a way round
both. The bench times the admin's changelist as the yardstick an organisation
would otherwise use, on a site of its own, served only by this URLconf while the
bench runs (ahead of Safeguard's own URLs, which the pages' menus reverse).
"""

from django.urls import URLPattern, URLResolver, path
from two_factor.admin import AdminSiteOTPRequired

from children.models import Child
from common.admin import ReadOnlyAdmin
from safeguard.urls import urlpatterns as safeguard_urlpatterns

site = AdminSiteOTPRequired(name="bench_admin")


class ChildAdmin(ReadOnlyAdmin):
    list_display = ["last_name", "first_name", "date_of_birth", "organisation", "active_from"]
    list_filter = ["organisation"]
    search_fields = ["last_name", "first_name"]


site.register(Child, ChildAdmin)

urlpatterns: list[URLPattern | URLResolver] = [
    path("bench-admin/", site.urls),
    *safeguard_urlpatterns,
]
