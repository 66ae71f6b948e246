/*
 * lmtp.c — [domain NAME] delivery over LMTP (RFC 2033), to Dovecot say:
 * `lmtp` names the server's socket, `lmtp_mailbox` the mailboxes that go
 * there (all of the domain's when none is listed).  The others keep their
 * Maildirs under maildir_root.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config_int.h"

static int
mark_lmtp(struct load_ctx *ctx, void *arg, const char *item)
{
	struct config_domain *d = arg;
	struct config_mailbox *mb;

	if (!config_valid_local_part(item)) {
		load_error(ctx, ctx->lineno,
		           "lmtp_mailbox: '%s' is not a valid mailbox name "
		           "(letters, digits and . - _ + =)",
		           item);
		return -1;
	}
	mb = (struct config_mailbox *)config_find_mailbox(d, item);
	if (mb == NULL) {
		/* Listing it here is enough to create it. */
		d->mailboxes = cfg_reallocarray(d->mailboxes, d->nmailboxes + 1,
		                                sizeof(*d->mailboxes));
		mb = &d->mailboxes[d->nmailboxes++];
		memset(mb, 0, sizeof(*mb));
		mb->name = config_lower(item);
		mb->state = MAILBOX_ACTIVE;
	} else if (mb->lmtp) {
		load_error(ctx, ctx->lineno,
		           "lmtp_mailbox: '%s' is listed twice", item);
		return -1;
	}
	mb->lmtp = true;
	d->lmtp_some = true;
	return 0;
}

int
lmtp_mailbox_set(struct load_ctx *ctx, const char *value)
{
	struct config_domain *d = &ctx->cfg->domains[ctx->cfg->ndomains - 1];

	return cfg_each_item(ctx, ctx->file, ctx->lineno, value, mark_lmtp, d);
}

/* "unix:/absolute/path" or "ADDRESS:PORT"; -1 when it is neither. */
static int
parse_target(struct config_domain *d)
{
	struct config_listener hop = {0};

	if (strncasecmp(d->lmtp, "unix:", 5) == 0) {
		if (d->lmtp[5] != '/' || strlen(d->lmtp + 5) >= 108)
			return -1;
		d->lmtp_addr = cfg_strdup(d->lmtp + 5);
		d->lmtp_port = 0;
		return 0;
	}
	if (value_parse_listen(d->lmtp, &hop) < 0)
		return -1;
	d->lmtp_addr = hop.address;
	d->lmtp_port = hop.port;
	return 0;
}

void
lmtp_check_domain(struct load_ctx *ctx, size_t i)
{
	struct config_domain *d = &ctx->cfg->domains[i];
	int line = ctx->dl[i].line;
	size_t key = config_option_index(config_option_find("domain", "lmtp"));

	if (d->lmtp == NULL) {
		if (d->lmtp_some)
			load_error(ctx, line,
			           "[domain %s]: lmtp_mailbox needs lmtp, the "
			           "LMTP server's socket",
			           d->name);
		return;
	}
	if (ctx->dl[i].set_line[key] != 0)
		line = ctx->dl[i].set_line[key];
	if (parse_target(d) < 0)
		load_error(ctx, line,
		           "lmtp: '%s' is neither unix:/ABSOLUTE/PATH nor "
		           "ADDRESS:PORT (IPv6 as [::1]:24)",
		           d->lmtp);
}

bool
config_delivers_lmtp(const struct config_domain *d, const char *local_part)
{
	const struct config_mailbox *mb;

	if (d->lmtp_addr == NULL)
		return false;
	if (!d->lmtp_some)
		return true;
	mb = config_find_mailbox(d, local_part);
	return mb != NULL && mb->lmtp;
}
