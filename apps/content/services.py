"""Every write to content goes through here, so a grep finds each way it changes."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from apps.siteadmin.models import AuditEntry
from apps.siteadmin.selectors import site_settings_get
from apps.siteadmin.services import (
    audited_delete,
    audited_delete_many,
    audited_update,
    history_change_message,
    history_record,
    model_changed_fields,
)
from filamenta.caching import version_bump

from .models import Article, ArticleMedia, ArticleRevision, Section, TaggedArticle
from .sanitize import sanitize_html

BATCH = 500
TAG_NAME_MAX = 100  # taggit's Tag.name
TAGS_MAX = 50


def article_unique_slug(*, title: str, exclude_pk: int | None = None) -> str:
    """A slug from the title, numbered (``-2``, ``-3``...) when it is taken."""
    base = slugify(title)[:190] or "untitled"
    taken = set(
        Article.objects.filter(slug__startswith=base)
        .exclude(pk=exclude_pk)
        .values_list("slug", flat=True)
    )
    slug, number = base, 2
    while slug in taken:
        slug, number = f"{base}-{number}", number + 1
    return slug


# What a caller may set; the dates are the database's.
ARTICLE_FIELDS = frozenset(
    {
        "title",
        "slug",
        "body",
        "kind",
        "language",
        "translation_of",
        "status",
        "author",
        "published_at",
        "unpublish_at",
        "featured_image",
        "section",
        "tags",
        "meta_description",
    }
)
# What a revision keeps (ArticleRevision), and so what a restore can set back.
REVISION_FIELDS = (
    "title",
    "slug",
    "body",
    "kind",
    "status",
    "published_at",
    "unpublish_at",
    "meta_description",
    "section",
    "featured_image",
)


def article_tag_names(tags: Iterable[Any] | str | None) -> list[str]:
    """Tag names from a list of names or Tag objects (or taggit's "a, b" text), checked.

    Names longer than taggit's column, or too many of them, are a
    ValidationError on ``tags`` rather than a database error: a form shows it.
    """
    from taggit.utils import parse_tags

    if tags is None:
        return []
    if isinstance(tags, str):
        tags = parse_tags(tags)
    names: dict[str, str] = {}
    for tag in tags:
        name = " ".join(str(getattr(tag, "name", tag)).split())
        if not name:
            continue
        if len(name) > TAG_NAME_MAX:
            raise ValidationError(
                {
                    "tags": ValidationError(
                        _("A tag has at most %(limit)d characters (%(given)d given).")
                        % {"limit": TAG_NAME_MAX, "given": len(name)},
                        code="tag_too_long",
                    )
                }
            )
        names.setdefault(name.casefold(), name)
    if len(names) > TAGS_MAX:
        raise ValidationError(
            {
                "tags": ValidationError(
                    _("An item has at most %(limit)d tags.") % {"limit": TAGS_MAX},
                    code="too_many_tags",
                )
            }
        )
    return sorted(names.values(), key=str.casefold)


def _article_tags_set(*, article: Article, names: list[str]) -> None:
    """Set the article's tags to ``names``, creating the tags that do not exist yet."""
    from taggit.models import Tag

    for name in names:
        if slug := tag_fallback_slug(name):
            # taggit would store "" (no address): made here with a slug of its own.
            Tag.objects.get_or_create(name__iexact=name, defaults={"name": name, "slug": slug})
    article.tags.set(names, clear=False)


def tag_fallback_slug(name: str) -> str:
    """A slug for a tag name taggit cannot slugify ("++", "!!!"), or "" for any other name.

    taggit keeps letters and digits of every script ("été", "日本" are their
    own slugs, see apps/content/converters.py); a name with none would get
    an empty slug and no page. Made from the name, so it is the same on
    every site and stays when the tag is renamed, like every tag slug.
    """
    from taggit.models import Tag

    if Tag().slugify(name):
        return ""
    return "tag-" + hashlib.blake2b(name.casefold().encode(), digest_size=4).hexdigest()


def _stored_tag_names(article: Article) -> list[str]:
    return sorted(article.tags.values_list("name", flat=True), key=str.casefold)


def _revision_values(article: Article) -> dict[str, Any]:
    """The article's revision fields, by column (``section_id``), and its section's name."""
    columns = [Article._meta.get_field(name).attname for name in REVISION_FIELDS]
    values = {column: getattr(article, column) for column in columns}
    values["section_name"] = article.section.name if article.section_id else ""
    values["featured_image_title"] = (
        article.featured_image.title if article.featured_image_id else ""
    )
    return values


def article_revision_record(*, article: Article, by: Any, message: str = "") -> ArticleRevision:
    """Keep what ``article`` is now as its next revision (every save calls this)."""
    last = (
        ArticleRevision.objects.filter(article=article)
        .order_by("-number")
        .values_list("number", flat=True)
        .first()
    )
    return ArticleRevision.objects.create(
        article=article,
        number=(last or 0) + 1,
        tags=_stored_tag_names(article),
        created_by=by,
        message=message[:200],
        **_revision_values(article),
    )


def _featured_image_check(*, image: Any, by: Any) -> None:
    """A featured image is an image of the library that ``by`` may use.

    ``by`` None is a script (seed_demo, an import), trusted like the shell;
    anyone else picks from what ``media_list_visible`` shows them, so an
    author cannot feature another author's upload by its id.
    """
    from apps.media.selectors import media_list_visible

    if image is None:
        return
    if not image.is_image:
        raise ValidationError(
            {
                "featured_image": ValidationError(
                    _("The featured image must be an image."), code="not_an_image"
                )
            }
        )
    if by is not None and not media_list_visible(user=by).filter(pk=image.pk).exists():
        raise ValidationError(
            {"featured_image": ValidationError(_("You may not use this image."), code="not_yours")}
        )


class _MediaReferences(HTMLParser):
    """The ``src`` of every ``<img>`` and the ``href`` of every ``<a>`` of a body."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        wanted = {"img": "src", "a": "href"}.get(tag)
        self.urls += [value for name, value in attrs if name == wanted and value]


def article_media_refresh(*, article: Article) -> None:
    """Rewrite the article's ``ArticleMedia`` rows from its body and featured image.

    Called on every write, so ``media_usages`` and the database's PROTECT
    always see what the article shows now; other hosts' URLs and unknown
    keys are not ours and are skipped.
    """
    from apps.media.selectors import media_item_from_url

    parser = _MediaReferences()
    parser.feed(article.body or "")
    parser.close()
    wanted = {item.pk for url in parser.urls if (item := media_item_from_url(url=url))}
    if article.featured_image_id:
        wanted.add(article.featured_image_id)
    stored = set(article.media_links.values_list("media_id", flat=True))
    if stored - wanted:
        article.media_links.filter(media_id__in=stored - wanted).delete()
    ArticleMedia.objects.bulk_create(
        [ArticleMedia(article=article, media_id=pk) for pk in wanted - stored]
    )


class _Text(HTMLParser):
    """The text of a body, each block and line break a space (so words never fuse)."""

    BREAKS = frozenset({"p", "div", "br", "li", "h1", "h2", "h3", "h4", "h5", "h6",
                        "blockquote", "pre", "figure", "figcaption", "tr", "td", "th"})  # fmt: skip

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.BREAKS:
            self.parts.append(" ")

    def handle_endtag(self, tag: str) -> None:
        self.handle_starttag(tag, [])

    def handle_data(self, data: str) -> None:
        self.parts.append(data)


def body_text(body: str | None) -> str:
    """The words of a (sanitised) body without its markup: what search indexes."""
    parser = _Text()
    parser.feed(body or "")
    parser.close()
    return " ".join("".join(parser.parts).split())


def _sanitize_body(body: str | None) -> str:
    """The allow-list, with the site's choice about images from other hosts."""
    return sanitize_html(
        body or "", allow_external_images=site_settings_get().allow_external_images
    )


def _article_prepare(article: Article) -> None:
    """The one place an article is made safe and complete before it is stored.

    Sanitising here rather than in ``Article.save`` covers the bulk path too
    (``bulk_create`` skips ``save()``); every write goes through this module.
    """
    article.body = _sanitize_body(article.body)
    article.search_text = body_text(article.body)
    if not article.slug:
        article.slug = article_unique_slug(title=article.title, exclude_pk=article.pk)
    if article.status == Article.Status.PUBLISHED and article.published_at is None:
        article.published_at = timezone.now()


@transaction.atomic
def article_create(
    *,
    title: str,
    body: str = "",
    kind: str = Article.Kind.ARTICLE,
    author: Any = None,
    slug: str = "",
    status: str = Article.Status.DRAFT,
    published_at: Any = None,
    unpublish_at: Any = None,
    featured_image: Any = None,
    section: Section | None = None,
    tags: Iterable[Any] | str | None = None,
    meta_description: str = "",
    language: str = "",
    translation_of: Article | None = None,
    by: Any = None,
) -> Article:
    """Create an item (a draft unless told otherwise) and record it as added, once.

    An item created already published is one act, recorded as "added" and
    saying so; ``by`` is who did it (None for a script). Its first revision
    is kept with it.
    """
    article = Article(
        title=title,
        body=body,
        kind=kind,
        author=author,
        slug=slug or article_unique_slug(title=title),
        status=status,
        published_at=published_at,
        unpublish_at=unpublish_at,
        featured_image=featured_image,
        section=section,
        meta_description=meta_description,
        language=language or settings.LANGUAGE_CODE,
        translation_of=translation_of,
    )
    names = article_tag_names(tags)
    _featured_image_check(image=featured_image, by=by)
    _article_prepare(article)
    article.full_clean()
    article.save()
    if names:
        _article_tags_set(article=article, names=names)
    article_media_refresh(article=article)
    if status == Article.Status.PUBLISHED and article.is_scheduled:
        message = "Added and scheduled."
    elif status == Article.Status.PUBLISHED:
        message = "Added and published."
    else:
        message = "Added."
    history_record(action=AuditEntry.Action.ADDED, actor=by, target=article, message=message)
    article_revision_record(article=article, by=by, message=message)
    return article


@transaction.atomic
def article_update(*, article: Article, by: Any, note: str = "", **fields: Any) -> Article:
    """Change an item's fields, recorded once under the name of what happened.

    A change of status to published is a publication ("published"), to
    archived an archival, whether it comes from the admin form, the admin
    action or code; other changes are "changed", naming the fields. Changes
    are found against the stored row, since a model form has already copied
    its values onto ``article``. Nothing changed: nothing is written.
    ``note`` opens the history message and the revision's ("Restored
    revision 3."). Each write keeps a revision.
    """
    unknown = set(fields) - ARTICLE_FIELDS
    if unknown:
        raise TypeError(f"articles have no editable field(s) {sorted(unknown)}")
    if "body" in fields:
        fields["body"] = _sanitize_body(fields["body"])
    if "featured_image" in fields:
        _featured_image_check(image=fields["featured_image"], by=by)
    names = article_tag_names(fields.pop("tags")) if "tags" in fields else None
    stored = Article.objects.select_for_update().get(pk=article.pk)
    changed = model_changed_fields(instance=article, stored=stored, fields=fields)
    # One tag whatever the case (TAGGIT_CASE_INSENSITIVE): "B" is the stored "b".
    tags_changed = names is not None and [n.casefold() for n in names] != [
        n.casefold() for n in _stored_tag_names(stored)
    ]
    if not changed and not tags_changed:
        return article
    for name in changed:
        setattr(article, name, fields[name])
    _article_prepare(article)
    article.full_clean()
    # Saved even when only the tags changed: updated_at moves, and the save's
    # signal is what makes every cached page showing this item a miss.
    article.save(
        update_fields={*changed, "body", "search_text", "slug", "published_at", "updated_at"}
    )
    if tags_changed:
        _article_tags_set(article=article, names=names)
    if {"body", "featured_image"} & set(changed):
        article_media_refresh(article=article)

    action, said = AuditEntry.Action.CHANGED, []
    if "status" in changed and article.status == Article.Status.PUBLISHED:
        action = AuditEntry.Action.PUBLISHED
        said = ["Scheduled."] if article.is_scheduled else ["Published."]
    elif "status" in changed and article.status == Article.Status.ARCHIVED:
        said = ["Archived."]
    others = [name for name in changed if not (said and name == "status")]
    if tags_changed:
        others.append("tags")
    if others:
        said.append(history_change_message(model=Article, fields=others))
    message = " ".join([note, *said]) if note else " ".join(said)
    history_record(action=action, actor=by, target=article, message=message)
    article_revision_record(article=article, by=by, message=message)
    return article


def article_publish(*, article: Article, by: Any) -> Article:
    """Make the article public now (keeping its first publication time) and record who did."""
    return article_update(article=article, by=by, status=Article.Status.PUBLISHED)


def article_archive(*, article: Article, by: Any) -> Article:
    """Take the article out of lists and the feed; its address keeps working."""
    return article_update(article=article, by=by, status=Article.Status.ARCHIVED)


def article_delete(*, article: Article, by: Any) -> None:
    """Delete an item, recorded in the history first."""
    audited_delete(target=article, by=by)


def articles_delete(*, articles: Iterable[Article], by: Any) -> int:
    """Delete several items (the admin's "delete selected"): each recorded, all or none."""
    return audited_delete_many(targets=articles, by=by)


def _revisions_create_many(*, slugs: list[str], by: Any) -> None:
    """The first revision of each article just inserted in bulk (found by slug)."""
    for start in range(0, len(slugs), BATCH):
        batch = Article.objects.filter(slug__in=slugs[start : start + BATCH]).select_related(
            "section", "featured_image"
        )
        ArticleRevision.objects.bulk_create(
            [
                ArticleRevision(
                    article=article,
                    number=1,
                    tags=[],
                    created_by=by,
                    message="Added in bulk.",
                    **_revision_values(article),
                )
                for article in batch
            ]
        )


@transaction.atomic
def articles_create_many(
    *,
    articles: Sequence[Article],
    by: Any = None,
    on_batch: Callable[[int], None] | None = None,
    keep_revisions: bool = True,
) -> int:
    """Insert unsaved articles in batches (demo data, imports); returns how many.

    ``bulk_create`` skips ``save()`` and sends no ``post_save``, so this does
    what those would: bodies are sanitised, and the ``content.article`` version
    (which every cached list, article and page depends on) is bumped once, when
    the transaction commits, for the whole write. One history entry says how
    many were added. Each article's first revision is kept too, unless
    ``keep_revisions`` is False (the benchmark's data sets, which only read).
    """
    for article in articles:
        # Numbered slugs would need a query per row: bulk callers name their own.
        article.slug = article.slug or slugify(article.title)[:200] or "untitled"
        _article_prepare(article)
    for start in range(0, len(articles), BATCH):
        batch = list(articles[start : start + BATCH])
        Article.objects.bulk_create(batch)
        if on_batch is not None:
            on_batch(len(batch))
    if not articles:
        return 0
    # Not every database hands back the new ids from a bulk insert: found by slug.
    using_media = [a.slug for a in articles if a.featured_image_id or "<" in (a.body or "")]
    for start in range(0, len(using_media), BATCH):
        for article in Article.objects.filter(slug__in=using_media[start : start + BATCH]):
            article_media_refresh(article=article)
    if keep_revisions:
        _revisions_create_many(slugs=[a.slug for a in articles], by=by)
    history_record(action=AuditEntry.Action.ADDED, actor=by,
                   message=f"{len(articles)} article(s) added in bulk.")  # fmt: skip
    version_bump(name=Article._meta.label_lower)
    return len(articles)


SECTION_FIELDS = frozenset({"name", "slug", "description"})


@transaction.atomic
def section_create(*, name: str, slug: str = "", description: str = "", by: Any = None) -> Section:
    """Create a section; its slug comes from the name unless given, and then stays."""
    section = Section(name=name, slug=slug or slugify(name)[:100], description=description)
    section.full_clean()
    section.save()
    history_record(action=AuditEntry.Action.ADDED, actor=by, target=section, message="Added.")
    return section


def section_update(*, section: Section, by: Any, **fields: Any) -> Section:
    """Rename or describe a section; its slug changes only when asked to, by name."""
    audited_update(
        instance=section, by=by, fields=fields, allowed=SECTION_FIELDS, also_save=("updated_at",)
    )
    return section


def section_delete(*, section: Section, by: Any) -> None:
    """Delete a section; its articles stay, in no section."""
    audited_delete(target=section, by=by)


def sections_delete(*, sections: Iterable[Section], by: Any) -> int:
    return audited_delete_many(targets=sections, by=by)


TAG_FIELDS = frozenset({"name", "slug"})


@transaction.atomic
def tag_create(*, name: str, slug: str = "", by: Any = None) -> Any:
    """Create a tag (the article services also create them from typed names)."""
    from taggit.models import Tag

    (name,) = article_tag_names([name]) or [""]
    tag = Tag(name=name, slug=slug or tag_fallback_slug(name))
    tag.full_clean(exclude=["slug"] if not tag.slug else None)
    tag.save()  # taggit makes a unique slug from the name when none is given
    history_record(action=AuditEntry.Action.ADDED, actor=by, target=tag, message="Added.")
    return tag


def tag_update(*, tag: Any, by: Any, **fields: Any) -> Any:
    """Rename a tag; its slug (its page's address) stays unless changed by name."""
    if "name" in fields:
        (fields["name"],) = article_tag_names([fields["name"]]) or [""]
    audited_update(instance=tag, by=by, fields=fields, allowed=TAG_FIELDS)
    return tag


def tag_delete(*, tag: Any, by: Any) -> None:
    """Delete a tag: it comes off every article (they stay)."""
    audited_delete(target=tag, by=by)


def tags_delete(*, tags: Iterable[Any], by: Any) -> int:
    return audited_delete_many(targets=tags, by=by)


@transaction.atomic
def articles_classify_many(
    *,
    sections: dict[str, Section | None],
    tags: dict[str, list[str]],
    by: Any = None,
) -> int:
    """Put existing articles (by slug) in sections and add tags, in a few queries per batch.

    For demo data and imports, beside ``articles_create_many``: the section
    is set with one UPDATE per section and batch, and the tags are added
    (never removed) with one INSERT per batch, so that sending the same
    data twice adds nothing. Missing tags are made as ``article_update``
    makes them. Like the other bulk writes it skips ``save()``: the
    ``content.article`` version is bumped when the transaction commits, and
    one history entry says how many were classified (no revision each).
    Returns that number.
    """
    from taggit.models import Tag

    by_section: dict[int | None, list[str]] = {}
    for slug, section in sections.items():
        by_section.setdefault(section.pk if section else None, []).append(slug)
    for section_id, slugs in by_section.items():
        for start in range(0, len(slugs), BATCH):
            Article.objects.filter(slug__in=slugs[start : start + BATCH]).update(
                section_id=section_id
            )
    names = {name.casefold(): name for names in tags.values() for name in article_tag_names(names)}
    found: dict[str, Any] = {}
    for key, name in names.items():
        if slug := tag_fallback_slug(name):
            found[key], _ = Tag.objects.get_or_create(
                name__iexact=name, defaults={"name": name, "slug": slug}
            )
        else:
            found[key], _ = Tag.objects.get_or_create(name__iexact=name, defaults={"name": name})
    slugs = list(tags)
    for start in range(0, len(slugs), BATCH):
        batch = slugs[start : start + BATCH]
        ids = dict(Article.objects.filter(slug__in=batch).values_list("slug", "pk"))
        TaggedArticle.objects.bulk_create(
            [
                TaggedArticle(content_object_id=ids[slug], tag=found[name.casefold()])
                for slug in batch
                if slug in ids
                for name in article_tag_names(tags[slug])
            ],
            ignore_conflicts=True,
        )
    count = len(set(sections) | set(tags))
    if count:
        history_record(action=AuditEntry.Action.CHANGED, actor=by,
                       message=f"{count} article(s) given sections and tags in bulk.")  # fmt: skip
        version_bump(name=Article._meta.label_lower)
    return count


@dataclass(frozen=True)
class RevisionRestored:
    """What a restore did: the new revision (None if nothing differed) and what it kept."""

    article: Article
    revision: ArticleRevision | None
    notes: list[str]


@transaction.atomic
def article_revision_restore(*, revision: ArticleRevision, by: Any) -> RevisionRestored:
    """Make the article what ``revision`` was, as one more ``article_update``.

    So a restore is a new revision and a history entry ("Restored revision
    3. Changed Title and Body."), its body is sanitised by today's rules, and
    the rules of an ordinary edit hold: only those who may change the item
    restore it, and what they could not set by hand stays as it is
    (``revision_restore_plan`` says what, for the admin to show).
    """
    from .selectors import article_list_editable, revision_latest, revision_restore_plan

    if (
        by is not None
        and not article_list_editable(user=by).filter(pk=revision.article_id).exists()
    ):
        raise PermissionDenied(_("You may not change this item."))
    article = Article.objects.select_related("section", "featured_image").get(
        pk=revision.article_id
    )
    plan = revision_restore_plan(revision=revision, article=article, user=by)
    before = revision_latest(article=article)
    article_update(
        article=article, by=by, note=f"Restored revision {revision.number}.", **plan.fields
    )
    after = revision_latest(article=article)
    made = after if after is not None and (before is None or after.pk != before.pk) else None
    return RevisionRestored(article=article, revision=made, notes=plan.notes)


def revisions_prune(*, keep: int, by: Any = None) -> int:
    """Delete all but the newest ``keep`` revisions of each article; returns how many went.

    ``keep`` is at least 1, so an article's latest revision (what it is now)
    always stays. Articles are taken ``BATCH`` at a time, each batch's old
    revisions found with a window function (every supported database has
    them) and deleted ``BATCH`` ids at a time, each in its own transaction:
    a large prune never holds one long transaction or one huge statement.
    One history entry says how many were deleted.
    """
    from django.db.models import Count, F, Window
    from django.db.models.functions import RowNumber

    if keep < 1:
        raise ValueError("keep must be at least 1: an article's latest revision always stays")
    crowded = list(
        ArticleRevision.objects.values("article_id")
        .annotate(count=Count("id"))
        .filter(count__gt=keep)
        .order_by("article_id")
        .values_list("article_id", flat=True)
    )
    deleted = 0
    for start in range(0, len(crowded), BATCH):
        old = list(
            ArticleRevision.objects.filter(article_id__in=crowded[start : start + BATCH])
            .annotate(
                newest=Window(
                    RowNumber(), partition_by=[F("article_id")], order_by=F("number").desc()
                )
            )
            .filter(newest__gt=keep)
            .values_list("id", flat=True)
        )
        for chunk in range(0, len(old), BATCH):
            with transaction.atomic():
                count, _ = ArticleRevision.objects.filter(
                    id__in=old[chunk : chunk + BATCH]
                ).delete()
            deleted += count
    history_record(
        action=AuditEntry.Action.DELETED,
        actor=by,
        message=f"Pruned {deleted} old article revision(s), keeping the newest {keep} of each.",
    )
    return deleted
