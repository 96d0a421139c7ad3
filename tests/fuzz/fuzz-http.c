// SPDX-License-Identifier: GPL-2.0
/*
 * libFuzzer target: the exporter's request path (lib/web.c). The input's first byte picks the
 * set-up (bit 0: basic auth required, one user; bit 1: the client half-closes after sending,
 * otherwise it stays open as a slow client would), the rest are the bytes a client sends. They
 * go through a real libmicrohttpd daemon, started as the exporter starts it but with no
 * listening socket: the connection is one end of a socketpair added with MHD_add_connection,
 * the daemon driven with MHD_run, the answer read and thrown away. So libmicrohttpd's parser
 * (request line, headers, chunked bodies, the Authorization header) and ours (router, methods,
 * basic auth and crypt(3), the client table) both see the bytes. The same bytes then go through
 * the --auth-file parser and, up to the first newline, the --listen splitter.
 */
#include "web.h"

#include <microhttpd.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_REQUEST (64 * 1024)      /* past the daemon's 32 KiB per connection */
#define MAX_ROUNDS 64

/* "prom:s3cret", crypt(3) SHA-256 at its fewest rounds (1000): cheap enough to fuzz through */
static const struct web_user fuzz_user = {
	"prom", "$5$rounds=1000$tlbstatfuzz$OckL0Iwlt3xxsirqdktKyWQ60CCTgKmaCuRy5CltuWC"
};

static const char page[] =
	"# HELP tlb_invalidations_total TLB invalidations\n"
	"# TYPE tlb_invalidations_total counter\n"
	"tlb_invalidations_total{pid=\"1\",comm=\"init\"} 3\n";

/* Send the request, run the daemon, drain the answer until the daemon closes or rounds run out. */
static void converse(struct MHD_Daemon *d, int fd, const uint8_t *req, size_t len, bool half_close)
{
	char buf[16384];
	size_t off = 0;
	bool shut = false;

	for (int round = 0; round < MAX_ROUNDS; round++) {
		ssize_t n;

		if (off < len) {
			n = write(fd, req + off, len - off);
			if (n > 0)
				off += (size_t)n;
		}
		if (off == len && half_close && !shut) {
			shutdown(fd, SHUT_WR);
			shut = true;
		}
		if (MHD_run(d) != MHD_YES)
			break;
		while ((n = read(fd, buf, sizeof(buf))) > 0)
			;
		if (n == 0)     /* the daemon closed the connection */
			break;
	}
}

static void request(const uint8_t *data, size_t size)
{
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(40000),
				    .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	bool auth = size && (data[0] & 1), half_close = size && (data[0] & 2);
	struct web *w = web_new(&fuzz_user, auth ? 1 : 0);
	char *text = malloc(sizeof(page));
	int sv[2];

	if (!w || !text) {
		free(text);
		web_free(w);
		return;
	}
	memcpy(text, page, sizeof(page));
	web_publish(w, text, sizeof(page) - 1, 1);
	if (web_start(w, -1, NULL, NULL) ||
	    socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv)) {
		web_free(w);
		return;
	}
	/* the daemon owns sv[0] from here, even when it refuses it */
	if (MHD_add_connection(web_daemon(w), sv[0], (struct sockaddr *)&peer, sizeof(peer)) ==
	    MHD_YES)
		converse(web_daemon(w), sv[1], data + !!size,
			 size > MAX_REQUEST ? MAX_REQUEST : size - !!size, half_close);
	close(sv[1]);
	web_free(w);     /* stops the daemon: every connection it still has is closed */
}

static void config(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1), host[256], port[64], err[512], *nl;
	struct web_user *users;
	int nr;

	if (!text)
		return;
	memcpy(text, data, size);
	text[size] = 0;
	if (!web_parse_auth(text, "fuzz", &users, &nr, err, sizeof(err)))
		free(users);
	nl = strchr(text, '\n');
	if (nl)
		*nl = 0;
	web_split_listen(text, host, sizeof(host), port, sizeof(port), err, sizeof(err));
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	request(data, size);
	config(data, size);
	return 0;
}
