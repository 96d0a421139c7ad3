// SPDX-License-Identifier: GPL-2.0
/*
 * The exporter's web side (web.h): libmicrohttpd's request handler, the router, basic auth,
 * --auth-file and --listen. Moved out of builtin-exporter.c so that the fuzz target drives the
 * same code the exporter serves with.
 */
#include "web.h"
#include "dynlib.h"
#include "util.h"

#include <crypt.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * libmicrohttpd is loaded when a server starts (web_start), not linked into the binary: with
 * GnuTLS, nettle, gmp and p11-kit behind it, loading it cost every tlbstat command about 5 ms of
 * start-up (an empty program linked with it: 6.8 ms of CPU against 1.6 ms, perf stat -r 30),
 * a fifth of a 260k-sample report. libcrypt too, when --auth-file's hashes are to be checked.
 * The calls below go through these tables (lib/dynlib.h; the #defines after them).
 */
#define MHD_SYMS(X) \
	X(MHD_start_daemon) X(MHD_stop_daemon) X(MHD_create_response_from_buffer) \
	X(MHD_create_response_from_buffer_with_free_callback_cls) X(MHD_add_response_header) \
	X(MHD_queue_response) X(MHD_destroy_response) X(MHD_lookup_connection_value) \
	X(MHD_get_connection_info) X(MHD_basic_auth_get_username_password) \
	X(MHD_queue_basic_auth_fail_response) X(MHD_free)
#define CRYPT_SYMS(X) X(crypt_r)

static struct mhd_tab { MHD_SYMS(DYNLIB_PTR) } mhd;
static struct crypt_tab { CRYPT_SYMS(DYNLIB_PTR) } crypt_tab;
#define MHD_SYM(f) DYNLIB_SYM(struct mhd_tab, f)
#define CRYPT_SYM(f) DYNLIB_SYM(struct crypt_tab, f)
static const struct dynlib_sym mhd_syms[] = { MHD_SYMS(MHD_SYM) };
static const struct dynlib_sym crypt_syms[] = { CRYPT_SYMS(CRYPT_SYM) };
static const struct dynlib mhd_lib[] = {
	DYNLIB_LIB("libmicrohttpd.so.12", "libmicrohttpd12", mhd, mhd_syms, false),
};
static const struct dynlib crypt_lib[] = {
	DYNLIB_LIB("libcrypt.so.1", "libcrypt1", crypt_tab, crypt_syms, false),
};
static struct dynlib_group mhd_group = DYNLIB_GROUP("the exporter's HTTP server", mhd_lib, false);
static struct dynlib_group crypt_group = DYNLIB_GROUP("--auth-file's password hashes",
						      crypt_lib, false);

const char *web_load_error(bool auth)
{
	const char *err = dynlib_error(&mhd_group);

	return err || !auth ? err : dynlib_error(&crypt_group);
}

#define MHD_start_daemon (*mhd.MHD_start_daemon)
#define MHD_stop_daemon (*mhd.MHD_stop_daemon)
#define MHD_create_response_from_buffer (*mhd.MHD_create_response_from_buffer)
#define MHD_create_response_from_buffer_with_free_callback_cls \
	(*mhd.MHD_create_response_from_buffer_with_free_callback_cls)
#define MHD_add_response_header (*mhd.MHD_add_response_header)
#define MHD_queue_response (*mhd.MHD_queue_response)
#define MHD_destroy_response (*mhd.MHD_destroy_response)
#define MHD_lookup_connection_value (*mhd.MHD_lookup_connection_value)
#define MHD_get_connection_info (*mhd.MHD_get_connection_info)
#define MHD_basic_auth_get_username_password (*mhd.MHD_basic_auth_get_username_password)
#define MHD_queue_basic_auth_fail_response (*mhd.MHD_queue_basic_auth_fail_response)
#define MHD_free (*mhd.MHD_free)
#define crypt_r (*crypt_tab.crypt_r)

#define WEB_MAX_CONNECTIONS 64
#define WEB_MAX_PER_IP 16            /* one hostile host cannot take every connection */
#define WEB_CONN_TIMEOUT_S 10        /* a client that sends nothing for this long is dropped */
#define WEB_CONN_MEMORY (32 * 1024)  /* per connection: request line, headers and any body */
#define WEB_CLIENTS 16               /* scrapers remembered (address and User-Agent) */
#define WEB_CLIENT_ACTIVE_NS (300 * 1000000000ULL)  /* ... as active for this long */

/* A scraper: a new or leaving series waits until every active one has seen the page. */
struct web_client {
	char key[128];               /* "address|User-Agent" */
	uint64_t last_ns;            /* its last /metrics request */
};

/*
 * A published page, shared by the responses that serve it: the last one to let go (the next
 * publish or a response's end, in libmicrohttpd's thread) frees it. No copy per scrape.
 */
struct web_page {
	atomic_uint refs;
	size_t len;
	char *text;
};

struct web {
	pthread_mutex_t lock;        /* the page pointer, clients and published_ns */
	struct web_page *page;
	uint64_t published_ns;
	struct web_client clients[WEB_CLIENTS];
	struct web_user *users;
	int nr_users;
	struct MHD_Daemon *httpd;
	_Atomic uint64_t scrapes, scrape_ns_last;   /* written by the HTTP thread */
};

/* ---------------- configuration ---------------- */

int web_parse_auth(const char *text, const char *what, struct web_user **users, int *nr,
		   char *err, size_t errlen)
{
	const char *line = text, *end;
	struct web_user *u = calloc(WEB_MAX_USERS, sizeof(*u));
	int n = 0;

	*users = NULL;
	*nr = 0;
	if (!u) {
		snprintf(err, errlen, "out of memory");
		return -2;
	}
	for (; *line; line = *end ? end + 1 : end) {
		const char *colon;
		size_t len;

		end = strchrnul(line, '\n');
		len = (size_t)(end - line);
		if (len && line[len - 1] == '\r')
			len--;
		if (!len || line[0] == '#')
			continue;
		colon = memchr(line, ':', len);
		if (!colon || colon == line || (size_t)(colon - line) + 1 >= len ||
		    colon[1] != '$' || n == WEB_MAX_USERS ||
		    (size_t)(colon - line) >= sizeof(u[0].name) ||
		    len - (size_t)(colon - line) - 1 >= sizeof(u[0].hash)) {
			snprintf(err, errlen, "%s: want 'user:$hash' lines (crypt(3) hashes, e.g. "
				 "from 'openssl passwd -6'; at most %d users)", what, WEB_MAX_USERS);
			free(u);
			return -1;
		}
		memcpy(u[n].name, line, (size_t)(colon - line));
		memcpy(u[n].hash, colon + 1, len - (size_t)(colon - line) - 1);
		n++;
	}
	if (!n) {
		snprintf(err, errlen, "%s has no users", what);
		free(u);
		return -1;
	}
	*users = u;
	*nr = n;
	return 0;
}

int web_split_listen(const char *spec, char *host, size_t hostlen, char *port, size_t portlen,
		     char *err, size_t errlen)
{
	const char *colon = strrchr(spec, ':');
	size_t hl;

	if (!colon || !colon[1]) {
		snprintf(err, errlen, "--listen needs ADDR:PORT (got '%.200s')", spec);
		return -1;
	}
	hl = (size_t)(colon - spec);
	if (hl >= 2 && spec[0] == '[' && spec[hl - 1] == ']') {
		spec++;
		hl -= 2;
	}
	if (hl >= hostlen || strlen(colon + 1) >= portlen) {
		snprintf(err, errlen, "--listen '%.200s': address or port too long", spec);
		return -1;
	}
	memcpy(host, spec, hl);
	host[hl] = 0;
	strcpy(port, colon + 1);
	return 0;
}

int web_listen(const char *spec, char *err, size_t errlen)
{
	char host[256], port[64];
	struct addrinfo hints = { .ai_socktype = SOCK_STREAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *ai;
	int fd, one = 1, rc;

	if (web_split_listen(spec, host, sizeof(host), port, sizeof(port), err, errlen))
		return -2;
	rc = getaddrinfo(host[0] ? host : NULL, port, &hints, &ai);
	if (rc) {
		snprintf(err, errlen, "--listen '%s': %s", spec, gai_strerror(rc));
		return -2;
	}
	fd = socket(ai->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd >= 0 && (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
			bind(fd, ai->ai_addr, ai->ai_addrlen) || listen(fd, 64))) {
		snprintf(err, errlen, "cannot listen on %s: %s", spec, strerror(errno));
		close(fd);
		fd = -1;
	} else if (fd < 0) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
	}
	freeaddrinfo(ai);
	return fd;
}

/* ---------------- requests ---------------- */

static const char index_html[] =
	"<html><head><title>tlbstat exporter</title></head><body>\n"
	"<h1>tlbstat exporter</h1>\n"
	"<p>TLB invalidation metrics of this node: <a href=\"/metrics\">/metrics</a></p>\n"
	"</body></html>\n";

/* Queue response r (its headers added) and let go of it. */
static enum MHD_Result send_response(struct MHD_Connection *c, unsigned status, const char *type,
				     struct MHD_Response *r)
{
	enum MHD_Result rc;

	MHD_add_response_header(r, "Content-Type", type);
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
		MHD_add_response_header(r, "Allow", "GET, HEAD");
	rc = MHD_queue_response(c, status, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result respond(struct MHD_Connection *c, unsigned status, const char *type,
			       void *body, size_t len, enum MHD_ResponseMemoryMode mode)
{
	struct MHD_Response *r = MHD_create_response_from_buffer(len, body, mode);

	if (!r) {
		if (mode == MHD_RESPMEM_MUST_FREE)
			free(body);
		return MHD_NO;
	}
	return send_response(c, status, type, r);
}

/* The client's key for note_client: "address|User-Agent" (no lock needed). */
static void client_key(struct MHD_Connection *c, char *key, size_t size)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	const char *ua = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "User-Agent");
	char host[64] = "?";

	if (ci && ci->client_addr && (ci->client_addr->sa_family == AF_INET ||
				      ci->client_addr->sa_family == AF_INET6))
		getnameinfo(ci->client_addr, ci->client_addr->sa_family == AF_INET6 ?
			    sizeof(struct sockaddr_in6) : sizeof(struct sockaddr_in),
			    host, sizeof(host), NULL, 0, NI_NUMERICHOST);
	snprintf(key, size, "%s|%.60s", host, ua ? ua : "");
}

/* Note a scrape by this client (lock held): its slot, or the least recent one's. */
static void note_client(struct web *w, const char *key, uint64_t now)
{
	struct web_client *slot = &w->clients[0];

	for (int i = 0; i < WEB_CLIENTS; i++) {
		if (!strcmp(w->clients[i].key, key)) {
			slot = &w->clients[i];
			break;
		}
		if (w->clients[i].last_ns < slot->last_ns)
			slot = &w->clients[i];
	}
	snprintf(slot->key, sizeof(slot->key), "%s", key);
	slot->last_ns = now;
}

static void page_put(void *cls)
{
	struct web_page *p = cls;

	if (p && atomic_fetch_sub(&p->refs, 1) == 1) {
		free(p->text);
		free(p);
	}
}

bool web_page_seen(struct web *w, uint64_t now)
{
	bool seen = true;

	pthread_mutex_lock(&w->lock);
	for (int i = 0; i < WEB_CLIENTS; i++) {
		const struct web_client *cl = &w->clients[i];

		if (cl->key[0] && cl->last_ns + WEB_CLIENT_ACTIVE_NS > now &&
		    cl->last_ns < w->published_ns)
			seen = false;
	}
	pthread_mutex_unlock(&w->lock);
	return seen;
}

/*
 * The current page, by reference: the lock is held to note the client and take a reference,
 * never for a copy or network I/O; the response lets go of the page when it is done.
 */
static enum MHD_Result serve_metrics(struct web *w, struct MHD_Connection *c)
{
	struct MHD_Response *r;
	struct web_page *p;
	char key[128];

	client_key(c, key, sizeof(key));
	pthread_mutex_lock(&w->lock);
	note_client(w, key, now_ns());
	p = w->page;
	if (p)
		atomic_fetch_add(&p->refs, 1);
	pthread_mutex_unlock(&w->lock);
	if (!p || !p->len)	/* nothing published yet */
		r = MHD_create_response_from_buffer_with_free_callback_cls(0, (void *)"", page_put, p);
	else
		r = MHD_create_response_from_buffer_with_free_callback_cls(p->len, p->text, page_put, p);
	if (!r) {
		page_put(p);
		return respond(c, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain", "out of memory\n",
			       14, MHD_RESPMEM_PERSISTENT);
	}
	return send_response(c, MHD_HTTP_OK, "text/plain; version=0.0.4; charset=utf-8", r);
}

/* Equal lengths and bytes, in time that depends on the lengths only. */
static bool same_secret(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	unsigned char d = la != lb;

	for (size_t i = 0; i < la && i < lb; i++)
		d |= (unsigned char)(a[i] ^ b[i]);
	return !d;
}

/*
 * Basic auth against the --auth-file hashes. An unknown user costs a hash too, with the first
 * user's setting (method, rounds, salt), so that the time does not tell which names exist.
 */
static bool authorized(const struct web *w, struct MHD_Connection *c)
{
	char *pass = NULL, *name = MHD_basic_auth_get_username_password(c, &pass);
	const char *hash = w->users[0].hash, *out;
	struct crypt_data *cd;
	bool ok = false, known = false;

	if (!name || !pass)
		goto out;
	for (int i = 0; i < w->nr_users; i++)
		if (!strcmp(w->users[i].name, name)) {
			hash = w->users[i].hash;
			known = true;
			break;
		}
	cd = calloc(1, sizeof(*cd));
	if (cd) {
		out = crypt_r(pass, hash, cd);
		ok = known && out && out[0] != '*' && same_secret(out, hash);
		free(cd);
	}
out:
	MHD_free(name);
	MHD_free(pass);
	return ok;
}

static enum MHD_Result deny(struct MHD_Connection *c)
{
	static const char body[] = "authentication required\n";
	struct MHD_Response *r = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body,
								 MHD_RESPMEM_PERSISTENT);
	enum MHD_Result rc;

	if (!r)
		return MHD_NO;
	rc = MHD_queue_basic_auth_fail_response(c, "tlbstat exporter", r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	static const int marker;     /* only its address: "headers seen" */
	struct web *w = cls;
	uint64_t t0 = now_ns();
	enum MHD_Result rc;

	if (!*con_cls) {        /* headers only: answer once the body (if any) is consumed */
		*con_cls = (void *)&marker;
		return MHD_YES;
	}
	if (*upload_data_size) {
		*upload_data_size = 0;  /* a body on GET is ignored; MHD bounds its size */
		return MHD_YES;
	}
	if (w->nr_users && !authorized(w, c))
		return deny(c);
	if (strcmp(method, MHD_HTTP_METHOD_GET) && strcmp(method, MHD_HTTP_METHOD_HEAD))
		return respond(c, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
			       "only GET and HEAD\n", 18, MHD_RESPMEM_PERSISTENT);
	if (!strcmp(url, "/"))
		return respond(c, MHD_HTTP_OK, "text/html; charset=utf-8", (void *)index_html,
			       sizeof(index_html) - 1, MHD_RESPMEM_PERSISTENT);
	if (strcmp(url, "/metrics"))
		return respond(c, MHD_HTTP_NOT_FOUND, "text/plain", "not found: try /metrics\n",
			       24, MHD_RESPMEM_PERSISTENT);
	rc = serve_metrics(w, c);
	atomic_store(&w->scrape_ns_last, now_ns() - t0);
	atomic_fetch_add(&w->scrapes, 1);
	return rc;
}

/* ---------------- the object ---------------- */

struct web *web_new(const struct web_user *users, int nr)
{
	struct web *w = calloc(1, sizeof(*w));

	if (!w)
		return NULL;
	if (nr > 0) {
		w->users = calloc((size_t)nr, sizeof(*users));
		if (!w->users) {
			free(w);
			return NULL;
		}
		memcpy(w->users, users, (size_t)nr * sizeof(*users));
		w->nr_users = nr;
	}
	pthread_mutex_init(&w->lock, NULL);
	return w;
}

int web_start(struct web *w, int listen_fd, const char *cert_pem, const char *key_pem)
{
	struct MHD_OptionItem o[10];
	sigset_t all, old;
	unsigned flags = listen_fd >= 0 ? MHD_USE_POLL_INTERNAL_THREAD : MHD_USE_NO_LISTEN_SOCKET;
	int n = 0;

	if (web_load_error(w->nr_users > 0))
		return -1;
	if (cert_pem && key_pem) {
		flags |= MHD_USE_TLS;
		o[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_CERT, 0, (void *)cert_pem };
		o[n++] = (struct MHD_OptionItem){ MHD_OPTION_HTTPS_MEM_KEY, 0, (void *)key_pem };
	}
	if (listen_fd >= 0)
		o[n++] = (struct MHD_OptionItem){ MHD_OPTION_LISTEN_SOCKET, listen_fd, NULL };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_LIMIT, WEB_MAX_CONNECTIONS, NULL };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_PER_IP_CONNECTION_LIMIT, WEB_MAX_PER_IP, NULL };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_TIMEOUT, WEB_CONN_TIMEOUT_S, NULL };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_CONNECTION_MEMORY_LIMIT, WEB_CONN_MEMORY, NULL };
	o[n++] = (struct MHD_OptionItem){ MHD_OPTION_END, 0, NULL };
	/*
	 * The HTTP thread starts with every signal blocked (it inherits this mask), so that SIGINT
	 * and SIGTERM interrupt the draining thread's poll, which sleeps up to a second.
	 */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	w->httpd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, w, MHD_OPTION_ARRAY, o,
				    MHD_OPTION_END);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	return w->httpd ? 0 : -1;
}

struct MHD_Daemon *web_daemon(struct web *w)
{
	return w->httpd;
}

void web_publish(struct web *w, char *text, size_t len, uint64_t now)
{
	struct web_page *p = malloc(sizeof(*p)), *old;

	if (!p) {	/* the old page stays, not marked as new; the next interval tries again */
		free(text);
		return;
	}
	atomic_init(&p->refs, 1);	/* the web object's own reference */
	p->text = text;
	p->len = text ? len : 0;
	pthread_mutex_lock(&w->lock);
	old = w->page;
	w->page = p;
	w->published_ns = now;
	pthread_mutex_unlock(&w->lock);
	page_put(old);
}

uint64_t web_scrapes(struct web *w)
{
	return atomic_load(&w->scrapes);
}

uint64_t web_scrape_ns_last(struct web *w)
{
	return atomic_load(&w->scrape_ns_last);
}

void web_free(struct web *w)
{
	if (!w)
		return;
	if (w->httpd)
		MHD_stop_daemon(w->httpd);
	pthread_mutex_destroy(&w->lock);
	page_put(w->page);
	free(w->users);
	free(w);
}
