/*
 * queue.c — `ferry queue`: list and show read the spool directly; flush,
 * delete, hold and release ask the running daemon over its control socket
 * (control.h), so that the daemon stays the only writer of its queue.
 */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "cli/cli.h"
#include "cli/queue_int.h"
#include "cli/queue_list.h"
#include "config/config.h"
#include "queue/spool.h"

extern const struct cli_command cli_queue;

struct qopts {
	struct queue_filter filter; /* delete many */
	bool bulk;
	const char *config;
	bool demo; /* the built-in demo's spool, ./var/spool */
	bool json;
	const char *verb;
	const char *id;
};

static int
open_spool(const struct config *cfg, struct spool **sp)
{
	if ((*sp = spool_open_readonly(cfg->spool_dir)) != NULL)
		return 0;
	if (errno == EACCES)
		fprintf(stderr,
		        "ferry: cannot read the spool %s: run this as root or "
		        "as the user the daemon runs as (%s)\n",
		        cfg->spool_dir, cfg->user ? cfg->user : "?");
	else
		fprintf(stderr, "ferry: cannot open the spool %s: %s\n",
		        cfg->spool_dir, strerror(errno));
	return errno == ENOENT ? EX_NOINPUT : EX_NOPERM;
}

static int
do_list(const struct config *cfg, bool json)
{
	struct spool *sp;
	int rc;

	if ((sp = spool_open_readonly(cfg->spool_dir)) == NULL &&
	    errno == EACCES && !json)
		return queue_showq(cfg->spool_dir); /* not root: summaries */
	if (sp == NULL && (rc = open_spool(cfg, &sp)) != 0)
		return rc;
	rc = queue_list_write(stdout, sp, json) < 0 ? EX_IOERR : 0;
	spool_close_readonly(sp);
	if (rc)
		fprintf(stderr, "ferry: could not list the whole queue\n");
	return rc;
}

static int
do_show(const struct config *cfg, const char *id, bool json)
{
	struct envelope env = {0};
	struct spool *sp;
	char *msg = NULL;
	size_t len = 0;
	bool held = false;
	int rc;

	if ((rc = open_spool(cfg, &sp)) != 0)
		return rc;
	if (spool_load(sp, id, &env) < 0) {
		held = true;
		if (spool_load_held(sp, id, &env) < 0) {
			fprintf(stderr, "ferry: no message %s in the queue\n",
			        id);
			spool_close_readonly(sp);
			return EX_NOINPUT;
		}
	}
	if ((held ? spool_read_held_msg(sp, id, &msg, &len)
	          : spool_read_msg(sp, id, &msg, &len)) < 0)
		msg = NULL;
	if (msg != NULL && !spool_msg_matches(&env, msg, len)) {
		/* Delivered (and its file reused) since its envelope was
		 * read: these bytes are another message's. */
		fprintf(stderr, "ferry: no message %s in the queue\n", id);
		free(msg);
		envelope_free(&env);
		spool_close_readonly(sp);
		return EX_NOINPUT;
	}
	if (json)
		queue_print_show_json(stdout, &env, held, msg, len);
	else
		queue_print_show(stdout, &env, held, msg, len);
	free(msg);
	envelope_free(&env);
	spool_close_readonly(sp);
	return 0;
}

static int
do_control(const struct config *cfg, const char *verb, const char *id)
{
	char line[64], reply[512];
	size_t i;
	int rc;

	snprintf(line, sizeof(line), "%s%s%s", verb, id ? " " : "",
	         id ? id : "");
	for (i = 0; line[i] && line[i] != ' '; i++)
		line[i] = (char)toupper((unsigned char)line[i]);
	if ((rc = queue_control(cfg->spool_dir, line, reply, sizeof(reply))))
		return rc;
	if (strncmp(reply, "OK", 2) == 0) {
		printf("%s\n", reply[2] == ' ' ? reply + 3 : reply + 2);
		return 0;
	}
	fprintf(stderr, "ferry: %s\n",
	        strncmp(reply, "ERR ", 4) == 0 ? reply + 4 : reply);
	return strstr(reply, "no message") ? EX_NOINPUT : 1;
}

static const struct verb {
	const char *name;
	int id; /* 0 none, 1 required, 2 optional */
	bool remote;
} verbs[] = {
        {"list", 0, false},  {"show", 1, false}, {"flush", 2, true},
        {"delete", 1, true}, {"hold", 1, true},  {"release", 1, true},
};

