/*
 * The article body's editor (apps/content/widgets.py): Trix, fitted to the
 * sanitiser's allow-list, and a chooser for the media library.
 *
 * Loaded right after vendor/trix/trix.js, before Trix defines its elements
 * (it does so on a timer), so the configuration below applies to every editor.
 * Nothing inline: the chooser's address comes from the page
 * (data-media-chooser, reversed by Django with the site's sub-path), and so
 * do the words, in the reader's language (data-lang-* for Trix's toolbar,
 * data-text-* for ours: content/widgets/rich_text_editor.html). They are read
 * at trix-before-initialize, which Trix fires before it builds the toolbar.
 *
 * Images are Trix attachments while edited (so they move and delete as one
 * piece and keep their alt text, srcset and caption in the attachment) and
 * are stored as the contract's <figure><img …><figcaption>: toStored() on
 * submit, toEditor() when the editor opens a stored body.
 */
(function () {
  "use strict";

  var config = window.Trix.config;
  config.blockAttributes["default"].tagName = "p";
  config.blockAttributes.heading1.tagName = "h2";
  config.blockAttributes.heading3 = {
    tagName: "h3",
    terminal: true,
    breakOnReturn: true,
    group: false
  };
  config.lang.heading1 = "Heading";

  // The English words, for an editor without its data-text-* (never, from the widget).
  var text = {
    subheading: "Subheading",
    image: "Image",
    imageTitle: "Insert an image from the media library",
    document: "Document",
    documentTitle: "Link to a document of the media library",
    chooseImage: "Choose an image",
    chooseDocument: "Choose a document",
    search: "Search the media library",
    cancel: "Cancel",
    searching: "Searching…",
    nothingFound: "Nothing found.",
    failed: "The media library answered {status}."
  };

  // data-lang-url-placeholder -> dataset.langUrlPlaceholder -> config.lang.urlPlaceholder.
  function takeWords(container) {
    if (!container) return;
    Object.keys(container.dataset).forEach(function (key) {
      var value = container.dataset[key];
      if (key.indexOf("lang") === 0 && key.length > 4) {
        config.lang[key.charAt(4).toLowerCase() + key.slice(5)] = value;
      } else if (key.indexOf("text") === 0 && key.length > 4) {
        text[key.charAt(4).toLowerCase() + key.slice(5)] = value;
      }
    });
  }

  var IMAGE_FIELDS = ["srcset", "sizes", "width", "height", "alt"];

  var defaultToolbar = config.toolbar.getDefaultHTML;
  config.toolbar.getDefaultHTML = function () {
    var template = document.createElement("template");
    template.innerHTML = defaultToolbar.call(config.toolbar);
    var page = template.content;
    var heading = page.querySelector("[data-trix-attribute=heading1]");
    var subheading = document.createElement("button");
    subheading.type = "button";
    subheading.className = "trix-button rich-text__text-button";
    subheading.setAttribute("data-trix-attribute", "heading3");
    subheading.setAttribute("tabindex", "-1");
    subheading.title = subheading.textContent = text.subheading;
    heading.after(subheading);
    // Files come from the media library (uploaded through its checks), never dropped in here.
    var files = page.querySelector("[data-trix-button-group=file-tools]");
    files.replaceChildren(
      chooserButton("image", text.image, text.imageTitle),
      chooserButton("document", text.document, text.documentTitle)
    );
    return template.innerHTML;
  };

  function chooserButton(kind, label, title) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "trix-button rich-text__text-button";
    button.setAttribute("data-media-kind", kind);
    button.setAttribute("tabindex", "-1");
    button.title = title;
    button.textContent = label;
    return button;
  }

  function parseJSON(text) {
    try {
      return JSON.parse(text || "{}") || {};
    } catch (error) {
      return {};
    }
  }

  // Stored body -> editor: each image (in a figure or not) becomes an attachment.
  function toEditor(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    var images = Array.prototype.slice.call(template.content.querySelectorAll("img"));
    images.forEach(function (image) {
      var figure = image.closest("figure");
      var caption = figure && figure.querySelector("figcaption");
      var attachment = { contentType: "image", url: image.getAttribute("src") };
      IMAGE_FIELDS.forEach(function (name) {
        if (image.hasAttribute(name)) attachment[name] = image.getAttribute(name);
      });
      if (attachment.width) attachment.width = parseInt(attachment.width, 10);
      if (attachment.height) attachment.height = parseInt(attachment.height, 10);
      var holder = template.content.ownerDocument.createElement("figure");
      holder.setAttribute("data-trix-attachment", JSON.stringify(attachment));
      var text = caption ? caption.textContent.trim() : "";
      holder.setAttribute("data-trix-attributes", JSON.stringify(text ? { caption: text } : {}));
      (figure && template.content.contains(figure) ? figure : image).replaceWith(holder);
    });
    return template.innerHTML;
  }

  // Editor -> stored body: each image attachment becomes <figure><img><figcaption>.
  function toStored(html) {
    var template = document.createElement("template");
    template.innerHTML = html;
    var page = template.content;
    // The template's own document: an <img> made there loads nothing.
    var inert = page.ownerDocument;
    page.querySelectorAll("[data-trix-attachment]").forEach(function (holder) {
      var attachment = parseJSON(holder.getAttribute("data-trix-attachment"));
      var attributes = parseJSON(holder.getAttribute("data-trix-attributes"));
      if (!attachment.url || String(attachment.contentType).indexOf("image") !== 0) {
        holder.remove();
        return;
      }
      var figure = inert.createElement("figure");
      var image = inert.createElement("img");
      image.setAttribute("src", attachment.url);
      IMAGE_FIELDS.forEach(function (name) {
        if (attachment[name]) image.setAttribute(name, String(attachment[name]));
      });
      if (!image.hasAttribute("alt")) image.setAttribute("alt", "");
      image.setAttribute("loading", "lazy");
      figure.append(image);
      var caption = String(attributes.caption || attachment.caption || "").trim();
      if (caption) {
        var figcaption = inert.createElement("figcaption");
        figcaption.textContent = caption;
        figure.append(figcaption);
      }
      // Trix keeps an attachment inside a paragraph, where a figure cannot be.
      var block = holder.parentElement;
      if (block && block.tagName === "P" && block.textContent.trim() === "" &&
          block.querySelectorAll("[data-trix-attachment]").length === 1) {
        block.replaceWith(figure);
      } else {
        holder.replaceWith(figure);
      }
    });
    page.querySelectorAll("p:empty").forEach(function (empty) { empty.remove(); });
    return template.innerHTML;
  }

  document.addEventListener("trix-before-initialize", function (event) {
    takeWords(event.target.closest("[data-media-chooser]"));
    var input = event.target.inputElement;
    if (input) input.value = toEditor(input.value);
  });

  // No files straight into the body: they would skip the library's checks.
  document.addEventListener("trix-file-accept", function (event) {
    event.preventDefault();
  });

  document.addEventListener("submit", function (event) {
    event.target.querySelectorAll("trix-editor").forEach(function (editor) {
      if (editor.inputElement) editor.inputElement.value = toStored(editor.inputElement.value);
    });
  }, true);

  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest("button[data-media-kind]");
    if (!button) return;
    var toolbar = button.closest("trix-toolbar");
    var editor = toolbar && document.querySelector("trix-editor[toolbar='" + toolbar.id + "']");
    if (!editor) return;
    event.preventDefault();
    openChooser(editor, button.getAttribute("data-media-kind"));
  });

  function openChooser(editor, kind) {
    var container = editor.closest("[data-media-chooser]");
    var address = container && container.getAttribute("data-media-chooser");
    if (!address) return;
    var range = editor.editor.getSelectedRange();
    var dialog = document.createElement("dialog");
    dialog.className = "media-chooser";
    var heading = document.createElement("h2");
    heading.textContent = kind === "image" ? text.chooseImage : text.chooseDocument;
    var search = document.createElement("input");
    search.type = "search";
    search.className = "media-chooser__search vTextField";
    search.placeholder = text.search;
    search.setAttribute("aria-label", text.search);
    var list = document.createElement("ul");
    list.className = "media-chooser__results";
    var status = document.createElement("p");
    status.className = "media-chooser__status";
    status.setAttribute("role", "status");
    var close = document.createElement("button");
    close.type = "button";
    close.className = "button media-chooser__close";
    close.textContent = text.cancel;
    close.addEventListener("click", function () { dialog.close(); });
    dialog.addEventListener("close", function () { dialog.remove(); editor.focus(); });
    dialog.append(heading, search, status, list, close);
    document.body.append(dialog);

    var pending = 0;
    function load() {
      var asked = ++pending;
      var url = new URL(address, window.location.href);
      url.searchParams.set("kind", kind);
      url.searchParams.set("q", search.value);
      status.textContent = text.searching;
      fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) throw new Error(text.failed.replace("{status}", response.status));
          return response.json();
        })
        .then(function (data) {
          if (asked !== pending) return;
          list.replaceChildren.apply(list, data.results.map(function (item) {
            return resultItem(item, function () {
              dialog.close();
              insert(editor, range, item);
            });
          }));
          status.textContent = data.results.length ? "" : text.nothingFound;
        })
        .catch(function (error) {
          if (asked === pending) status.textContent = error.message;
        });
    }
    var timer = null;
    search.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(load, 250);
    });
    dialog.showModal();
    search.focus();
    load();
  }

  function resultItem(item, choose) {
    var entry = document.createElement("li");
    var button = document.createElement("button");
    button.type = "button";
    button.className = "media-chooser__choice";
    button.setAttribute("data-media-id", item.id);
    if (item.thumbnail_url) {
      var thumbnail = document.createElement("img");
      thumbnail.src = item.thumbnail_url;
      thumbnail.alt = "";
      thumbnail.className = "media-chooser__thumbnail";
      button.append(thumbnail);
    }
    var title = document.createElement("span");
    title.textContent = item.title;
    button.append(title);
    button.addEventListener("click", choose);
    entry.append(button);
    return entry;
  }

  function insert(editor, range, item) {
    editor.focus();
    if (range) editor.editor.setSelectedRange(range);
    if (item.kind === "image") {
      var attachment = { contentType: "image", url: item.url, alt: item.alt_text || "" };
      if (item.srcset) {
        attachment.srcset = item.srcset;
        attachment.sizes = item.sizes || "(max-width: 960px) 100vw, 960px";
      }
      if (item.width) attachment.width = item.width;
      if (item.height) attachment.height = item.height;
      var piece = new window.Trix.Attachment(attachment);
      editor.editor.insertAttachment(piece);
      return;
    }
    var link = document.createElement("a");
    link.href = item.url;
    link.setAttribute("href", item.url);
    link.textContent = item.title;
    editor.editor.insertHTML(link.outerHTML);
  }
})();
