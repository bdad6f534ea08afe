/* page — the live page served at / (plain HTML + JS, no build step). */
#ifndef GK_PAGE_H
#define GK_PAGE_H

extern const char page_html[];

#endif
