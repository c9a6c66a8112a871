"""Every URL pattern in the URL conf, named and ready to fill in."""

from django.urls import URLPattern, URLResolver, get_resolver


def all_patterns():
    """Yield (name, route, pattern) for every named pattern, including included ones."""

    def walk(patterns, prefix="", namespace=None):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = p.namespace or namespace
                if p.namespace and namespace:
                    ns = f"{namespace}:{p.namespace}"
                yield from walk(p.url_patterns, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                name = p.name
                if name and namespace:
                    name = f"{namespace}:{name}"
                yield name, prefix + str(p.pattern), p

    yield from walk(get_resolver().url_patterns)


# Third-party URL groups: allauth's own account pages and Django's admin are
# tested by their projects; we check them as a group (login required or not).
THIRD_PARTY_PREFIXES = ("accounts/", "admin/")


def own_patterns():
    return [(n, r, p) for n, r, p in all_patterns() if not r.startswith(THIRD_PARTY_PREFIXES)]
