"""The one form-step view: a page with one form whose submission is one service
call. GET shows the form; a valid POST calls the service and redirects; a
refusal from the service, or bad input, shows the form again with its errors."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url

from common.forms import service_errors_onto


def form_step(
    request: HttpRequest,
    form: forms.BaseForm,
    *,
    call: Callable[[dict[str, Any]], object],
    then: str | Callable[[object], str],
    title: str,
    back: str,
    intro: str = "",
    done: str | Callable[[object], str] = "",
    button: str = "Save",
    warning: bool = False,
    back_label: str = "Back",
    caption: str = "",
    shown: Callable[[], None] | None = None,
    template: str = "common/form_step.html",
) -> HttpResponse:
    """``call`` gets the cleaned data and makes the one service call; ``then``
    is where to go next (a URL or URL name, or a function of what ``call``
    returned); ``done`` is the success message (or a function of that result);
    ``warning`` marks a button that takes something away. ``back`` (a URL or URL name)
    is the back link, ``caption`` names the record the form is about, and
    ``shown`` runs whenever the form is shown, for pages whose reading is
    audited. ``template`` extends common/form_step.html to lay out its
    ``fields`` block (fieldsets), keeping the rest of the step the same."""
    if request.method == "POST" and form.is_valid():
        try:
            result = call(form.cleaned_data)
        except ValidationError as error:
            service_errors_onto(form, error)
        else:
            message = done(result) if callable(done) else done
            if message:
                messages.success(request, message)
            return redirect(then(result) if callable(then) else then)
    if shown is not None:
        shown()
    return render(
        request,
        template,
        {
            "form": form,
            "title": title,
            "intro": intro,
            "button": button,
            "warning": warning,
            "back": resolve_url(back),
            "back_label": back_label,
            "caption": caption,
        },
    )
