"""Policy bodies are Markdown or plain text, rendered without any raw HTML."""

from django import template
from django.utils.safestring import SafeString, mark_safe
from markdown_it import MarkdownIt

register = template.Library()

# html=False escapes any HTML in the text; markdown-it also refuses javascript:
# and other unsafe link schemes. Nothing a policy author types can run.
_markdown = MarkdownIt("commonmark", {"html": False, "linkify": False}).disable("image")


@register.filter
def policy_body(text: str) -> SafeString:
    return mark_safe(_markdown.render(text or ""))  # noqa: S308 - escaped by markdown-it above
