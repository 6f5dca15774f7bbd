"""Files for machines rather than readers: the Atom feed, ``sitemap.xml`` and ``robots.txt``.

Addresses are absolute (``site.base_url``): feed readers and crawlers resolve nothing
against the page they came from.  Dates are the articles' own (possibly partial, 2025-03)
and the edition's, never the clock's, so a rebuild of the same content gives the same
bytes.
"""
from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Iterable

from .model import Archive, ArticleMeta, SiteConfig

ATOM = "http://www.w3.org/2005/Atom"
SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"


def base_url(site: SiteConfig) -> str:
    return site.base_url if site.base_url.endswith("/") else site.base_url + "/"


def timestamp(date: str) -> str:
    """An RFC 3339 instant for an ISO date that may lack its day or month: the start
    of the period, which is the most a partial date says."""
    parts = (date.split("-") + ["01", "01"])[:3]
    return "-".join(parts) + "T00:00:00Z"


def newest_first(archive: Archive) -> list[ArticleMeta]:
    # By date, then slug, so that articles of the same day keep one order.
    return sorted((a.meta for a in archive.articles.shells()), key=lambda m: (m.date, m.slug), reverse=True)


def atom_feed(archive: Archive) -> bytes:
    site = archive.site
    root = base_url(site)
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed", {"xml:lang": site.language})
    articles = newest_first(archive)

    def sub(parent: ET.Element, tag: str, text: str = "", **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text:
            element.text = text
        return element

    sub(feed, "id", root)
    sub(feed, "title", site.title)
    sub(feed, "subtitle", site.subtitle)
    # The newest article's date: a rebuild, or an edit of notes, is not news to a feed reader.
    sub(feed, "updated", timestamp(articles[0].date if articles else "1970-01-01"))
    sub(feed, "link", href=f"{root}feed.xml", rel="self", type="application/atom+xml")
    sub(feed, "link", href=root, rel="alternate", type="text/html")
    for editor in site.editors:
        sub(sub(feed, "author"), "name", editor.name)
    sub(feed, "generator", "duizhao")
    for meta in articles:
        entry = sub(feed, "entry")
        url = f"{root}articles/{meta.slug}/"
        sub(entry, "id", url)
        sub(entry, "title", f"{meta.title_zh} — {meta.title_en}" if meta.title_en else meta.title_zh)
        sub(entry, "updated", timestamp(meta.date))
        sub(entry, "published", timestamp(meta.date))
        sub(entry, "link", href=url, rel="alternate", type="text/html")
        if meta.byline:
            sub(sub(entry, "author"), "name", meta.byline)
        sub(entry, "category", term=meta.kind)
        outlet = f"{meta.outlet_zh} ({meta.outlet_en})" if meta.outlet_en else meta.outlet_zh
        sub(entry, "summary", f"{meta.summary} — {outlet}, {meta.date}.", type="text")
    ET.indent(feed)
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"


def sitemap(site: SiteConfig, pages: Iterable[str]) -> bytes:
    """Every HTML page but the 404 page; a folder's index.html is listed as the folder,
    the address citations use."""
    root = base_url(site)
    ET.register_namespace("", SITEMAP)
    urlset = ET.Element(f"{{{SITEMAP}}}urlset")
    for page in sorted(p for p in pages if p.endswith(".html") and p != "404.html"):
        address = page[: -len("index.html")] if page == "index.html" or page.endswith("/index.html") else page
        ET.SubElement(ET.SubElement(urlset, f"{{{SITEMAP}}}url"), f"{{{SITEMAP}}}loc").text = root + address
    ET.indent(urlset)
    return ET.tostring(urlset, encoding="utf-8", xml_declaration=True) + b"\n"


def robots(site: SiteConfig) -> bytes:
    # Crawlers read robots.txt only at a host's root: under a project sub-path
    # (user.github.io/archive/) this file is inert, and the README says so.
    return f"User-agent: *\nAllow: /\nSitemap: {base_url(site)}sitemap.xml\n".encode()
