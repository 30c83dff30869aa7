"""The article's revisions in the admin: the list, a diff between two, and "restore".

A mixin of ``ArticleAdmin`` (its URLs beside History, its pages in the
admin's chrome). Every page asks ``article_get_editable`` first: who may not
change the article gets a 404 for it, whatever id or number was typed, as for
an article that does not exist. Reads through the selectors, the restore
through ``article_revision_restore``.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.admin.utils import unquote
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext as _

from .models import Article, ArticleRevision
from .revision_diff import revisions_compare
from .selectors import (
    article_get_editable,
    revision_get,
    revision_latest,
    revision_list_for_article,
    revision_previous,
    revision_restore_plan,
)
from .services import article_revision_restore

REVISIONS_PER_PAGE = 50


class ArticleRevisionsMixin:
    """Put before ``ServiceAuditedModelAdmin`` in ``ArticleAdmin``'s bases."""

    def get_urls(self):
        prefix = f"{self.model._meta.app_label}_{self.model._meta.model_name}"
        view = self.admin_site.admin_view
        pages = [
            ("<str:object_id>/revisions/", self.revisions_view, "revisions"),
            ("<str:object_id>/revisions/compare/", self.revision_compare_view, "revision_compare"),
            ("<str:object_id>/revisions/<str:number>/", self.revision_view, "revision"),
            (
                "<str:object_id>/revisions/<str:number>/restore/",
                self.revision_restore_view,
                "revision_restore",
            ),
        ]
        # Before the admin's own: its "<path:object_id>/" catch-all would take them.
        return [
            *(path(route, view(page), name=f"{prefix}_{name}") for route, page, name in pages),
            *super().get_urls(),
        ]

    # Pages ------------------------------------------------------------------

    def revisions_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        article = self._editable_or_404(request, object_id)
        revisions = revision_list_for_article(article=article, user=request.user)
        paginator = Paginator(revisions, REVISIONS_PER_PAGE)
        # get_page: a page number that is no number, or past the end, is the first or last page.
        page = paginator.get_page(request.GET.get("p"))
        return self._render(
            request,
            "admin/content/article/revisions.html",
            article,
            title=_("Revisions: %(item)s") % {"item": article},
            page=page,
            page_range=paginator.get_elided_page_range(page.number),
            # The newest is the first row of the first page: no query of its own.
            latest_number=page.object_list[0].number if page.number == 1 and page else None,
        )

    def revision_view(self, request: HttpRequest, object_id: str, number: str) -> HttpResponse:
        """Revision ``number`` against ``?against=`` (by default the revision before it)."""
        article = self._editable_or_404(request, object_id)
        new = self._revision_or_404(request, article, number)
        against = request.GET.get("against")
        if against is None:
            old = revision_previous(revision=new)
        else:
            old = self._revision_or_404(request, article, against)
        return self._diff(request, article, old, new)

    def revision_compare_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        """The list's "compare" form: any two revisions, the older on the left."""
        article = self._editable_or_404(request, object_id)
        first = self._revision_or_404(request, article, request.GET.get("from", ""))
        second = self._revision_or_404(request, article, request.GET.get("to", ""))
        old, new = sorted((first, second), key=lambda revision: revision.number)
        return self._diff(request, article, old if old.pk != new.pk else None, new)

    def revision_restore_view(
        self, request: HttpRequest, object_id: str, number: str
    ) -> HttpResponse:
        """GET: what restoring would change, and what it keeps; POST: restore."""
        article = self._editable_or_404(request, object_id)
        revision = self._revision_or_404(request, article, number)
        if request.method == "POST":
            return self._restore(request, article, revision)
        current = revision_latest(article=article)
        plan = revision_restore_plan(revision=revision, article=article, user=request.user)
        return self._render(
            request,
            "admin/content/article/revision_restore.html",
            article,
            title=_("Restore revision %(number)d?") % {"number": revision.number},
            revision=revision,
            current=current,
            fields=[f for f in revisions_compare(current, revision) if f.changed],
            notes=plan.notes,
        )

    # Helpers ----------------------------------------------------------------

    def _restore(
        self, request: HttpRequest, article: Article, revision: ArticleRevision
    ) -> HttpResponse:
        try:
            restored = article_revision_restore(revision=revision, by=request.user)
        except ValidationError as error:
            # A rule of today that the revision breaks: said, nothing written.
            messages.error(
                request,
                _("Revision %(number)d cannot be restored: %(reasons)s")
                % {"number": revision.number, "reasons": " ".join(error.messages)},
            )
            return HttpResponseRedirect(self._url("revision", article, revision.number))
        for note in restored.notes:
            messages.warning(request, note)
        if restored.revision is None:
            messages.info(
                request,
                _("The item is already what revision %(number)d was.")
                % {"number": revision.number},
            )
        else:
            messages.success(
                request,
                _("Restored revision %(number)d as revision %(new)d.")
                % {"number": revision.number, "new": restored.revision.number},
            )
        return HttpResponseRedirect(
            reverse(f"{self.admin_site.name}:content_article_change", args=[article.pk])
        )

    def _diff(
        self,
        request: HttpRequest,
        article: Article,
        old: ArticleRevision | None,
        new: ArticleRevision,
    ) -> HttpResponse:
        fields = revisions_compare(old, new)
        latest = revision_latest(article=article)
        return self._render(
            request,
            "admin/content/article/revision_diff.html",
            article,
            title=(
                _("Revision %(new)d against revision %(old)d")
                % {"new": new.number, "old": old.number}
                if old is not None
                else _("Revision %(number)d") % {"number": new.number}
            ),
            old=old,
            new=new,
            old_label=(
                _("Revision %(number)d") % {"number": old.number}
                if old is not None
                else _("Before")
            ),
            new_label=_("Revision %(number)d") % {"number": new.number},
            changed=[f for f in fields if f.changed],
            unchanged=[f for f in fields if not f.changed],
            is_latest=latest is not None and latest.pk == new.pk,
        )

    def _editable_or_404(self, request: HttpRequest, object_id: str) -> Article:
        article = article_get_editable(user=request.user, article_id=unquote(object_id))
        if article is None:
            raise Http404("No item with this id that you may change.")
        return article

    def _revision_or_404(
        self, request: HttpRequest, article: Article, number: str
    ) -> ArticleRevision:
        revision = revision_get(article=article, number=number, user=request.user)
        if revision is None:
            raise Http404("No such revision of this item.")
        return revision

    def _url(self, name: str, article: Article, *args: Any) -> str:
        return reverse(f"{self.admin_site.name}:content_article_{name}", args=[article.pk, *args])

    def _render(
        self, request: HttpRequest, template: str, article: Article, **context: Any
    ) -> TemplateResponse:
        opts = self.model._meta
        return TemplateResponse(
            request,
            template,
            {
                **self.admin_site.each_context(request),
                "opts": opts,
                "original": article,
                "article": article,
                "has_view_permission": True,
                **context,
            },
        )
