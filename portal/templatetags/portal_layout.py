"""Tags of the page layout (templates/base.html).

{% samefor a b ... %}...{% endsamefor %} renders its content once per worker process for each
combination of the values named (and the language and script prefix), then repeats it: for the
parts of every page that are the same for everyone who has the same roles (the head's links, the
navigation, the footer). Each part costs the template engine a couple of milliseconds in static
and URL lookups and translations; the page pays that once per combination, not on every request.

Only ever wrap what depends on nothing but the values named and the language: never a CSRF token,
a message, a name, the address asked or anything else of one person or one request. The values must
be of a few kinds (booleans, small numbers, short strings, None), so the combinations stay few. The
memory is held by the template's node itself, so a template parsed again (after an edit, with the
development server) starts empty, and any change of settings (tests) empties them all.
"""

from django import template
from django.core.signals import setting_changed
from django.template.loader_tags import BlockNode
from django.urls import get_script_prefix
from django.utils.safestring import mark_safe
from django.utils.translation import get_language

register = template.Library()

# Kinds of value a part may vary on: anything else would let the number of combinations grow without bound.
VARY_KINDS = (bool, int, str, type(None))
MAX_COMBINATIONS = 64
_generation = [0]


def _forget_all(**_signal_arguments) -> None:
    _generation[0] += 1


setting_changed.connect(_forget_all, dispatch_uid="portal.templatetags.portal_layout.forget")


class SameForNode(template.Node):
    # The content is rendered once and kept: template tools that walk the tree (the blocks of an
    # {% extends %}, on every render) need not look inside, where no block may be (see samefor()).
    child_nodelists = ()

    def __init__(self, nodelist, values):
        self.nodelist = nodelist
        self.values = values
        self.rendered: dict = {}
        self.generation = _generation[0]

    def render(self, context):
        values = tuple(value.resolve(context) for value in self.values)
        if not all(isinstance(value, VARY_KINDS) for value in values):
            raise template.TemplateSyntaxError("{% samefor %} varies only on booleans, numbers, strings and None.")
        if self.generation != _generation[0] or len(self.rendered) >= MAX_COMBINATIONS:
            self.rendered, self.generation = {}, _generation[0]
        key = (get_language(), get_script_prefix(), values)
        html = self.rendered.get(key)
        if html is None:
            html = self.rendered[key] = mark_safe(self.nodelist.render(context))
        return html


@register.tag
def samefor(parser, token):
    """{% samefor value ... %} content {% endsamefor %}: see the module's docstring."""
    bits = token.split_contents()[1:]
    nodelist = parser.parse(("endsamefor",))
    parser.delete_first_token()
    if nodelist.get_nodes_by_type(BlockNode):
        raise template.TemplateSyntaxError("{% samefor %} cannot hold a {% block %}: its content is rendered once.")
    return SameForNode(nodelist, [parser.compile_filter(bit) for bit in bits])
