// SPDX-License-Identifier: GPL-2.0
/*
 * lib/web.c: --auth-file's parser, --listen's splitter, and requests through a real
 * libmicrohttpd daemon (no listening socket: a socketpair added with MHD_add_connection, driven
 * with MHD_run), answered by the router and basic auth: status lines and the page.
 */
#include "tap.h"
#include "util.h"
#include "web.h"

#include <microhttpd.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* "prom:s3cret", SHA-256 crypt at 1000 rounds */
static const char hash[] = "$5$rounds=1000$tlbstatfuzz$OckL0Iwlt3xxsirqdktKyWQ60CCTgKmaCuRy5CltuWC";

static void test_auth_file(void)
{
	struct web_user *u;
	char err[512], text[8192];
	int nr;

	snprintf(text, sizeof(text), "# scrapers\n\nprom:%s\r\nbob:$6$x$y\n", hash);
	is_int(web_parse_auth(text, "f", &u, &nr, err, sizeof(err)), 0, "auth: two users");
	is_int(nr, 2, "auth: comments and empty lines skipped");
	is_str(u[0].name, "prom", "auth: first name");
	is_str(u[0].hash, hash, "auth: CR dropped from the hash");
	is_str(u[1].hash, "$6$x$y", "auth: second hash");
	free(u);
	is_int(web_parse_auth("bob:plain\n", "f", &u, &nr, err, sizeof(err)), -1,
	       "auth: a plain password refused");
	ok(strstr(err, "user:$hash") != NULL, "auth: ... saying what it wants");
	is_int(web_parse_auth(":$6$x\n", "f", &u, &nr, err, sizeof(err)), -1, "auth: no name");
	is_int(web_parse_auth("# none\n", "f", &u, &nr, err, sizeof(err)), -1, "auth: no users");
	text[0] = 0;
	for (int i = 0; i <= WEB_MAX_USERS; i++)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "u%d:$6$x\n", i);
	is_int(web_parse_auth(text, "f", &u, &nr, err, sizeof(err)), -1, "auth: at most 64 users");
}

static void test_listen(void)
{
	char host[64], port[16], err[256];

	is_int(web_split_listen("127.0.0.1:19110", host, sizeof(host), port, sizeof(port), err,
				sizeof(err)), 0, "listen: v4");
	ok(!strcmp(host, "127.0.0.1") && !strcmp(port, "19110"), "listen: v4 host and port");
	is_int(web_split_listen("[::1]:80", host, sizeof(host), port, sizeof(port), err,
				sizeof(err)), 0, "listen: v6");
	is_str(host, "::1", "listen: v6 brackets dropped");
	is_int(web_split_listen(":9", host, sizeof(host), port, sizeof(port), err, sizeof(err)), 0,
	       "listen: every address");
	is_str(host, "", "listen: ... an empty host");
	is_int(web_split_listen("nonsense", host, sizeof(host), port, sizeof(port), err,
				sizeof(err)), -1, "listen: no port");
	is_int(web_split_listen("a:", host, sizeof(host), port, sizeof(port), err, sizeof(err)), -1,
	       "listen: empty port");
	is_int(web_split_listen("a:123456789012345678", host, sizeof(host), port, 8, err,
				sizeof(err)), -1, "listen: port too long");
}

/* One request on a fresh daemon: the answer (malloc'ed, NUL-terminated). */
static char *ask(struct web *w, const char *req)
{
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	char *out = calloc(1, 65536);
	size_t len = 0;
	int sv[2];

	if (!out || socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0, sv))
		return out;
	if (MHD_add_connection(web_daemon(w), sv[0], (struct sockaddr *)&peer, sizeof(peer)) !=
	    MHD_YES) {
		close(sv[1]);
		return out;
	}
	if (write(sv[1], req, strlen(req)) < 0 || shutdown(sv[1], SHUT_WR))
		return out;
	for (int i = 0; i < 100; i++) {
		ssize_t n;

		MHD_run(web_daemon(w));
		while (len < 65535 && (n = read(sv[1], out + len, 65535 - len)) > 0)
			len += (size_t)n;
		if (n == 0)
			break;
	}
	close(sv[1]);
	return out;
}

static void test_requests(void)
{
	struct web_user u = { "prom", "" };
	struct web *open_w = web_new(NULL, 0), *auth_w;
	char *page = strdup("tlb_cpus 2\n"), *r;

	snprintf(u.hash, sizeof(u.hash), "%s", hash);
	auth_w = web_new(&u, 1);
	ok(open_w && auth_w && page, "web objects");
	web_publish(open_w, page, strlen(page), 1);
	is_int(web_start(open_w, -1, NULL, NULL), 0, "a daemon without a listening socket");
	is_int(web_start(auth_w, -1, NULL, NULL), 0, "... and one with auth");
	r = ask(open_w, "GET /metrics HTTP/1.1\r\nHost: x\r\nUser-Agent: t\r\n\r\n");
	ok(!strncmp(r, "HTTP/1.1 200", 12) && strstr(r, "\r\n\r\ntlb_cpus 2\n") &&
	   strstr(r, "text/plain; version=0.0.4"), "GET /metrics: 200, the page, its type");
	free(r);
	is_int(web_scrapes(open_w), 1, "one scrape counted");
	ok(web_page_seen(open_w, now_ns()), "page seen: its one scraper fetched it");
	page = strdup("tlb_cpus 3\n");
	web_publish(open_w, page, page ? strlen(page) : 0, now_ns() + 1000000000ULL);
	ok(!web_page_seen(open_w, now_ns()), "a newer page: not seen until that scraper comes back");
	r = ask(open_w, "GET / HTTP/1.1\r\nHost: x\r\n\r\n");
	ok(!strncmp(r, "HTTP/1.1 200", 12) && strstr(r, "href=\"/metrics\""), "GET /: the link");
	free(r);
	r = ask(open_w, "GET /x HTTP/1.1\r\nHost: x\r\n\r\n");
	ok(!strncmp(r, "HTTP/1.1 404", 12), "GET /x: 404");
	free(r);
	r = ask(open_w, "DELETE /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	ok(!strncmp(r, "HTTP/1.1 405", 12) && strstr(r, "Allow: GET, HEAD"), "DELETE: 405, Allow");
	free(r);
	r = ask(open_w, "GARBAGE\r\n\r\n");
	ok(strncmp(r, "HTTP/1.1 200", 12), "garbage: no page");
	free(r);
	r = ask(auth_w, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
	ok(!strncmp(r, "HTTP/1.1 401", 12) && strstr(r, "Basic realm"), "auth: none: 401, challenge");
	free(r);
	r = ask(auth_w, "GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic cHJvbTpzM2NyZXQ=\r\n\r\n");
	ok(!strncmp(r, "HTTP/1.1 200", 12), "auth: prom:s3cret gets in");
	free(r);
	r = ask(auth_w, "GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic cHJvbTp3cm9uZw==\r\n\r\n");
	ok(!strncmp(r, "HTTP/1.1 401", 12), "auth: prom:wrong: 401");
	free(r);
	r = ask(auth_w, "GET / HTTP/1.1\r\nHost: x\r\nAuthorization: Basic bm9ib2R5OnMzY3JldA==\r\n\r\n");
	ok(!strncmp(r, "HTTP/1.1 401", 12), "auth: an unknown user: 401");
	free(r);
	web_free(open_w);
	web_free(auth_w);
}

int main(void)
{
	test_auth_file();
	test_listen();
	test_requests();
	return done_testing();
}
