/*
 * control_cmd.c — the commands of the control socket: parse one line, act
 * through the spool and the daemon's hooks, and word the reply.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "base/log.h"
#include "control/control_int.h"
#include "queue/spool.h"

struct control_cmd {
	const char *verb;
	int id; /* 0: no id, 1: required, 2: optional */
	void (*run)(struct control *ctl, const char *id, char *reply,
	            size_t len);
};

static void
reply_errno(const char *id, int e, char *reply, size_t len)
{
	switch (e) {
	case ENOENT:
		snprintf(reply, len, "ERR no message %s in the queue\n", id);
		break;
	case EALREADY:
		snprintf(reply, len, "ERR message %s is already %s\n", id,
		         "in that state");
		break;
	default:
		snprintf(reply, len, "ERR %s\n", strerror(e));
	}
}

static void
cmd_flush(struct control *ctl, const char *id, char *reply, size_t len)
{
	if (id && spool_is_held(ctl->sp, id) == 1) {
		snprintf(reply, len, "ERR message %s is on hold; release it\n",
		         id);
		return;
	}
	if (id && ctl->hooks.flush_id)
		ctl->hooks.flush_id(ctl->arg, id);
	else
		ctl->hooks.flush_all(ctl->arg);
	pickup_kick(ctl->pickup);
	log_event(LOG_LVL_INFO, "queue-flush", "id", id, NULL);
	snprintf(reply, len, "OK flushing %s\n", id ? id : "the queue");
}

static void
cmd_delete(struct control *ctl, const char *id, char *reply, size_t len)
{
	if (spool_delete(ctl->sp, id) < 0) {
		reply_errno(id, errno, reply, len);
		return;
	}
	if (ctl->hooks.forget_id)
		ctl->hooks.forget_id(ctl->arg, id);
	snprintf(reply, len, "OK deleted %s\n", id);
}

static void
cmd_hold(struct control *ctl, const char *id, char *reply, size_t len)
{
	if (spool_hold(ctl->sp, id) < 0) {
		if (errno == EALREADY)
			snprintf(reply, len, "ERR message %s is already held\n",
			         id);
		else
			reply_errno(id, errno, reply, len);
		return;
	}
	if (ctl->hooks.forget_id)
		ctl->hooks.forget_id(ctl->arg, id);
	snprintf(reply, len, "OK held %s\n", id);
}

static void
cmd_release(struct control *ctl, const char *id, char *reply, size_t len)
{
	if (spool_release(ctl->sp, id) < 0) {
		if (errno == EALREADY)
			snprintf(reply, len, "ERR message %s is not held\n",
			         id);
		else
			reply_errno(id, errno, reply, len);
		return;
	}
	ctl->hooks.enqueue_id(ctl->arg, id);
	snprintf(reply, len, "OK released %s\n", id);
}

static bool
is_day(const char *d)
{
	size_t i;

	for (i = 0; i < 10; i++)
		if (i == 4 || i == 7 ? d[i] != '-'
		                     : !isdigit((unsigned char)d[i]))
			return false;
	return d[10] == '\0';
}

/* "DAY [DOMAIN]" */
static void
cmd_tls_report(struct control *ctl, const char *args, char *reply, size_t len)
{
	static const char domain_chars[] = "abcdefghijklmnopqrstuvwxyz"
	                                   "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                                   "0123456789.-";
	char day[16] = "", domain[256] = "", extra[2] = "";
	int n = sscanf(args, "%15s %255s %1s", day, domain, extra);

	if (n < 1 || n > 2 || !is_day(day) ||
	    (n == 2 && strspn(domain, domain_chars) != strlen(domain))) {
		snprintf(reply, len,
		         "ERR usage: TLSREPORT YYYY-MM-DD [DOMAIN]\n");
		return;
	}
	ctl->hooks.tls_report(ctl->arg, day, n == 2 ? domain : NULL, reply,
	                      len);
}

static const struct control_cmd commands[] = {
        {"FLUSH", 2, cmd_flush},
        {"DELETE", 1, cmd_delete},
        {"HOLD", 1, cmd_hold},
        {"RELEASE", 1, cmd_release},
};

void
control_run(struct control_client *cl, const char *line, unsigned long uid,
            char *reply, size_t len)
{
	struct control *ctl = cl->ctl;
	char verb[16] = "", id[64] = "", extra[2] = "", uidbuf[24];
	int n;
	size_t i;

	if (strncmp(line, "POLICY ", 7) == 0 && ctl->hooks.policy) {
		snprintf(uidbuf, sizeof(uidbuf), "%lu", uid);
		log_event(LOG_LVL_INFO, "control", "uid", uidbuf, "command",
		          "POLICY", "args", line + 7, NULL);
		ctl->hooks.policy(ctl->arg, line + 7, reply, len,
		                  control_answer_later, cl);
		return;
	}
	if (strcmp(line, "RELOAD") == 0 && ctl->hooks.reload) {
		snprintf(uidbuf, sizeof(uidbuf), "%lu", uid);
		log_event(LOG_LVL_INFO, "control", "uid", uidbuf, "command",
		          "RELOAD", NULL);
		(void)ctl->hooks.reload(ctl->arg, reply, len);
		return;
	}
	if (strncmp(line, "TLSREPORT ", 10) == 0 && ctl->hooks.tls_report) {
		snprintf(uidbuf, sizeof(uidbuf), "%lu", uid);
		log_event(LOG_LVL_INFO, "control", "uid", uidbuf, "command",
		          "TLSREPORT", "args", line + 10, NULL);
		cmd_tls_report(ctl, line + 10, reply, len);
		return;
	}
	n = sscanf(line, "%15s %63s %1s", verb, id, extra);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		const struct control_cmd *c = &commands[i];

		if (strcmp(verb, c->verb) != 0)
			continue;
		if (n > 2 || (n == 2 && c->id == 0) || (n == 1 && c->id == 1)) {
			snprintf(reply, len, "ERR usage: %s%s\n", c->verb,
			         c->id == 1 ? " ID"
			         : c->id    ? " [ID]"
			                    : "");
			return;
		}
		if (n == 2 && !spool_id_valid(id)) {
			snprintf(reply, len, "ERR not a queue id\n");
			return;
		}
		snprintf(uidbuf, sizeof(uidbuf), "%lu", uid);
		log_event(LOG_LVL_INFO, "control", "uid", uidbuf, "command",
		          c->verb, "id", n == 2 ? id : NULL, NULL);
		c->run(ctl, n == 2 ? id : NULL, reply, len);
		return;
	}
	snprintf(reply, len, "ERR unknown command\n");
}
