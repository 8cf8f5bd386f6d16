/* SPDX-License-Identifier: BSD-3-Clause */
/*
 * The control socket (lib/ctl): the per-client state machine on its own (line assembly across
 * reads, limits, deadlines), the commands with a fake set of operations, and the server on a
 * real unix socket with an injected clock: early close, partial lines, a slow client, a long
 * line, a NUL byte, the client limit, command order, the socket file.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "ctl/ctl_conn.h"
#include "egw_test.h"

/* ---- the state machine ---- */

/* Appends TEXT (N bytes) to C's line as a read would, and feeds it. */
static enum egw_ctl_input feed(struct egw_ctl_conn *c, const char *text, size_t n)
{
	CU_ASSERT_FATAL(n <= egw_ctl_conn_room(c));
	memcpy(c->line + c->len, text, n);
	return egw_ctl_conn_input(c, n);
}

static void test_conn_line_assembly(void)
{
	static struct egw_ctl_conn c;

	egw_ctl_conn_reset(&c);
	egw_ctl_conn_start(&c, 7, 1000);
	CU_ASSERT_EQUAL(c.state, EGW_CTL_READING);
	CU_ASSERT_EQUAL(c.fd, 7);
	CU_ASSERT_EQUAL(egw_ctl_conn_room(&c), EGW_CTL_LINE_MAX);
	/* A line in pieces, CRLF, and bytes after the newline (ignored: one command). */
	CU_ASSERT_EQUAL(feed(&c, "mo", 2), EGW_CTL_IN_MORE);
	CU_ASSERT_EQUAL(feed(&c, "de pol", 6), EGW_CTL_IN_MORE);
	CU_ASSERT_EQUAL(feed(&c, "icy\r\nreload\n", 12), EGW_CTL_IN_LINE);
	CU_ASSERT_STRING_EQUAL(c.line, "mode policy");

	/* The longest line: EGW_CTL_LINE_MAX - 1 bytes and its newline. */
	egw_ctl_conn_start(&c, 7, 0);
	memset(c.line, 'a', EGW_CTL_LINE_MAX - 1);
	c.line[EGW_CTL_LINE_MAX - 1] = '\n';
	CU_ASSERT_EQUAL(egw_ctl_conn_input(&c, EGW_CTL_LINE_MAX), EGW_CTL_IN_LINE);
	CU_ASSERT_EQUAL(strlen(c.line), EGW_CTL_LINE_MAX - 1);

	/* One byte more, in two reads: too long, whatever follows. */
	egw_ctl_conn_start(&c, 7, 0);
	memset(c.line, 'a', EGW_CTL_LINE_MAX);
	CU_ASSERT_EQUAL(egw_ctl_conn_input(&c, EGW_CTL_LINE_MAX - 1), EGW_CTL_IN_MORE);
	CU_ASSERT_EQUAL(egw_ctl_conn_room(&c), 1);
	CU_ASSERT_EQUAL(egw_ctl_conn_input(&c, 1), EGW_CTL_IN_TOO_LONG);

	/* A NUL byte anywhere before the newline: not a text line. */
	egw_ctl_conn_start(&c, 7, 0);
	CU_ASSERT_EQUAL(feed(&c, "vers\0ion", 8), EGW_CTL_IN_MORE);
	CU_ASSERT_EQUAL(feed(&c, "\n", 1), EGW_CTL_IN_NUL);

	/* End of input: what came is the line; nothing at all is no command. */
	egw_ctl_conn_start(&c, 7, 0);
	CU_ASSERT_EQUAL(egw_ctl_conn_eof(&c), EGW_CTL_IN_EMPTY);
	CU_ASSERT_EQUAL(feed(&c, "version", 7), EGW_CTL_IN_MORE);
	CU_ASSERT_EQUAL(egw_ctl_conn_eof(&c), EGW_CTL_IN_LINE);
	CU_ASSERT_STRING_EQUAL(c.line, "version");
	egw_ctl_conn_start(&c, 7, 0);
	CU_ASSERT_EQUAL(feed(&c, "x\0", 2), EGW_CTL_IN_MORE);
	CU_ASSERT_EQUAL(egw_ctl_conn_eof(&c), EGW_CTL_IN_NUL);
	egw_ctl_conn_reset(&c);
	CU_ASSERT_EQUAL(c.state, EGW_CTL_FREE);
	CU_ASSERT_EQUAL(c.fd, -1);
}

