/*
 * fuzz_smtp_command.c — one command line through the whole parse path:
 * command_split, then command_parse_path for MAIL and RCPT with
 * params_mail / params_rcpt, then command_parse_bdat.  Checks that every
 * result points inside the line and that the decoded values keep their
 * documented bounds.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp/command.h"
#include "smtp/params.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CHECK(cond)                                                            \
	do {                                                                   \
		if (!(cond))                                                   \
			abort();                                               \
	} while (0)

static void
check_printable(const char *s)
{
	for (; *s; s++)
		CHECK((unsigned char)*s >= 32 && (unsigned char)*s <= 126);
}

static void
path_and_params(const char *args, size_t len, bool is_mail)
{
	struct path_command pc;
	const struct esmtp_param *bad = NULL;
	size_t i;

	memset(&pc, 0, sizeof(pc));
	if (command_parse_path(args, len, is_mail, &pc) != CMD_OK)
		return;
	CHECK(pc.nparams <= ESMTP_PARAMS_MAX);
	CHECK(strlen(pc.addr.local) <= ADDR_LOCAL_MAX);
	CHECK(strlen(pc.addr.domain) <= ADDR_DOMAIN_MAX);
	CHECK(!pc.addr.is_null || is_mail);
	CHECK(!pc.addr.is_bare_postmaster || !is_mail);
	for (i = 0; i < pc.nparams; i++) {
		const struct esmtp_param *p = &pc.params[i];

		CHECK(p->keywordlen > 0);
		CHECK(p->keyword >= args &&
		      p->keyword + p->keywordlen <= args + len);
		CHECK(p->value == NULL ||
		      (p->valuelen > 0 && p->value >= args &&
		       p->value + p->valuelen <= args + len));
	}
	if (is_mail) {
		struct mail_options o;

		if (params_mail(&pc, &o, &bad) == PARAM_OK) {
			CHECK(strlen(o.envid) <= ENVID_MAX);
			check_printable(o.envid);
		} else {
			CHECK(bad >= pc.params && bad < pc.params + pc.nparams);
		}
	} else {
		struct rcpt_options o;

		if (params_rcpt(&pc, &o, &bad) == PARAM_OK) {
			CHECK(strlen(o.orcpt) <= ORCPT_MAX);
			check_printable(o.orcpt);
			CHECK(!(o.notify & DSN_NOTIFY_NEVER) ||
			      o.notify == DSN_NOTIFY_NEVER);
		} else {
			CHECK(bad >= pc.params && bad < pc.params + pc.nparams);
		}
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct smtp_command cmd;
	char *line;
	size_t bsize;
	bool last;

	/* An exact-size copy so any read past the end is caught. */
	line = malloc(size ? size : 1);
	if (line == NULL)
		return 0;
	memcpy(line, data, size);
	command_split(line, size, &cmd);
	CHECK(cmd.args >= line && cmd.args + cmd.argslen == line + size);
	/* Whatever the verb, try every argument parser on the arguments, and
	 * on the whole line too. */
	path_and_params(cmd.args, cmd.argslen, true);
	path_and_params(cmd.args, cmd.argslen, false);
	path_and_params(line, size, true);
	path_and_params(line, size, false);
	if (command_parse_bdat(cmd.args, cmd.argslen, &bsize, &last) == CMD_OK)
		CHECK(cmd.argslen > 0 && cmd.args[0] >= '0' &&
		      cmd.args[0] <= '9');
	free(line);
	return 0;
}
