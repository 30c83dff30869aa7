from tests.apps_support import (  # noqa: F401 - fixtures
    administrator,
    author,
    editor,
    isolated_caches,
    make_user,
)