static void test_conn_deadlines_and_reply(void)
{
	static struct egw_ctl_conn c;
	const uint64_t t0 = 5000;

	egw_ctl_conn_reset(&c);
	egw_ctl_conn_start(&c, 3, t0);
	CU_ASSERT_FALSE(egw_ctl_conn_expired(&c, t0 + EGW_CTL_REQUEST_MS - 1));
	CU_ASSERT_TRUE(egw_ctl_conn_expired(&c, t0 + EGW_CTL_REQUEST_MS));
	/* Waiting for its turn is our delay, not the client's: no deadline. */
	c.state = EGW_CTL_QUEUED;
	CU_ASSERT_FALSE(egw_ctl_conn_expired(&c, t0 + 1000000));

	/* The reply is copied, sent in pieces, and has its own deadline from when it starts. */
	egw_ctl_conn_reply(&c, "OK done\n", 8, t0 + 100);
	CU_ASSERT_EQUAL(c.state, EGW_CTL_WRITING);
	CU_ASSERT_TRUE(c.owned);
	CU_ASSERT_EQUAL(c.reply_len, 8);
	CU_ASSERT_EQUAL(memcmp(c.reply, "OK done\n", 8), 0);
	CU_ASSERT_FALSE(egw_ctl_conn_sent(&c, 3));
	CU_ASSERT_EQUAL(c.reply_off, 3);
	CU_ASSERT_TRUE(egw_ctl_conn_sent(&c, 5));
	CU_ASSERT_FALSE(egw_ctl_conn_expired(&c, t0 + 100 + EGW_CTL_REPLY_MS - 1));
	CU_ASSERT_TRUE(egw_ctl_conn_expired(&c, t0 + 100 + EGW_CTL_REPLY_MS));
	egw_ctl_conn_reset(&c);
	CU_ASSERT_PTR_NULL(c.reply);
	CU_ASSERT_FALSE(egw_ctl_conn_expired(&c, UINT64_MAX));
}

/* ---- the commands ---- */

struct fake {
	int reloads, modes, flushes;
	enum egw_mode mode;
	char filter[128];
};

static int fake_reload(void *ctx, char *out, size_t len)
{
	((struct fake *)ctx)->reloads++;
	snprintf(out, len, "OK reloaded\n");
	return 0;
}

static int fake_mode(void *ctx, enum egw_mode mode, char *out, size_t len)
{
	struct fake *f = ctx;

	f->modes++;
	f->mode = mode;
	snprintf(out, len, "OK mode %s\n", egw_mode_name(mode));
	return 0;
}

static int fake_flush(void *ctx, const char *filter, char *out, size_t len)
{
	struct fake *f = ctx;

	f->flushes++;
	snprintf(f->filter, sizeof(f->filter), "%s", filter);
	snprintf(out, len, "OK flushed 0 flows\n");
	return 0;
}

