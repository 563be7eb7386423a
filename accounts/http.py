"""The request a staff page receives.

LoginRequiredMiddleware turns anonymous visitors away before any view not marked
``login_not_required`` runs, so such a view's ``request.user`` is always a staff
User; annotating it as this type says so once instead of narrowing in each view.
It lives here rather than in common/ because it names the User model.
"""

from django.http import HttpRequest

from accounts.models import User


class AuthedRequest(HttpRequest):
    user: User
