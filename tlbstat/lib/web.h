// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter's web side: one page of text served by libmicrohttpd (GET/HEAD /metrics, / with a
 * link to it, 404 elsewhere, 405 for other methods), basic auth against crypt(3) hashes with a
 * constant-time compare, the --auth-file parser and --listen's ADDR:PORT. The caller renders its
 * page and hands it over whole (web_publish); each request takes a reference to the current page
 * under a lock held for that (and noting the client) only, no copy: no request touches the
 * caller's live state, and a slow client never holds the lock across network I/O (it holds its
 * page, which the last reference frees). Connections are bounded (count, per address, idle time,
 * memory for the request line, headers and body).
 *
 * A web object serves from libmicrohttpd's own polling thread on a listening socket, or, started
 * without one (web_start with -1), from connections the caller adds with MHD_add_connection and
 * drives with MHD_run on web_daemon(): the fuzz target (tests/fuzz/fuzz-http.c) feeds arbitrary
 * bytes through both parsers, libmicrohttpd's and ours, that way. No process-wide state.
 */
#ifndef TLBSTAT_WEB_H
#define TLBSTAT_WEB_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define WEB_MAX_USERS 64

/* --auth-file: user names and crypt(3) hashes ("$6$...", "$y$...", "$2b$..."). */
struct web_user {
	char name[64];
	char hash[256];
};

struct web;
struct MHD_Daemon;

/*
 * --auth-file's text: "user:$hash" lines, '#' comments and empty lines skipped, a trailing CR
 * dropped. 0 with *users (free() it) and *nr >= 1; -1 with a message in err (what file names in
 * it); -2 out of memory.
 */
int web_parse_auth(const char *text, const char *what, struct web_user **users, int *nr,
		   char *err, size_t errlen);

/*
 * --listen's ADDR:PORT, [V6]:PORT or :PORT (every address: host ""). 0, or -1 with a message.
 * Only splits: nothing is resolved.
 */
int web_split_listen(const char *spec, char *host, size_t hostlen, char *port, size_t portlen,
		     char *err, size_t errlen);
/* A bound, listening socket on spec; -2 (a bad spec) or -1 (cannot listen) with a message. */
int web_listen(const char *spec, char *err, size_t errlen);

/* A web object with these users (copied; nr 0: no auth) and an empty page, or NULL (memory). */
struct web *web_new(const struct web_user *users, int nr);
/*
 * Serve: listen_fd >= 0 from libmicrohttpd's polling thread on that socket (the daemon owns it
 * once started; on failure it stays the caller's); -1: no listening socket and no thread (MHD_add_connection,
 * MHD_run on web_daemon()). cert_pem and key_pem: HTTPS (both or neither). 0 or -1.
 */
int web_start(struct web *w, int listen_fd, const char *cert_pem, const char *key_pem);
/*
 * libmicrohttpd, and with auth libcrypt, are loaded (dlopen, lib/dynlib.h) at the first
 * web_start, not linked: NULL when they are loaded, else why one cannot be (web_start then
 * fails). auth: the web object has users (--auth-file).
 */
const char *web_load_error(bool auth);
struct MHD_Daemon *web_daemon(struct web *w);
/* Replace the page with text (len bytes, malloc'ed; the web object frees it). */
void web_publish(struct web *w, char *text, size_t len, uint64_t now);
/* Has every scraper active in the last 5 minutes fetched the page published last? */
bool web_page_seen(struct web *w, uint64_t now);
/* /metrics requests served, and how long the last one took inside the handler. */
uint64_t web_scrapes(struct web *w);
uint64_t web_scrape_ns_last(struct web *w);
/* Stops the daemon (its thread, its connections) and frees everything. NULL is fine. */
void web_free(struct web *w);
#endif