static void test_commands(void)
{
	struct fake f = { 0 };
	const struct egw_ctl_ops ops = { .ctx = &f,
		.reload = fake_reload,
		.set_mode = fake_mode,
		.flows_flush = fake_flush };
	const struct egw_ctl_ops none = { 0 };
	char out[256], junk[300];

	egw_ctl_execute(&ops, "reload", out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "OK reloaded\n");
	egw_ctl_execute(&ops, "mode deny", out, sizeof(out));
	CU_ASSERT_EQUAL(f.mode, EGW_MODE_DENY);
	egw_ctl_execute(&ops, "mode bogus", out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "ERROR unknown mode 'bogus': passthrough, policy or deny\n");
	CU_ASSERT_EQUAL(f.modes, 1);
	egw_ctl_execute(&ops, "flows flush src=198.18.0.2", out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(f.filter, " src=198.18.0.2");
	egw_ctl_execute(&ops, "version", out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "OK egressgw " EGW_VERSION "\n");
	egw_ctl_execute(&ops, "reload now", out, sizeof(out));
	CU_ASSERT_EQUAL(strncmp(out, "ERROR unknown command 'reload now'", 34), 0);
	CU_ASSERT_EQUAL(f.reloads, 1);

	/* Junk comes back quoted: control and non-ASCII bytes as '?', cut at 64 bytes. */
	memset(junk, 'j', sizeof(junk) - 1);
	junk[sizeof(junk) - 1] = '\0';
	memcpy(junk, "\x1b[2J\xff", 5);
	egw_ctl_execute(&ops, junk, out, sizeof(out));
	CU_ASSERT_EQUAL(strncmp(out, "ERROR unknown command '?[2J?jjj", 31), 0);
	CU_ASSERT_PTR_NOT_NULL(strstr(out, "jjj...': reload"));
	for (const char *p = out; *p; p++)
		CU_ASSERT(*p == '\n' || (*p >= 0x20 && *p < 0x7f));

	/* Operations the daemon did not give are refused, not called. */
	egw_ctl_execute(&none, "reload", out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "ERROR reload is not available here\n");
	egw_ctl_execute(&none, "mode policy", out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "ERROR mode is not available here\n");
	egw_ctl_execute(&none, "flows flush", out, sizeof(out));
	CU_ASSERT_STRING_EQUAL(out, "ERROR flows flush is not available here\n");
}

/* ---- the server, on a real socket ---- */

static char sock_dir[PATH_MAX];
static char sock_path[PATH_MAX + 16];
static struct fake srv_fake;
static const struct egw_ctl_ops srv_ops = { .ctx = &srv_fake,
	.reload = fake_reload,
	.set_mode = fake_mode,
	.flows_flush = fake_flush };

static struct egw_ctl_server *server_open(void)
{
	char err[256];
	struct egw_ctl_server *srv;

	if (!sock_dir[0]) {
		snprintf(sock_dir, sizeof(sock_dir), "/tmp/egw_ctl_XXXXXX");
		CU_ASSERT_PTR_NOT_NULL_FATAL(mkdtemp(sock_dir));
		snprintf(sock_path, sizeof(sock_path), "%s/ctl.sock", sock_dir);
	}
	memset(&srv_fake, 0, sizeof(srv_fake));
	srv = egw_ctl_open(sock_path, &srv_ops, err, sizeof(err));
	if (!srv)
		fprintf(stderr, "egw_ctl_open: %s\n", err);
	CU_ASSERT_PTR_NOT_NULL_FATAL(srv);
	return srv;
}

static int client(void)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	CU_ASSERT_FATAL(fd >= 0);
	memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
	CU_ASSERT_EQUAL_FATAL(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	return fd;
}

static void say(int fd, const char *text, size_t n)
{
	CU_ASSERT_EQUAL(send(fd, text, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* Polls SRV at NOW a few times (accepts come in batches; one command per poll). */
static void polls(struct egw_ctl_server *srv, uint64_t now, unsigned n)
{
	while (n--)
		egw_ctl_poll(srv, now);
}

/* What the server sent FD until it closed (or nothing more is there): "" when nothing. */
static const char *answer(int fd)
{
	static char buf[512];
	size_t n = 0;
	ssize_t r;

	while (n < sizeof(buf) - 1 &&
		(r = recv(fd, buf + n, sizeof(buf) - 1 - n, MSG_DONTWAIT)) > 0)
		n += (size_t)r;
	buf[n] = '\0';
	return buf;
}

/* The server closed FD: recv sees the end (after whatever it sent). */
static bool closed_by_server(int fd)
{
	char b[512];
	ssize_t r;

	while ((r = recv(fd, b, sizeof(b), MSG_DONTWAIT)) > 0)
		;
	return r == 0;
}

static void test_server_basic(void)
{
	struct egw_ctl_server *srv = server_open();
	struct egw_ctl_stats st;
	struct stat sb;
	int a, b;

	CU_ASSERT_EQUAL(stat(sock_path, &sb), 0);
	CU_ASSERT_TRUE(S_ISSOCK(sb.st_mode));
	CU_ASSERT_EQUAL(sb.st_mode & 0777, 0600);
	CU_ASSERT_EQUAL(egw_ctl_poll(srv, 0), 0); /* idle */

	/* A line in two pieces across polls, and a client that closes right after its command:
	 * the command still runs, the reply fails with EPIPE (no SIGPIPE: this process has the
	 * default action, it would die). */
	a = client();
	b = client();
	say(a, "ver", 3);
	polls(srv, 10, 2);
	CU_ASSERT_STRING_EQUAL(answer(a), "");
	say(a, "sion\n", 5);
	say(b, "mode deny\n", 10);
	close(b);
	polls(srv, 20, 4);
	CU_ASSERT_STRING_EQUAL(answer(a), "OK egressgw " EGW_VERSION "\n");
	CU_ASSERT_TRUE(closed_by_server(a));
	close(a);
	CU_ASSERT_EQUAL(srv_fake.modes, 1);
	egw_ctl_stats(srv, &st);
	CU_ASSERT_EQUAL(st.accepted, 2);
	CU_ASSERT_EQUAL(st.commands, 2);
	CU_ASSERT_EQUAL(st.dropped, 1);

	/* End of input after the line, without a newline: the line counts. */
	a = client();
	say(a, "reload", 6);
	shutdown(a, SHUT_WR);
	polls(srv, 30, 3);
	CU_ASSERT_STRING_EQUAL(answer(a), "OK reloaded\n");
	close(a);
	/* Nothing at all, then end of input. */
	a = client();
	shutdown(a, SHUT_WR);
	polls(srv, 40, 3);
	CU_ASSERT_STRING_EQUAL(answer(a), "ERROR no command received\n");
	close(a);

	egw_ctl_close(srv);
	CU_ASSERT_NOT_EQUAL(stat(sock_path, &sb), 0); /* removed at close */
}

static void test_server_limits(void)
{
	struct egw_ctl_server *srv = server_open();
	char big[4096];
	struct egw_ctl_stats st;
	int a, b, c;

	/* A line that does not end: refused at EGW_CTL_LINE_MAX bytes, whatever else comes. */
	memset(big, 'x', sizeof(big));
	a = client();
	say(a, big, sizeof(big));
	polls(srv, 0, 3);
	CU_ASSERT_STRING_EQUAL(answer(a), "ERROR line too long (max 511 bytes)\n");
	CU_ASSERT_TRUE(closed_by_server(a));
	close(a);

	a = client();
	say(a, "vers\0ion\n", 9);
	polls(srv, 0, 3);
	CU_ASSERT_STRING_EQUAL(answer(a), "ERROR line contains a NUL byte\n");
	close(a);

	/* A slow client (a byte now and then, no newline) is cut at its deadline; a client that
	 * came later is served meanwhile. Time is the poll's NOW. */
	a = client();
	polls(srv, 1000, 2);
	say(a, "v", 1);
	polls(srv, 1800, 1);
	say(a, "e", 1);
	b = client();
	say(b, "version\n", 8);
	polls(srv, 2600, 3);
	CU_ASSERT_STRING_EQUAL(answer(b), "OK egressgw " EGW_VERSION "\n");
	close(b);
	polls(srv, 1000 + EGW_CTL_REQUEST_MS - 1, 2);
	CU_ASSERT_STRING_EQUAL(answer(a), "");
	polls(srv, 1000 + EGW_CTL_REQUEST_MS + 100, 2);
	CU_ASSERT_STRING_EQUAL(answer(a), "ERROR no full command line within 3 s\n");
	CU_ASSERT_TRUE(closed_by_server(a));
	close(a);

	/* Two full lines at once: one command per poll, oldest first. */
	a = client();
	b = client();
	c = client();
	polls(srv, 5000, 2);
	say(b, "mode policy\n", 12);
	polls(srv, 5000, 1);
	say(a, "mode deny\n", 10);
	say(c, "reload\n", 7);
	srv_fake.modes = 0;
	egw_ctl_poll(srv, 5001);
	CU_ASSERT_EQUAL(srv_fake.modes + srv_fake.reloads, 1);
	egw_ctl_poll(srv, 5002);
	egw_ctl_poll(srv, 5003);
	CU_ASSERT_STRING_EQUAL(answer(b), "OK mode policy\n");
	CU_ASSERT_STRING_EQUAL(answer(a), "OK mode deny\n");
	CU_ASSERT_STRING_EQUAL(answer(c), "OK reloaded\n");
	close(a);
	close(b);
	close(c);

	egw_ctl_stats(srv, &st);
	CU_ASSERT_EQUAL(st.rejected, 2);
	CU_ASSERT_EQUAL(st.timed_out, 1);
	egw_ctl_close(srv);
}

static void test_server_client_limit(void)
{
	struct egw_ctl_server *srv = server_open();
	int fds[EGW_CTL_MAX_CLIENTS + 1], extra;
	struct egw_ctl_stats st;

	for (unsigned i = 0; i < EGW_CTL_MAX_CLIENTS; i++)
		fds[i] = client();
	polls(srv, 0, EGW_CTL_MAX_CLIENTS);
	egw_ctl_stats(srv, &st);
	CU_ASSERT_EQUAL(st.accepted, EGW_CTL_MAX_CLIENTS);
	/* One more is told so and closed at once, not left hanging in the backlog. */
	fds[EGW_CTL_MAX_CLIENTS] = client();
	polls(srv, 0, 2);
	CU_ASSERT_STRING_EQUAL(answer(fds[EGW_CTL_MAX_CLIENTS]),
		"ERROR too many control connections; try again\n");
	CU_ASSERT_TRUE(closed_by_server(fds[EGW_CTL_MAX_CLIENTS]));
	/* A slot freed is a slot for the next client. */
	say(fds[0], "version\n", 8);
	polls(srv, 0, 2);
	CU_ASSERT_STRING_EQUAL(answer(fds[0]), "OK egressgw " EGW_VERSION "\n");
	extra = client();
	say(extra, "version\n", 8);
	polls(srv, 0, 3);
	CU_ASSERT_STRING_EQUAL(answer(extra), "OK egressgw " EGW_VERSION "\n");
	egw_ctl_stats(srv, &st);
	CU_ASSERT_EQUAL(st.refused, 1);
	CU_ASSERT_EQUAL(st.accepted, EGW_CTL_MAX_CLIENTS + 1);
	close(extra);
	/* The idle ones are told and closed at their deadline. */
	polls(srv, EGW_CTL_REQUEST_MS + 200, 2);
	egw_ctl_stats(srv, &st);
	CU_ASSERT_EQUAL(st.timed_out, EGW_CTL_MAX_CLIENTS - 1);
	CU_ASSERT_STRING_EQUAL(answer(fds[1]), "ERROR no full command line within 3 s\n");
	CU_ASSERT_TRUE(closed_by_server(fds[EGW_CTL_MAX_CLIENTS - 1]));
	for (unsigned i = 0; i <= EGW_CTL_MAX_CLIENTS; i++)
		close(fds[i]);
	/* Close with clients still connected is clean too. */
	fds[0] = client();
	polls(srv, 0, 1);
	egw_ctl_close(srv);
	CU_ASSERT_TRUE(closed_by_server(fds[0]));
	close(fds[0]);
}

/* Only root or the daemon's user: another user is refused even where the file mode lets it. */
static void test_server_peer_check(void)
{
	struct egw_ctl_server *srv;
	struct passwd *nobody = getpwnam("nobody");
	int pipefd[2], status;
	char reply[128] = "";
	pid_t pid;

	if (geteuid() != 0 || !nobody) {
		fprintf(stderr, "(peer check skipped: needs root and user nobody) ");
		return;
	}
	srv = server_open();
	CU_ASSERT_EQUAL(chmod(sock_dir, 0755), 0);
	CU_ASSERT_EQUAL(chmod(sock_path, 0666), 0);
	CU_ASSERT_EQUAL_FATAL(pipe(pipefd), 0);
	pid = fork();
	CU_ASSERT_FATAL(pid >= 0);
	if (pid == 0) {
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		char buf[128];
		ssize_t n;
		int fd;

		close(pipefd[0]);
		if (setgid(nobody->pw_gid) < 0 || setuid(nobody->pw_uid) < 0)
			_exit(2);
		fd = socket(AF_UNIX, SOCK_STREAM, 0);
		memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
		if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
			_exit(3);
		send(fd, "mode deny\n", 10, MSG_NOSIGNAL);
		n = read(fd, buf, sizeof(buf) - 1);
		if (n > 0 && write(pipefd[1], buf, (size_t)n) != n)
			_exit(4);
		_exit(0);
	}
	close(pipefd[1]);
	for (int i = 0; i < 200; i++) {
		struct pollfd p = { .fd = pipefd[0], .events = POLLIN };
		egw_ctl_poll(srv, 0);
		if (poll(&p, 1, 10) > 0)
			break;
	}
	CU_ASSERT(read(pipefd[0], reply, sizeof(reply) - 1) > 0);
	close(pipefd[0]);
	waitpid(pid, &status, 0);
	CU_ASSERT_STRING_EQUAL(reply, "ERROR permission denied\n");
	CU_ASSERT_EQUAL(srv_fake.modes, 0);
	egw_ctl_close(srv);
	chmod(sock_dir, 0700);
}

static void test_server_socket_file(void)
{
	struct egw_ctl_server *srv;
	char err[256], other[PATH_MAX + 32];
	struct stat sb;
	int fd;

	/* A stale socket file (a daemon that was killed) is replaced. */
	srv = server_open();
	egw_ctl_close(srv);
	fd = socket(AF_UNIX, SOCK_STREAM, 0);
	{
		struct sockaddr_un sa = { .sun_family = AF_UNIX };
		memcpy(sa.sun_path, sock_path, strlen(sock_path) + 1);
		CU_ASSERT_EQUAL(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	}
	close(fd);
	srv = server_open();
	/* Someone put another file at the path: close leaves it. */
	snprintf(other, sizeof(other), "%s/other", sock_dir);
	fd = open(other, O_WRONLY | O_CREAT, 0600);
	close(fd);
	CU_ASSERT_EQUAL(rename(other, sock_path), 0);
	egw_ctl_close(srv);
	CU_ASSERT_EQUAL(stat(sock_path, &sb), 0);
	CU_ASSERT_TRUE(S_ISREG(sb.st_mode));

	/* Anything but a socket at the path is never deleted: open fails and says why. */
	srv = egw_ctl_open(sock_path, &srv_ops, err, sizeof(err));
	CU_ASSERT_PTR_NULL(srv);
	CU_ASSERT_EQUAL(errno, EEXIST);
	CU_ASSERT_PTR_NOT_NULL(strstr(err, "exists and is not a socket (regular file)"));
	CU_ASSERT_EQUAL(stat(sock_path, &sb), 0);
	unlink(sock_path);

	memset(other, 'n', sizeof(other) - 1);
	other[sizeof(other) - 1] = '\0';
	CU_ASSERT_PTR_NULL(egw_ctl_open(other, &srv_ops, err, sizeof(err)));
	CU_ASSERT_EQUAL(errno, ENAMETOOLONG);
	egw_ctl_close(NULL);
	CU_ASSERT_EQUAL(egw_ctl_poll(NULL, 0), 0);
	rmdir(sock_dir);
	sock_dir[0] = '\0';
}

void egw_test_register_ctl(void)
{
	EGW_SUITE("ctl", NULL, NULL, EGW_TEST(test_conn_line_assembly),
		EGW_TEST(test_conn_deadlines_and_reply), EGW_TEST(test_commands),
		EGW_TEST(test_server_basic), EGW_TEST(test_server_limits),
		EGW_TEST(test_server_client_limit), EGW_TEST(test_server_peer_check),
		EGW_TEST(test_server_socket_file));
}