static int
parse(int argc, char **argv, struct qopts *o, const struct verb **v)
{
	static const struct option opts[] = {
	        {"config", required_argument, NULL, 'c'},
	        {"demo", no_argument, NULL, 'd'},
	        {"json", no_argument, NULL, 'j'},
	        {"all-deferred", no_argument, NULL, 'D'},
	        {"sender", required_argument, NULL, 'S'},
	        {"recipient-domain", required_argument, NULL, 'R'},
	        {"help", no_argument, NULL, 'h'},
	        {NULL, 0, NULL, 0},
	};
	size_t i;
	int ch;

	while ((ch = getopt_long(argc, argv, "c:jh", opts, NULL)) != -1) {
		if (ch == 'c')
			o->config = optarg;
		else if (ch == 'd')
			o->demo = true;
		else if (ch == 'j')
			o->json = true;
		else if (ch == 'D')
			o->bulk = o->filter.deferred = true;
		else if (ch == 'S')
			o->bulk = (o->filter.sender = optarg) != NULL;
		else if (ch == 'R')
			o->bulk = (o->filter.rcpt_domain = optarg) != NULL;
		else
			return ch == 'h' ? -1 : EX_USAGE;
	}
	if (optind >= argc || (o->demo && o->config))
		return EX_USAGE;
	o->verb = argv[optind++];
	o->id = optind < argc ? argv[optind++] : NULL;
	for (i = 0, *v = NULL; i < sizeof(verbs) / sizeof(verbs[0]); i++)
		if (strcmp(verbs[i].name, o->verb) == 0)
			*v = &verbs[i];
	if (o->bulk) /* delete with a filter instead of an id */
		return *v != NULL && strcmp((*v)->name, "delete") == 0 &&
		                       o->id == NULL && optind == argc
		               ? 0
		               : EX_USAGE;
	if (*v == NULL || optind != argc || (o->id && (*v)->id == 0) ||
	    (!o->id && (*v)->id == 1))
		return EX_USAGE;
	if (o->id && !spool_id_valid(o->id)) {
		fprintf(stderr, "ferry: '%s' is not a queue id\n", o->id);
		return EX_USAGE;
	}
	return 0;
}

static int
run_queue(int argc, char **argv)
{
	struct qopts o = {0};
	const struct verb *v;
	struct config *cfg;
	int rc;

	if ((rc = parse(argc, argv, &o, &v)) != 0) {
		cli_print_usage(&cli_queue, rc != -1);
		return rc == -1 ? 0 : rc;
	}
	if ((cfg = cli_config_load(o.config, o.demo, "queue")) == NULL)
		return EX_CONFIG;
	if (o.bulk)
		rc = queue_delete_matching(cfg->spool_dir, &o.filter);
	else if (!v->remote && v->id)
		rc = do_show(cfg, o.id, o.json);
	else if (!v->remote)
		rc = do_list(cfg, o.json);
	else
		rc = do_control(cfg, v->name, o.id);
	config_free(cfg);
	return rc;
}

const struct cli_command cli_queue = {
        .name = "queue",
        .run = run_queue,
        .summary = "list, show, flush, hold, release or delete queued mail",
        .usage = "usage: ferry queue [--config FILE] list [--json]\n"
                 "       ferry queue [--config FILE] show [--json] ID\n"
                 "       ferry queue [--config FILE] flush [ID]\n"
                 "       ferry queue [--config FILE] delete ID\n"
                 "       ferry queue [--config FILE] delete [--all-deferred] "
                 "[--sender ADDR]\n"
                 "                                   [--recipient-domain "
                 "DOMAIN]\n"
                 "       ferry queue [--config FILE] hold ID\n"
                 "       ferry queue [--config FILE] release ID\n"
                 "\n"
                 "Inspect and manage the mail queue.\n"
                 "\n"
                 "  list      every queued and held message, as mailq(1) "
                 "prints it: the\n"
                 "            queue id ('!' after it when held), size, "
                 "arrival time and\n"
                 "            sender, then each recipient still to be "
                 "delivered, after\n"
                 "            its last reply in parentheses; then a line "
                 "\"-- N Kbytes in\n"
                 "            M Requests.\".  With --json, one JSON object "
                 "per line.\n"
                 "  show      one message: its envelope, the state, last "
                 "reply and\n"
                 "            reason category of each recipient, and the "
                 "message headers.\n"
                 "  flush     retry deferred messages now (only ID, when "
                 "given), and\n"
                 "            pick up mail waiting in the maildrop.\n"
                 "  delete    remove a queued or held message for good "
                 "(logged); with\n"
                 "            filters, every queued message that has a "
                 "recipient still\n"
                 "            to deliver that is deferred (--all-deferred), "
                 "in DOMAIN\n"
                 "            (--recipient-domain), from ADDR (--sender; "
                 "\"\" for <>),\n"
                 "            all given filters together.\n"
                 "  hold      take a message out of delivery until it is "
                 "released.\n"
                 "  release   hand a held message back to delivery.\n"
                 "\n"
                 "list and show read the spool directly and work whether or "
                 "not the\n"
                 "daemon runs.  The other commands ask the running daemon "
                 "over its\n"
                 "control socket SPOOL/control.sock; both need root or the "
                 "user the\n"
                 "daemon runs as.\n"
                 "\n"
                 "Options:\n"
                 "  -c, --config FILE   the daemon's configuration (default: "
                 "$FERRY_CONFIG,\n"
                 "                      else " FERRY_CONFIG_FILE ")\n"
                 "      --demo          the queue of 'ferry serve --demo' "
                 "(./var/spool)\n"
                 "  -j, --json          machine-readable output for list "
                 "and show\n"
                 "  -h, --help          show this text\n"
                 "\n"
                 "Exit status: 0 on success; 64 (EX_USAGE) for a bad command "
                 "line; 66\n"
                 "(EX_NOINPUT) when the message or spool does not exist; 69\n"
                 "(EX_UNAVAILABLE) when ferry is not running; 77 (EX_NOPERM) "
                 "without\nthe rights to the spool or socket; 78 (EX_CONFIG) "
                 "for a bad\nconfiguration; 1 when the daemon refused the "
                 "command.\n",
};
