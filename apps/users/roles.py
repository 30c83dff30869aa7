"""The four roles, as Django groups (created by migration 0002_roles).

- administrator: everything in the admin, including people, roles, site
  settings, history and the operations page;
- editor: writes, publishes and archives anyone's content;
- author: writes drafts of their own (the admin hides the rest);
- reader: signs in to the public site; no admin access.

Staff status (``is_staff``) is what lets someone into the admin at all; the
group says what they may do there.
"""

ADMINISTRATOR = "administrator"
EDITOR = "editor"
AUTHOR = "author"
READER = "reader"
ROLES = (ADMINISTRATOR, EDITOR, AUTHOR, READER)
